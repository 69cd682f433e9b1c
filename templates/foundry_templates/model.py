"""A model of one deployed-or-synthesized environment that the spec's checks can question.

Two readers build it: `environment.py` from the synthesized templates and `foundry verify --live`
(foundry_tools.verify.live) from describe/list calls against the account. Both name resources by their CloudFormation logical ids where they can (the
live reader maps physical ids back through the stacks' resource lists), so a check's evidence reads
the same in both modes. Checks read only this model, never template JSON or API responses.

It answers the checklist's questions: who can reach a security group on a port, where a subnet tier's
traffic goes, which principal may do what on which resource.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

INTERNET = "internet"


class _PortRange:
    """What a security-group rule's ports admit (-1: every port, as for all traffic)."""

    from_port: int
    to_port: int

    def admits(self, port: int) -> bool:
        return self.from_port == -1 or self.from_port <= port <= self.to_port


@dataclass(frozen=True)
class Ingress(_PortRange):
    group: str
    source: str  # a security-group id, a CIDR, or INTERNET
    from_port: int
    to_port: int
    evidence: str


@dataclass(frozen=True)
class Egress(_PortRange):
    """One outbound rule of a security group; `destination` is a group id, a CIDR, INTERNET, or a
    prefix list id."""

    group: str
    destination: str
    from_port: int
    to_port: int
    evidence: str


@dataclass(frozen=True)
class Route:
    table: str
    destination: str
    target_kind: str  # nat, igw, other
    target: str


@dataclass(frozen=True)
class Endpoint:
    id: str
    service: str  # the part after com.amazonaws.REGION., e.g. "s3", "apprunner.requests"
    kind: str  # Gateway or Interface
    route_tables: frozenset[str] = frozenset()
    groups: tuple[str, ...] = ()
    # An interface endpoint with private DNS answers for the service's own hostname inside the VPC.
    private_dns: bool = False
    subnets: tuple[str, ...] = ()


@dataclass(frozen=True)
class TraceCollector:
    """Where a traced service's spans go (issue 17): App Runner's observability configuration
    (`kind` "apprunner", with its trace vendor) or the collector sidecar of its ECS task ("sidecar",
    with its image and the collector configuration it runs, when the template holds it)."""

    id: str
    kind: str
    vendor: str | None = None
    image: str | None = None
    config: dict[str, Any] | None = None


@dataclass(frozen=True)
class SamplingRule:
    id: str
    name: str
    service_name: str
    fixed_rate: float
    priority: int


@dataclass(frozen=True)
class AppService:
    """An App Runner service or an ECS service; `name` is its role in the spec: api, ai or web.

    On ECS the task's network configuration plays the VPC connector's part (its subnets and group).
    """

    id: str
    name: str
    public: bool | None
    egress_type: str | None
    connector: str | None
    plain_env: dict[str, str] = field(default_factory=dict)  # name -> value
    secret_env: frozenset[str] = frozenset()
    url: str | None = None
    backend: str = "apprunner"  # or "ecs"
    role: str | None = None  # its instance role (App Runner) or task role (ECS)
    collector: TraceCollector | None = None


@dataclass(frozen=True)
class Need:
    """An AWS API (or the internet) a workload calls from its own network interface, and why.

    `service` is the endpoint service name (ecr.api, ecr.dkr, s3, secretsmanager, logs, ...) or
    INTERNET; `endpoint` names an endpoint the client addresses by its own DNS name (the rotation
    function's `endpoint` parameter), which it reaches whatever the private DNS setting.
    """

    service: str
    reason: str
    endpoint: str | None = None


@dataclass(frozen=True)
class Workload:
    """Something with a network interface in the VPC that calls AWS APIs: an App Runner VPC connector,
    an ECS service or one-off task, a Lambda function, the GPU instances."""

    id: str
    kind: str
    groups: tuple[str, ...]
    subnets: tuple[str, ...]
    needs: tuple[Need, ...]


@dataclass(frozen=True)
class Connector:
    id: str
    subnets: tuple[str, ...]
    groups: tuple[str, ...]


@dataclass(frozen=True)
class PrivateIngress:
    """How api reaches a private service: App Runner's VPC ingress connection through an interface
    endpoint (443), or an internal load balancer's listener (its port)."""

    id: str
    service: str  # AppService.id
    endpoint: str  # Endpoint.id (the interface endpoint or the load balancer)
    port: int = 443


@dataclass(frozen=True)
class Origin:
    id: str
    target: str  # the AppService.id or bucket id it points at, else its domain name
    https_only: bool
    vpc_origin: bool = False  # CloudFront reaches a load balancer inside the VPC (ECS backends)
    # header name -> where its value comes from: "secretsmanager", "literal" or "deployed" (live: the
    # value is there, its source is not visible)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Distribution:
    id: str
    aliases: tuple[str, ...]
    minimum_tls: str | None
    origins: dict[str, Origin]
    default_origin: str | None
    behaviors: dict[str, str]  # path pattern -> origin id
    web_acl: str | None  # the WebAcl.id it is associated with, or the raw reference when unresolved


@dataclass(frozen=True)
class WebAcl:
    id: str
    rules: frozenset[str]
    # The web ACL itself (AWS::WAFv2::WebACL properties, or GetWebACL's WebACL) and the regular
    # expressions of the pattern sets it references (by logical id or ARN), for the WAF evaluator.
    properties: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    regex_pattern_sets: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Database:
    id: str
    public: bool | None
    encrypted: bool
    kms_key: str | None
    backup_retention: int
    multi_az: bool
    deletion_protection: bool
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Bucket:
    id: str
    blocks_public_access: bool
    cors: bool
    versioned: bool


@dataclass(frozen=True)
class BucketGrant:
    """One Allow statement of a bucket policy."""

    policy: str
    public_principal: bool
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    owner: str  # the policy (offline) or role (live) it belongs to
    roles: tuple[str, ...]
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: bool


@dataclass(frozen=True)
class Key:
    id: str
    rotation: bool | None
    open_statements: int  # Allow statements to Principal "*" without a condition


@dataclass(frozen=True)
class Secret:
    id: str
    customer_key: bool


@dataclass(frozen=True)
class Alarm:
    id: str
    name: str
    state: str | None = None  # live only
    state_since: datetime | None = None  # live only


@dataclass(frozen=True)
class Probe:
    """A live HTTP probe: the status it got, or None when nothing answered."""

    url: str
    status: int | None
    detail: str
    body: str = ""  # the start of the response body (enough to recognise a page)


@dataclass
class EnvironmentModel:
    source: str  # "templates" or "live"
    ingress: list[Ingress] = field(default_factory=list)
    egress: list[Egress] = field(default_factory=list)
    subnet_cidrs: dict[str, str] = field(default_factory=dict)  # subnet -> its IPv4 CIDR
    workloads: list[Workload] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    subnet_tiers: dict[str, str] = field(default_factory=dict)  # subnet -> public/app/data
    subnet_tables: dict[str, str] = field(default_factory=dict)  # subnet -> route table
    nat_gateways: list[str] = field(default_factory=list)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    services: dict[str, AppService] = field(default_factory=dict)  # by name: api, ai, web
    connectors: dict[str, Connector] = field(default_factory=dict)
    private_ingress: list[PrivateIngress] = field(default_factory=list)
    distribution: Distribution | None = None
    web_acls: dict[str, WebAcl] = field(default_factory=dict)
    origin_access_controls: list[str] = field(default_factory=list)
    database: Database | None = None
    database_proxy_groups: tuple[str, ...] = ()
    buckets: dict[str, Bucket] = field(default_factory=dict)
    bucket_grants: list[BucketGrant] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    keys: dict[str, Key] = field(default_factory=dict)
    secrets: dict[str, Secret] = field(default_factory=dict)
    alarms: list[Alarm] = field(default_factory=list)
    backup_plans: list[str] = field(default_factory=list)
    probes: dict[str, Probe] = field(default_factory=dict)  # live only: api-direct, ai-direct, site
    # load balancer id -> path pattern ("*" for the default action) -> AppService.id
    load_balancer_routes: dict[str, dict[str, str]] = field(default_factory=dict)
    # application load balancer id -> its idle timeout in seconds (AWS's default, 60, when unset)
    load_balancer_idle_timeouts: dict[str, int] = field(default_factory=dict)
    # X-Ray (issue 17): sampling rules, and trace groups by name -> their filter expression
    sampling_rules: list[SamplingRule] = field(default_factory=list)
    trace_groups: dict[str, str] = field(default_factory=dict)

    # -- questions

    def who_can_reach(self, group: str, port: int) -> list[Ingress]:
        return [rule for rule in self.ingress if rule.group == group and rule.admits(port)]

    def tier_tables(self, tier: str) -> set[str]:
        return {
            self.subnet_tables[s]
            for s, t in self.subnet_tiers.items()
            if t == tier and s in self.subnet_tables
        }

    def default_routes(self, table: str) -> list[Route]:
        return [route for route in self.routes if route.table == table and route.destination == "0.0.0.0/0"]

    def tier_egress(self, tier: str) -> dict[str, list[Route]]:
        """Which way a subnet tier's traffic to the internet goes: route table -> default routes."""
        return {table: self.default_routes(table) for table in sorted(self.tier_tables(tier))}

    def s3_gateways(self) -> list[Endpoint]:
        return [e for e in self.endpoints.values() if e.kind == "Gateway" and e.service == "s3"]

    def connector_of(self, name: str) -> Connector | None:
        service = self.services.get(name)
        return self.connectors.get(service.connector or "") if service else None

    def group_of(self, name: str) -> str | None:
        """A service's security group: the one its VPC connector carries (sg-api, sg-ai)."""
        connector = self.connector_of(name)
        return connector.groups[0] if connector and connector.groups else None

    def ingress_of(self, name: str) -> PrivateIngress | None:
        service = self.services.get(name)
        found = [i for i in self.private_ingress if service and i.service == service.id]
        return found[0] if found else None

    def behind(self, origin: Origin, pattern: str) -> str:
        """What a CloudFront origin serves for a path: the origin's target, or for a load balancer,
        the service its listener routes that path to."""
        routes = self.load_balancer_routes.get(origin.target)
        if routes is None:
            return origin.target
        return routes.get(pattern, routes.get("*", origin.target))

    def grants_on(self, resource_fragment: str) -> list[Statement]:
        """Which principal may do what on a resource (a bucket prefix such as `uploads/`)."""
        return [s for s in self.statements if any(resource_fragment in r for r in s.resources)]

    def bucket(self, prefix: str) -> Bucket | None:
        found = [b for key, b in self.buckets.items() if key.startswith(prefix)]
        return found[0] if len(found) == 1 else None
