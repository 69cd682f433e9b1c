"""`foundry verify` offline: prod passes, dev deviates only, and each deliberate breakage of the
synthesized templates turns exactly its own check to FAIL with evidence naming the resource."""

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from foundry_infra.config import load_config
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment, Template
from foundry_tools.verify.checks import run_checks
from foundry_tools.verify.offline import read_synth, read_templates
from foundry_tools.verify.report import as_json, junit, table
from foundry_tools.verify.results import Status

WAF_FIXTURES = Path(__file__).parents[3] / "waf" / "tests" / "fixtures"

Templates = dict[str, dict[str, Any]]
# Every profile keeps offline placeholders (account, example.com, .invalid issuer): that check
# deviates on every synthesized profile by design and is tested on its own below.
PLACEHOLDERS = "deploy-placeholders"
ENDPOINTS = "interface-endpoints"


def _results(platform: dict[str, Any], edge: dict[str, Any], env: str = "prod") -> dict[str, Any]:
    model = read_templates(platform=Template(platform), edge=Template(edge))
    return {result.name: result for result in run_checks(model, load_config(env=env))}


def _find(template: dict[str, Any], resource_type: str, prefix: str = "") -> tuple[str, dict[str, Any]]:
    (found,) = [
        (key, value)
        for key, value in template["Resources"].items()
        if value["Type"] == resource_type and key.startswith(prefix)
    ]
    return found


def test_prod_passes_every_check(prod: SynthesizedEnvironment) -> None:
    results = _results(prod.platform.body, prod.edge.body)
    assert {name: r.status for name, r in results.items() if r.status is not Status.PASS} == {
        PLACEHOLDERS: Status.DEVIATION,
        ENDPOINTS: Status.DEVIATION,  # sts: no caller (issue 18)
    }
    assert len(results) == 22


def test_dev_passes_or_deviates_naming_the_setting(dev: SynthesizedEnvironment) -> None:
    results = _results(dev.platform.body, dev.edge.body, env="dev")
    assert not [name for name, r in results.items() if r.status is Status.FAIL]
    deviations = {name: " ".join(r.evidence) for name, r in results.items() if r.status is Status.DEVIATION}
    assert "network.nat_gateways=1" in deviations["nat-and-s3-gateway"]
    assert "database.multi_az=false" in deviations["rds-private-encrypted"]
    assert "edge.domain_name" in deviations["edge-serves-web-and-api"]
    assert "auth.authorized_parties" in deviations["auth"]
    assert "database.deletion_protection=false" in deviations["backups-dr"]
    assert "waf.block_introspection=false" in deviations["waf-behaviour"]
    assert "only occasional callers" in deviations[ENDPOINTS]


def _rds_public(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, db = _find(p, "AWS::RDS::DBInstance")
    db["Properties"]["PubliclyAccessible"] = True
    return key


def _ai_endpoint_open(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, group = _find(p, "AWS::EC2::SecurityGroup", "AiIngressSg")
    group["Properties"]["SecurityGroupIngress"] = [
        {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    ]
    return key


def _ai_public(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, ai = _find(p, "AWS::AppRunner::Service", "AiService")
    ai["Properties"]["NetworkConfiguration"]["IngressConfiguration"]["IsPubliclyAccessible"] = True
    return key


def _data_default_route(p: dict[str, Any], e: dict[str, Any]) -> str:
    table = next(
        k for k, v in p["Resources"].items() if v["Type"] == "AWS::EC2::RouteTable" and "dataSubnet1" in k
    )
    nat = next(k for k, v in p["Resources"].items() if v["Type"] == "AWS::EC2::NatGateway")
    p["Resources"]["BrokenDataDefault"] = {
        "Type": "AWS::EC2::Route",
        "Properties": {
            "RouteTableId": {"Ref": table},
            "DestinationCidrBlock": "0.0.0.0/0",
            "NatGatewayId": {"Ref": nat},
        },
    }
    return str(table)


def _s3_gateway_removed(p: dict[str, Any], e: dict[str, Any]) -> str:
    key = next(
        k
        for k, v in p["Resources"].items()
        if v["Type"] == "AWS::EC2::VPCEndpoint" and v["Properties"].get("VpcEndpointType") == "Gateway"
    )
    tables = [t["Ref"] for t in p["Resources"][key]["Properties"]["RouteTableIds"]]
    del p["Resources"][key]
    return str(tables[0])


def _bucket_policy_star(p: dict[str, Any], e: dict[str, Any]) -> str:
    key = next(
        k for k, v in p["Resources"].items() if v["Type"] == "AWS::S3::BucketPolicy" and "Uploads" in k
    )
    p["Resources"][key]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    )
    return str(key)


def _s3_star_action(p: dict[str, Any], e: dict[str, Any]) -> str:
    key = next(
        k for k, v in p["Resources"].items() if v["Type"] == "AWS::IAM::Policy" and k.startswith("ApiRole")
    )
    statement = p["Resources"][key]["Properties"]["PolicyDocument"]["Statement"][0]
    statement["Action"] = "s3:*"
    return str(key)


def _waf_detached(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, dist = _find(p, "AWS::CloudFront::Distribution")
    del dist["Properties"]["DistributionConfig"]["WebACLId"]
    return key


def _web_acl_before_issue_14(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, acl = _find(e, "AWS::WAFv2::WebACL")
    acl["Properties"] = json.loads((WAF_FIXTURES / "web_acl_prod_before_issue_14.json").read_text())
    return "blocked by BlockGraphqlIntrospection"


def _crs_body_rules_block_graphql(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, acl = _find(e, "AWS::WAFv2::WebACL")
    for rule in acl["Properties"]["Rules"]:
        rule["Statement"].get("ManagedRuleGroupStatement", {}).pop("RuleActionOverrides", None)
    return "blocked by AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY"


def _introspection_on_raw_bytes(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, acl = _find(e, "AWS::WAFv2::WebACL")
    (rule,) = [r for r in acl["Properties"]["Rules"] if r["Name"] == "BlockGraphqlIntrospection"]
    regex = rule["Statement"]["AndStatement"]["Statements"][1]["RegexMatchStatement"]
    regex["FieldToMatch"] = {"Body": {"OversizeHandling": "CONTINUE"}}
    return "JSON-escaped"


def _api_alarm_removed(p: dict[str, Any], e: dict[str, Any]) -> str:
    key = next(
        k
        for k, v in p["Resources"].items()
        if v["Type"] == "AWS::CloudWatch::Alarm" and "api-5xx" in str(v["Properties"].get("AlarmName"))
    )
    del p["Resources"][key]
    return "API 5xx"


def _kms_rotation_off(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, resource = _find(p, "AWS::KMS::Key", "KeysStorage")
    resource["Properties"]["EnableKeyRotation"] = False
    return key


def _backups_off(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, db = _find(p, "AWS::RDS::DBInstance")
    db["Properties"]["BackupRetentionPeriod"] = 0
    return key


def _graphql_behavior_removed(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, dist = _find(p, "AWS::CloudFront::Distribution")
    config = dist["Properties"]["DistributionConfig"]
    config["CacheBehaviors"] = [b for b in config["CacheBehaviors"] if b["PathPattern"] != "/graphql"]
    return "/graphql"


def _database_open_to_internet(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, group = _find(p, "AWS::EC2::SecurityGroup", "SecurityGroupsDatabase")
    group["Properties"]["SecurityGroupIngress"] = [
        {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432}
    ]
    return key


def _secret_as_plain_value(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, api = _find(p, "AWS::AppRunner::Service", "ApiService")
    image = api["Properties"]["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    image["RuntimeEnvironmentSecrets"] = [
        s for s in image["RuntimeEnvironmentSecrets"] if s["Name"] != "ORIGIN_VERIFY_SECRET"
    ]
    image["RuntimeEnvironmentVariables"].append({"Name": "ORIGIN_VERIFY_SECRET", "Value": "hunter2"})
    return key


def _api_group_open(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, group = _find(p, "AWS::EC2::SecurityGroup", "SecurityGroupsApi")
    group["Properties"]["SecurityGroupIngress"] = [
        {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080}
    ]
    return key


def _origin_header_dropped(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, dist = _find(p, "AWS::CloudFront::Distribution")
    for origin in dist["Properties"]["DistributionConfig"]["Origins"]:
        origin.pop("OriginCustomHeaders", None)
    return key


def _clerk_issuer_removed(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, api = _find(p, "AWS::AppRunner::Service", "ApiService")
    image = api["Properties"]["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    image["RuntimeEnvironmentVariables"] = [
        v for v in image["RuntimeEnvironmentVariables"] if v["Name"] != "CLERK_ISSUER"
    ]
    return key


def _endpoint_admission_removed(p: dict[str, Any], source_prefix: str) -> str:
    """Drop the endpoint group's rule admitting one workload's group (today's gap, issue 20)."""
    (key,) = [
        k
        for k, v in p["Resources"].items()
        if v["Type"] == "AWS::EC2::SecurityGroupIngress"
        and v["Properties"]["GroupId"]["Fn::GetAtt"][0].startswith("NetworkEndpointsSg")
        and v["Properties"]["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith(source_prefix)
    ]
    del p["Resources"][key]
    return str(key)


def _migrations_not_admitted(p: dict[str, Any], e: dict[str, Any]) -> str:
    _endpoint_admission_removed(p, "MigrationsSg")
    return "MigrationsTask"


def _rotation_not_admitted(p: dict[str, Any], e: dict[str, Any]) -> str:
    _endpoint_admission_removed(p, "DatabaseRotationSg")
    return "DatabaseInstanceRotationSingleUser"


def _migrations_subnets_without_nat(p: dict[str, Any], e: dict[str, Any]) -> str:
    """No interface endpoints, and the runner placed in the data tier: nothing carries its calls."""
    for key in [k for k, v in p["Resources"].items() if v["Type"] == "AWS::EC2::VPCEndpoint"]:
        if p["Resources"][key]["Properties"].get("VpcEndpointType") == "Interface" and "Ai" not in key:
            del p["Resources"][key]
    data = [{"Ref": k} for k, v in p["Resources"].items() if v["Type"] == "AWS::EC2::Subnet" and "data" in k]
    p["Outputs"]["MigrationsSubnetIds"]["Value"] = {"Fn::Join": [",", data]}
    # workloads-reach-aws-apis: "no default route through a NAT gateway"; interface-endpoints: "take the NAT".
    return "NAT"


def _migrations_egress_closed(p: dict[str, Any], e: dict[str, Any]) -> str:
    _key, group = _find(p, "AWS::EC2::SecurityGroup", "MigrationsSg")
    group["Properties"]["SecurityGroupEgress"] = [
        r for r in group["Properties"]["SecurityGroupEgress"] if r.get("FromPort") != 443
    ]
    return "allow no HTTPS out"


def _master_secret_to_api(p: dict[str, Any], e: dict[str, Any]) -> str:
    """The master secret handed back to the api: as a runtime secret, and readable by its role."""
    secret, _ = _find(p, "AWS::SecretsManager::Secret", "FoundryprodplatformDatabaseInstanceSecret")
    key, api = _find(p, "AWS::AppRunner::Service", "ApiService")
    image = api["Properties"]["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    image["RuntimeEnvironmentSecrets"].append({"Name": "DATABASE_SECRET", "Value": {"Ref": secret}})
    return key


def _master_secret_readable_by_api(p: dict[str, Any], e: dict[str, Any]) -> str:
    secret, _ = _find(p, "AWS::SecretsManager::Secret", "FoundryprodplatformDatabaseInstanceSecret")
    key = next(
        k for k, v in p["Resources"].items() if v["Type"] == "AWS::IAM::Policy" and k.startswith("ApiRole")
    )
    statements = p["Resources"][key]["Properties"]["PolicyDocument"]["Statement"]
    reads = next(s for s in statements if "secretsmanager:GetSecretValue" in s["Action"])
    reads["Resource"].append({"Ref": secret})
    return str(key)


def _rds_connect_any_user(p: dict[str, Any], e: dict[str, Any]) -> str:
    key = next(
        k for k, v in p["Resources"].items() if v["Type"] == "AWS::IAM::Policy" and k.startswith("ApiRole")
    )
    statements = p["Resources"][key]["Properties"]["PolicyDocument"]["Statement"]
    connect = next(s for s in statements if s["Action"] == "rds-db:connect")
    connect["Resource"]["Fn::Join"][1][-1] = "/*"
    return "rds-db:connect"


# -- issue 17: a traced service that lacks part of its tracing configuration


def _app_runner_env(p: dict[str, Any], name: str) -> tuple[str, list[dict[str, Any]]]:
    key, service = _find(p, "AWS::AppRunner::Service", name)
    return key, service["Properties"]["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"][
        "RuntimeEnvironmentVariables"
    ]


def _api_without_otlp_endpoint(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, variables = _app_runner_env(p, "ApiService")
    variables[:] = [v for v in variables if v["Name"] != "OTEL_EXPORTER_OTLP_ENDPOINT"]
    return key


def _ai_observability_off(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, service = _find(p, "AWS::AppRunner::Service", "AiService")
    service["Properties"]["ObservabilityConfiguration"] = {"ObservabilityEnabled": False}
    return key


def _api_role_without_xray(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, policy = _find(p, "AWS::IAM::Policy", "ApiRolePolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    statements[:] = [s for s in statements if s.get("Sid") != "SendTraces"]
    return "xray:PutTraceSegments"


def _ai_samples_everything_in_prod(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, variables = _app_runner_env(p, "AiService")
    next(v for v in variables if v["Name"] == "OTEL_TRACES_SAMPLER_ARG")["Value"] = "1"
    return key


def _api_without_the_xray_id_generator(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, variables = _app_runner_env(p, "ApiService")
    variables[:] = [v for v in variables if v["Name"] != "OTEL_PYTHON_ID_GENERATOR"]
    return "OTEL_PYTHON_ID_GENERATOR"


def _sampling_rule_removed(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, _ = _find(p, "AWS::XRay::SamplingRule")
    del p["Resources"][key]
    return "no X-Ray sampling rule"


Mutation = Callable[[dict[str, Any], dict[str, Any]], str]
MUTATIONS: dict[str, tuple[Mutation, str | tuple[str, ...]]] = {
    "api without OTEL_EXPORTER_OTLP_ENDPOINT": (_api_without_otlp_endpoint, "tracing"),
    "ai's observability configuration off": (_ai_observability_off, "tracing"),
    "api's role without the X-Ray actions": (_api_role_without_xray, "tracing"),
    "ai sampling every trace in prod": (_ai_samples_everything_in_prod, "tracing"),
    "api without the X-Ray id generator": (_api_without_the_xray_id_generator, "tracing"),
    "X-Ray sampling rule removed": (_sampling_rule_removed, "tracing"),
    "RDS public": (_rds_public, "rds-private-encrypted"),
    "ai endpoint SG open to 0.0.0.0/0": (_ai_endpoint_open, "ai-private"),
    "ai publicly accessible": (_ai_public, "ai-private"),
    "default route from the data tier to a NAT": (_data_default_route, "nat-and-s3-gateway"),
    "S3 gateway endpoint removed": (_s3_gateway_removed, "nat-and-s3-gateway"),
    "bucket policy allowing *": (_bucket_policy_star, "uploads-no-public-buckets"),
    "s3:* action": (_s3_star_action, "iam-least-privilege"),
    "WAF detached": (_waf_detached, "waf"),
    "the web ACL before issue 14": (_web_acl_before_issue_14, "waf-behaviour"),
    "CRS body rules blocking on /graphql": (_crs_body_rules_block_graphql, "waf-behaviour"),
    "introspection matched on raw body bytes": (_introspection_on_raw_bytes, "waf-behaviour"),
    "API 5xx alarm removed": (_api_alarm_removed, "alarms"),
    "KMS rotation off": (_kms_rotation_off, "kms"),
    "backup retention 0": (_backups_off, "rds-private-encrypted"),
    "/graphql behavior removed": (_graphql_behavior_removed, "edge-serves-web-and-api"),
    "sg-rds open to the internet": (_database_open_to_internet, "rds-private-encrypted"),
    "a secret passed as a plain value": (_secret_as_plain_value, "secrets-manager"),
    "sg-api open to the internet": (_api_group_open, "network-exposure"),
    "CloudFront stops sending the origin header": (
        _origin_header_dropped,
        ("network-exposure", "origin-header"),
    ),
    "api without a Clerk issuer": (_clerk_issuer_removed, "auth"),
    "endpoints do not admit the migration runner": (_migrations_not_admitted, "workloads-reach-aws-apis"),
    "endpoints do not admit the rotation function": (_rotation_not_admitted, "workloads-reach-aws-apis"),
    # prod chose those endpoints: the interface-endpoints check fails on their loss too (issue 18).
    "migration runner in subnets without a NAT": (
        _migrations_subnets_without_nat,
        ("workloads-reach-aws-apis", ENDPOINTS),
    ),
    "migration runner's group closes HTTPS out": (_migrations_egress_closed, "workloads-reach-aws-apis"),
    "master secret handed to the api": (_master_secret_to_api, "api-database-login"),
    "master secret readable by the api's role": (_master_secret_readable_by_api, "api-database-login"),
    "rds-db:connect for every db user": (_rds_connect_any_user, "api-database-login"),
}


@pytest.mark.parametrize("breakage", sorted(MUTATIONS))
def test_each_breakage_fails_exactly_its_check(prod: SynthesizedEnvironment, breakage: str) -> None:
    mutate, expected = MUTATIONS[breakage]
    platform, edge = copy.deepcopy(prod.platform.body), copy.deepcopy(prod.edge.body)
    evidence_names = mutate(platform, edge)
    results = _results(platform, edge)
    failed = {name for name, r in results.items() if r.status is Status.FAIL}
    assert failed == ({expected} if isinstance(expected, str) else set(expected))
    for name in failed:
        assert any(evidence_names in line for line in results[name].evidence), results[name].evidence


def test_reports_table_json_and_junit(dev: SynthesizedEnvironment) -> None:
    model = read_synth(dev)
    results = run_checks(model, load_config(env="dev"))
    text = table(results, environment="dev")
    assert "DEVIATION nat-and-s3-gateway" in text
    document = json.loads(as_json(results, environment="dev"))
    assert document["summary"]["FAIL"] == 0
    assert {c["name"] for c in document["checks"]} == {r.name for r in results}
    suite = ET.fromstring(junit(results, environment="dev"))  # noqa: S314 - our own output
    assert suite.get("tests") == str(len(results))
    assert suite.get("skipped") == str(document["summary"]["DEVIATION"])


def test_cli_exits_1_on_a_failure_and_0_otherwise(prod: SynthesizedEnvironment, tmp_path: Path) -> None:
    foundry = str(Path(sys.executable).with_name("foundry"))
    ok = subprocess.run(
        [foundry, "verify", "--env", "prod", "--from", str(prod.out_dir), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["summary"] == {"PASS": 20, "FAIL": 0, "DEVIATION": 2}
    broken = tmp_path / "broken"
    broken.mkdir()
    for template in prod.out_dir.glob("*.template.json"):
        body = json.loads(template.read_text())
        if "platform" in template.name:
            _rds_public(body, {})
        (broken / template.name).write_text(json.dumps(body))
    failed = subprocess.run(
        [foundry, "verify", "--env", "prod", "--from", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 1
    assert "FAIL      rds-private-encrypted" in failed.stdout
    assert "PubliclyAccessible is True" in failed.stdout


@pytest.mark.parametrize("scenario", ["complete", "minimal"])
def test_examples_complete_and_minimal(synths: dict[str, SynthesizedEnvironment], scenario: str) -> None:
    """complete: outside us-east-1 (the WAF reached by SSM parameter name, edge/references.py), proxy,
    custom domain: every check passes. minimal: web from the assets bucket through OAC: no FAIL."""
    env, overrides = SCENARIOS[scenario]
    model = read_synth(synths[scenario])
    results = {r.name: r for r in run_checks(model, load_config(env=env, overrides=overrides))}
    failed = {name: r.evidence for name, r in results.items() if r.status is Status.FAIL}
    assert failed == {}
    if scenario == "complete":
        assert {name for name, r in results.items() if r.status is not Status.PASS} == {
            PLACEHOLDERS,
            ENDPOINTS,
        }
        assert model.distribution is not None
        assert model.distribution.web_acl in model.web_acls
    else:
        assert model.origin_access_controls
        assert any("OAC" in e for e in results["uploads-no-public-buckets"].evidence)


@pytest.mark.parametrize("scenario", sorted(MATRIX))
def test_every_compute_backend_has_no_failure(
    synths: dict[str, SynthesizedEnvironment], scenario: str
) -> None:
    """ECS, mixed and GPU variants: no FAIL; api on ECS is a DEVIATION naming services.api.compute
    (CloudFront reaches it through a VPC origin over HTTP inside the VPC), nothing else deviates in prod."""
    env, overrides = MATRIX[scenario]
    config = load_config(env=env, overrides=overrides)
    results = {r.name: r for r in run_checks(read_synth(synths[scenario]), config)}
    failed = {
        name: [e for e in r.evidence if e.startswith("FAIL")]
        for name, r in results.items()
        if r.status is Status.FAIL
    }
    assert failed == {}
    if env == "prod":
        deviating = {name for name, r in results.items() if r.status is Status.DEVIATION} - {
            PLACEHOLDERS,
            ENDPOINTS,
        }
        assert deviating == ({"edge-serves-web-and-api"} if config.services.api.compute == "ecs" else set())
    if config.services.api.compute == "ecs":
        assert "services.api.compute=ecs" in " ".join(results["edge-serves-web-and-api"].evidence)


def _ecs_ai_lb_open(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, _ = _find(p, "AWS::EC2::SecurityGroup", "InternalLbSg")
    p["Resources"]["BrokenOpenAiListener"] = {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {
            "GroupId": {"Fn::GetAtt": [key, "GroupId"]},
            "CidrIp": "0.0.0.0/0",
            "IpProtocol": "-1",
        },
    }
    return key


def _ecs_ai_public_ip(p: dict[str, Any], e: dict[str, Any]) -> str:
    key, service = _find(p, "AWS::ECS::Service", "AiTasks")
    service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] = "ENABLED"
    return key


def _ecs_graphql_rule_removed(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, rule = _find(p, "AWS::ElasticLoadBalancingV2::ListenerRule", "OriginLb")
    condition = rule["Properties"]["Conditions"][0]["PathPatternConfig"]
    condition["Values"] = [v for v in condition["Values"] if v != "/graphql"]
    return "/graphql"


def _ecs_secret_as_plain_value(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, task = _find(p, "AWS::ECS::TaskDefinition", "ApiTasks")
    container = task["Properties"]["ContainerDefinitions"][0]
    container["Secrets"] = [x for x in container["Secrets"] if x["Name"] != "CLERK_SECRET_KEY"]
    container["Environment"].append({"Name": "CLERK_SECRET_KEY", "Value": "sk_live_x"})
    return "ApiTasksService"


def _ecs_collector(p: dict[str, Any], task_prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A task's collector container and its configuration, read from (and written back to) its SSM
    parameter."""
    _, task = _find(p, "AWS::ECS::TaskDefinition", task_prefix)
    collector = task["Properties"]["ContainerDefinitions"][1]
    (parameter,) = [
        part["Ref"]
        for part in collector["Secrets"][0]["ValueFrom"]["Fn::Join"][1]
        if isinstance(part, dict) and part.get("Ref", "AWS::Partition") != "AWS::Partition"
    ]
    return collector, p["Resources"][parameter]["Properties"]


def _ecs_api_without_sidecar(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, task = _find(p, "AWS::ECS::TaskDefinition", "ApiTasks")
    del task["Properties"]["ContainerDefinitions"][1]
    return "ApiTasksService"


def _ecs_collector_without_tail_sampling(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, parameter = _ecs_collector(p, "AiTasks")
    settings = json.loads(parameter["Value"])
    settings["service"]["pipelines"]["traces"]["processors"].remove("tail_sampling")
    parameter["Value"] = json.dumps(settings)
    return "AiTasksService"


def _ecs_collector_on_another_port(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, parameter = _ecs_collector(p, "ApiTasks")
    settings = json.loads(parameter["Value"])
    settings["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] = "localhost:4319"
    parameter["Value"] = json.dumps(settings)
    return "localhost:4319"


def _ecs_head_sampler_at_the_ratio(p: dict[str, Any], e: dict[str, Any]) -> str:
    _, task = _find(p, "AWS::ECS::TaskDefinition", "AiTasks")
    variables = task["Properties"]["ContainerDefinitions"][0]["Environment"]
    next(v for v in variables if v["Name"] == "OTEL_TRACES_SAMPLER_ARG")["Value"] = "0.05"
    return "compute=ecs"


ECS_MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "api task without its collector sidecar": (_ecs_api_without_sidecar, "tracing"),
    "ai's collector without tail sampling": (_ecs_collector_without_tail_sampling, "tracing"),
    "api's collector receiving on another port": (_ecs_collector_on_another_port, "tracing"),
    "ai's head sampler dropping what the tail sampler should judge": (
        _ecs_head_sampler_at_the_ratio,
        "tracing",
    ),
    "ai's internal load balancer open to 0.0.0.0/0": (_ecs_ai_lb_open, "ai-private"),
    "ai tasks with a public IP": (_ecs_ai_public_ip, "ai-private"),
    "/graphql listener rule removed": (_ecs_graphql_rule_removed, "edge-serves-web-and-api"),
    "api task with a secret as a plain value": (_ecs_secret_as_plain_value, "secrets-manager"),
}


@pytest.mark.parametrize("breakage", sorted(ECS_MUTATIONS))
def test_each_ecs_breakage_fails_exactly_its_check(
    synths: dict[str, SynthesizedEnvironment], breakage: str
) -> None:
    mutate, expected = ECS_MUTATIONS[breakage]
    env, overrides = MATRIX["prod-ecs"]
    platform = copy.deepcopy(synths["prod-ecs"].platform.body)
    edge = copy.deepcopy(synths["prod-ecs"].edge.body)
    evidence_names = mutate(platform, edge)
    model = read_templates(platform=Template(platform), edge=Template(edge))
    results = {r.name: r for r in run_checks(model, load_config(env=env, overrides=overrides))}
    failed = {name for name, r in results.items() if r.status is Status.FAIL}
    assert failed == {expected}
    assert any(evidence_names in line for line in results[expected].evidence if line.startswith("FAIL"))


def test_placeholders_are_reported_per_key_and_real_values_pass(prod: SynthesizedEnvironment) -> None:
    model = read_synth(prod)
    offline = {r.name: r for r in run_checks(model, load_config(env="prod"))}[PLACEHOLDERS]
    assert offline.status is Status.DEVIATION
    keys = [line.split(": ", 1)[1].split(" = ")[0] for line in offline.evidence]
    assert keys == [
        "account",
        "edge.domain_name",
        "edge.hosted_zone_name",
        "edge.hosted_zone_id",
        "auth.clerk_issuer",
        "ops.alarm_email",
        "delivery.github_repo",
    ]
    real = [
        "account=111122223333",
        "edge.domain_name=app.acme-corp.com",
        "edge.hosted_zone_id=Z08123456ABCDEFGHIJK",
        "edge.hosted_zone_name=acme-corp.com",
        "auth.clerk_issuer=https://clerk.acme-corp.com",
        "ops.alarm_email=oncall@acme-corp.com",
        "delivery.github_repo=acme-corp/foundry",
    ]
    owned = {r.name: r for r in run_checks(model, load_config(env="prod", overrides=real))}[PLACEHOLDERS]
    assert owned.status is Status.PASS, owned.evidence


def _interface_endpoint(p: dict[str, Any], service: str) -> str:
    key: str
    (key,) = [
        k
        for k, r in p["Resources"].items()
        if r["Type"] == "AWS::EC2::VPCEndpoint"
        and str(r["Properties"]["ServiceName"]).find(f".{service}") >= 0
        and r["Properties"].get("VpcEndpointType") == "Interface"
    ]
    return key


@pytest.mark.parametrize(
    ("scenario", "service"), [("dev-ecs", "ecr.api"), ("prod", "logs"), ("dev", "apprunner.requests")]
)
def test_interface_endpoint_check_fails_on_a_missing_endpoint(
    synths: dict[str, SynthesizedEnvironment], scenario: str, service: str
) -> None:
    """Issue 18: a template that lacks an endpoint its backends need FAILs, naming the callers; the
    unbroken one passes or deviates only."""
    env, overrides = {**SCENARIOS, **MATRIX}[scenario]
    synth = synths[scenario]
    platform, edge = copy.deepcopy(synth.platform.body), synth.edge.body
    config = load_config(env=env, overrides=overrides)
    model = read_templates(platform=Template(platform), edge=Template(edge))
    whole = {r.name: r for r in run_checks(model, config)}[ENDPOINTS]
    assert whole.status is not Status.FAIL, whole.evidence
    del platform["Resources"][_interface_endpoint(platform, service)]
    broken = {
        r.name: r
        for r in run_checks(read_templates(platform=Template(platform), edge=Template(edge)), config)
    }
    result = broken[ENDPOINTS]
    assert result.status is Status.FAIL
    (line,) = [e for e in result.evidence if e.startswith("FAIL")]
    assert f"no {service} interface endpoint" in line and "called by" in line


def test_interface_endpoint_check_fails_on_an_endpoint_without_caller(dev: SynthesizedEnvironment) -> None:
    """dev on App Runner: an sts endpoint (the spec's list, no caller) bills hours for nothing."""
    platform = copy.deepcopy(dev.platform.body)
    source = platform["Resources"][_interface_endpoint(platform, "apprunner.requests")]
    extra = copy.deepcopy(source)
    extra["Properties"]["ServiceName"] = "com.amazonaws.us-east-1.sts"
    platform["Resources"]["BrokenStsEndpoint"] = extra
    results = {
        r.name: r
        for r in run_checks(
            read_templates(platform=Template(platform), edge=Template(dev.edge.body)), load_config(env="dev")
        )
    }
    result = results[ENDPOINTS]
    assert result.status is Status.FAIL
    assert any("sts endpoint" in e and "no workload calls STS" in e for e in result.evidence)


def test_interface_endpoint_deviations_carry_the_reason(
    prod: SynthesizedEnvironment, dev: SynthesizedEnvironment
) -> None:
    prod_result = _results(prod.platform.body, prod.edge.body)[ENDPOINTS]
    assert prod_result.status is Status.DEVIATION
    deviations = [e for e in prod_result.evidence if e.startswith("DEVIATION")]
    assert len(deviations) == 1 and "sts" in deviations[0] and "no workload calls STS" in deviations[0]
    dev_result = _results(dev.platform.body, dev.edge.body, env="dev")[ENDPOINTS]
    dev_deviations = [e for e in dev_result.evidence if e.startswith("DEVIATION")]
    assert len(dev_deviations) == 5
    assert any("migration task" in e and "through the NAT" in e for e in dev_deviations)


def test_tracing_off_deviates_and_a_service_still_exporting_fails(prod: SynthesizedEnvironment) -> None:
    """With ops.tracing=false the check deviates naming the setting; a service whose SDK is still on
    (it would export to a collector nobody runs) fails."""
    config = load_config(env="prod", overrides=["ops.tracing=false"])
    model = read_templates(platform=prod.platform, edge=prod.edge)
    (result,) = [r for r in run_checks(model, config) if r.name == "tracing"]
    assert result.status is Status.FAIL
    assert any("OTEL_SDK_DISABLED is not 'true'" in line for line in result.evidence)
    assert any("ops.tracing=false" in line for line in result.evidence)
    platform = copy.deepcopy(prod.platform.body)
    for name in ("ApiService", "AiService"):
        _, variables = _app_runner_env(platform, name)
        variables[:] = [{"Name": "OTEL_SDK_DISABLED", "Value": "true"}]
    model = read_templates(platform=Template(platform), edge=prod.edge)
    (result,) = [r for r in run_checks(model, config) if r.name == "tracing"]
    assert result.status is Status.DEVIATION
