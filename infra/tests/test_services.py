"""Spec §3 and §6: registries, the three App Runner services, their exposure, secrets and roles."""

from typing import Any

import pytest
from foundry_contract import API_DATABASE_USER, MIGRATION_RUNNER_ONLY, Service, env_vars_for
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import Template


def _service(template: Template, name: str) -> dict[str, Any]:
    return template.props(template.logical_id(f"{name}Service", "AWS::AppRunner::Service"))


def test_repositories_scanned_immutable_and_bounded(each_env: Synth) -> None:
    # In the registry stack, deployed before the images are pushed (issue 20); none in the platform.
    assert not each_env.platform.of_type("AWS::ECR::Repository")
    repos = each_env.registry.of_type("AWS::ECR::Repository")
    assert {r["Properties"]["RepositoryName"].rsplit("/", 1)[-1] for r in repos.values()} == {
        "web",
        "api",
        "ai",
    }
    for repo in repos.values():
        props = repo["Properties"]
        assert props["ImageScanningConfiguration"] == {"ScanOnPush": True}
        assert props["ImageTagMutability"] == "IMMUTABLE"
        assert '"countType":"imageCountMoreThan"' in props["LifecyclePolicy"]["LifecyclePolicyText"]
    (scanning,) = each_env.registry.of_type("AWS::ECR::RegistryScanningConfiguration").values()
    assert scanning["Properties"]["ScanType"] == "ENHANCED"


def test_ai_has_no_public_endpoint_and_a_private_ingress_from_api_only(each_env: Synth) -> None:
    template = each_env.platform
    ai = _service(template, "Ai")
    assert ai["NetworkConfiguration"]["IngressConfiguration"] == {"IsPubliclyAccessible": False}
    assert ai["NetworkConfiguration"]["EgressConfiguration"]["EgressType"] == "VPC"
    (connection,) = template.of_type("AWS::AppRunner::VpcIngressConnection").values()
    endpoint_id = connection["Properties"]["IngressVpcConfiguration"]["VpcEndpointId"]["Ref"]
    endpoint = template.props(endpoint_id)
    assert str(endpoint["ServiceName"]).endswith("apprunner.requests")
    (group,) = endpoint["SecurityGroupIds"]
    group_id = group["Fn::GetAtt"][0]
    rules = [
        r["Properties"]
        for r in template.of_type("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    assert [(r["SourceSecurityGroupId"]["Fn::GetAtt"][0], r["FromPort"]) for r in rules] == [
        (template.logical_id("SecurityGroupsApi", "AWS::EC2::SecurityGroup"), 443)
    ]
    assert "SecurityGroupIngress" not in template.props(group_id)


def test_api_is_public_with_a_vpc_connector_in_the_app_tier(each_env: Synth) -> None:
    template = each_env.platform
    api = _service(template, "Api")
    assert api["NetworkConfiguration"]["IngressConfiguration"] == {"IsPubliclyAccessible": True}
    connector_id = api["NetworkConfiguration"]["EgressConfiguration"]["VpcConnectorArn"]["Fn::GetAtt"][0]
    connector = template.props(connector_id)
    assert all(ref["Ref"].startswith("NetworkVpcappSubnet") for ref in connector["Subnets"])
    assert connector["SecurityGroups"] == [
        {"Fn::GetAtt": [template.logical_id("SecurityGroupsApi", "AWS::EC2::SecurityGroup"), "GroupId"]}
    ]


def test_web_is_public_without_vpc_access(each_env: Synth) -> None:
    web = _service(each_env.platform, "Web")
    assert web["NetworkConfiguration"]["EgressConfiguration"] == {"EgressType": "DEFAULT"}
    assert web["NetworkConfiguration"]["IngressConfiguration"] == {"IsPubliclyAccessible": True}


def test_every_service_checks_healthz_over_http(each_env: Synth) -> None:
    for name in ("Web", "Api", "Ai"):
        check = _service(each_env.platform, name)["HealthCheckConfiguration"]
        assert (check["Protocol"], check["Path"]) == ("HTTP", "/healthz")


@pytest.mark.parametrize("name", ["Api", "Ai", "Web"])
def test_environment_matches_the_contract_and_secrets_come_from_secrets_manager(
    each_env: Synth, name: str
) -> None:
    template = each_env.platform
    image = _service(template, name)["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    contract = {var.name: var for var in env_vars_for(Service(name.lower()))}
    plain = {item["Name"]: item["Value"] for item in image["RuntimeEnvironmentVariables"]}
    secret = {item["Name"]: item["Value"] for item in image["RuntimeEnvironmentSecrets"]}
    assert set(plain) | set(secret) <= set(contract)
    # The master secret is the migration runner's only: the api server logs in with IAM (issue 19).
    assert {key for key in secret} == {
        var.name for var in contract.values() if var.secret and var.name not in MIGRATION_RUNNER_ONLY
    }
    assert not [key for key in plain if contract[key].secret]
    assert all(var.name in plain | secret for var in contract.values() if var.required)
    secret_ids = set(template.of_type("AWS::SecretsManager::Secret")) | set(
        template.of_type("AWS::SecretsManager::SecretTargetAttachment")
    )
    assert all(value["Ref"] in secret_ids for value in secret.values())


@pytest.mark.parametrize(("env", "api_min"), [("dev", 1), ("prod", 2)])
def test_auto_scaling_per_profile(synths: dict[str, Synth], env: str, api_min: int) -> None:
    template = synths[env].platform
    api = _service(template, "Api")
    scaling = template.props(api["AutoScalingConfigurationArn"]["Fn::GetAtt"][0])
    assert scaling["MinSize"] == api_min
    assert scaling["MaxSize"] >= api_min and scaling["MaxConcurrency"] > 0


def _policy_of_role(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    role = template.logical_id(role_prefix, "AWS::IAM::Role")
    statements = []
    for policy in template.of_type("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"].get("Roles", []):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _s3_resources(statements: list[dict[str, Any]]) -> list[str]:
    found = []
    for statement in statements:
        if any(action.startswith("s3:") for action in statement["Action"]):
            resource = statement["Resource"]
            found.append(resource["Fn::Join"][1][1])
    return found


def test_api_role_touches_uploads_prefix_and_its_own_secrets(each_env: Synth) -> None:
    template = each_env.platform
    statements = _policy_of_role(template, "ApiRole")
    assert _s3_resources(statements) == ["/uploads/*"]
    (secrets,) = [s for s in statements if s.get("Sid") == "ReadOwnSecrets"]
    # CDK names the master secret after its stack's path, so it is found by what its id contains.
    (master,) = [k for k in template.of_type("AWS::SecretsManager::Secret") if "DatabaseInstanceSecret" in k]
    assert len(secrets["Resource"]) == 3 and {"Ref": master} not in secrets["Resource"]
    (kms,) = [s for s in statements if s.get("Sid") == "DecryptOwnSecrets"]
    assert "kms:ViaService" in kms["Condition"]["StringEquals"]
    # rds-db:connect on exactly the api's db user of this instance.
    (connect,) = [s for s in statements if s["Action"] == "rds-db:connect"]
    parts = connect["Resource"]["Fn::Join"][1]
    instance = template.logical_id("DatabaseInstance", "AWS::RDS::DBInstance")
    assert parts[-1] == f"/{API_DATABASE_USER}"
    assert parts[-2] == {"Fn::GetAtt": [instance, "DbiResourceId"]}


def test_ai_role_touches_ai_prefix_only(each_env: Synth) -> None:
    statements = _policy_of_role(each_env.platform, "AiRole")
    assert _s3_resources(statements) == ["/ai/*"]
    (secrets,) = [s for s in statements if s["Sid"] == "ReadOwnSecrets"]
    assert len(secrets["Resource"]) == 2


def test_web_role_puts_metrics_in_its_namespace_and_reads_only_the_origin_secret(each_env: Synth) -> None:
    """web's nginx compares CloudFront's origin-verify header with that one secret (issue 21)."""
    metrics, read, decrypt = _policy_of_role(each_env.platform, "WebRole")
    assert metrics["Action"] == "cloudwatch:PutMetricData"
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Foundry/web"}}
    template = each_env.platform
    assert read["Resource"] == {
        "Ref": template.logical_id("SecretsOriginVerify", "AWS::SecretsManager::Secret")
    }
    assert decrypt["Action"] == "kms:Decrypt"


def test_instance_roles_trust_app_runner_tasks_and_access_role_trusts_builds(each_env: Synth) -> None:
    template = each_env.platform
    for prefix, principal in (
        ("ApiRole", "tasks.apprunner.amazonaws.com"),
        ("AiRole", "tasks.apprunner.amazonaws.com"),
        ("WebRole", "tasks.apprunner.amazonaws.com"),
        ("EcrAccessRole", "build.apprunner.amazonaws.com"),
    ):
        role = template.props(template.logical_id(prefix, "AWS::IAM::Role"))
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": principal}
