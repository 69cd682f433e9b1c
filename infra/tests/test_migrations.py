"""Issue 10: the migration runner task: its definition, roles, network placement and outputs."""

import re
from typing import Any

from foundry_contract import RDS_CA_BUNDLE_PATH
from foundry_infra import outputs
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import Template


def _task_definition(template: Template) -> dict[str, Any]:
    return template.props(template.logical_id("MigrationsTask", "AWS::ECS::TaskDefinition"))


def _statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in template.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_runs_the_api_image_on_fargate_arm64_with_only_the_database_secret(each_env: Synth) -> None:
    template = each_env.platform
    task = _task_definition(template)
    assert task["RequiresCompatibilities"] == ["FARGATE"]
    assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    (container,) = task["ContainerDefinitions"]
    assert container["Name"] == outputs.MIGRATIONS_CONTAINER
    assert container["Command"] == ["foundry-api", "migrate", "plan"]
    image = str(container["Image"])
    # The registry stack's api repository, named (no export between the stacks).
    assert re.search(r"/foundry/(dev|staging|prod)/api:initial'", image), image
    assert image.endswith(":initial']]}"), "the api image at the configured tag"
    assert [secret["Name"] for secret in container["Secrets"]] == ["DATABASE_SECRET"]
    assert container["Secrets"][0]["ValueFrom"] == {
        "Ref": template.logical_id(
            "DatabaseInstanceSecretAttachment", "AWS::SecretsManager::SecretTargetAttachment"
        )
    }
    plain = {item["Name"]: item["Value"] for item in container["Environment"]}
    assert (plain["DATABASE_SSLMODE"], plain["DATABASE_SSLROOTCERT"]) == ("verify-full", RDS_CA_BUNDLE_PATH)
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


def test_roles_read_the_database_secret_and_its_key_only(each_env: Synth) -> None:
    template = each_env.platform
    task = _task_definition(template)
    task_role = task["TaskRoleArn"]["Fn::GetAtt"][0]
    assert _statements(template, task_role) == [], "the runner talks to PostgreSQL only"
    execution_role = task["ExecutionRoleArn"]["Fn::GetAtt"][0]
    statements = _statements(template, execution_role)
    secret_reads = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    (secret_read,) = secret_reads
    assert secret_read["Resource"] == {
        "Ref": template.logical_id(
            "DatabaseInstanceSecretAttachment", "AWS::SecretsManager::SecretTargetAttachment"
        )
    }
    actions = {
        action
        for s in statements
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions <= {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetAuthorizationToken",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "kms:Decrypt",
    }, actions


def test_sits_in_the_app_subnets_and_reaches_only_postgres_and_https(each_env: Synth) -> None:
    template = each_env.platform
    group = template.props(template.logical_id("MigrationsSg", "AWS::EC2::SecurityGroup"))
    assert "SecurityGroupIngress" not in group
    egress = group.get("SecurityGroupEgress", [])
    assert [(rule["FromPort"], rule.get("CidrIp")) for rule in egress] == [(443, "0.0.0.0/0")]
    to_database = [
        r["Properties"]
        for r in template.of_type("AWS::EC2::SecurityGroupEgress").values()
        if r["Properties"]["GroupId"]
        == {"Fn::GetAtt": [template.logical_id("MigrationsSg", "AWS::EC2::SecurityGroup"), "GroupId"]}
    ]
    assert [
        (rule["FromPort"], rule["DestinationSecurityGroupId"]["Fn::GetAtt"][0]) for rule in to_database
    ] == [(5432, template.logical_id("SecurityGroupsDatabase", "AWS::EC2::SecurityGroup"))]
    subnets = template.body["Outputs"][outputs.MIGRATIONS_SUBNETS]["Value"]["Fn::Join"][1]
    assert all(ref["Ref"].startswith("NetworkVpcappSubnet") for ref in subnets)


def test_publishes_what_foundry_migrate_reads(each_env: Synth) -> None:
    names = set(each_env.platform.body["Outputs"])
    assert {
        outputs.MIGRATIONS_CLUSTER,
        outputs.MIGRATIONS_TASK_DEFINITION,
        outputs.MIGRATIONS_SUBNETS,
        outputs.MIGRATIONS_SECURITY_GROUP,
        outputs.MIGRATIONS_LOG_GROUP,
        outputs.DATABASE_INSTANCE_ID,
    } <= names


def test_the_deploy_role_may_run_follow_and_snapshot_nothing_more(prod: Synth) -> None:
    template = prod.platform
    role = template.logical_id("DeliveryDeployRole", "AWS::IAM::Role")
    by_sid = {s.get("Sid"): s for s in _statements(template, role)}
    run = by_sid["RunMigrationTask"]
    assert run["Resource"] == {"Ref": template.logical_id("MigrationsTask", "AWS::ECS::TaskDefinition")}
    assert "ecs:cluster" in run["Condition"]["ArnEquals"]
    assert by_sid["PassMigrationRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    snapshot = by_sid["SnapshotBeforeMigrating"]
    assert "rds:CreateDBSnapshot" in snapshot["Action"]
    assert any("snapshot:foundry-prod-pre-migrate-*" in str(resource) for resource in snapshot["Resource"])
