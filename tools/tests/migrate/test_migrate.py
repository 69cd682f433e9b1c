"""`foundry migrate`: stack outputs (moto), the one-off ECS task (botocore Stubber), its log (moto)."""

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from foundry_infra import outputs
from foundry_tools.migrate import MigrateError, RunnerTarget, read_target, run_migrations, take_snapshot

REGION = "us-east-1"
TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/foundry-dev/0123456789abcdef"
TARGET = RunnerTarget(
    cluster="arn:aws:ecs:us-east-1:123456789012:cluster/foundry-dev",
    task_definition="arn:aws:ecs:us-east-1:123456789012:task-definition/foundry-dev-migrations:3",
    subnets=["subnet-a", "subnet-b"],
    security_group="sg-migrations",
    log_group="/foundry/dev/migrations",
    database_instance="foundry-dev-postgres",
)


def _stack_with_outputs(values: dict[str, str]) -> None:
    template = {
        "Resources": {
            "Marker": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/foundry/test/marker", "Type": "String", "Value": "x"},
            }
        },
        "Outputs": {key: {"Value": value} for key, value in values.items()},
    }
    import json

    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="Foundry-dev-platform", TemplateBody=json.dumps(template)
    )


def test_reads_the_runner_from_the_stack_outputs(aws: None) -> None:
    _stack_with_outputs(
        {
            outputs.MIGRATIONS_CLUSTER: TARGET.cluster,
            outputs.MIGRATIONS_TASK_DEFINITION: TARGET.task_definition,
            outputs.MIGRATIONS_SUBNETS: "subnet-a,subnet-b",
            outputs.MIGRATIONS_SECURITY_GROUP: TARGET.security_group,
            outputs.MIGRATIONS_LOG_GROUP: TARGET.log_group,
            outputs.DATABASE_INSTANCE_ID: TARGET.database_instance,
        }
    )
    cfn = boto3.client("cloudformation", region_name=REGION)
    assert read_target(cfn, stack_name="Foundry-dev-platform") == TARGET


def test_an_older_stack_without_the_runner_says_what_to_do(aws: None) -> None:
    _stack_with_outputs({outputs.DATABASE_INSTANCE_ID: "foundry-dev-postgres"})
    cfn = boto3.client("cloudformation", region_name=REGION)
    with pytest.raises(MigrateError, match="lacks the outputs MigrationsClusterArn"):
        read_target(cfn, stack_name="Foundry-dev-platform")
    with pytest.raises(MigrateError, match="deploy the environment first"):
        read_target(cfn, stack_name="Foundry-prod-platform")


def test_prod_snapshot_is_taken_and_named(aws: None) -> None:
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_instance(
        DBInstanceIdentifier="foundry-prod-postgres",
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        MasterUsername="foundry_admin",
        MasterUserPassword="not-a-real-password-1",
        AllocatedStorage=20,
    )
    snapshot = take_snapshot(rds, instance="foundry-prod-postgres", env="prod")
    assert snapshot.startswith("foundry-prod-pre-migrate-")
    (found,) = rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot)["DBSnapshots"]
    assert found["DBInstanceIdentifier"] == "foundry-prod-postgres"
    assert found["SnapshotType"] == "manual"


def _task(status: str, exit_code: int | None = None, reason: str = "") -> dict[str, Any]:
    container: dict[str, Any] = {"name": outputs.MIGRATIONS_CONTAINER}
    if exit_code is not None:
        container["exitCode"] = exit_code
    return {"taskArn": TASK_ARN, "lastStatus": status, "stoppedReason": reason, "containers": [container]}


def _logs_with(lines: list[str]) -> Any:
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=TARGET.log_group)
    stream = f"migrate/{outputs.MIGRATIONS_CONTAINER}/0123456789abcdef"
    logs.create_log_stream(logGroupName=TARGET.log_group, logStreamName=stream)
    logs.put_log_events(
        logGroupName=TARGET.log_group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": int(time.time() * 1000) + i, "message": line} for i, line in enumerate(lines)
        ],
    )
    return logs


@pytest.mark.parametrize(("exit_code", "succeeded"), [(0, True), (1, False)])
def test_runs_the_task_in_private_subnets_waits_and_returns_its_log(
    aws: None, exit_code: int, succeeded: bool
) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    logs = _logs_with(["-- pending: 0004_add_index", "CREATE INDEX ..."])
    with Stubber(ecs) as stub:
        stub.add_response(
            "run_task",
            {"tasks": [_task("PROVISIONING")], "failures": []},
            {
                "cluster": TARGET.cluster,
                "taskDefinition": TARGET.task_definition,
                "launchType": "FARGATE",
                "count": 1,
                "startedBy": "foundry-migrate",
                "networkConfiguration": {
                    "awsvpcConfiguration": {
                        "subnets": ["subnet-a", "subnet-b"],
                        "securityGroups": ["sg-migrations"],
                        "assignPublicIp": "DISABLED",
                    }
                },
                "overrides": {
                    "containerOverrides": [
                        {"name": "migrations", "command": ["foundry-api", "migrate", "plan"]}
                    ]
                },
            },
        )
        stub.add_response("describe_tasks", {"tasks": [_task("RUNNING")]})
        stub.add_response(
            "describe_tasks", {"tasks": [_task("STOPPED", exit_code, "Essential container exited")]}
        )
        reports: list[str] = []
        result = run_migrations(
            ecs=ecs, logs=logs, target=TARGET, action="plan", report=reports.append, sleep=lambda _: None
        )
        stub.assert_no_pending_responses()
    assert result.succeeded is succeeded
    assert result.exit_code == exit_code
    assert result.log_lines == ["-- pending: 0004_add_index", "CREATE INDEX ..."]
    assert "0123456789abcdef" in reports[0]


def test_a_task_that_never_stops_is_reported_not_waited_for_forever(aws: None) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    with Stubber(ecs) as stub:
        stub.add_response("run_task", {"tasks": [_task("PENDING")], "failures": []})
        for _ in range(4):
            stub.add_response("describe_tasks", {"tasks": [_task("RUNNING")]})
        with pytest.raises(MigrateError, match="still RUNNING after 15 s"):
            run_migrations(
                ecs=ecs,
                logs=None,
                target=TARGET,
                action="apply",
                report=lambda _: None,
                poll_seconds=5,
                timeout_seconds=15,
                sleep=lambda _: None,
            )


def test_ecs_refusing_the_task_is_one_message(aws: None) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    with Stubber(ecs) as stub:
        stub.add_response("run_task", {"tasks": [], "failures": [{"arn": "x", "reason": "RESOURCE:ENI"}]})
        with pytest.raises(MigrateError, match="could not start the migration task: x: RESOURCE:ENI"):
            run_migrations(ecs=ecs, logs=None, target=TARGET, action="apply", report=lambda _: None)


def test_without_credentials_the_command_stops_at_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )
    result = subprocess.run(
        [str(Path(sys.executable).with_name("foundry")), "migrate", "apply", "--env", "prod"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no AWS credentials found" in result.stderr
    assert "Traceback" not in result.stderr
