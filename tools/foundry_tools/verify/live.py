"""Build the environment model from the deployed account: describe, list and get calls only.

The two stacks' resource lists map every physical id back to its logical id, so evidence names the
same resources as the offline checks (and the physical id beside it where that helps). Then each
kind of resource is read from its own service and mapped into the model's objects. Last come what
only a live account can show: HTTP probes of api's and ai's own App Runner URLs and the alarms' states.

Every call here is read-only; the IAM policy `ReadOnlyAccess` (or `SecurityAudit` plus App Runner
describe) is enough.
"""

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.exceptions import ClientError
from foundry_contract import API_PATH_PATTERNS
from foundry_infra import outputs
from foundry_infra.config.model import EnvironmentConfig
from foundry_templates.environment import is_public_principal
from foundry_templates.model import (
    INTERNET,
    Alarm,
    AppService,
    Bucket,
    BucketGrant,
    Connector,
    Database,
    Distribution,
    Egress,
    Endpoint,
    EnvironmentModel,
    Ingress,
    Key,
    Need,
    Origin,
    PrivateIngress,
    Probe,
    Route,
    Secret,
    Statement,
    WebAcl,
    Workload,
)
from foundry_templates.needs import container_needs, is_ecr_image, merge, role_needs
from foundry_templates.references import as_list

GRAPHQL_PATH = API_PATH_PATTERNS[0]  # api refuses it without the origin header (and answers it with)
EDGE_REGION = "us-east-1"  # CloudFront's WAF, certificate and edge alarms live here
ClientFactory = Callable[[str, str], Any]  # (service, region) -> a boto3 client


class LiveError(RuntimeError):
    """The account does not hold the environment (or the caller may not read it)."""


# Enough of a page to see what it is (the web app's index.html is under 1 KiB).
BODY_START_BYTES = 4096


@dataclass(frozen=True)
class HttpProber:
    """GET a URL without any of CloudFront's headers; None when nothing answers."""

    scheme: str = "https"
    timeout: float = 5.0

    def __call__(self, host: str, path: str) -> Probe:
        url = f"{self.scheme}://{host}{path}"
        request = urllib.request.Request(url, method="GET")  # noqa: S310 - scheme is ours
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(BODY_START_BYTES).decode("utf-8", "replace")
                return Probe(url, int(response.status), "answered", body)
        except urllib.error.HTTPError as error:
            return Probe(url, error.code, error.reason)
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            return Probe(url, None, str(reason))


def session_clients(session: boto3.Session) -> ClientFactory:
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = session.client(service, region_name=region)  # type: ignore[call-overload]
        return cache[(service, region)]

    return client


def read_live(
    config: EnvironmentConfig,
    *,
    clients: ClientFactory,
    probe: Callable[[str, str], Probe] | None = None,
) -> EnvironmentModel:
    return _LiveReader(config, clients, probe or HttpProber()).read()


class _LiveReader:
    def __init__(
        self, config: EnvironmentConfig, clients: ClientFactory, probe: Callable[[str, str], Probe]
    ) -> None:
        self.config, self.clients, self.probe = config, clients, probe
        self.region = config.region
        self.model = EnvironmentModel(source="live")
        self.names: dict[str, str] = {}  # physical id -> logical id
        self.platform: dict[str, list[tuple[str, str]]] = {}  # type -> [(logical, physical)]
        self.edge: dict[str, list[tuple[str, str]]] = {}
        self.service_urls: dict[str, str] = {}  # App Runner service URL -> logical id
        self.in_vpc: list[dict[str, Any]] = []
        # What the workload reader needs from the other readers: role -> its statements (actions,
        # condition block); App Runner connector -> instance role; ECS service -> (task definition, network).
        self.role_statements: dict[str, list[tuple[list[str], Any]]] = {}
        self.instance_roles: dict[str, str | None] = {}
        self.ecs_tasks: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.outputs: dict[str, str] | None = None

    def client(self, service: str, *, edge: bool = False) -> Any:
        return self.clients(service, EDGE_REGION if edge else self.region)

    def name(self, physical: str | None) -> str:
        """The logical id of a physical id (or of an ARN ending in one), else the physical id itself."""
        if physical is None:
            return "?"
        if physical in self.names:
            return self.names[physical]
        tail = physical.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return self.names.get(tail, physical)

    def read(self) -> EnvironmentModel:
        prefix = self.config.stack_prefix
        self.platform = self._stack(f"{prefix}-platform", edge=False)
        self.edge = self._stack(f"{prefix}-edge", edge=True)
        vpcs = self.physical("AWS::EC2::VPC")
        if len(vpcs) != 1:
            raise LiveError(f"stack {prefix}-platform holds {len(vpcs)} VPCs, expected one")
        # Everything in the VPC, not only what the stack lists: a group or route added by hand counts.
        self.in_vpc = [{"Name": "vpc-id", "Values": vpcs}]
        self._security_groups()
        self._network()
        self._services()
        self._ecs_services()
        self._edge()
        self._data()
        self._iam()
        self._keys()
        self._operations()
        self._probes()
        self._workloads()
        return self.model

    def _stack(self, stack_name: str, *, edge: bool) -> dict[str, list[tuple[str, str]]]:
        cloudformation = self.client("cloudformation", edge=edge)
        by_type: dict[str, list[tuple[str, str]]] = {}
        try:
            pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
            summaries = [s for page in pages for s in page["StackResourceSummaries"]]
        except ClientError as error:
            raise LiveError(
                f"cannot read stack {stack_name}: {error}; deploy the environment first"
            ) from None
        for item in summaries:
            physical = item.get("PhysicalResourceId")
            if not physical:
                continue
            self.names[physical] = item["LogicalResourceId"]
            by_type.setdefault(item["ResourceType"], []).append((item["LogicalResourceId"], physical))
        return by_type

    def physical(self, resource_type: str, *, edge: bool = False) -> list[str]:
        return [p for _, p in (self.edge if edge else self.platform).get(resource_type, [])]

    # -- network

    def _security_groups(self) -> None:
        ec2 = self.client("ec2")
        for group in ec2.describe_security_groups(Filters=self.in_vpc)["SecurityGroups"]:
            group_name = self.name(group["GroupId"])
            evidence = f"{group_name} ({group['GroupId']}) ingress"
            for permission in group.get("IpPermissions", []):
                ports = (permission.get("FromPort", -1), permission.get("ToPort", -1))
                if permission.get("IpProtocol") == "-1":
                    ports = (-1, -1)
                sources = [
                    INTERNET if r["CidrIp"] == "0.0.0.0/0" else r["CidrIp"]
                    for r in permission.get("IpRanges", [])
                ]
                sources += [
                    INTERNET if r["CidrIpv6"] == "::/0" else r["CidrIpv6"]
                    for r in permission.get("Ipv6Ranges", [])
                ]
                sources += [self.name(pair["GroupId"]) for pair in permission.get("UserIdGroupPairs", [])]
                sources += [p["PrefixListId"] for p in permission.get("PrefixListIds", [])]
                for source in sources:
                    self.model.ingress.append(Ingress(group_name, source, ports[0], ports[1], evidence))
            for permission in group.get("IpPermissionsEgress", []):
                if permission.get("IpProtocol") not in ("-1", "tcp", "6"):
                    continue
                ports = (permission.get("FromPort", -1), permission.get("ToPort", -1))
                if permission.get("IpProtocol") == "-1":
                    ports = (-1, -1)
                targets = [
                    INTERNET if r["CidrIp"] == "0.0.0.0/0" else r["CidrIp"]
                    for r in permission.get("IpRanges", [])
                ]
                targets += [self.name(pair["GroupId"]) for pair in permission.get("UserIdGroupPairs", [])]
                targets += [p["PrefixListId"] for p in permission.get("PrefixListIds", [])]
                for target in targets:
                    self.model.egress.append(
                        Egress(
                            group_name,
                            target,
                            ports[0],
                            ports[1],
                            f"{group_name} ({group['GroupId']}) egress",
                        )
                    )

    def _network(self) -> None:
        m, ec2 = self.model, self.client("ec2")
        for subnet in ec2.describe_subnets(Filters=self.in_vpc)["Subnets"]:
            tags = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}
            m.subnet_tiers[self.name(subnet["SubnetId"])] = tags.get("aws-cdk:subnet-name", "?")
            if subnet.get("CidrBlock"):
                m.subnet_cidrs[self.name(subnet["SubnetId"])] = subnet["CidrBlock"]
        for table in ec2.describe_route_tables(Filters=self.in_vpc)["RouteTables"]:
            table_name = self.name(table["RouteTableId"])
            for association in table.get("Associations", []):
                if association.get("SubnetId"):
                    m.subnet_tables[self.name(association["SubnetId"])] = table_name
            for route in table.get("Routes", []):
                if route.get("NatGatewayId"):
                    kind, target = "nat", self.name(route["NatGatewayId"])
                elif str(route.get("GatewayId", "")).startswith("igw-"):
                    kind, target = "igw", self.name(route["GatewayId"])
                elif route.get("InstanceId"):  # the NAT instance (network.nat=instance, issue 18)
                    kind, target = "nat", self.name(route["InstanceId"])
                else:
                    kind, target = "other", str(route.get("GatewayId", route.get("VpcEndpointId", "?")))
                destination = route.get("DestinationCidrBlock", route.get("DestinationPrefixListId", "?"))
                m.routes.append(Route(table_name, str(destination), kind, target))
        # Stopped, failed and deleted NAT gateways linger in describe output for a while.
        found = ec2.describe_nat_gateways(Filters=self.in_vpc)["NatGateways"]
        m.nat_gateways = sorted(self.name(n["NatGatewayId"]) for n in found if n["State"] == "available")
        for endpoint in ec2.describe_vpc_endpoints(Filters=self.in_vpc)["VpcEndpoints"]:
            endpoint_name = self.name(endpoint["VpcEndpointId"])
            m.endpoints[endpoint_name] = Endpoint(
                id=endpoint_name,
                service=endpoint["ServiceName"].split(".", 3)[-1],
                kind=endpoint.get("VpcEndpointType", "Gateway"),
                route_tables=frozenset(self.name(t) for t in endpoint.get("RouteTableIds", [])),
                groups=tuple(self.name(g["GroupId"]) for g in endpoint.get("Groups", [])),
                private_dns=endpoint.get("PrivateDnsEnabled") is True,
                subnets=tuple(self.name(x) for x in endpoint.get("SubnetIds", [])),
            )

    # -- services

    def _services(self) -> None:
        m, apprunner = self.model, self.client("apprunner")
        for arn in self.physical("AWS::AppRunner::VpcConnector"):
            connector = apprunner.describe_vpc_connector(VpcConnectorArn=arn)["VpcConnector"]
            m.connectors[self.name(arn)] = Connector(
                id=self.name(arn),
                subnets=tuple(self.name(s) for s in connector.get("Subnets", [])),
                groups=tuple(self.name(g) for g in connector.get("SecurityGroups", [])),
            )
        for arn in self.physical("AWS::AppRunner::Service"):
            service = apprunner.describe_service(ServiceArn=arn)["Service"]
            network = service.get("NetworkConfiguration", {})
            egress = network.get("EgressConfiguration", {})
            image = service["SourceConfiguration"].get("ImageRepository", {}).get("ImageConfiguration", {})
            name = str(service["ServiceName"]).rsplit("-", 1)[-1].lower()
            connector = egress.get("VpcConnectorArn")
            m.services[name] = AppService(
                id=self.name(arn),
                name=name,
                public=network.get("IngressConfiguration", {}).get("IsPubliclyAccessible"),
                egress_type=egress.get("EgressType"),
                connector=self.name(connector) if connector else None,
                plain_env=dict(image.get("RuntimeEnvironmentVariables", {})),
                secret_env=frozenset(image.get("RuntimeEnvironmentSecrets", {})),
                url=service.get("ServiceUrl"),
            )
            if service.get("ServiceUrl"):
                self.service_urls[service["ServiceUrl"]] = self.name(arn)
            if connector and egress.get("EgressType") == "VPC":
                role = service.get("InstanceConfiguration", {}).get("InstanceRoleArn")
                self.instance_roles[self.name(connector)] = self.name(role) if role else None
        for arn in self.physical("AWS::AppRunner::VpcIngressConnection"):
            ingress = apprunner.describe_vpc_ingress_connection(VpcIngressConnectionArn=arn)[
                "VpcIngressConnection"
            ]
            m.private_ingress.append(
                PrivateIngress(
                    id=self.name(arn),
                    service=self.name(ingress["ServiceArn"]),
                    endpoint=self.name(ingress["IngressVpcConfiguration"]["VpcEndpointId"]),
                )
            )

    def _ecs_services(self) -> None:
        """Fargate services (services.<name>.compute=ecs) and their load balancers' routing."""
        m = self.model
        arns = [p for logical, p in self.platform.get("AWS::ECS::Service", []) if "Tasks" in logical]
        if not arns:
            return
        ecs, elbv2 = self.client("ecs"), self.client("elbv2")
        target_groups: dict[str, str] = {}  # target group ARN -> service logical id
        for arn in arns:
            cluster = arn.split("/")[-2]  # arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME
            (service,) = ecs.describe_services(cluster=cluster, services=[arn])["services"]
            logical = self.name(arn)
            name = logical[: logical.index("Tasks")].lower()
            awsvpc = service.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
            connector = f"{logical}.AwsvpcConfiguration"
            m.connectors[connector] = Connector(
                id=connector,
                subnets=tuple(self.name(x) for x in awsvpc.get("subnets", [])),
                groups=tuple(self.name(x) for x in awsvpc.get("securityGroups", [])),
            )
            task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
            container = (task.get("containerDefinitions") or [{}])[0]
            self.ecs_tasks[logical] = (task, awsvpc)
            m.services[name] = AppService(
                id=logical,
                name=name,
                public=awsvpc.get("assignPublicIp") == "ENABLED",
                egress_type="VPC",
                connector=connector,
                plain_env={e["name"]: str(e.get("value")) for e in container.get("environment", [])},
                secret_env=frozenset(e["name"] for e in container.get("secrets", [])),
                backend="ecs",
            )
            for attachment in service.get("loadBalancers", []):
                target_groups[attachment["targetGroupArn"]] = logical
        balancers = self.physical("AWS::ElasticLoadBalancingV2::LoadBalancer")
        if not balancers:
            return
        for balancer in elbv2.describe_load_balancers(LoadBalancerArns=balancers)["LoadBalancers"]:
            lb = self.name(balancer["LoadBalancerArn"])
            m.endpoints[lb] = Endpoint(
                id=lb,
                service="elasticloadbalancing",
                kind="LoadBalancer" if balancer.get("Scheme") == "internal" else "InternetFacingLoadBalancer",
                groups=tuple(self.name(g) for g in balancer.get("SecurityGroups", [])),
            )
            if balancer.get("Type", "application") == "application":
                attributes = elbv2.describe_load_balancer_attributes(
                    LoadBalancerArn=balancer["LoadBalancerArn"]
                )["Attributes"]
                idle = {a["Key"]: a["Value"] for a in attributes}.get("idle_timeout.timeout_seconds", "60")
                m.load_balancer_idle_timeouts[lb] = int(idle)
            listeners = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
            for listener in listeners:
                for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                    served = [
                        target_groups[a["TargetGroupArn"]]
                        for a in rule.get("Actions", [])
                        if a.get("TargetGroupArn") in target_groups
                    ]
                    patterns = [
                        value
                        for condition in rule.get("Conditions", [])
                        for value in condition.get("PathPatternConfig", {}).get("Values", [])
                    ]
                    for service_id in served:
                        routes = m.load_balancer_routes.setdefault(lb, {})
                        for pattern in patterns if not rule.get("IsDefault") else ["*"]:
                            routes[pattern] = service_id
                        if rule.get("IsDefault") and service_id.startswith("AiTasks"):
                            m.private_ingress.append(
                                PrivateIngress(
                                    self.name(listener["ListenerArn"]), service_id, lb, listener["Port"]
                                )
                            )

    def _edge(self) -> None:
        m = self.model
        wafv2 = self.client("wafv2", edge=True)
        acl_ids: dict[str, str] = {}  # "name/id" -> logical id
        for logical, physical in self.edge.get("AWS::WAFv2::WebACL", []):
            # CloudFormation names a web ACL "NAME|ID|SCOPE"; take an ARN (…/webacl/NAME/ID) as well.
            acl_name, acl_id = physical.split("|")[:2] if "|" in physical else physical.split("/")[-2:]
            acl = wafv2.get_web_acl(Name=acl_name, Id=acl_id, Scope="CLOUDFRONT")["WebACL"]
            m.web_acls[logical] = WebAcl(
                logical,
                frozenset(r["Name"] for r in acl.get("Rules", [])),
                properties=acl,
                regex_pattern_sets=_regex_pattern_sets(wafv2, acl),
            )
            acl_ids[f"{acl_name}/{acl_id}"] = logical
        m.origin_access_controls = [
            logical for logical, _ in self.platform.get("AWS::CloudFront::OriginAccessControl", [])
        ]
        distributions = self.platform.get("AWS::CloudFront::Distribution", [])
        if len(distributions) != 1:
            return
        ((logical, distribution_id),) = distributions
        cloudfront = self.client("cloudfront", edge=True)
        config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
        buckets = {f"{name}.s3.": logical for logical, name in self.platform.get("AWS::S3::Bucket", [])}
        origins = {}
        for origin in config["Origins"]["Items"]:
            domain = origin["DomainName"]
            target = self.service_urls.get(domain) or next(
                (b for prefix, b in buckets.items() if domain.startswith(prefix)), domain
            )
            custom = origin.get("CustomOriginConfig")
            vpc_origin = origin.get("VpcOriginConfig", {}).get("VpcOriginId")
            if vpc_origin:
                endpoint = cloudfront.get_vpc_origin(Id=vpc_origin)["VpcOrigin"]["VpcOriginEndpointConfig"]
                custom, target = endpoint, self.name(endpoint["Arn"])
            origins[origin["Id"]] = Origin(
                id=origin["Id"],
                target=target,
                https_only=custom is None or custom.get("OriginProtocolPolicy") == "https-only",
                vpc_origin=bool(vpc_origin),
                # The value CloudFront sends is the secret itself; whether it matches Secrets Manager's
                # shows in the api-direct probe, without reading the secret here.
                headers={
                    h["HeaderName"]: "deployed" if h.get("HeaderValue") else "literal"
                    for h in origin.get("CustomHeaders", {}).get("Items", [])
                },
            )
        web_acl = config.get("WebACLId") or None
        if web_acl:
            # arn:aws:wafv2:us-east-1:ACCOUNT:global/webacl/NAME/ID
            web_acl = acl_ids.get("/".join(web_acl.split("/")[-2:]), web_acl)
        m.distribution = Distribution(
            id=logical,
            aliases=tuple(config.get("Aliases", {}).get("Items", [])),
            minimum_tls=config.get("ViewerCertificate", {}).get("MinimumProtocolVersion"),
            origins=origins,
            default_origin=config.get("DefaultCacheBehavior", {}).get("TargetOriginId"),
            behaviors={
                b["PathPattern"]: b["TargetOriginId"]
                for b in config.get("CacheBehaviors", {}).get("Items", [])
            },
            web_acl=web_acl,
        )

    # -- data

    def _data(self) -> None:
        m = self.model
        rds = self.client("rds")
        for logical, identifier in self.platform.get("AWS::RDS::DBInstance", []):
            (db,) = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
            m.database = Database(
                id=logical,
                public=db.get("PubliclyAccessible"),
                encrypted=db.get("StorageEncrypted") is True,
                kms_key=self.name(db["KmsKeyId"]) if db.get("KmsKeyId") else None,
                backup_retention=int(db.get("BackupRetentionPeriod", 0)),
                multi_az=db.get("MultiAZ") is True,
                deletion_protection=db.get("DeletionProtection") is True,
                groups=tuple(self.name(g["VpcSecurityGroupId"]) for g in db.get("VpcSecurityGroups", [])),
            )
        m.database_proxy_groups = tuple(
            logical
            for logical, _ in self.platform.get("AWS::EC2::SecurityGroup", [])
            if logical.startswith("DatabaseProxySg")
        )
        s3 = self.client("s3")
        for logical, bucket in self.platform.get("AWS::S3::Bucket", []):
            m.buckets[logical] = Bucket(
                id=logical,
                blocks_public_access=_blocks_public_access(s3, bucket),
                cors=_has(s3.get_bucket_cors, bucket, "NoSuchCORSConfiguration"),
                versioned=s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled",
            )
            try:
                policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
            except ClientError as error:
                if error.response["Error"]["Code"] != "NoSuchBucketPolicy":
                    raise
                continue
            for statement in as_list(policy.get("Statement", [])):
                if statement.get("Effect") == "Allow":
                    m.bucket_grants.append(
                        BucketGrant(
                            policy=f"{logical} ({bucket}) bucket policy",
                            public_principal=is_public_principal(statement.get("Principal")),
                            actions=tuple(as_list(statement.get("Action", []))),
                        )
                    )
        secrets = self.client("secretsmanager")
        for logical, arn in self.platform.get("AWS::SecretsManager::Secret", []):
            secret = secrets.describe_secret(SecretId=arn)
            m.secrets[logical] = Secret(logical, customer_key=bool(secret.get("KmsKeyId")))

    # -- IAM and KMS

    def _iam(self) -> None:
        iam = self.client("iam")
        for template in (self.platform, self.edge):
            for logical, role_name in template.get("AWS::IAM::Role", []):
                documents = [
                    iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
                    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name)
                    for policy_name in page["PolicyNames"]
                ]
                for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
                    for attached in page["AttachedPolicies"]:
                        if attached["PolicyArn"].startswith("arn:aws:iam::aws:policy/"):
                            continue  # AWS-managed: reviewed by AWS, acknowledged in cdk-nag (IAM4)
                        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
                        version = iam.get_policy_version(
                            PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
                        )
                        documents.append(version["PolicyVersion"]["Document"])
                for document in documents:
                    if isinstance(document, str):
                        document = json.loads(unquote(document))
                    for statement in as_list(document.get("Statement", [])):
                        if statement.get("Effect") == "Allow":
                            self.role_statements.setdefault(logical, []).append(
                                (as_list(statement.get("Action", [])), statement.get("Condition"))
                            )
                            self.model.statements.append(
                                Statement(
                                    owner=f"{logical} ({role_name})",
                                    roles=(logical,),
                                    actions=tuple(as_list(statement.get("Action", []))),
                                    resources=tuple(str(r) for r in as_list(statement.get("Resource", []))),
                                    conditions="Condition" in statement,
                                )
                            )

    def _keys(self) -> None:
        for edge, template in ((False, self.platform), (True, self.edge)):
            kms = self.client("kms", edge=edge)
            for logical, key_id in template.get("AWS::KMS::Key", []):
                rotation = kms.get_key_rotation_status(KeyId=key_id).get("KeyRotationEnabled")
                policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
                self.model.keys[logical] = Key(
                    id=logical,
                    rotation=rotation,
                    open_statements=sum(
                        s.get("Effect") == "Allow"
                        and is_public_principal(s.get("Principal"))
                        and "Condition" not in s
                        for s in as_list(policy.get("Statement", []))
                    ),
                )
                self.names[key_id] = logical

    def _operations(self) -> None:
        m = self.model
        for edge, template in ((False, self.platform), (True, self.edge)):
            names = [physical for _, physical in template.get("AWS::CloudWatch::Alarm", [])]
            cloudwatch = self.client("cloudwatch", edge=edge)
            for start in range(0, len(names), 100):
                found = cloudwatch.describe_alarms(AlarmNames=names[start : start + 100])
                for alarm in found.get("MetricAlarms", []) + found.get("CompositeAlarms", []):
                    m.alarms.append(
                        Alarm(
                            id=self.name(alarm["AlarmName"]),
                            name=alarm["AlarmName"],
                            state=alarm.get("StateValue"),
                            state_since=alarm.get("StateUpdatedTimestamp"),
                        )
                    )
        backup = self.client("backup")
        for logical, plan_id in self.platform.get("AWS::Backup::BackupPlan", []):
            try:
                backup.get_backup_plan(BackupPlanId=plan_id)
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                continue
            m.backup_plans.append(logical)

    def _probes(self) -> None:
        api, ai = self.model.services.get("api"), self.model.services.get("ai")
        if api is not None and api.url:
            self.model.probes["api-direct"] = self.probe(api.url, GRAPHQL_PATH)
        if ai is not None and ai.url:
            self.model.probes["ai-direct"] = self.probe(ai.url, "/")
        # The site as a user meets it: CloudFront's root, whichever origin serves web (App Runner, or
        # the assets bucket that `foundry web publish` fills; an empty bucket answers 403).
        site = self._stack_outputs().get(outputs.SITE_URL)
        if site:
            self.model.probes["site"] = self.probe(urlsplit(site).netloc, "/")

    # -- workloads (verify/reachability.py)

    def _sdk(self, role: str | None, label: str) -> list[Need]:
        if role is None:
            return []
        return role_needs(role=f"{label} role {role}", statements=self.role_statements.get(role, []))

    def _task_needs(self, task: dict[str, Any]) -> list[Need]:
        """A Fargate task's needs: its containers' images, secrets and logs, and its role's calls."""
        needs: list[Need] = []
        for container in task.get("containerDefinitions", []):
            needs += container_needs(
                image=str(container.get("image")),
                from_ecr=is_ecr_image(container.get("image")),
                secret_sources=[str(s.get("valueFrom")) for s in container.get("secrets", [])],
                log_driver=container.get("logConfiguration", {}).get("logDriver"),
            )
        role = task.get("taskRoleArn")
        return needs + self._sdk(self.name(role) if role else None, "task")

    def _workloads(self) -> None:
        """App Runner connectors, ECS services on Fargate and the migration task, with what they call
        (verify/needs.py). The rotation function and the GPU instances are judged from the templates
        (`foundry verify` without --live)."""
        m = self.model
        sdk = self._sdk

        for connector_id, role in self.instance_roles.items():
            connector = m.connectors.get(connector_id)
            if connector is None:
                continue
            m.workloads.append(
                Workload(
                    id=connector_id,
                    kind="App Runner VPC connector",
                    groups=connector.groups,
                    subnets=connector.subnets,
                    needs=merge(sdk(role, "instance")),
                )
            )
        for logical, (task, awsvpc) in self.ecs_tasks.items():
            m.workloads.append(
                Workload(
                    id=logical,
                    kind="ECS service on Fargate",
                    groups=tuple(self.name(x) for x in awsvpc.get("securityGroups", [])),
                    subnets=tuple(self.name(x) for x in awsvpc.get("subnets", [])),
                    needs=merge(self._task_needs(task)),
                )
            )
        self._migration_task()

    def _stack_outputs(self) -> dict[str, str]:
        """The platform stack's outputs, read once."""
        if self.outputs is None:
            stack = f"{self.config.stack_prefix}-platform"
            (described,) = self.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
            self.outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        return self.outputs

    def _migration_task(self) -> None:
        """The task `foundry migrate` runs, on the network it passes to RunTask: the stack's outputs."""
        if not self.physical("AWS::ECS::TaskDefinition"):
            return
        found = self._stack_outputs()
        arn = found.get(outputs.MIGRATIONS_TASK_DEFINITION)
        if not arn:
            return
        task = self.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]
        group = found.get(outputs.MIGRATIONS_SECURITY_GROUP)
        self.model.workloads.append(
            Workload(
                id=self.name(arn),
                kind="ECS task on Fargate (run by foundry migrate)",
                groups=(self.name(group),) if group else (),
                subnets=tuple(
                    self.name(s) for s in found.get(outputs.MIGRATIONS_SUBNETS, "").split(",") if s
                ),
                needs=merge(self._task_needs(task)),
            )
        )


def _blocks_public_access(s3: Any, bucket: str) -> bool:
    try:
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchPublicAccessBlockConfiguration":
            raise
        return False
    return all(
        block.get(k) is True
        for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    )


def _has(call: Callable[..., Any], bucket: str, missing_code: str) -> bool:
    try:
        call(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] != missing_code:
            raise
        return False
    return True


def _regex_pattern_sets(wafv2: Any, acl: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The expressions of every regex pattern set the web ACL references, by ARN."""
    arns = sorted(
        set(
            re.findall(
                r"arn:aws[\w-]*:wafv2:[^'\"\s]+/regexpatternset/[^'\"\s]+", json.dumps(acl, default=str)
            )
        )
    )
    found = {}
    for arn in arns:
        # arn:aws:wafv2:us-east-1:ACCOUNT:global/regexpatternset/NAME/ID
        name, set_id = arn.split("/")[-2:]
        pattern_set = wafv2.get_regex_pattern_set(Name=name, Id=set_id, Scope="CLOUDFRONT")["RegexPatternSet"]
        found[arn] = tuple(entry["RegexString"] for entry in pattern_set.get("RegularExpressionList", []))
    return found
