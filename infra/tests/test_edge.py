"""Spec §1 and §13: CloudFront behaviors, origin protection, headers, logging, WAF, domains."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from foundry_contract import ORIGIN_VERIFY_HEADER, SECURITY_HEADERS, content_security_policy, uploads_origins
from foundry_infra.config import load_config
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import Template

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _config(template: Template) -> dict[str, Any]:
    (distribution,) = template.of_type("AWS::CloudFront::Distribution").values()
    return dict(distribution["Properties"]["DistributionConfig"])


def _origin(config: dict[str, Any], origin_id: str) -> dict[str, Any]:
    (origin,) = [o for o in config["Origins"] if o["Id"] == origin_id]
    return dict(origin)


def test_api_paths_go_to_api_uncached_with_all_methods(each_env: Synth) -> None:
    template = each_env.platform
    config = _config(template)
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    api_service = template.logical_id("ApiService", "AWS::AppRunner::Service")
    for pattern in ("/graphql", "/api/*"):
        behavior = behaviors[pattern]
        assert behavior["CachePolicyId"] == CACHING_DISABLED
        assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
        assert set(behavior["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
        origin = _origin(config, behavior["TargetOriginId"])
        assert origin["DomainName"] == {"Fn::GetAtt": [api_service, "ServiceUrl"]}
        assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
        assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]


def test_api_origin_carries_the_origin_verify_secret_as_a_dynamic_reference(each_env: Synth) -> None:
    config = _config(each_env.platform)
    behavior = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == "/graphql")
    (header,) = _origin(config, behavior["TargetOriginId"])["OriginCustomHeaders"]
    assert header["HeaderName"] == ORIGIN_VERIFY_HEADER
    joined = header["HeaderValue"]["Fn::Join"][1]
    assert joined[0] == "{{resolve:secretsmanager:"
    assert joined[1] == {
        "Ref": each_env.platform.logical_id("SecretsOriginVerify", "AWS::SecretsManager::Secret")
    }


def test_everything_else_goes_to_web_with_spa_fallback_and_long_asset_ttls(each_env: Synth) -> None:
    template = each_env.platform
    config = _config(template)
    default = config["DefaultCacheBehavior"]
    assert default["CachePolicyId"] == CACHING_OPTIMIZED
    web_service = template.logical_id("WebService", "AWS::AppRunner::Service")
    assert _origin(config, default["TargetOriginId"])["DomainName"] == {
        "Fn::GetAtt": [web_service, "ServiceUrl"]
    }
    (association,) = default["FunctionAssociations"]
    function = template.props(association["FunctionARN"]["Fn::GetAtt"][0])
    assert "/index.html" in function["FunctionCode"]
    assets = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == "/assets/*")
    policy = template.props(assets["CachePolicyId"]["Ref"])["CachePolicyConfig"]
    assert policy["DefaultTTL"] == 365 * 86400 and policy["MinTTL"] >= 86400
    assert config["DefaultRootObject"] == "index.html"
    assert "CustomErrorResponses" not in config, "error pages would also rewrite api errors"


def test_security_headers_logging_and_waf(each_env: Synth) -> None:
    template = each_env.platform
    config = _config(template)
    (policy,) = template.of_type("AWS::CloudFront::ResponseHeadersPolicy").values()
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ContentTypeOptions"]["Override"] is True
    policy_id = {"Ref": template.logical_id("EdgeSecurityHeaders", "AWS::CloudFront::ResponseHeadersPolicy")}
    assert all(
        b["ResponseHeadersPolicyId"] == policy_id
        for b in [*config["CacheBehaviors"], config["DefaultCacheBehavior"]]
    )
    assert config["Logging"]["Bucket"] == {
        "Fn::GetAtt": [template.logical_id("BucketsLogs", "AWS::S3::Bucket"), "RegionalDomainName"]
    }
    assert "WebACLId" in config


def _rules(synth: Synth) -> dict[str, dict[str, Any]]:
    (acl,) = synth.edge.of_type("AWS::WAFv2::WebACL").values()
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    return {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}


@pytest.mark.parametrize(("env", "blocks_introspection"), [("dev", False), ("staging", True), ("prod", True)])
def test_waf_rules_per_profile(synths: dict[str, Synth], env: str, blocks_introspection: bool) -> None:
    rules = _rules(synths[env])
    assert rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    for group in (
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    ):
        assert rules[group]["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
    assert ("BlockGraphqlIntrospection" in rules) is blocks_introspection
    if blocks_introspection:
        statements = rules["BlockGraphqlIntrospection"]["Statement"]["AndStatement"]["Statements"]
        text = str(statements)
        assert "/graphql" in text and "__schema" in text and "__type" in text


def test_default_domain_acknowledges_the_cloudfront_certificate(dev: Synth) -> None:
    config = _config(dev.platform)
    assert "Aliases" not in config
    assert config.get("ViewerCertificate", {"CloudFrontDefaultCertificate": True}) == {
        "CloudFrontDefaultCertificate": True
    }


def test_custom_domain_in_another_region(complete: Synth) -> None:
    platform, edge = complete.platform, complete.edge
    (certificate,) = edge.of_type("AWS::CertificateManager::Certificate").values()
    assert certificate["Properties"]["DomainName"] == "app.example.com"
    config = _config(platform)
    assert config["Aliases"] == ["app.example.com"]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    assert config["Restrictions"]["GeoRestriction"]["RestrictionType"] == "whitelist"
    records = {r["Type"] for r in platform.of_type("AWS::Route53::RecordSet").values()}
    assert {"A", "AAAA"} <= {
        r["Properties"]["Type"] for r in platform.of_type("AWS::Route53::RecordSet").values()
    }
    assert records == {"AWS::Route53::RecordSet"}
    # The web ACL and certificate live in us-east-1 and reach eu-west-1 by SSM parameter name.
    assert _read_by_name(complete, config["WebACLId"]) == {"Fn::GetAtt": ["WafWebAclBE24253C", "Arn"]}
    subnets = [r["Properties"]["AvailabilityZone"] for r in platform.of_type("AWS::EC2::Subnet").values()]
    assert set(subnets) == {"eu-west-1a", "eu-west-1b"}


def _read_by_name(synth: Synth, value: Any) -> Any:
    """What the platform's reference to the edge stack reads: a parameter of type
    AWS::SSM::Parameter::Value<String> whose default names an SSM parameter of the edge stack; returns
    that edge parameter's value (the edge resource it holds)."""
    assert set(value) == {"Ref"}, value
    parameter = synth.platform.body["Parameters"][value["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    (written,) = [
        p["Properties"]
        for p in synth.edge.of_type("AWS::SSM::Parameter").values()
        if p["Properties"]["Name"] == parameter["Default"]
    ]
    return written["Value"]


def _bindings(synth: Synth) -> list[str]:
    """Every strong tie from the edge stack to the platform: exports, imports, CDK's cross-region
    export writer (in the edge stack) or reader (in the platform). The ties between the platform and
    the us-east-1 alarm stack (stacks/edge_alarms.py) are _alarm_bindings'."""
    edge, platform = json.dumps(synth.edge.body), json.dumps(synth.platform.body)
    found = [f"export {k}" for k, o in synth.edge.body.get("Outputs", {}).items() if "Export" in o]
    found += [
        f"edge: {marker}" for marker in ("Fn::ImportValue", "Custom::CrossRegionExport") if marker in edge
    ]
    found += [
        f"platform: {marker}"
        for marker in ("Fn::ImportValue", "Custom::CrossRegionExportReader")
        if marker in platform
    ]
    return found


@pytest.mark.parametrize("scenario", sorted({**SCENARIOS, **MATRIX}))
def test_the_platform_reads_the_web_acl_by_name_not_by_export(
    synths: dict[str, Synth], scenario: str
) -> None:
    synth = synths[scenario]
    assert _bindings(synth) == []
    acl = synth.edge.logical_id("WafWebAcl", "AWS::WAFv2::WebACL")
    assert _read_by_name(synth, _config(synth.platform)["WebACLId"]) == {"Fn::GetAtt": [acl, "Arn"]}


def test_replacing_the_certificate_touches_no_export(complete: Synth, tmp_path: Path) -> None:
    """A new edge.domain_name replaces the certificate (DomainName: "Update requires: Replacement",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-certificatemanager-certificate.html).
    Nothing exports it, so the edge stack's update cannot fail with "export in use"; the platform reads
    the new ARN by the new parameter name on its next deploy."""
    env, overrides = SCENARIOS["complete"]
    argv = [str(Path(sys.executable).with_name("foundry")), "synth", "--env", env, "--out", str(tmp_path)]
    for item in overrides:
        argv += ["--set", item.replace("app.example.com", "www.example.com")]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    renamed = Synth(tmp_path)

    names = {}
    for synth, domain in ((complete, "app.example.com"), (renamed, "www.example.com")):
        assert _bindings(synth) == []
        ((key, certificate),) = synth.edge.of_type("AWS::CertificateManager::Certificate").items()
        assert certificate["Properties"]["DomainName"] == domain
        viewer = _config(synth.platform)["ViewerCertificate"]
        assert _read_by_name(synth, viewer["AcmCertificateArn"]) == {"Ref": key}
        # The parameter's name follows the domain, so the platform's next deploy reads a new name
        # (a new template parameter) rather than relying on a changed value behind the old one.
        name = synth.platform.body["Parameters"][viewer["AcmCertificateArn"]["Ref"]]["Default"]
        assert name == f"/foundry/prod/edge/certificate-arn/{domain}"
        names[domain] = name
        # Outside us-east-1 the edge stack also writes the value into the platform's region, by name.
        copies = [
            c["Properties"]
            for c in synth.edge.of_type("Custom::EdgeParameterCopy").values()
            if name in json.dumps(c["Properties"]["Create"])
        ]
        assert len(copies) == 1 and "eu-west-1" in json.dumps(copies[0]["Create"])
    assert len(set(names.values())) == 2
    # The web ACL's reference is the same in both: only the certificate moved.
    assert _config(complete.platform)["WebACLId"] == _config(renamed.platform)["WebACLId"]


def _alarm_bindings(synth: Synth) -> list[str]:
    """Every strong tie between the platform and the edge-alarms stack: exports, imports, CDK's
    cross-region export writer or reader in either."""
    assert synth.edge_alarms is not None
    found = []
    for name, template in (("platform", synth.platform), ("edge-alarms", synth.edge_alarms)):
        body = json.dumps(template.body)
        found += [f"export {k}" for k, o in template.body.get("Outputs", {}).items() if "Export" in o]
        found += [
            f"{name}: {marker}"
            for marker in ("Fn::ImportValue", "Custom::CrossRegionExport")
            if marker in body
        ]
    return found


def _published(synth: Synth, *, environment: str, value: str) -> tuple[str, str]:
    """The edge-alarms stack's read of one of the distribution's values: its parameter name, and the
    template parameter (AWS::SSM::Parameter::Value<String>) holding it."""
    assert synth.edge_alarms is not None
    distribution = synth.platform.logical_id("EdgeDistribution", "AWS::CloudFront::Distribution")
    # The name carries the distribution's logical id: a replaced distribution (a new logical id, the
    # only way its id and domain name change) is read by a new name (edge/references.py).
    name = f"/foundry/{environment}/platform/{value}/{distribution}"
    (key,) = [
        k
        for k, p in synth.edge_alarms.body["Parameters"].items()
        if p["Type"] == "AWS::SSM::Parameter::Value<String>" and p["Default"] == name
    ]
    return name, key


def _written(synth: Synth, *, name: str) -> Any:
    """What the platform writes under a parameter name, checked to be copied into us-east-1 as well."""
    (written,) = [
        p["Properties"]["Value"]
        for p in synth.platform.of_type("AWS::SSM::Parameter").values()
        if p["Properties"]["Name"] == name
    ]
    copies = [
        json.dumps(c["Properties"]["Create"])
        for c in synth.platform.of_type("Custom::PlatformParameterCopy").values()
        if name in json.dumps(c["Properties"]["Create"])
    ]
    assert len(copies) == 1 and "us-east-1" in copies[0], copies
    return written


def test_the_edge_alarms_read_the_distribution_by_name_not_by_cross_region_reference(
    complete: Synth,
) -> None:
    """complete runs the platform in eu-west-1, so the CloudFront 5xx alarm sits in the us-east-1 stack
    of stacks/edge_alarms.py. It reads the distribution's id from an SSM parameter the platform writes
    into us-east-1: no CDK cross-region writer or reader (Lambda functions inside CDK's constructs,
    which a stack cannot configure as checkov asks) ties the two stacks."""
    assert _alarm_bindings(complete) == []
    assert complete.edge_alarms is not None
    (alarm,) = [
        a["Properties"]
        for a in complete.edge_alarms.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "5xxErrorRate"
    ]
    name, key = _published(complete, environment="prod", value="distribution-id")
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]}["DistributionId"] == {"Ref": key}
    distribution = complete.platform.logical_id("EdgeDistribution", "AWS::CloudFront::Distribution")
    assert _written(complete, name=name) == {"Ref": distribution}
    # With a custom domain the edge stack checks the site: the distribution's name is not published.
    names = [p["Properties"]["Name"] for p in complete.platform.of_type("AWS::SSM::Parameter").values()]
    assert [n for n in names if "/platform/" in n] == [name]


def _copy_grants(template: Template) -> list[str]:
    """The parameter names (after parameter/) the SSM copies' policies let CDK's handler write and delete."""
    found = []
    for policy in template.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Action"] == ["ssm:PutParameter", "ssm:DeleteParameter"]:
                joined = statement["Resource"]["Fn::Join"][1]
                found.append(str(joined[-1]).split(":parameter", 1)[1])
    return sorted(found)


def test_a_copy_under_a_new_name_may_delete_its_old_name(complete: Synth) -> None:
    """A new domain or a replaced distribution renames a copy: CloudFormation deletes the old copy (the
    old name) after the update gave the policy the new one, so a name that varies is granted by family;
    the web ACL's fixed name by itself."""
    assert _copy_grants(complete.edge) == [
        "/foundry/prod/edge/certificate-arn/*",
        "/foundry/prod/edge/web-acl-arn",
    ]
    assert _copy_grants(complete.platform) == ["/foundry/prod/platform/distribution-id/*"]


def test_the_site_health_check_outside_us_east_1_reads_the_distribution_name_by_name(tmp_path: Path) -> None:
    """dev in eu-west-1 has no custom domain, so the edge-alarms stack also checks the distribution's
    own name, read by name like its id."""
    argv = [str(Path(sys.executable).with_name("foundry")), "synth", "--env", "dev", "--out", str(tmp_path)]
    run = subprocess.run(
        [*argv, "--set", "region=eu-west-1"], capture_output=True, text=True, timeout=600, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    synth = Synth(tmp_path)
    assert _alarm_bindings(synth) == []
    assert synth.edge_alarms is not None
    (check,) = synth.edge_alarms.of_type("AWS::Route53::HealthCheck").values()
    name, key = _published(synth, environment="dev", value="distribution-domain-name")
    assert check["Properties"]["HealthCheckConfig"]["FullyQualifiedDomainName"] == {"Ref": key}
    distribution = synth.platform.logical_id("EdgeDistribution", "AWS::CloudFront::Distribution")
    assert _written(synth, name=name) == {"Fn::GetAtt": [distribution, "DomainName"]}
    id_name, _ = _published(synth, environment="dev", value="distribution-id")
    assert _written(synth, name=id_name) == {"Ref": distribution}


def test_the_response_headers_policy_sends_the_contract_s_headers_and_the_csp(each_env: Synth) -> None:
    """The twin's edge sends the same (foundry_contract.edge): no HSTS preload, which the preload list
    ignores for *.cloudfront.net and subdomains; X-XSS-Protection 0; a CSP for this environment."""
    (policy,) = each_env.platform.of_type("AWS::CloudFront::ResponseHeadersPolicy").values()
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    hsts = headers["StrictTransportSecurity"]
    assert hsts["Preload"] is False and hsts["IncludeSubdomains"] is True
    assert f"max-age={hsts['AccessControlMaxAgeSec']}" in SECURITY_HEADERS["Strict-Transport-Security"]
    assert headers["XSSProtection"] == {"Override": True, "Protection": False}
    assert SECURITY_HEADERS["X-XSS-Protection"] == "0"
    csp = headers["ContentSecurityPolicy"]
    assert csp["Override"] is True
    config = load_config(env=each_env.out_dir.name)
    bucket = f"foundry-{config.name}-uploads-{config.account}-{config.region}"
    assert csp["ContentSecurityPolicy"] == content_security_policy(
        uploads=uploads_origins(bucket=bucket, region=config.region),
        clerk_frontend_api=config.auth.clerk_issuer,
    )
    directives = dict(d.strip().split(" ", 1) for d in csp["ContentSecurityPolicy"].split(";"))
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert config.auth.clerk_issuer.rstrip("/") in directives["script-src"].split()
    assert f"https://{bucket}.s3.{config.region}.amazonaws.com" in directives["connect-src"].split()


def test_cloudfront_sends_the_origin_header_to_web_too(prod: Synth) -> None:
    config = _config(prod.platform)
    web = next(o for o in config["Origins"] if o["Id"] == config["DefaultCacheBehavior"]["TargetOriginId"])
    (header,) = web["OriginCustomHeaders"]
    assert header["HeaderName"] == ORIGIN_VERIFY_HEADER
    assert "resolve:secretsmanager" in json.dumps(header["HeaderValue"])
