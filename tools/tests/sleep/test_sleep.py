"""`foundry sleep|wake`: RDS and ECS in moto (it implements stop/start_db_instance and update_service);
App Runner through botocore's Stubber with the API's exact shapes (moto has no App Runner)."""

import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber
from foundry_infra.config import load_config
from foundry_tools.sleep import Clients, run

REGION = "us-east-1"
ARN = "arn:aws:apprunner:us-east-1:123456789012:service/foundry-dev-{name}/0123456789abcdef0123456789abcdef"


def _service(name: str, status: str) -> dict[str, Any]:
    """An App Runner Service with the members the API marks required."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return {
        "ServiceName": f"foundry-dev-{name}",
        "ServiceId": "0123456789abcdef0123456789abcdef",
        "ServiceArn": ARN.format(name=name),
        "CreatedAt": now,
        "UpdatedAt": now,
        "Status": status,
        "SourceConfiguration": {},
        "InstanceConfiguration": {},
        "AutoScalingConfigurationSummary": {},
        "NetworkConfiguration": {},
    }


def _summary(name: str) -> dict[str, Any]:
    s = _service(name, "RUNNING")
    return {k: s[k] for k in ("ServiceName", "ServiceId", "ServiceArn", "CreatedAt", "UpdatedAt", "Status")}


def _database(status: str = "available") -> Any:
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_instance(
        DBInstanceIdentifier="foundry-dev-postgres",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="foundry",
        MasterUserPassword="not-a-real-password-1",
    )
    if status == "stopped":
        rds.stop_db_instance(DBInstanceIdentifier="foundry-dev-postgres")
    return rds


def _stubbed_apprunner(states: dict[str, str], *, action: str) -> tuple[Any, Stubber]:
    client = boto3.client("apprunner", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("list_services", {"ServiceSummaryList": [_summary(n) for n in states]}, {})
    call, wanted = ("pause_service", "RUNNING") if action == "sleep" else ("resume_service", "PAUSED")
    for name, status in states.items():
        arn = ARN.format(name=name)
        stub.add_response("describe_service", {"Service": _service(name, status)}, {"ServiceArn": arn})
        if status == wanted:
            answer = {
                "Service": _service(name, "OPERATION_IN_PROGRESS"),
                "OperationId": "0123456789abcdef0123456789abcdef0123",
            }
            stub.add_response(call, answer, {"ServiceArn": arn})
    stub.activate()
    return client, stub


def test_sleep_pauses_app_runner_and_stops_the_database(aws: None) -> None:
    config = load_config(env="dev")
    rds = _database()
    apprunner, stub = _stubbed_apprunner({"web": "RUNNING", "api": "RUNNING", "ai": "PAUSED"}, action="sleep")
    outcome = run(
        config, clients=Clients(apprunner, boto3.client("ecs", region_name=REGION), rds), action="sleep"
    )
    stub.assert_no_pending_responses()  # pause_service was called for web and api, not for ai
    assert outcome.ok, outcome.problems
    assert "App Runner foundry-dev-ai: already paused" in outcome.lines
    assert outcome.lines[-1].startswith("RDS foundry-dev-postgres: stopping")  # after the services
    status = rds.describe_db_instances(DBInstanceIdentifier="foundry-dev-postgres")["DBInstances"][0]
    assert status["DBInstanceStatus"] == "stopped"


def test_wake_starts_the_database_first_and_resumes(aws: None) -> None:
    config = load_config(env="dev")
    rds = _database("stopped")
    apprunner, stub = _stubbed_apprunner({"web": "PAUSED", "api": "PAUSED", "ai": "PAUSED"}, action="wake")
    outcome = run(
        config, clients=Clients(apprunner, boto3.client("ecs", region_name=REGION), rds), action="wake"
    )
    stub.assert_no_pending_responses()
    assert outcome.ok, outcome.problems
    assert outcome.lines[0].startswith("RDS foundry-dev-postgres: starting")
    status = rds.describe_db_instances(DBInstanceIdentifier="foundry-dev-postgres")["DBInstances"][0]
    assert status["DBInstanceStatus"] == "available"


def test_already_stopped_database_and_missing_service_are_reported(aws: None) -> None:
    config = load_config(env="dev")
    rds = _database("stopped")
    # ai is not deployed: list_services does not name it.
    client = boto3.client("apprunner", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("list_services", {"ServiceSummaryList": [_summary("web"), _summary("api")]}, {})
    for name in ("web", "api"):
        stub.add_response(
            "describe_service", {"Service": _service(name, "PAUSED")}, {"ServiceArn": ARN.format(name=name)}
        )
    stub.activate()
    outcome = run(
        config, clients=Clients(client, boto3.client("ecs", region_name=REGION), rds), action="sleep"
    )
    assert not outcome.ok
    assert outcome.problems == ["App Runner service foundry-dev-ai not found (is the environment deployed?)"]
    assert "RDS foundry-dev-postgres: already stopped" in outcome.lines


def test_database_not_found(aws: None) -> None:
    config = load_config(
        env="dev",
        overrides=("services.web.compute=ecs", "services.api.compute=ecs", "services.ai.compute=ecs"),
    )
    rds, ecs = boto3.client("rds", region_name=REGION), boto3.client("ecs", region_name=REGION)
    outcome = run(config, clients=Clients(None, ecs, rds), action="sleep")
    assert "RDS instance foundry-dev-postgres not found (is the environment deployed?)" in outcome.problems
    assert (
        "ECS service foundry-dev-api not found in any cluster (is the environment deployed?)"
        in outcome.problems
    )


def test_ecs_services_scale_to_zero_and_back(aws: None) -> None:
    config = load_config(
        env="dev",
        overrides=("services.web.compute=ecs", "services.api.compute=ecs", "services.ai.compute=ecs"),
    )
    rds, ecs = _database(), boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="foundry-dev-cluster")
    ecs.register_task_definition(
        family="app", containerDefinitions=[{"name": "app", "image": "app:1", "memory": 512}]
    )
    for name in ("web", "api", "ai"):
        ecs.create_service(
            cluster="foundry-dev-cluster",
            serviceName=f"foundry-dev-{name}",
            taskDefinition="app",
            desiredCount=1,
        )
    asleep = run(config, clients=Clients(None, ecs, rds), action="sleep")
    assert asleep.ok, asleep.problems
    counts = ecs.describe_services(
        cluster="foundry-dev-cluster", services=[f"foundry-dev-{n}" for n in ("web", "api", "ai")]
    )
    assert [s["desiredCount"] for s in counts["services"]] == [0, 0, 0]
    again = run(config, clients=Clients(None, ecs, rds), action="sleep")
    assert "ECS foundry-dev-api: already at 0 tasks" in again.lines
    assert (
        "RDS foundry-dev-postgres is stopping; run `foundry sleep` again once it is available"
        not in again.problems
    )
    awake = run(config, clients=Clients(None, ecs, rds), action="wake")
    counts = ecs.describe_services(cluster="foundry-dev-cluster", services=["foundry-dev-api"])
    assert counts["services"][0]["desiredCount"] == config.services.api.min_instances
    assert "ECS foundry-dev-api: desired count 0 -> 1" in awake.lines


def test_cli_refuses_prod_and_names_missing_credentials() -> None:
    import subprocess
    import sys
    from pathlib import Path

    foundry = str(Path(sys.executable).with_name("foundry"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
    )
    prod = subprocess.run(
        [foundry, "sleep", "--env", "prod"], capture_output=True, text=True, env=env, timeout=120
    )
    assert prod.returncode == 2 and "prod serves around the clock" in prod.stderr
    assert "Traceback" not in prod.stderr
    dev = subprocess.run(
        [foundry, "wake", "--env", "dev"], capture_output=True, text=True, env=env, timeout=120
    )
    assert dev.returncode == 2 and "credentials" in dev.stderr.lower() and "Traceback" not in dev.stderr
