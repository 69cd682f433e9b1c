"""Issue 18: dev asleep outside working hours (`sleep.enabled`), with EventBridge Scheduler.

Each target gets two schedules in the environment's schedule group, named `<target>-sleep` and
`<target>-wake`, with `cron(0 H ? * DAYS *)` in `sleep.timezone`: wake at wake_hour and sleep at
sleep_hour on the working days, so the environment sleeps every night and through the days off.
`foundry cost` prices the active hours from these two schedules; `foundry sleep|wake` makes the same
calls by hand (foundry_tools.sleep).

The targets are Scheduler's universal targets, one AWS API call each:
- App Runner: apprunner:pauseService / resumeService (a paused service bills no provisioned instances);
- RDS: rds:stopDBInstance / startDBInstance (a stopped instance bills storage only);
- ECS: ecs:updateService with desiredCount 0 / the service's min_instances. Target tracking acts only
  when its alarms fire, and at zero tasks the CPU and request metrics have no data, so it leaves the
  count at 0 until the wake schedule restores it.
https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html ·
https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based ·
https://docs.aws.amazon.com/apprunner/latest/api/API_PauseService.html ·
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html ·
https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html

The role Scheduler assumes may make exactly those calls on exactly those resources, and only for
schedules of this account (aws:SourceAccount).
"""

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from foundry_infra.checkov import skip_checkov
from foundry_infra.config.model import EnvironmentConfig, SleepConfig
from foundry_infra.data.database import Database
from foundry_infra.services.apprunner import AppRunnerService
from foundry_infra.services.backends import ServiceBackends
from foundry_infra.services.ecs import FargateWebService

# The names `foundry cost` and `foundry sleep|wake` recognise (the schedule's Name ends with one).
SLEEP, WAKE = "sleep", "wake"
UNIVERSAL_TARGET = "arn:aws:scheduler:::aws-sdk:{service}:{action}"


@dataclass(frozen=True)
class SleepTarget:
    """One resource the schedule puts to sleep and wakes: the two API calls, their input, the IAM
    actions and the resource ARN they need."""

    name: str  # the schedule name's stem, e.g. "api" or "database"
    service: str  # the SDK service of the universal target: apprunner, rds, ecs
    sleep_action: str  # SDK action in camelCase, as the target ARN spells it
    wake_action: str
    sleep_input: dict[str, object]
    wake_input: dict[str, object]
    iam_actions: tuple[str, ...]
    resource_arn: str


def app_runner_target(*, name: str, service_arn: str) -> SleepTarget:
    body = {"ServiceArn": service_arn}
    return SleepTarget(
        name, "apprunner", "pauseService", "resumeService", body, body,
        ("apprunner:PauseService", "apprunner:ResumeService"), service_arn,
    )  # fmt: skip


def rds_target(*, identifier: str, instance_arn: str) -> SleepTarget:
    body = {"DbInstanceIdentifier": identifier}
    return SleepTarget(
        "database", "rds", "stopDBInstance", "startDBInstance", body, body,
        ("rds:StopDBInstance", "rds:StartDBInstance"), instance_arn,
    )  # fmt: skip


def ecs_target(*, name: str, cluster_arn: str, service_arn: str, awake_count: int) -> SleepTarget:
    body: dict[str, object] = {"Cluster": cluster_arn, "Service": service_arn}
    return SleepTarget(
        name, "ecs", "updateService", "updateService", {**body, "DesiredCount": 0},
        {**body, "DesiredCount": awake_count}, ("ecs:UpdateService",), service_arn,
    )  # fmt: skip


def cron(*, hour: int, days: tuple[str, ...]) -> str:
    """At the hour on those days: `cron(minutes hours day-of-month month day-of-week year)`."""
    return f"cron(0 {hour} ? * {','.join(days)} *)"


class SleepSchedule(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, config: SleepConfig, name: str, targets: list[SleepTarget]
    ) -> None:
        super().__init__(scope, id_)
        account = Stack.of(self).account
        self.group = scheduler.CfnScheduleGroup(self, "Group", name=f"{name}-sleep")
        self.role = iam.Role(
            self,
            "Role",
            description=f"EventBridge Scheduler: puts {name} to sleep and wakes it (issue 18)",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account}}
            ),
        )
        for target in targets:
            self.role.add_to_policy(
                iam.PolicyStatement(actions=list(target.iam_actions), resources=[target.resource_arn])
            )
        self.schedules: list[scheduler.CfnSchedule] = []
        for target in targets:
            for kind, hour, action, body in (
                (SLEEP, config.sleep_hour, target.sleep_action, target.sleep_input),
                (WAKE, config.wake_hour, target.wake_action, target.wake_input),
            ):
                schedule = scheduler.CfnSchedule(
                    self,
                    f"{target.name.capitalize()}{kind.capitalize()}",
                    name=f"{target.name}-{kind}",
                    group_name=self.group.ref,
                    description=f"{kind} {name} {target.name}: {target.service}:{action} (issue 18)",
                    schedule_expression=cron(hour=hour, days=config.working_days),
                    schedule_expression_timezone=config.timezone,
                    flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                    state="ENABLED",
                    target=scheduler.CfnSchedule.TargetProperty(
                        arn=UNIVERSAL_TARGET.format(service=target.service, action=action),
                        role_arn=self.role.role_arn,
                        input=Stack.of(self).to_json_string(body),
                        # A call that fails (already stopped, still starting) is not worth retrying:
                        # the next day's schedule or `foundry wake` sets it right.
                        retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                            maximum_retry_attempts=0, maximum_event_age_in_seconds=3600
                        ),
                    ),
                )
                skip_checkov(
                    schedule,
                    "CKV_AWS_297",
                    reason="The schedule's input holds only resource ARNs and a task count, nothing "
                    "worth a customer-managed key.",
                )
                self.schedules.append(schedule)


def sleep_schedule(
    scope: Construct, *, config: EnvironmentConfig, backends: ServiceBackends, database: Database
) -> SleepSchedule:
    """The schedule of every running service (App Runner paused, ECS scaled to 0) and the database."""
    targets = []
    for service, running in backends.running.items():
        if isinstance(running, AppRunnerService):
            targets.append(app_runner_target(name=service.value, service_arn=running.arn))
        elif isinstance(running, FargateWebService):
            awake = getattr(config.services, service.value).min_instances
            cluster = backends.compute.cluster.cluster_arn
            targets.append(
                ecs_target(
                    name=service.value, cluster_arn=cluster, service_arn=running.arn, awake_count=awake
                )
            )
    instance = database.instance
    targets.append(rds_target(identifier=instance.instance_identifier, instance_arn=instance.instance_arn))
    return SleepSchedule(scope, "Sleep", config=config.sleep, name=f"foundry-{config.name}", targets=targets)
