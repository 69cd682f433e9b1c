"""Every workload in the VPC reaches each AWS API it needs (issue 20).

A need is met
- through an interface endpoint for the service whose security group admits the workload on 443
  (and the workload's egress allows 443 to it). An endpoint with private DNS takes the service's
  public hostname inside the VPC, so a workload its group does not admit fails: the call does not
  fall back to the NAT.
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html ·
  https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html#interface-endpoint-private-dns
- for S3, through the gateway endpoint on the route tables of the workload's subnets;
- otherwise (no endpoint with private DNS for the service, or the internet itself) through a NAT
  gateway on the default route of every subnet the workload may be placed in.
"""

from ipaddress import ip_network

from foundry_infra.config.model import EnvironmentConfig
from foundry_templates.model import INTERNET, Endpoint, EnvironmentModel, Need, Workload

from foundry_tools.verify.results import CheckResult

HTTPS = 443


def _covers(cidr: str, subnet_cidrs: list[str]) -> bool:
    try:
        network = ip_network(cidr)
        return bool(subnet_cidrs) and all(ip_network(c).subnet_of(network) for c in subnet_cidrs)  # type: ignore[arg-type]
    except ValueError:
        return False


def _admitted(m: EnvironmentModel, endpoint: Endpoint, workload: Workload) -> bool:
    """The endpoint's groups admit one of the workload's groups (or a CIDR holding its subnets) on 443."""
    cidrs = [m.subnet_cidrs[s] for s in workload.subnets if s in m.subnet_cidrs]
    return any(
        rule.source in workload.groups or ("/" in rule.source and _covers(rule.source, cidrs))
        for group in endpoint.groups
        for rule in m.who_can_reach(group, HTTPS)
    )


def _egress_to(m: EnvironmentModel, workload: Workload, *, endpoint: Endpoint | None, s3: bool) -> bool:
    """The workload's groups let 443 out to the endpoint (its group or a CIDR holding its subnets), to
    the S3 prefix list, or to anywhere."""
    cidrs = [m.subnet_cidrs[s] for s in endpoint.subnets if s in m.subnet_cidrs] if endpoint else []
    for rule in m.egress:
        if rule.group not in workload.groups or not rule.admits(HTTPS):
            continue
        if rule.destination == INTERNET:
            return True
        if endpoint is not None and (
            rule.destination in endpoint.groups
            or ("/" in rule.destination and _covers(rule.destination, cidrs))
        ):
            return True
        if s3 and rule.destination not in _groups(m) and "/" not in rule.destination:
            return True  # a prefix list: the S3 gateway's
    return False


def _groups(m: EnvironmentModel) -> set[str]:
    return {rule.group for rule in m.ingress} | {rule.group for rule in m.egress}


def _via_nat(m: EnvironmentModel, workload: Workload) -> list[str]:
    """The workload's subnets whose default route does not go to a NAT gateway."""
    return [
        subnet
        for subnet in workload.subnets
        if not any(route.target_kind == "nat" for route in m.default_routes(m.subnet_tables.get(subnet, "")))
    ]


def _judge(m: EnvironmentModel, workload: Workload, need: Need, r: "CheckResult") -> str | None:
    """How the need is met (for the PASS note), or None after recording the FAIL."""
    name = f"{workload.id} ({workload.kind}; groups {list(workload.groups)})"
    what = f"{need.service} ({need.reason})"
    if need.service == "s3":
        tables = {m.subnet_tables.get(s, "?") for s in workload.subnets}
        gateways = [g for g in m.s3_gateways() if tables <= g.route_tables]
        if gateways:
            if not _egress_to(m, workload, endpoint=None, s3=True):
                r.fail(f"{name}: needs {what}: its groups allow no HTTPS out to S3")
                return None
            return f"s3 via {gateways[0].id}"
    endpoints = [
        e
        for e in m.endpoints.values()
        if e.kind == "Interface"
        and e.service == need.service
        and (e.private_dns or (need.endpoint is not None and e.id == need.endpoint))
    ]
    if need.endpoint is not None and not any(e.id == need.endpoint for e in endpoints):
        r.fail(f"{name}: needs {what}: the endpoint {need.endpoint} it names does not exist")
        return None
    if endpoints and need.service != INTERNET:
        endpoint = next((e for e in endpoints if e.id == need.endpoint), endpoints[0])
        if not _admitted(m, endpoint, workload):
            dns = (
                "it names the endpoint itself"
                if need.endpoint
                else "private DNS sends the service's name to it, with no fallback to the NAT"
            )
            r.fail(
                f"{name}: needs {what}: endpoint {endpoint.id} ({dns}) has groups {list(endpoint.groups)} "
                f"that do not admit the workload on {HTTPS}"
            )
            return None
        if not _egress_to(m, workload, endpoint=endpoint, s3=False):
            r.fail(f"{name}: needs {what}: its groups allow no HTTPS out to endpoint {endpoint.id}")
            return None
        return f"{need.service} via {endpoint.id}"
    if not workload.subnets:
        r.fail(f"{name}: needs {what}: no subnets known for it, so no path can be shown")
        return None
    blocked = _via_nat(m, workload)
    if blocked:
        r.fail(
            f"{name}: needs {what}: no endpoint with private DNS for it, and subnets {blocked} have no "
            "default route through a NAT gateway"
        )
        return None
    if not _egress_to(m, workload, endpoint=None, s3=False):
        r.fail(f"{name}: needs {what}: its groups allow no HTTPS out to the internet (NAT)")
        return None
    return f"{need.service} via NAT"


def workloads_reach_their_apis(m: EnvironmentModel, config: EnvironmentConfig, r: "CheckResult") -> None:
    if not m.workloads:
        r.fail("no workloads found in the VPC (App Runner connectors, ECS services and tasks, functions)")
        return
    failed = 0
    for workload in m.workloads:
        if not workload.groups:
            r.fail(f"{workload.id} ({workload.kind}): no security group known for it")
            failed += 1
            continue
        paths = [_judge(m, workload, need, r) for need in workload.needs]
        failed += paths.count(None)
        if None not in paths:
            r.note(f"{workload.id}: {', '.join(p for p in paths if p) or 'calls no AWS API'}")
    if not failed:
        r.note(f"{len(m.workloads)} workloads reach every AWS API they need")
