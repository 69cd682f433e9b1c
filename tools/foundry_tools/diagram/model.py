"""Nodes, clusters and edges of the architecture, derived from the synthesized templates only.

Subnets are placed in an AZ by their AvailabilityZone and in a tier by their route table's default
route (internet gateway: public; NAT gateway or instance: app; none: data). Security-group arrows come
from every SecurityGroupIngress/Egress rule between two groups, drawn between the resources that use
the groups.

Drawn to be read (issue 18): the interface endpoints of a subnet are one node, so a caller has one arrow
per subnet, not one per endpoint; a bucket is connected to the services whose roles may read or write it
(through the S3 gateway endpoint when the VPC has one), to CloudFront when it is an origin, and to the
bucket its access logs go to; egress to the internet starts at the service that calls out (an https URL
outside AWS in its environment) and goes through the NAT its subnets route to.
"""

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlparse

from foundry_templates import Template
from foundry_templates.endpoints import endpoint_service
from foundry_templates.network import nat_gateways
from foundry_templates.references import as_list, ref_id, references
from foundry_templates.template import merged

EdgeStyle = Literal["flow", "sg", "attach"]
TIER_ORDER = {"public": 0, "app": 1, "data": 2}


@dataclass
class Node:
    id: str
    label: str
    kind: str
    cluster: str | None = None


@dataclass
class Cluster:
    id: str
    label: str
    parent: str | None = None


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    style: EdgeStyle


@dataclass
class Diagram:
    title: str
    clusters: list[Cluster] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def add_edge(self, source: str, target: str, label: str, style: EdgeStyle) -> None:
        edge = Edge(source, target, label, style)
        if edge not in self.edges and source != target:
            self.edges.append(edge)

    def labels(self) -> list[str]:
        return [node.label for node in self.nodes] + [cluster.label for cluster in self.clusters]


def _slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "_", text).strip("_").lower()


def _short_service(name: str) -> str:
    # foundry-dev-api -> api
    return name.split("-", 2)[-1] if name.count("-") >= 2 else name


def _of_type(resources: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> properties of each resource of a type, sorted by id (the picture's order)."""
    return {key: resources.props(key) for key in sorted(resources.of_type(resource_type))}


def _subnet_tiers(resources: Template) -> dict[str, str]:
    route_table_of = {
        ref_id(p.get("SubnetId")): ref_id(p.get("RouteTableId"))
        for p in _of_type(resources, "AWS::EC2::SubnetRouteTableAssociation").values()
    }
    default_route: dict[str | None, str] = {}
    for p in _of_type(resources, "AWS::EC2::Route").values():
        if p.get("DestinationCidrBlock") == "0.0.0.0/0":
            nat = "NatGatewayId" in p or "InstanceId" in p
            default_route[ref_id(p.get("RouteTableId"))] = "app" if nat else "public"
    return {subnet: default_route.get(table, "data") for subnet, table in route_table_of.items() if subnet}


def _subnet_nats(resources: Template) -> dict[str, str]:
    """Subnet logical id -> the NAT gateway its default route goes to."""
    route_table_of = {
        ref_id(p.get("SubnetId")): ref_id(p.get("RouteTableId"))
        for p in _of_type(resources, "AWS::EC2::SubnetRouteTableAssociation").values()
    }
    nat_of_table = {
        ref_id(p.get("RouteTableId")): ref_id(p.get("NatGatewayId", p.get("InstanceId")))
        for p in _of_type(resources, "AWS::EC2::Route").values()
        if p.get("DestinationCidrBlock") == "0.0.0.0/0" and ("NatGatewayId" in p or "InstanceId" in p)
    }
    return {
        subnet: nat
        for subnet, table in route_table_of.items()
        if subnet and (nat := nat_of_table.get(table)) is not None
    }


def _nat_instances(resources: Template) -> dict[str, dict[str, Any]]:
    """NAT instances: EC2 instances with the source/destination check off, which AWS requires of one.
    https://docs.aws.amazon.com/vpc/latest/userguide/VPC_NAT_Instance.html"""
    return {
        key: p
        for key, p in _of_type(resources, "AWS::EC2::Instance").items()
        if p.get("SourceDestCheck") is False
    }


def _bucket_access(resources: Template, buckets: set[str]) -> dict[tuple[str, str], set[str]]:
    """(role, bucket) -> "read"/"write"/"list": what each IAM policy lets a role do on a bucket."""
    access: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in _of_type(resources, "AWS::IAM::Policy").values():
        roles = [role for role in (ref_id(r) for r in p.get("Roles", [])) if role]
        for statement in as_list(p.get("PolicyDocument", {}).get("Statement", [])):
            if statement.get("Effect", "Allow") != "Allow":
                continue
            named = references(statement.get("Resource")) & buckets
            verbs = set()
            for action in (str(a).lower() for a in as_list(statement.get("Action", []))):
                if action.startswith("s3:get") or action == "s3:*":
                    verbs.add("read")
                if action.startswith(("s3:put", "s3:delete", "s3:abort")) or action == "s3:*":
                    verbs.add("write")
                if action.startswith("s3:list"):
                    verbs.add("list")
            for role in roles:
                for bucket in named:
                    access[(role, bucket)] |= verbs
    return {key: verbs for key, verbs in access.items() if verbs}


def _external_hosts(environment: list[dict[str, Any]]) -> list[str]:
    """Hosts outside AWS a service's plain environment names by an https URL: where it calls out to."""
    hosts = set()
    for variable in environment:
        value = variable.get("Value")
        # The URLs a service calls end in _URL (AI_UPSTREAM_BASE_URL, CLERK_JWKS_URL); an AWS URL
        # stays inside (endpoints), a joined one names a resource of the stack (AI_SERVICE_URL).
        if (
            str(variable.get("Name", "")).endswith("_URL")
            and isinstance(value, str)
            and value.startswith("https://")
        ):
            host = urlparse(value).hostname or ""
            if host and not host.endswith("amazonaws.com"):
                hosts.add(host)
    return sorted(hosts)


def _label(logical_id: str) -> str:
    if "Rotation" in logical_id:
        return "secret rotation function"
    label = re.sub(r"[0-9A-F]{8}$", "", logical_id)
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", label).lower()


def build(templates: Mapping[str, Template], title: str) -> Diagram:
    resources = merged(templates.values())
    diagram = Diagram(title=title)
    node_of: dict[str, list[str]] = defaultdict(list)  # logical id -> diagram node ids

    def node(node_id: str, label: str, kind: str, cluster: str | None, logical_id: str | None = None) -> str:
        diagram.nodes.append(Node(node_id, label, kind, cluster))
        if logical_id:
            node_of[logical_id].append(node_id)
        return node_id

    # Edge: CloudFront (+ WAF) and the internet.
    diagram.clusters.append(Cluster("edge", "Edge (global)"))
    node("users", "Browser", "user", None)
    node("internet", "External APIs (AI providers, Clerk)", "external", None)
    distributions = _of_type(resources, "AWS::CloudFront::Distribution")
    acls = _of_type(resources, "AWS::WAFv2::WebACL")
    for index, logical_id in enumerate(distributions):
        waf = " + WAF" if acls else ""
        cf = node(f"cloudfront{index or ''}", f"CloudFront{waf}", "edge", "edge", logical_id)
        diagram.add_edge("users", cf, "HTTPS", "flow")

    # VPC: AZs, tiers, subnets.
    subnets = _of_type(resources, "AWS::EC2::Subnet")
    tiers = _subnet_tiers(resources)
    azs = sorted({str(p.get("AvailabilityZone")) for p in subnets.values()})
    if subnets:
        diagram.clusters.append(Cluster("vpc", "VPC"))
    subnet_cluster: dict[str, str] = {}
    for az in azs:
        az_id = f"az_{_slug(az)}"
        diagram.clusters.append(Cluster(az_id, az, "vpc"))
        in_az = sorted(
            (key for key, p in subnets.items() if p.get("AvailabilityZone") == az),
            key=lambda key: TIER_ORDER.get(tiers.get(key, "data"), 3),
        )
        for key in in_az:
            tier = tiers.get(key, "data")
            cluster_id = f"{tier}_{_slug(az)}"
            cidr = subnets[key].get("CidrBlock", "")
            diagram.clusters.append(Cluster(cluster_id, f"{tier} subnet {cidr}", az_id))
            subnet_cluster[key] = cluster_id

    def az_suffix(subnet: str) -> str:
        return subnet_cluster[subnet].split("_", 1)[1]

    # NAT gateways and NAT instances in their public subnets.
    nats = [(key, p, "NAT gateway") for key, p in sorted(nat_gateways(templates.values()).items())]
    nats += [
        (key, p, f"NAT instance {p.get('InstanceType')}") for key, p in _nat_instances(resources).items()
    ]
    for logical_id, p, what in nats:
        # An instance with a public address names its subnet on its network interface.
        interfaces = p.get("NetworkInterfaces", [{}])
        subnet = ref_id(p.get("SubnetId", interfaces[0].get("SubnetId") if interfaces else None))
        if subnet in subnet_cluster:
            nat = node(
                f"nat_{az_suffix(subnet)}",
                f"{what} {subnets[subnet].get('AvailabilityZone')}",
                "nat",
                subnet_cluster[subnet],
                logical_id,
            )
            diagram.add_edge(nat, "internet", "egress", "flow")

    # Interface endpoints: one node per subnet naming the services it holds (each is one ENI there);
    # gateway endpoints once in the VPC.
    in_subnet: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for logical_id, p in _of_type(resources, "AWS::EC2::VPCEndpoint").items():
        service = endpoint_service(p.get("ServiceName"))
        if p.get("VpcEndpointType") == "Interface":
            for subnet in (ref_id(s) for s in p.get("SubnetIds", [])):
                if subnet in subnet_cluster:
                    in_subnet[subnet].append((service, logical_id))
        else:
            node(f"ep_{_slug(service)}", f"{service} gateway endpoint", "endpoint", "vpc", logical_id)
    for subnet, held in sorted(in_subnet.items(), key=lambda item: subnet_cluster[item[0]]):
        services = sorted(service for service, _ in held)
        plural = "s" if len(services) > 1 else ""
        group = node(
            f"eps_{az_suffix(subnet)}",
            f"interface endpoint{plural}: {', '.join(services)}",
            "endpoint",
            subnet_cluster[subnet],
        )
        for _, logical_id in held:
            node_of[logical_id].append(group)

    # Data stores.
    for logical_id, p in _of_type(resources, "AWS::RDS::DBInstance").items():
        multi_az = "Multi-AZ" if p.get("MultiAZ") is True else "Single-AZ"
        node("rds", f"RDS PostgreSQL {p.get('DBInstanceClass')} {multi_az}", "database", "vpc", logical_id)
    for logical_id in _of_type(resources, "AWS::RDS::DBProxy"):
        node("rds_proxy", "RDS Proxy", "database", "vpc", logical_id)
    diagram.clusters.append(Cluster("storage", "S3 (regional)"))
    buckets = _of_type(resources, "AWS::S3::Bucket")
    for logical_id in buckets:
        name = re.sub(r"^Buckets|[0-9A-F]{8}$", "", logical_id).lower() or logical_id
        node(f"s3_{_slug(name)}", f"S3 {name}", "bucket", "storage", logical_id)

    # Services and their exposure; VPC connector ENIs in the app subnets.
    diagram.clusters.append(Cluster("apprunner", "App Runner (managed)"))
    role_of: dict[str, list[str]] = defaultdict(list)  # IAM role logical id -> service nodes
    in_vpc: set[str] = set()  # service nodes whose traffic leaves through the VPC
    connector_users: dict[str, list[tuple[str, str]]] = defaultdict(list)  # subnet -> (name, service)
    calls_out: dict[str, tuple[list[str], list[str]]] = {}  # service -> (external hosts, its subnets)
    connectors = _of_type(resources, "AWS::AppRunner::VpcConnector")
    ingress = {
        ref_id(p.get("ServiceArn")): ref_id(p.get("IngressVpcConfiguration", {}).get("VpcEndpointId"))
        for p in _of_type(resources, "AWS::AppRunner::VpcIngressConnection").values()
    }
    origins = {
        ref_id(origin.get("DomainName")): logical_id
        for logical_id, p in distributions.items()
        for origin in p.get("DistributionConfig", {}).get("Origins", [])
    }
    for logical_id, p in _of_type(resources, "AWS::AppRunner::Service").items():
        name = _short_service(str(p.get("ServiceName", logical_id)))
        public = (
            p.get("NetworkConfiguration", {})
            .get("IngressConfiguration", {})
            .get("IsPubliclyAccessible", True)
        )
        if logical_id in origins:
            exposure = "public, behind CloudFront"
        elif public:
            exposure = "public"
        else:
            exposure = "private ingress"
        service = node(f"svc_{_slug(name)}", f"{name} ({exposure})", "service", "apprunner", logical_id)
        if logical_id in origins:
            for cf in node_of[origins[logical_id]]:
                diagram.add_edge(cf, service, "origin", "flow")
        endpoint = ingress.get(logical_id)
        if endpoint:
            for eni in node_of.get(endpoint, []):
                diagram.add_edge(eni, service, "private ingress", "flow")
        role_of[ref_id(p.get("InstanceConfiguration", {}).get("InstanceRoleArn")) or ""].append(service)
        image = p.get("SourceConfiguration", {}).get("ImageRepository", {})
        environment = image.get("ImageConfiguration", {}).get("RuntimeEnvironmentVariables", [])
        connector = ref_id(
            p.get("NetworkConfiguration", {}).get("EgressConfiguration", {}).get("VpcConnectorArn")
        )
        if connector in connectors:
            node_of[connector].append(service)
            in_vpc.add(service)
            connector_subnets = [ref_id(s) for s in connectors[connector].get("Subnets", [])]
            for subnet in connector_subnets:
                if subnet in subnet_cluster:
                    connector_users[subnet].append((name, service))
            calls_out[service] = (_external_hosts(environment), [s for s in connector_subnets if s])
    # The VPC connectors' ENIs: one node per subnet, naming whose they are.
    for subnet, users in sorted(connector_users.items(), key=lambda item: subnet_cluster[item[0]]):
        names = sorted(name for name, _ in users)
        plural = "s" if len(names) > 1 else ""
        eni = node(
            f"conn_{az_suffix(subnet)}", f"VPC connector{plural}: {', '.join(names)}", "connector",
            subnet_cluster[subnet],
        )  # fmt: skip
        for _, service in sorted(users):
            diagram.add_edge(service, eni, "", "attach")
    for origin, distribution in origins.items():
        if origin and origin.startswith("Buckets") and origin in node_of:
            for cf in node_of[distribution]:
                for bucket in node_of[origin]:
                    diagram.add_edge(cf, bucket, "origin (OAC)", "flow")

    # Anything else that sits behind a security group (e.g. the secret-rotation Lambda).
    groups = set(_of_type(resources, "AWS::EC2::SecurityGroup"))
    owners: dict[str, list[str]] = defaultdict(list)
    for logical_id, resource in sorted(resources.resources.items()):
        if resource["Type"].startswith("AWS::EC2::SecurityGroup"):
            continue
        for group in sorted(references(resources.props(logical_id)) & groups):
            if logical_id not in node_of:
                node(f"res_{_slug(logical_id)}", _label(logical_id), "other", "vpc", logical_id)
            owners[group].extend(node_of[logical_id])

    def rule_edge(source_group: str | None, target_group: str | None, p: dict[str, Any]) -> None:
        port = p.get("FromPort")
        label = f"tcp {port}" if isinstance(port, int) else "db port"
        for source in owners.get(source_group or "", []):
            for target in owners.get(target_group or "", []):
                if not source.startswith("conn_") and not target.startswith("conn_"):
                    diagram.add_edge(source, target, label, "sg")

    for p in _of_type(resources, "AWS::EC2::SecurityGroupIngress").values():
        rule_edge(ref_id(p.get("SourceSecurityGroupId")), ref_id(p.get("GroupId")), p)
    for p in _of_type(resources, "AWS::EC2::SecurityGroupEgress").values():
        rule_edge(ref_id(p.get("GroupId")), ref_id(p.get("DestinationSecurityGroupId")), p)
    for group, p in _of_type(resources, "AWS::EC2::SecurityGroup").items():
        for rule in p.get("SecurityGroupIngress", []):
            rule_edge(ref_id(rule.get("SourceSecurityGroupId")), group, rule)

    # Buckets: the services whose roles may use them (through the S3 gateway endpoint from the VPC),
    # and where their access logs go.
    gateway = next((n.id for n in diagram.nodes if n.id == "ep_s3"), None)
    for (role, bucket), verbs in sorted(_bucket_access(resources, set(buckets)).items()):
        label = "/".join(verb for verb in ("read", "write", "list") if verb in verbs)
        for service in role_of.get(role, []):
            for target in node_of[bucket]:
                if gateway and service in in_vpc:
                    diagram.add_edge(service, gateway, f"S3 {label}", "flow")
                    diagram.add_edge(gateway, target, label, "flow")
                else:
                    diagram.add_edge(service, target, f"S3 {label}", "flow")
    for logical_id, p in buckets.items():
        destination = ref_id(p.get("LoggingConfiguration", {}).get("DestinationBucketName"))
        for source in node_of[logical_id]:
            for target in node_of.get(destination or "", []):
                diagram.add_edge(source, target, "access logs", "flow")

    # Egress to the internet: from the service that calls out, through the NAT its subnets route to.
    nat_of_subnet = _subnet_nats(resources)
    for service, (hosts, service_subnets) in sorted(calls_out.items()):
        if not hosts:
            continue
        routed = sorted(
            {nat for subnet in service_subnets for nat in node_of.get(nat_of_subnet.get(subnet, ""), [])}
        )
        for nat in routed:
            diagram.add_edge(service, nat, ", ".join(hosts), "flow")
    return diagram
