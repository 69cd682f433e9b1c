"""`foundry sleep|wake`: by hand, what the sleep schedule does (foundry_infra.services.sleep).

Sleep pauses the App Runner services, scales the ECS services to 0 and then stops the database; wake
starts the database first, then resumes App Runner and restores each ECS service's min_instances.
Each step says what it found and did; one that cannot act (not found, still changing) is reported
and the others still run, so a half-asleep environment can be finished by running it again.

The calls and the states they accept, as AWS documents them:
https://docs.aws.amazon.com/apprunner/latest/api/API_PauseService.html (RUNNING → PAUSED) ·
https://docs.aws.amazon.com/apprunner/latest/api/API_ResumeService.html (PAUSED → RUNNING) ·
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html (available → stopped) ·
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StartInstance.html (stopped → available) ·
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from foundry_infra.config.model import EnvironmentConfig

Action = Literal["sleep", "wake"]
MAX_PAGES = 20  # list calls page at most this often: an account has far fewer services


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Clients:
    apprunner: Any
    ecs: Any
    rds: Any


def service_name(config: EnvironmentConfig, service: str) -> str:
    """The name both backends give a service (foundry_infra.services.backends)."""
    return f"foundry-{config.name}-{service}"


def database_identifier(config: EnvironmentConfig) -> str:
    """The RDS instance identifier (foundry_infra.data.database)."""
    return f"foundry-{config.name}-postgres"


def running_services(config: EnvironmentConfig) -> list[str]:
    return ["web", "api", "ai"] if config.edge.web_origin == "apprunner" else ["api", "ai"]


def _apprunner_arns(apprunner: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    kwargs: dict[str, str] = {}
    for _ in range(MAX_PAGES):
        page = apprunner.list_services(**kwargs)
        found.update({s["ServiceName"]: s["ServiceArn"] for s in page.get("ServiceSummaryList", [])})
        if not page.get("NextToken"):
            break
        kwargs = {"NextToken": page["NextToken"]}
    return found


def _ecs_service(ecs: Any, name: str) -> tuple[str, dict[str, Any]] | None:
    """(cluster ARN, service) of the ACTIVE ECS service with this name, in any cluster."""
    kwargs: dict[str, str] = {}
    for _ in range(MAX_PAGES):
        page = ecs.list_clusters(**kwargs)
        for cluster in page.get("clusterArns", []):
            for service in ecs.describe_services(cluster=cluster, services=[name]).get("services", []):
                if service.get("status") == "ACTIVE":
                    return cluster, service
        if not page.get("nextToken"):
            break
        kwargs = {"nextToken": page["nextToken"]}
    return None


def _apprunner(clients: Clients, *, name: str, arn: str | None, action: Action, out: Outcome) -> None:
    if arn is None:
        out.problems.append(f"App Runner service {name} not found (is the environment deployed?)")
        return
    status = clients.apprunner.describe_service(ServiceArn=arn)["Service"]["Status"]
    current, wanted = ("RUNNING", "PAUSED") if action == "sleep" else ("PAUSED", "RUNNING")
    if status == wanted:
        out.lines.append(f"App Runner {name}: already {wanted.lower()}")
    elif status != current:
        out.problems.append(
            f"App Runner {name} is {status}; run `foundry {action}` again once it is {current}"
        )
    else:
        if action == "sleep":
            clients.apprunner.pause_service(ServiceArn=arn)
        else:
            clients.apprunner.resume_service(ServiceArn=arn)
        verb = "pausing" if action == "sleep" else "resuming"
        out.lines.append(f"App Runner {name}: {verb} (was {status})")


def _ecs(clients: Clients, *, name: str, awake: int, action: Action, out: Outcome) -> None:
    found = _ecs_service(clients.ecs, name)
    if found is None:
        out.problems.append(f"ECS service {name} not found in any cluster (is the environment deployed?)")
        return
    cluster, service = found
    count = 0 if action == "sleep" else awake
    if service.get("desiredCount") == count:
        out.lines.append(f"ECS {name}: already at {count} tasks")
        return
    clients.ecs.update_service(cluster=cluster, service=name, desiredCount=count)
    out.lines.append(f"ECS {name}: desired count {service.get('desiredCount')} -> {count}")


def _database(clients: Clients, *, identifier: str, action: Action, out: Outcome) -> None:
    try:
        instances = clients.rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except clients.rds.exceptions.DBInstanceNotFoundFault:
        out.problems.append(f"RDS instance {identifier} not found (is the environment deployed?)")
        return
    status = instances[0]["DBInstanceStatus"]
    current, wanted = ("available", "stopped") if action == "sleep" else ("stopped", "available")
    if status == wanted:
        out.lines.append(f"RDS {identifier}: already {wanted}")
    elif status != current:
        out.problems.append(
            f"RDS {identifier} is {status}; run `foundry {action}` again once it is {current}"
        )
    elif action == "sleep":
        clients.rds.stop_db_instance(DBInstanceIdentifier=identifier)
        out.lines.append(f"RDS {identifier}: stopping (AWS starts a stopped instance again after 7 days)")
    else:
        clients.rds.start_db_instance(DBInstanceIdentifier=identifier)
        out.lines.append(f"RDS {identifier}: starting (a few minutes)")


def run(config: EnvironmentConfig, *, clients: Clients, action: Action) -> Outcome:
    out = Outcome()
    arns = _apprunner_arns(clients.apprunner) if config.services.on("apprunner") else {}
    steps: list[Callable[[], None]] = []
    for service in running_services(config):
        name, settings = service_name(config, service), getattr(config.services, service)
        if settings.compute == "apprunner":
            steps.append(partial(_apprunner, clients, name=name, arn=arns.get(name), action=action, out=out))
        else:
            steps.append(
                partial(_ecs, clients, name=name, awake=settings.min_instances, action=action, out=out)
            )
    database = partial(_database, clients, identifier=database_identifier(config), action=action, out=out)
    # The services sleep before the database and wake after it: api needs it to start.
    for step in [*steps, database] if action == "sleep" else [database, *steps]:
        step()
    return out
