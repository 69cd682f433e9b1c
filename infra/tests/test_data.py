"""Spec §4, §5, §6: keys, the database, its network edges and backups, the buckets, the secrets."""

from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from foundry_contract import RDS_CA_BUNDLE_PATH
from foundry_infra.data.database import default_max_connections
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import Template
from foundry_twin.s3 import S3Emulator


def test_customer_managed_keys_rotate(each_env: Synth) -> None:
    keys = each_env.platform.of_type("AWS::KMS::Key")
    # database, storage, secrets (spec §6), the platform's and the services' log keys and the
    # alarm-topic key (spec §10)
    assert len(keys) == 6
    assert all(key["Properties"]["EnableKeyRotation"] is True for key in keys.values())


def test_every_platform_log_group_is_encrypted_with_a_customer_managed_key(each_env: Synth) -> None:
    groups = each_env.platform.of_type("AWS::Logs::LogGroup")
    assert len(groups) >= 4  # flow logs, two RDS exports, the migration runner
    unencrypted = [key for key, group in groups.items() if "KmsKeyId" not in group["Properties"]]
    assert unencrypted == []


@pytest.mark.parametrize(
    ("env", "multi_az", "deletion_protection"),
    [("dev", False, False), ("staging", True, False), ("prod", True, True)],
)
def test_database_private_encrypted_backed_up(
    synths: dict[str, Synth], env: str, multi_az: bool, deletion_protection: bool
) -> None:
    template = synths[env].platform
    (db,) = template.of_type("AWS::RDS::DBInstance").values()
    props = db["Properties"]
    assert props["Engine"] == "postgres" and props["EngineVersion"].split(".")[0] in {"16", "17"}
    assert props["PubliclyAccessible"] is False
    assert props["StorageEncrypted"] is True
    assert props["KmsKeyId"] == {"Fn::GetAtt": [template.logical_id("KeysDatabase", "AWS::KMS::Key"), "Arn"]}
    assert props["MultiAZ"] is multi_az
    assert props["DeletionProtection"] is deletion_protection
    assert props["BackupRetentionPeriod"] >= 7
    assert props["MaxAllocatedStorage"] > int(props["AllocatedStorage"])
    assert db["DeletionPolicy"] == "Snapshot"
    subnet_group = template.props(props["DBSubnetGroupName"]["Ref"])
    assert all(ref["Ref"].startswith("NetworkVpcdataSubnet") for ref in subnet_group["SubnetIds"])


def test_the_twin_s_postgres_runs_with_the_parameter_group_s_settings(dev: Synth) -> None:
    """One source (foundry_contract.postgres) for both; twin/tests/test_postgres.py runs it. The twin
    takes the contract's defaults without importing infra, so dev's profile must yield exactly those."""
    from foundry_contract.postgres import server_parameters
    from foundry_infra.config.profiles import PROFILES

    assert PROFILES["dev"]().database.server_parameters() == server_parameters()
    (group,) = dev.platform.of_type("AWS::RDS::DBParameterGroup").values()
    parameters = group["Properties"]["Parameters"]
    twin = server_parameters()
    assert {name: parameters[name] for name in twin} == twin
    assert {"statement_timeout", "idle_in_transaction_session_timeout"} <= set(twin)


def test_parameter_group_forces_tls_and_bounds_sessions(prod: Synth) -> None:
    (group,) = prod.platform.of_type("AWS::RDS::DBParameterGroup").values()
    parameters = group["Properties"]["Parameters"]
    assert parameters["rds.force_ssl"] == "1"
    assert int(parameters["statement_timeout"]) > 0
    assert int(parameters["idle_in_transaction_session_timeout"]) > 0
    assert int(parameters["log_min_duration_statement"]) > 0
    assert int(parameters["max_connections"]) == default_max_connections("t4g.medium")


def test_max_connections_follow_instance_memory() -> None:
    assert default_max_connections("t4g.micro") < default_max_connections("t4g.medium")
    assert default_max_connections("r7g.large") == 2 * default_max_connections("m7g.large")
    with pytest.raises(ValueError, match="unknown RDS instance size"):
        default_max_connections("t4g.gigantic")


def _ingress_sources(template: Template, group: str) -> list[str]:
    inline = template.props(group).get("SecurityGroupIngress", [])
    assert inline == [], "no inline (CIDR) ingress on a service group"
    return sorted(
        r["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0]
        for r in template.of_type("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}
    )


def test_database_admits_only_api_its_rotation_function_and_the_migration_runner(each_env: Synth) -> None:
    template = each_env.platform
    sg_rds = template.logical_id("SecurityGroupsDatabase", "AWS::EC2::SecurityGroup")
    assert _ingress_sources(template, sg_rds) == sorted(
        [
            template.logical_id("SecurityGroupsApi", "AWS::EC2::SecurityGroup"),
            template.logical_id("DatabaseRotationSg", "AWS::EC2::SecurityGroup"),
            template.logical_id("MigrationsSg", "AWS::EC2::SecurityGroup"),
        ]
    )


def test_ai_reaches_database_only_when_the_profile_says_so(complete: Synth) -> None:
    template = complete.platform
    proxy_sg = template.logical_id("DatabaseProxySg", "AWS::EC2::SecurityGroup")
    assert _ingress_sources(template, proxy_sg) == sorted(
        [
            template.logical_id("SecurityGroupsApi", "AWS::EC2::SecurityGroup"),
            template.logical_id("SecurityGroupsAi", "AWS::EC2::SecurityGroup"),
        ]
    )
    (proxy,) = template.of_type("AWS::RDS::DBProxy").values()
    assert proxy["Properties"]["RequireTLS"] is True
    # End-to-end IAM through the proxy: the api's token names the proxy's prx- id, not the instance's.
    assert proxy["Properties"]["DefaultAuthScheme"] == "IAM_AUTH"
    api_role = template.logical_id("ApiRole", "AWS::IAM::Role")
    connects = [
        statement["Resource"]["Fn::Join"][1]
        for policy in template.of_type("AWS::IAM::Policy").values()
        if {"Ref": api_role} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "rds-db:connect"
    ]
    proxy_id = template.logical_id("DatabaseInstanceProxy", "AWS::RDS::DBProxy")
    assert len(connects) == 1 and connects[0][-1] == "/foundry_api"
    assert connects[0][-2] == {
        "Fn::Select": [6, {"Fn::Split": [":", {"Fn::GetAtt": [proxy_id, "DBProxyArn"]}]}]
    }


def test_with_the_proxy_migrations_go_straight_to_the_instance(complete: Synth) -> None:
    """The runner's advisory lock and SETs would pin a proxy connection (rds-proxy-pinning.html)."""
    template = complete.platform
    database_sg = template.logical_id("SecurityGroupsDatabase", "AWS::EC2::SecurityGroup")
    assert template.logical_id("MigrationsSg", "AWS::EC2::SecurityGroup") in _ingress_sources(
        template, database_sg
    )
    (task,) = [
        t for k, t in template.of_type("AWS::ECS::TaskDefinition").items() if k.startswith("Migrations")
    ]
    env = {e["Name"]: e["Value"] for e in task["Properties"]["ContainerDefinitions"][0]["Environment"]}
    instance = template.logical_id("DatabaseInstance", "AWS::RDS::DBInstance")
    assert env["DATABASE_HOST"] == {"Fn::GetAtt": [instance, "Endpoint.Address"]}


def test_the_api_knows_it_talks_to_the_proxy(complete: Synth, prod: Synth) -> None:
    """So it stops preparing statements, which pin (services/api/foundry_api/core/db.py)."""

    def api_env(synth: Synth) -> dict[str, Any]:
        (api,) = [
            s for k, s in synth.platform.of_type("AWS::AppRunner::Service").items() if k.startswith("Api")
        ]
        image = api["Properties"]["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
        return {v["Name"]: v["Value"] for v in image["RuntimeEnvironmentVariables"]}

    assert api_env(complete)["DATABASE_PROXY"] == "true"
    assert api_env(prod)["DATABASE_PROXY"] == "false"


def test_the_proxy_name_is_unique_per_environment(complete: Synth) -> None:
    """Proxy names are unique per account and region; CDK's default would be "Proxy" everywhere."""
    (proxy,) = complete.platform.of_type("AWS::RDS::DBProxy").values()
    name = proxy["Properties"]["DBProxyName"]
    assert name != "Proxy"
    assert "prod" in name and len(name) <= 60


def test_backup_plan_keeps_daily_and_weekly_snapshots(prod: Synth) -> None:
    (plan,) = prod.platform.of_type("AWS::Backup::BackupPlan").values()
    rules = {r["RuleName"]: r for r in plan["Properties"]["BackupPlan"]["BackupPlanRule"]}
    assert set(rules) == {"daily", "weekly"}
    assert rules["weekly"]["Lifecycle"]["DeleteAfterDays"] >= 7
    (vault,) = prod.platform.of_type("AWS::Backup::BackupVault").values()
    assert "EncryptionKeyArn" in vault["Properties"]


def test_database_secret_generated_encrypted_and_rotated(each_env: Synth) -> None:
    template = each_env.platform
    secrets = template.of_type("AWS::SecretsManager::Secret")
    assert len(secrets) == 5
    assert all("KmsKeyId" in s["Properties"] for s in secrets.values())
    assert all("GenerateSecretString" in s["Properties"] for s in secrets.values())
    (schedule,) = template.of_type("AWS::SecretsManager::RotationSchedule").values()
    assert schedule["Properties"]["RotationRules"]["ScheduleExpression"] == "rate(30 days)"


def _bucket(template: Template, prefix: str) -> dict[str, Any]:
    return template.props(template.logical_id(prefix, "AWS::S3::Bucket"))


def test_uploads_bucket_private_cmk_versioned_tiered(each_env: Synth) -> None:
    template = each_env.platform
    props = _bucket(template, "BucketsUploads")
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["BucketKeyEnabled"] is True
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    tiers = {(t["StorageClass"], t["TransitionInDays"]) for t in rules["tiering"]["Transitions"]}
    assert tiers == {("STANDARD_IA", 30), ("GLACIER_IR", 90)}
    assert rules["tiering"]["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {
        "Ref": template.logical_id("BucketsLogs", "AWS::S3::Bucket")
    }


def test_uploads_cors_allows_put_from_the_site_only(complete: Synth, dev: Synth) -> None:
    (rule,) = _bucket(complete.platform, "BucketsUploads")["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == ["https://app.example.com"]
    assert "PUT" in rule["AllowedMethods"] and "DELETE" not in rule["AllowedMethods"]
    (dev_rule,) = _bucket(dev.platform, "BucketsUploads")["CorsConfiguration"]["CorsRules"]
    (origin,) = dev_rule["AllowedOrigins"]
    assert "DomainName" in str(origin), "without a custom domain the origin is the distribution's own domain"


def test_uploads_policy_requires_tls_and_denies_other_accounts(each_env: Synth) -> None:
    template = each_env.platform
    uploads = template.logical_id("BucketsUploads", "AWS::S3::Bucket")
    (policy,) = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in template.of_type("AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": uploads}
    ]
    denies = [s for s in policy if s["Effect"] == "Deny"]
    tls = [s for s in denies if s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
    assert tls, "TLS-only deny statement missing"
    (outside,) = [s for s in denies if s.get("Sid") == "DenyOutsideAccount"]
    assert outside["Condition"] == {"StringNotEquals": {"aws:PrincipalAccount": "123456789012"}}
    assert not [s for s in policy if s["Effect"] == "Allow" and s.get("Principal") in ("*", {"AWS": "*"})]


def test_assets_bucket_is_served_only_through_origin_access_control(minimal: Synth) -> None:
    template = minimal.platform
    assets = template.logical_id("BucketsAssets", "AWS::S3::Bucket")
    (statements,) = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in template.of_type("AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": assets}
    ]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert "AWS:SourceArn" in allow["Condition"]["StringEquals"]
    assert len(template.of_type("AWS::CloudFront::OriginAccessControl")) == 1


def test_every_class_the_lifecycle_moves_uploads_to_can_be_downloaded_at_once(
    dev: Synth, tmp_path: Path
) -> None:
    """Upload.download_url pre-signs a GET for every uploaded row, however old. The twin's S3 models
    storage classes as S3 does: a GLACIER (Flexible Retrieval) object answers InvalidObjectState."""
    props = _bucket(dev.platform, "BucketsUploads")
    classes = {
        t["StorageClass"]
        for rule in props["LifecycleConfiguration"]["Rules"]
        for t in rule.get("Transitions", [])
    }
    assert classes
    with S3Emulator(tmp_path / "s3", "AKIATEST", "test-secret", access_log=None) as emulator:
        client = boto3.client(
            "s3",
            endpoint_url=emulator.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="AKIATEST",
            aws_secret_access_key="test-secret",
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )
        client.create_bucket(Bucket="uploads")
        for storage_class in sorted(classes):
            key = f"uploads/old-{storage_class}"
            client.put_object(Bucket="uploads", Key=key, Body=b"old bytes", StorageClass=storage_class)
            url = client.generate_presigned_url("get_object", Params={"Bucket": "uploads", "Key": key})
            response = httpx.get(url, timeout=5)
            assert response.status_code == 200, (storage_class, response.text)
            assert response.content == b"old bytes"


def _database_clients_env(synth: Synth) -> dict[str, dict[str, Any]]:
    """The plain environment of every App Runner service and ECS container that names a database host."""
    found = {}
    for key, service in synth.platform.of_type("AWS::AppRunner::Service").items():
        image = service["Properties"]["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
        found[key] = {v["Name"]: v["Value"] for v in image.get("RuntimeEnvironmentVariables", [])}
    for key, task in synth.platform.of_type("AWS::ECS::TaskDefinition").items():
        for container in task["Properties"]["ContainerDefinitions"]:
            found[f"{key}/{container['Name']}"] = {
                e["Name"]: e["Value"] for e in container.get("Environment", [])
            }
    return {key: env for key, env in found.items() if "DATABASE_HOST" in env}


@pytest.mark.parametrize("scenario", sorted({**SCENARIOS, **MATRIX}))
def test_every_database_client_verifies_the_server_against_the_rds_ca_bundle(
    synths: dict[str, Synth], scenario: str
) -> None:
    """sslmode=require encrypts but accepts any server certificate; verify-full checks the chain and
    the host name against the bundle the api image carries (tools/tests/test_dockerfiles.py)."""
    clients = _database_clients_env(synths[scenario])
    assert any(key.startswith("Migrations") for key in clients) and len(clients) >= 2, sorted(clients)
    for key, env in clients.items():
        assert env["DATABASE_SSLMODE"] == "verify-full", key
        assert env["DATABASE_SSLROOTCERT"] == RDS_CA_BUNDLE_PATH, key
