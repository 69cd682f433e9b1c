"""One check per line of the spec's acceptance checklist (§15) and per point of its security posture
(§13), plus what only a live account shows. Each returns PASS, FAIL or DEVIATION with evidence:
resource ids and the properties that decided.

Checks read only the EnvironmentModel, so the same functions judge the synthesized templates and the
deployed account. A profile's deliberate departures (dev's single NAT, a single-AZ database, no custom
domain) are DEVIATION naming the setting, never PASS; anything the spec forbids is FAIL whatever the
profile. Each security group is judged by one check only (the ai endpoint's by `ai-private`, the
database's by `rds-private-encrypted`, every other by `network-exposure`), so one breakage fails one check.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from foundry_contract import (
    API_PATH_PATTERNS,
    MIGRATION_RUNNER_ONLY,
    ORIGIN_VERIFY_HEADER,
    UNSET_AUTHORIZED_PARTY,
    Service,
    env_vars_for,
)
from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.security.iam import STAR_RESOURCE_ACTIONS
from foundry_templates.model import INTERNET, EnvironmentModel

from foundry_tools.verify import hops
from foundry_tools.verify.deploy_checks import api_database_login, no_deploy_placeholders
from foundry_tools.verify.edge_behaviour import web_acl_serves_the_web_app
from foundry_tools.verify.endpoint_choice import interface_endpoints_by_need
from foundry_tools.verify.reachability import workloads_reach_their_apis
from foundry_tools.verify.results import Check, CheckResult, Status, allows
from foundry_tools.verify.tracing import traced_services_instrumented

REQUIRED_ALARMS = {
    "API 5xx": "api-5xx",
    "AI upstream failures": "ai-upstream-error",
    "NAT egress spike": "nat-egress-spike",
    "RDS CPU": "rds-cpu",
    "RDS connections": "rds-connections",
    "free storage": "rds-free-storage",
}
REQUIRED_WAF_RULES = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
# An alarm that has had no data this long watches nothing (a renamed metric, a wrong dimension).
BLIND_ALARM_AFTER = timedelta(days=2)


def edge_serves_web_and_proxies_api(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    dist, api = m.distribution, m.services.get("api")
    if dist is None:
        r.fail("no CloudFront distribution")
        return
    for pattern in API_PATH_PATTERNS:
        origin_id = dist.behaviors.get(pattern)
        origin = dist.origins.get(origin_id or "")
        if origin_id is None or origin is None:
            r.fail(f"{dist.id}: no {pattern} behavior")
        elif api is None or m.behind(origin, pattern) != api.id:
            r.fail(f"{dist.id}: {pattern} goes to {m.behind(origin, pattern)}, not the api service")
        elif not origin.https_only and origin.vpc_origin:
            # The VPC origin keeps the hop inside AWS's network, to a load balancer with no public address.
            r.deviate(
                f"{dist.id}: {pattern} -> {origin.target} -> {api.id} over HTTP inside the VPC "
                f"(services.api.compute={config.services.api.compute}: a CloudFront VPC origin)"
            )
        elif not origin.https_only:
            r.fail(f"{dist.id}: {pattern} reaches {api.id} without HTTPS")
        else:
            r.note(f"{dist.id}: {pattern} -> {api.id} over HTTPS")
    if dist.default_origin not in dist.origins:
        r.fail(f"{dist.id}: no default (web) origin")
    else:
        r.note(f"{dist.id}: default behavior -> web origin {dist.origins[dist.default_origin].target}")
    domain = config.edge.domain_name
    if not domain:
        r.deviate("edge.domain_name is not set: CloudFront's own domain and certificate serve the site")
    elif domain not in dist.aliases or dist.minimum_tls != "TLSv1.2_2021":
        r.fail(
            f"{dist.id}: {domain} not an alias with TLSv1.2_2021 (aliases {list(dist.aliases)}, {dist.minimum_tls})"
        )
    else:
        r.note(f"{dist.id}: {domain} with its ACM certificate, TLSv1.2_2021")


def api_reaches_private_resources_through_its_connector(
    m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult
) -> None:
    api = m.services.get("api")
    if api is None:
        r.fail("no api service (App Runner or ECS)")
        return
    connector = m.connector_of("api")
    if api.egress_type != "VPC" or connector is None:
        r.fail(f"{api.id}: egress {api.egress_type}, not through a VPC connector")
        return
    outside = [s for s in connector.subnets if m.subnet_tiers.get(s) != "app"]
    if outside:
        r.fail(f"{connector.id}: subnets {outside} are not private-app subnets")
    api_group = m.group_of("api")
    if m.database is not None:
        targets = [*m.database.groups, *m.database_proxy_groups]
        if not any(rule.source == api_group for g in targets for rule in m.who_can_reach(g, 5432)):
            r.fail(f"{api_group} cannot reach {m.database.id} on 5432")
        else:
            r.note(f"{api.id} -> {connector.id} ({api_group}) -> {m.database.id} on 5432")
    ingress = m.ingress_of("ai")
    endpoint = m.endpoints.get(ingress.endpoint) if ingress else None
    if ingress is None or endpoint is None:
        r.fail("ai has no private ingress endpoint for api to call")
    elif not any(
        rule.source == api_group for g in endpoint.groups for rule in m.who_can_reach(g, ingress.port)
    ):
        r.fail(f"{api_group} cannot reach ai's private endpoint {endpoint.id} on {ingress.port}")
    else:
        r.note(f"{api_group} -> ai private ingress {ingress.id} ({endpoint.id}) on {ingress.port}")
    # The S3 path itself (gateway endpoint on the app tier's tables) is judged by nat-and-s3-gateway.
    app_tables = m.tier_tables("app")
    gateways = [g.id for g in m.s3_gateways() if app_tables <= g.route_tables]
    r.note(f"{connector.id} subnets reach S3 through {gateways or 'no gateway endpoint'}")
    writers = sorted({role for s in m.grants_on("uploads/") for role in s.roles or (s.owner,)})
    r.note(f"principals with grants under uploads/: {writers}")


def ai_is_not_publicly_reachable(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    ai = m.services.get("ai")
    if ai is None:
        r.fail("no ai service (App Runner or ECS)")
        return
    setting = "AssignPublicIp" if ai.backend == "ecs" else "IsPubliclyAccessible"
    if ai.public is not False:
        r.fail(f"{ai.id}: {setting} is {ai.public}")
    else:
        r.note(f"{ai.id}: {setting} false")
    ingress = m.ingress_of("ai")
    endpoint = m.endpoints.get(ingress.endpoint) if ingress else None
    if ingress is None or endpoint is None:
        r.fail(f"{ai.id}: no private ingress (VPC ingress connection or internal load balancer listener)")
        return
    if endpoint.kind == "InternetFacingLoadBalancer":
        r.fail(f"{endpoint.id}: ai's load balancer is internet-facing")
    allowed = {m.group_of("api")}
    for group in endpoint.groups:
        rules = m.who_can_reach(group, ingress.port)
        strangers = [rule for rule in rules if rule.source not in allowed]
        for rule in strangers:
            r.fail(f"{group}: the ai endpoint {endpoint.id} admits {rule.source} ({rule.evidence})")
        if not strangers:
            r.note(
                f"{endpoint.id} ({group}) admits {ingress.port} from {sorted({x.source for x in rules})} only"
            )


def _endpoint_groups_of_ai(m: EnvironmentModel) -> set[str]:
    ingress = m.ingress_of("ai")
    endpoint = m.endpoints.get(ingress.endpoint) if ingress else None
    return set(endpoint.groups) if endpoint else set()


def rds_private_encrypted_multi_az_backed_up(
    m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult
) -> None:
    db = m.database
    if db is None:
        r.fail("no RDS instance")
        return
    if db.public is not False:
        r.fail(f"{db.id}: PubliclyAccessible is {db.public}")
    if not db.encrypted or db.kms_key is None:
        r.fail(f"{db.id}: storage not encrypted with a customer-managed key")
    if db.backup_retention < 1:
        r.fail(f"{db.id}: BackupRetentionPeriod {db.backup_retention} (automated backups and PITR off)")
    for group in (*db.groups, *m.database_proxy_groups):
        for rule in m.who_can_reach(group, 5432):
            if rule.source == INTERNET or "/" in rule.source:
                r.fail(f"{group}: the database admits {rule.source} on 5432 ({rule.evidence})")
    if not db.multi_az:
        if config.database.multi_az:
            r.fail(f"{db.id}: MultiAZ is off although the profile asks for it")
        else:
            r.deviate(f"{db.id}: single-AZ, as database.multi_az=false in the {config.name} profile")
    if r.status is not Status.FAIL:
        r.note(
            f"{db.id}: private, KMS-encrypted ({db.kms_key}), backups {db.backup_retention} days, MultiAZ {db.multi_az}"
        )


def uploads_presigned_and_no_public_bucket(
    m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult
) -> None:
    for bucket in m.buckets.values():
        if not bucket.blocks_public_access:
            r.fail(f"{bucket.id}: public access is not fully blocked")
    for grant in m.bucket_grants:
        if grant.public_principal:
            r.fail(f"{grant.policy}: allows Principal '*' {list(grant.actions)}")
    uploads = m.bucket("BucketsUploads")
    if uploads is None:
        r.fail("no uploads bucket")
    elif not uploads.cors:
        r.fail(f"{uploads.id}: no CORS rule, browsers cannot PUT through pre-signed URLs")
    writers = [s for s in m.grants_on("uploads/") if allows(s.actions, "s3:PutObject")]
    if not writers:
        r.fail("no role may put objects under uploads/, so api cannot sign a PUT")
    else:
        r.note(
            f"pre-signed PUT under uploads/ signed by {sorted({x for s in writers for x in s.roles or (s.owner,)})}"
        )
    if config.edge.web_origin == "s3":
        if not m.origin_access_controls:
            r.fail("web served from the assets bucket without Origin Access Control")
        else:
            r.note(f"assets bucket behind CloudFront OAC {m.origin_access_controls[0]}")
    if r.status is Status.PASS:
        r.note(f"{len(m.buckets)} buckets block public access; no bucket policy allows '*'")


def nat_egress_and_s3_gateway(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    for table, routes in m.tier_egress("app").items():
        if not any(route.target_kind == "nat" for route in routes):
            r.fail(f"{table}: the app tier has no default route through a NAT gateway or NAT instance")
    for table, routes in m.tier_egress("data").items():
        for route in routes:
            r.fail(f"{table}: the data tier routes 0.0.0.0/0 to {route.target_kind} {route.target}")
    gateways = m.s3_gateways()
    if not gateways:
        tables = sorted(m.tier_tables("app") | m.tier_tables("data"))
        r.fail(f"no S3 gateway endpoint: S3 traffic from {tables} would go through the NAT")
    else:
        missing = (m.tier_tables("app") | m.tier_tables("data")) - gateways[0].route_tables
        if missing:
            r.fail(f"{gateways[0].id}: not on route tables {sorted(missing)}")
        else:
            r.note(f"{gateways[0].id}: S3 gateway endpoint on every app and data route table")
    if config.network.nat == "instance":
        instances = sorted({route.target for rs in m.tier_egress("app").values() for route in rs})
        r.deviate(
            f"NAT instance {instances} (network.nat=instance, {config.network.nat_instance_type}): one instance, "
            "recovered in place by its status-check alarms, instead of managed NAT gateways"
        )
    elif len(m.nat_gateways) < 2:
        r.deviate(
            f"{len(m.nat_gateways)} NAT gateway (network.nat_gateways={config.network.nat_gateways}): single-AZ egress"
        )
    elif r.status is Status.PASS:
        r.note(f"{len(m.nat_gateways)} NAT gateways {m.nat_gateways}, one per AZ")


def alarms_of_section_15(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    for label, fragment in REQUIRED_ALARMS.items():
        matching = [a for a in m.alarms if fragment in a.name]
        if not matching:
            r.fail(f"no {label} alarm (an alarm named *{fragment}*)")
        else:
            r.note(f"{label}: {', '.join(f'{a.name} ({a.id})' for a in matching)}")


def iam_least_privilege(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    for statement in m.statements:
        for action in statement.actions:
            if action == "*" or action.endswith(":*"):
                r.fail(f"{statement.owner}: wildcard action {action}")
        # Resource "*" narrowed by a condition (ecs:cluster, aws:ResourceTag, ...) is the resource-level
        # condition §13 asks for; without one, only actions AWS defines without resources may take it.
        if "*" in statement.resources and not statement.conditions:
            extra = set(statement.actions) - STAR_RESOURCE_ACTIONS
            if extra:
                r.fail(f"{statement.owner}: Resource '*' for {sorted(extra)}")
    if r.status is Status.PASS:
        r.note(f"{len(m.statements)} Allow statements: no wildcard action, '*' only where AWS requires it")


def secrets_in_secrets_manager(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    for name in ("api", "ai"):
        service = m.services.get(name)
        if service is None:
            continue
        secret_names = {
            var.name
            for var in env_vars_for(Service(name))
            if var.secret and var.name not in MIGRATION_RUNNER_ONLY
        }
        plain = secret_names & set(service.plain_env)
        if plain:
            r.fail(f"{service.id}: {sorted(plain)} passed as plain environment values")
        if secret_names - service.secret_env:
            r.fail(
                f"{service.id}: {sorted(secret_names - service.secret_env)} not delivered from Secrets Manager"
            )
        else:
            r.note(f"{service.id}: {len(service.secret_env)} secrets from Secrets Manager")
    for secret in m.secrets.values():
        if not secret.customer_key:
            r.fail(f"{secret.id}: not encrypted with a customer-managed key")


def kms_rotation_and_key_policies(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    for key in m.keys.values():
        if key.rotation is not True:
            r.fail(f"{key.id}: EnableKeyRotation is {key.rotation}")
        if key.open_statements:
            r.fail(f"{key.id}: key policy allows Principal '*' without a condition")
    if r.status is Status.PASS:
        r.note(f"{len(m.keys)} customer-managed keys rotate; no key policy opens to '*'")


def waf_guards_the_edge(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    dist = m.distribution
    if dist is None or not m.web_acls:
        r.fail("no distribution or no web ACL")
        return
    acl = m.web_acls.get(dist.web_acl or "")
    if acl is None:
        r.fail(f"{dist.id}: not associated with a web ACL of the edge stack (WebACLId {dist.web_acl})")
        return
    for needed in REQUIRED_WAF_RULES:
        if needed not in acl.rules:
            r.fail(f"{acl.id}: no {needed}")
    if not any("Rate" in rule for rule in acl.rules):
        r.fail(f"{acl.id}: no rate-based rule")
    if "BlockGraphqlIntrospection" not in acl.rules:
        if config.waf.block_introspection:
            r.fail(f"{acl.id}: introspection is not blocked although the profile asks for it")
        else:
            r.deviate(f"introspection allowed at the edge (waf.block_introspection=false in {config.name})")
    if r.status is not Status.FAIL:
        r.note(f"{dist.id} -> {acl.id}: {sorted(acl.rules)}")


def origin_protected_and_no_open_groups(
    m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult
) -> None:
    dist, api = m.distribution, m.services.get("api")
    if dist is not None and api is not None:
        to_api = [
            dist.origins[dist.behaviors[p]]
            for p in API_PATH_PATTERNS
            if dist.behaviors.get(p) in dist.origins
            and m.behind(dist.origins[dist.behaviors[p]], p) == api.id
        ]
        sources = {o.headers.get(ORIGIN_VERIFY_HEADER) for o in to_api}
        if not to_api or not sources <= {"secretsmanager", "deployed"}:
            r.fail(f"{dist.id}: the api origin does not send {ORIGIN_VERIFY_HEADER} from Secrets Manager")
        else:
            r.note(f"{dist.id}: the api origin sends {ORIGIN_VERIFY_HEADER} ({sources.pop()})")
    judged_elsewhere = _endpoint_groups_of_ai(m) | set(m.database.groups if m.database else ())
    judged_elsewhere |= set(m.database_proxy_groups)
    for rule in m.ingress:
        if rule.source == INTERNET and rule.group not in judged_elsewhere:
            r.fail(f"{rule.group}: admits the internet on {rule.from_port}-{rule.to_port} ({rule.evidence})")


def backups_and_versioning(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    if not m.backup_plans:
        r.fail("no AWS Backup plan")
    uploads = m.bucket("BucketsUploads")
    if uploads is None or not uploads.versioned:
        r.fail(f"{uploads.id if uploads else 'the uploads bucket'}: not versioned")
    db = m.database
    if db is not None and not db.deletion_protection:
        if config.database.deletion_protection:
            r.fail(f"{db.id}: deletion protection off although the profile asks for it")
        else:
            r.deviate(
                f"{db.id}: deletion protection off (database.deletion_protection=false in {config.name})"
            )
    if r.status is not Status.FAIL:
        r.note(f"backup plan {', '.join(m.backup_plans)}; uploads versioned")


def clerk_at_api_and_internal_key_at_ai(
    m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult
) -> None:
    api, ai = m.services.get("api"), m.services.get("ai")
    if api is None or ai is None:
        r.fail("api or ai service missing")
        return
    for name in ("CLERK_ISSUER", "CLERK_JWKS_URL"):
        if not api.plain_env.get(name, "").startswith("https://"):
            r.fail(f"{api.id}: {name} is {api.plain_env.get(name)!r}, api cannot verify Clerk JWTs")
    for service in (api, ai):
        if "AI_INTERNAL_API_KEY" not in service.secret_env:
            r.fail(f"{service.id}: AI_INTERNAL_API_KEY not delivered from Secrets Manager")
    parties = api.plain_env.get("CLERK_AUTHORIZED_PARTIES", "")
    if not parties or parties == UNSET_AUTHORIZED_PARTY:
        r.deviate(
            f"{api.id}: CLERK_AUTHORIZED_PARTIES is the placeholder {parties!r} "
            f"(auth.authorized_parties unset and no edge.domain_name in {config.name}): every azp is refused"
        )
    elif r.status is Status.PASS:
        r.note(
            f"{api.id}: Clerk issuer {api.plain_env['CLERK_ISSUER']}, azp {parties}; ai takes the internal key"
        )


# -- what only a live account shows


def api_refuses_direct_requests(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    probe, api = m.probes.get("api-direct"), m.services.get("api")
    if probe is None and api is not None and api.backend == "ecs":
        r.note(
            f"{api.id} has no public address: only CloudFront's VPC origin reaches its internal load balancer"
        )
    elif probe is None:
        r.fail("api has no URL to probe")
    elif probe.status != 403:
        r.fail(
            f"{probe.url} without {ORIGIN_VERIFY_HEADER} answered {probe.status or 'nothing'} ({probe.detail})"
        )
    else:
        r.note(f"{probe.url} without {ORIGIN_VERIFY_HEADER}: 403")


def ai_does_not_answer_outside(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    probe = m.probes.get("ai-direct")
    if probe is None:
        r.note("ai publishes no URL outside the VPC")
    elif probe.status is not None:
        r.fail(f"{probe.url} answered {probe.status} from outside the VPC")
    else:
        r.note(f"{probe.url}: no answer from outside the VPC ({probe.detail})")


# The web app's mount point (services/web/index.html): a page without it is not the app.
WEB_APP_MARKER = '<div id="root">'


def site_serves_the_app(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    probe = m.probes.get("site")
    if probe is None:
        r.fail("the platform stack has no SiteUrl output to probe")
    elif probe.status != 200 or WEB_APP_MARKER not in probe.body:
        what = "without the app's root element" if probe.status == 200 else f"{probe.status or 'nothing'}"
        r.fail(
            f"{probe.url} answered {what} ({probe.detail}); with edge.web_origin = s3, publish the build "
            "with `foundry web publish`"
        )
    else:
        r.note(f"{probe.url}: 200, the web app's index.html")


def alarms_have_data(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    now = datetime.now(UTC)
    for alarm in m.alarms:
        if alarm.state == "INSUFFICIENT_DATA" and alarm.state_since is not None:
            age = now - alarm.state_since
            if age > BLIND_ALARM_AFTER:
                r.fail(
                    f"{alarm.name} ({alarm.id}): INSUFFICIENT_DATA for {age.days} days, it watches nothing"
                )
    if r.status is Status.PASS:
        states: dict[str, int] = {}
        for alarm in m.alarms:
            states[str(alarm.state)] = states.get(str(alarm.state), 0) + 1
        r.note(f"{len(m.alarms)} alarms: {states}")


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
        "waf-behaviour",
        "§13",
        "the web ACL serves every web operation, refuses introspection",
        web_acl_serves_the_web_app,
    ),
    Check(
        "network-exposure",
        "§13",
        "only CloudFront reaches api; no security group open to the internet",
        origin_protected_and_no_open_groups,
    ),
    Check(
        "auth",
        "§13",
        "Clerk JWTs verified at api (issuer, authorized parties); ai needs the internal key",
        clerk_at_api_and_internal_key_at_ai,
    ),
    Check("backups-dr", "§13", "backups, PITR, versioning, deletion protection", backups_and_versioning),
    Check(
        "workloads-reach-aws-apis",
        "§2, §7, §11",
        "every workload in the VPC reaches the AWS APIs it needs (endpoint that admits it, or NAT)",
        workloads_reach_their_apis,
    ),
    Check(
        "interface-endpoints",
        "§2, §7, issue 18",
        "interface endpoints by need: each has a documented caller on these backends",
        interface_endpoints_by_need,
    ),
    Check("deploy-placeholders", "issue 19", "no placeholder that would deploy", no_deploy_placeholders),
    Check(
        "api-database-login",
        "§6, issue 19",
        "api: own db role over IAM, no master secret",
        api_database_login,
    ),
    Check(
        "origin-header", "§13", "every server origin sends and checks the origin header", hops.origin_header
    ),
    Check(
        "keep-alive-order", "§8", "ALBs close idle connections before their targets", hops.keep_alive_order
    ),
)
# What only the templates show so far: the live reader does not read collectors or OTEL_* yet.
OFFLINE_CHECKS: tuple[Check, ...] = (
    Check(
        "tracing",
        "§10, §18, issue 17",
        "every traced service has its OTEL_* settings, collector and X-Ray permissions",
        traced_services_instrumented,
    ),
)
LIVE_CHECKS: tuple[Check, ...] = (
    Check(
        "api-direct-refused",
        "§13, §15.1",
        "api's own App Runner URL refuses a request without the origin header",
        api_refuses_direct_requests,
    ),
    Check(
        "ai-url-unreachable",
        "§15.2, §13",
        "ai's URL does not answer from outside the VPC",
        ai_does_not_answer_outside,
    ),
    Check("alarms-have-data", "§15.6", "no alarm in INSUFFICIENT_DATA for days", alarms_have_data),
    Check("site-serves-app", "§1, issue 20", "the site's root serves the web app", site_serves_the_app),
)


def run_checks(model: EnvironmentModel, config: EnvironmentConfig) -> list[CheckResult]:
    checks = CHECKS + (LIVE_CHECKS if model.source == "live" else OFFLINE_CHECKS)
    results = []
    for check in checks:
        result = CheckResult(name=check.name, spec=check.spec, title=check.title)
        check.run(model, config, result)
        results.append(result)
    return results


def summary(results: list[CheckResult]) -> dict[str, Any]:
    return {status.value: sum(r.status is status for r in results) for status in Status}
