"""One check per line of the spec's acceptance checklist (§15) and per point of its security posture
(§13). Each returns PASS, FAIL or DEVIATION with evidence: logical ids and the properties that decided.

A profile's deliberate departures (dev's single NAT, a single-AZ database, no custom domain) are
DEVIATION naming the setting, never PASS; anything the spec forbids is FAIL whatever the profile.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from foundry_contract import API_PATH_PATTERNS, ORIGIN_VERIFY_HEADER, Service, env_vars_for
from foundry_infra.config.model import EnvironmentConfig

from foundry_tools.verify.model import INTERNET, EnvironmentModel, as_list, ref_id

# Actions AWS defines without a resource type: granting them takes Resource "*".
STAR_RESOURCE_ACTIONS = frozenset(
    {
        "cloudwatch:PutMetricData",
        "ecr:GetAuthorizationToken",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "ec2:DescribeSecurityGroups",
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    }
)
REQUIRED_ALARMS = {
    "API 5xx": "api-5xx",
    "AI upstream failures": "ai-upstream-error",
    "NAT egress spike": "nat-egress-spike",
    "RDS CPU": "rds-cpu",
    "RDS connections": "rds-connections",
    "free storage": "rds-free-storage",
}


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a check status, not a password
    FAIL = "FAIL"
    DEVIATION = "DEVIATION"


@dataclass
class CheckResult:
    name: str
    spec: str
    title: str
    status: Status = Status.PASS
    evidence: list[str] = field(default_factory=list)

    def fail(self, evidence: str) -> None:
        self.status = Status.FAIL
        self.evidence.append(f"FAIL: {evidence}")

    def deviate(self, evidence: str) -> None:
        if self.status is Status.PASS:
            self.status = Status.DEVIATION
        self.evidence.append(f"DEVIATION: {evidence}")

    def note(self, evidence: str) -> None:
        self.evidence.append(evidence)


CheckFunction = Callable[[EnvironmentModel, EnvironmentConfig, CheckResult], None]


@dataclass(frozen=True)
class Check:
    name: str
    spec: str
    title: str
    run: CheckFunction


def edge_serves_web_and_proxies_api(
    model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult
) -> None:
    found = model.distribution()
    if found is None:
        r.fail("no CloudFront distribution")
        return
    key, dist = found
    api = model.app_runner("Api")
    origins = {origin["Id"]: origin for origin in dist.get("Origins", [])}
    behaviors = {b["PathPattern"]: b for b in dist.get("CacheBehaviors", [])}
    for pattern in API_PATH_PATTERNS:
        behavior = behaviors.get(pattern)
        if behavior is None:
            r.fail(f"{key}: no {pattern} behavior")
            continue
        origin = origins.get(behavior["TargetOriginId"], {})
        if api is None or ref_id(origin.get("DomainName")) != api[0]:
            r.fail(f"{key}: {pattern} does not go to the api service")
        elif origin.get("CustomOriginConfig", {}).get("OriginProtocolPolicy") != "https-only":
            r.fail(f"{key}: {pattern} reaches api without HTTPS")
        else:
            r.note(f"{key}: {pattern} -> {api[0]} over HTTPS")
    default = dist.get("DefaultCacheBehavior", {})
    if default.get("TargetOriginId") not in origins:
        r.fail(f"{key}: no default (web) origin")
    else:
        r.note(f"{key}: default behavior -> web origin {default['TargetOriginId']}")
    if config.edge.domain_name:
        cert = dist.get("ViewerCertificate", {})
        if (
            config.edge.domain_name not in dist.get("Aliases", [])
            or cert.get("MinimumProtocolVersion") != "TLSv1.2_2021"
        ):
            r.fail(
                f"{key}: custom domain {config.edge.domain_name} without its alias or TLSv1.2_2021 certificate"
            )
        else:
            r.note(f"{key}: {config.edge.domain_name} with an ACM certificate, TLSv1.2_2021")
    else:
        r.deviate("edge.domain_name is not set: CloudFront's own domain and certificate serve the site")


def api_reaches_private_resources_through_its_connector(
    model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult
) -> None:
    api = model.app_runner("Api")
    if api is None:
        r.fail("no api App Runner service")
        return
    key, props = api
    egress = props.get("NetworkConfiguration", {}).get("EgressConfiguration", {})
    connector_id = ref_id(egress.get("VpcConnectorArn"))
    if egress.get("EgressType") != "VPC" or connector_id is None:
        r.fail(f"{key}: egress is not through a VPC connector")
        return
    connector = model.platform.props(connector_id)
    groups = [ref_id(g) for g in connector.get("SecurityGroups", [])]
    subnets = [ref_id(s) for s in connector.get("Subnets", [])]
    if any(model.subnet_tiers.get(s or "") != "app" for s in subnets):
        r.fail(f"{connector_id}: connector subnets are not all private-app subnets")
    api_group = groups[0] if groups else None
    database = model.one("AWS::RDS::DBInstance", "DatabaseInstance")
    if database is not None:
        db_groups = [ref_id(g) for g in database[1].get("VPCSecurityGroups", [])]
        proxy = model.one("AWS::EC2::SecurityGroup", "DatabaseProxySg")
        targets = [*db_groups, *([proxy[0]] if proxy else [])]
        if not any(rule.source == api_group for g in targets for rule in model.who_can_reach(g or "", 5432)):
            r.fail(f"{api_group} cannot reach the database on 5432")
        else:
            r.note(f"{key} -> {connector_id} ({api_group}) -> database on 5432")
    ingress = model.one("AWS::AppRunner::VpcIngressConnection", "AiIngress")
    if ingress is not None:
        endpoint = model.platform.props(ref_id(ingress[1]["IngressVpcConfiguration"]["VpcEndpointId"]) or "")
        endpoint_groups = [ref_id(g) for g in endpoint.get("SecurityGroupIds", [])]
        if not any(
            rule.source == api_group for g in endpoint_groups for rule in model.who_can_reach(g or "", 443)
        ):
            r.fail(f"{api_group} cannot reach ai's private endpoint on 443")
        else:
            r.note(f"{api_group} -> ai private ingress {ingress[0]} on 443")
    statements = [
        s
        for s in model.statements
        if "s3:PutObject" in s.actions and any("uploads/" in x for x in s.resources)
    ]
    if not statements:
        r.fail("the api role cannot write under uploads/ (no pre-signed PUT possible)")


def ai_is_not_publicly_reachable(model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    ai = model.app_runner("Ai")
    if ai is None:
        r.fail("no ai App Runner service")
        return
    key, props = ai
    public = props.get("NetworkConfiguration", {}).get("IngressConfiguration", {}).get("IsPubliclyAccessible")
    if public is not False:
        r.fail(f"{key}: IsPubliclyAccessible is {public}")
    else:
        r.note(f"{key}: IsPubliclyAccessible false")
    ingress = model.one("AWS::AppRunner::VpcIngressConnection", "AiIngress")
    if ingress is None:
        r.fail("no VPC ingress connection for ai")
        return
    endpoint_id = ref_id(ingress[1]["IngressVpcConfiguration"]["VpcEndpointId"]) or ""
    for group in (ref_id(g) or "" for g in model.platform.props(endpoint_id).get("SecurityGroupIds", [])):
        sources = {rule.source for rule in model.who_can_reach(group, 443)}
        api_group = model.one("AWS::EC2::SecurityGroup", "SecurityGroupsApi")
        allowed = {api_group[0]} if api_group else set()
        if sources - allowed:
            r.fail(f"{group}: the ai endpoint admits {sorted(sources - allowed)} besides sg-api")
        else:
            r.note(f"{endpoint_id} ({group}) admits 443 from {sorted(sources)} only")


def rds_private_encrypted_multi_az_backed_up(
    model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult
) -> None:
    found = model.one("AWS::RDS::DBInstance", "DatabaseInstance")
    if found is None:
        r.fail("no RDS instance")
        return
    key, props = found
    if props.get("PubliclyAccessible") is not False:
        r.fail(f"{key}: PubliclyAccessible is {props.get('PubliclyAccessible')}")
    if props.get("StorageEncrypted") is not True or ref_id(props.get("KmsKeyId")) is None:
        r.fail(f"{key}: storage not encrypted with a customer-managed key")
    if int(props.get("BackupRetentionPeriod", 0)) < 1:
        r.fail(
            f"{key}: BackupRetentionPeriod {props.get('BackupRetentionPeriod', 0)} (automated backups and PITR off)"
        )
    for group in (ref_id(g) or "" for g in props.get("VPCSecurityGroups", [])):
        if any(rule.source == INTERNET for rule in model.who_can_reach(group, 5432)):
            r.fail(f"{key}: its security group {group} admits the internet on 5432")
    if props.get("MultiAZ") is not True:
        if config.database.multi_az:
            r.fail(f"{key}: MultiAZ is off although the profile asks for it")
        else:
            r.deviate(f"{key}: single-AZ, as database.multi_az=false in the {config.name} profile")
    if r.status is not Status.FAIL:
        r.note(
            f"{key}: private, KMS-encrypted, backups {props.get('BackupRetentionPeriod')} days, MultiAZ {props.get('MultiAZ')}"
        )


def uploads_presigned_and_no_public_bucket(
    model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult
) -> None:
    for key, bucket in model.platform.of_type("AWS::S3::Bucket").items():
        block = bucket["Properties"].get("PublicAccessBlockConfiguration", {})
        if not all(
            block.get(k) is True
            for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        ):
            r.fail(f"{key}: public access is not fully blocked")
    for key, policy in model.platform.of_type("AWS::S3::BucketPolicy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            principal = statement.get("Principal")
            if statement.get("Effect") == "Allow" and principal in ("*", {"AWS": "*"}):
                r.fail(f"{key}: allows Principal '*' ({as_list(statement.get('Action'))})")
    uploads = model.one("AWS::S3::Bucket", "BucketsUploads")
    if uploads is not None and not uploads[1].get("CorsConfiguration"):
        r.fail(f"{uploads[0]}: no CORS rule, browsers cannot PUT through pre-signed URLs")
    if config.edge.web_origin == "s3":
        if not model.platform.of_type("AWS::CloudFront::OriginAccessControl"):
            r.fail("web served from the assets bucket without Origin Access Control")
        else:
            r.note("assets bucket served through CloudFront Origin Access Control")
    if r.status is Status.PASS:
        r.note("every bucket blocks public access; no bucket policy allows '*'; uploads take pre-signed PUTs")


def nat_egress_and_s3_gateway(model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    for table in sorted(model.tier_tables("app")):
        routes = model.default_routes(table)
        if not any(route.target_kind == "nat" for route in routes):
            r.fail(f"{table}: the app tier has no default route through a NAT gateway")
    for table in sorted(model.tier_tables("data")):
        for route in model.default_routes(table):
            r.fail(f"{table}: the data tier routes 0.0.0.0/0 to {route.target_kind} {route.target}")
    gateway = [
        (key, endpoint["Properties"])
        for key, endpoint in model.platform.of_type("AWS::EC2::VPCEndpoint").items()
        if endpoint["Properties"].get("VpcEndpointType") == "Gateway"
        and ".s3" in str(endpoint["Properties"].get("ServiceName"))
    ]
    if not gateway:
        r.fail("no S3 gateway endpoint: S3 traffic would pay NAT processing")
    else:
        key, props = gateway[0]
        served = {ref_id(t) for t in props.get("RouteTableIds", [])}
        missing = (model.tier_tables("app") | model.tier_tables("data")) - served
        if missing:
            r.fail(f"{key}: not on route tables {sorted(missing)}")
        else:
            r.note(f"{key}: S3 gateway endpoint on every app and data route table")
    nats = model.platform.of_type("AWS::EC2::NatGateway")
    if len(nats) < 2:
        r.deviate(
            f"{len(nats)} NAT gateway (network.nat_gateways={config.network.nat_gateways}): single-AZ egress"
        )
    elif r.status is Status.PASS:
        r.note(f"{len(nats)} NAT gateways, one per AZ")


def alarms_of_section_15(model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    names = [
        str(alarm["Properties"].get("AlarmName", key))
        for template in (model.platform, model.edge)
        for key, alarm in template.of_type("AWS::CloudWatch::Alarm").items()
    ]
    for label, fragment in REQUIRED_ALARMS.items():
        matching = [name for name in names if fragment in name]
        if not matching:
            r.fail(f"no {label} alarm (an alarm named *{fragment}*)")
        else:
            r.note(f"{label}: {', '.join(matching)}")


def iam_least_privilege(model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    for statement in model.statements:
        for action in statement.actions:
            if action == "*" or action.endswith(":*"):
                r.fail(f"{statement.owner}: wildcard action {action}")
        if "*" in statement.resources:
            extra = set(statement.actions) - STAR_RESOURCE_ACTIONS
            if extra:
                r.fail(f"{statement.owner}: Resource '*' for {sorted(extra)}")
    if r.status is Status.PASS:
        r.note(
            f"{len(model.statements)} Allow statements: no wildcard action, '*' only where AWS requires it"
        )


def secrets_in_secrets_manager(model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    for name in ("Api", "Ai"):
        service = model.app_runner(name)
        if service is None:
            continue
        key, props = service
        image = props["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
        secret_names = {var.name for var in env_vars_for(Service(name.lower())) if var.secret}
        plain = {item["Name"] for item in image.get("RuntimeEnvironmentVariables", [])}
        delivered = {item["Name"] for item in image.get("RuntimeEnvironmentSecrets", [])}
        if plain & secret_names:
            r.fail(f"{key}: {sorted(plain & secret_names)} passed as plain environment values")
        if secret_names - delivered:
            r.fail(f"{key}: {sorted(secret_names - delivered)} not delivered from Secrets Manager")
        else:
            r.note(f"{key}: {len(delivered)} secrets from Secrets Manager")
    for key, secret in model.platform.of_type("AWS::SecretsManager::Secret").items():
        if "KmsKeyId" not in secret["Properties"]:
            r.fail(f"{key}: not encrypted with a customer-managed key")


def kms_rotation_and_key_policies(model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    for template in (model.platform, model.edge):
        for key, resource in template.of_type("AWS::KMS::Key").items():
            props = resource["Properties"]
            if props.get("EnableKeyRotation") is not True:
                r.fail(f"{key}: EnableKeyRotation is {props.get('EnableKeyRotation')}")
            for statement in props.get("KeyPolicy", {}).get("Statement", []):
                if (
                    statement.get("Effect") == "Allow"
                    and statement.get("Principal") in ("*", {"AWS": "*"})
                    and "Condition" not in statement
                ):
                    r.fail(f"{key}: key policy allows Principal '*' without a condition")
    if r.status is Status.PASS:
        r.note("every customer-managed key rotates; no key policy opens to '*'")


def waf_guards_the_edge(model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    found = model.distribution()
    acls = model.edge.of_type("AWS::WAFv2::WebACL")
    if found is None or not acls:
        r.fail("no distribution or no web ACL")
        return
    key, dist = found
    acl_key = next(iter(acls))
    if acl_key not in str(dist.get("WebACLId")):
        r.fail(f"{key}: WebACLId does not reference {acl_key} ({dist.get('WebACLId')})")
    rules = {rule["Name"] for rule in acls[acl_key]["Properties"].get("Rules", [])}
    for needed in (
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ):
        if needed not in rules:
            r.fail(f"{acl_key}: no {needed}")
    if not any("Rate" in rule for rule in rules):
        r.fail(f"{acl_key}: no rate-based rule")
    if "BlockGraphqlIntrospection" not in rules:
        if config.waf.block_introspection:
            r.fail(f"{acl_key}: introspection is not blocked although the profile asks for it")
        else:
            r.deviate(f"introspection allowed at the edge (waf.block_introspection=false in {config.name})")
    if r.status is not Status.FAIL:
        r.note(f"{key} -> {acl_key}: {sorted(rules)}")


def origin_protected_and_no_open_groups(
    model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult
) -> None:
    found = model.distribution()
    if found is not None:
        key, dist = found
        headers = [h for o in dist.get("Origins", []) for h in o.get("OriginCustomHeaders", [])]
        verify = [h for h in headers if h.get("HeaderName") == ORIGIN_VERIFY_HEADER]
        if not verify or "resolve:secretsmanager" not in str(verify[0].get("HeaderValue")):
            r.fail(f"{key}: the api origin does not send {ORIGIN_VERIFY_HEADER} from Secrets Manager")
        else:
            r.note(f"{key}: api origin sends {ORIGIN_VERIFY_HEADER} (dynamic reference)")
    for rule in model.ingress:
        if rule.source == INTERNET:
            r.fail(f"{rule.group}: admits the internet on {rule.from_port}-{rule.to_port} ({rule.evidence})")


def backups_and_versioning(model: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    plans = model.platform.of_type("AWS::Backup::BackupPlan")
    if not plans:
        r.fail("no AWS Backup plan")
    uploads = model.one("AWS::S3::Bucket", "BucketsUploads")
    if uploads is None or uploads[1].get("VersioningConfiguration", {}).get("Status") != "Enabled":
        r.fail("the uploads bucket is not versioned")
    database = model.one("AWS::RDS::DBInstance", "DatabaseInstance")
    if database is not None and database[1].get("DeletionProtection") is not True:
        if config.database.deletion_protection:
            r.fail(f"{database[0]}: deletion protection off although the profile asks for it")
        else:
            r.deviate(
                f"{database[0]}: deletion protection off (database.deletion_protection=false in {config.name})"
            )
    if r.status is not Status.FAIL:
        r.note(f"backup plan {', '.join(plans)}; uploads versioned")


CHECKS: tuple[Check, ...] = (
    Check(
        "edge-serves-web-and-api",
        "§15.1",
        "CloudFront serves web and proxies api (domain, TLS)",
        edge_serves_web_and_proxies_api,
    ),
    Check(
        "api-vpc-connector",
        "§15.2",
        "api reaches RDS, S3 and ai through its VPC connector",
        api_reaches_private_resources_through_its_connector,
    ),
    Check("ai-private", "§15.2, §13", "ai is not publicly reachable", ai_is_not_publicly_reachable),
    Check(
        "rds-private-encrypted",
        "§15.3",
        "RDS private, encrypted, Multi-AZ, backups on",
        rds_private_encrypted_multi_az_backed_up,
    ),
    Check(
        "uploads-no-public-buckets",
        "§15.4",
        "pre-signed uploads; no public bucket; OAC for assets",
        uploads_presigned_and_no_public_bucket,
    ),
    Check(
        "nat-and-s3-gateway",
        "§15.5",
        "NAT egress for external APIs; S3 through the gateway endpoint",
        nat_egress_and_s3_gateway,
    ),
    Check(
        "alarms",
        "§15.6",
        "alarms: API 5xx, AI upstream, NAT egress, RDS CPU/connections, storage",
        alarms_of_section_15,
    ),
    Check("iam-least-privilege", "§15.7, §13", "IAM without wildcards", iam_least_privilege),
    Check(
        "secrets-manager", "§15.7, §6", "every sensitive value in Secrets Manager", secrets_in_secrets_manager
    ),
    Check("kms", "§15.7, §13", "KMS keys rotate; key policies not open", kms_rotation_and_key_policies),
    Check("waf", "§13", "WAF on the edge: rate limit, managed rules, introspection", waf_guards_the_edge),
    Check(
        "network-exposure",
        "§13",
        "only CloudFront reaches api; no security group open to the internet",
        origin_protected_and_no_open_groups,
    ),
    Check("backups-dr", "§13", "backups, PITR, versioning, deletion protection", backups_and_versioning),
)


def run_checks(model: EnvironmentModel, config: EnvironmentConfig) -> list[CheckResult]:
    results = []
    for check in CHECKS:
        result = CheckResult(name=check.name, spec=check.spec, title=check.title)
        check.run(model, config, result)
        results.append(result)
    return results


def summary(results: list[CheckResult]) -> dict[str, Any]:
    return {status.value: sum(r.status is status for r in results) for status in Status}
