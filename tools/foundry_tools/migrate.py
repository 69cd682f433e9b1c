"""`foundry migrate`: run the api's migrations inside the VPC, as a one-off ECS task, and report.

The database is private (spec §4), so neither a laptop nor a CI runner can reach it. The task runs the
`api` image's own runner (`foundry-api migrate plan|apply`: advisory lock, one transaction per file),
in the private-app subnets, with a role that can read the database secret and nothing else.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from foundry_infra import outputs

Action = Literal["plan", "apply"]
POLL_SECONDS = 5.0
TASK_TIMEOUT_SECONDS = 15 * 60
LOG_PAGES = 20


class MigrateError(RuntimeError):
    """Stops the command with one message that says what to do."""


@dataclass(frozen=True, kw_only=True)
class RunnerTarget:
    cluster: str
    task_definition: str
    subnets: list[str]
    security_group: str
    log_group: str
    database_instance: str


@dataclass(frozen=True, kw_only=True)
class RunResult:
    task_arn: str
    exit_code: int | None
    stopped_reason: str
    log_lines: list[str]

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0


def read_target(cloudformation: Any, *, stack_name: str) -> RunnerTarget:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        raise MigrateError(f"cannot read stack {stack_name}: {error}; deploy the environment first") from None
    found = {item["OutputKey"]: item["OutputValue"] for item in stacks[0].get("Outputs", [])}
    wanted = [
        outputs.MIGRATIONS_CLUSTER,
        outputs.MIGRATIONS_TASK_DEFINITION,
        outputs.MIGRATIONS_SUBNETS,
        outputs.MIGRATIONS_SECURITY_GROUP,
        outputs.MIGRATIONS_LOG_GROUP,
        outputs.DATABASE_INSTANCE_ID,
    ]
    missing = [key for key in wanted if key not in found]
    if missing:
        raise MigrateError(
            f"stack {stack_name} lacks the outputs {', '.join(missing)}; deploy this version of the platform first"
        )
    return RunnerTarget(
        cluster=found[outputs.MIGRATIONS_CLUSTER],
        task_definition=found[outputs.MIGRATIONS_TASK_DEFINITION],
        subnets=found[outputs.MIGRATIONS_SUBNETS].split(","),
        security_group=found[outputs.MIGRATIONS_SECURITY_GROUP],
        log_group=found[outputs.MIGRATIONS_LOG_GROUP],
        database_instance=found[outputs.DATABASE_INSTANCE_ID],
    )


def take_snapshot(rds: Any, *, instance: str, env: str, wait: bool = True) -> str:
    """A manual snapshot before prod changes: with PITR, the documented way back (docs/runbooks.md)."""
    snapshot_id = f"foundry-{env}-pre-migrate-{datetime.now(UTC):%Y%m%d%H%M%S}"
    rds.create_db_snapshot(DBSnapshotIdentifier=snapshot_id, DBInstanceIdentifier=instance)
    if wait:
        rds.get_waiter("db_snapshot_available").wait(
            DBSnapshotIdentifier=snapshot_id, WaiterConfig={"Delay": 15, "MaxAttempts": 80}
        )
    return snapshot_id


def run_migrations(
    *,
    ecs: Any,
    logs: Any,
    target: RunnerTarget,
    action: Action,
    report: Callable[[str], None],
    poll_seconds: float = POLL_SECONDS,
    timeout_seconds: float = TASK_TIMEOUT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> RunResult:
    response = ecs.run_task(
        cluster=target.cluster,
        taskDefinition=target.task_definition,
        launchType="FARGATE",
        count=1,
        startedBy="foundry-migrate",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": target.subnets,
                "securityGroups": [target.security_group],
                "assignPublicIp": "DISABLED",
            }
        },
        overrides={
            "containerOverrides": [
                {"name": outputs.MIGRATIONS_CONTAINER, "command": ["foundry-api", "migrate", action]}
            ]
        },
    )
    if response.get("failures"):
        reasons = "; ".join(f"{f.get('arn', '?')}: {f.get('reason', '?')}" for f in response["failures"])
        raise MigrateError(f"ECS could not start the migration task: {reasons}")
    task_arn = response["tasks"][0]["taskArn"]
    report(f"started migration task {task_arn.rsplit('/', 1)[-1]} ({action}); waiting for it to finish ...")
    waited = 0.0
    while True:
        task = ecs.describe_tasks(cluster=target.cluster, tasks=[task_arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED":
            break
        if waited >= timeout_seconds:
            raise MigrateError(
                f"the migration task {task_arn} is still {task['lastStatus']} after {timeout_seconds:.0f} s; "
                "it keeps running: follow it in the ECS console or its log group"
            )
        sleep(poll_seconds)
        waited += poll_seconds
    container: dict[str, Any] = next(
        (c for c in task.get("containers", []) if c.get("name") == outputs.MIGRATIONS_CONTAINER),
        {},
    )
    return RunResult(
        task_arn=task_arn,
        exit_code=container.get("exitCode"),
        stopped_reason=str(task.get("stoppedReason", "")),
        log_lines=read_task_log(logs, log_group=target.log_group, task_arn=task_arn),
    )


def read_task_log(logs: Any, *, log_group: str, task_arn: str) -> list[str]:
    # awslogs streams are named <prefix>/<container>/<task id>; the runner uses prefix "migrate".
    stream = f"migrate/{outputs.MIGRATIONS_CONTAINER}/{task_arn.rsplit('/', 1)[-1]}"
    lines: list[str] = []
    token: str | None = None
    for _ in range(LOG_PAGES):
        kwargs: dict[str, Any] = {"logGroupName": log_group, "logStreamName": stream, "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        try:
            page = logs.get_log_events(**kwargs)
        except logs.exceptions.ResourceNotFoundException:
            return [f"(no log stream {stream} in {log_group})"]
        lines += [event["message"] for event in page.get("events", [])]
        if page.get("nextForwardToken") in (None, token):
            break
        token = page["nextForwardToken"]
    return lines
