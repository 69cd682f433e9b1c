"""Monthly cost rows from templates, a traffic profile and the price table: pure functions, no I/O.

Each resource type found in the templates has a pricer; types that cost nothing at this scale are
listed in FREE_TYPES, and anything else is reported as unpriced so a new resource is never silently
free. Prices are list prices without free tiers (performance-cost.md §A3 does the same).
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from foundry_templates import Template
from foundry_templates.endpoints import endpoint_service
from foundry_templates.network import nat_gateways
from foundry_templates.references import ref_id
from foundry_templates.template import resources_of_type

from foundry_tools.cost.prices import PriceTable
from foundry_tools.cost.schedules import Awake, awake_resources
from foundry_tools.cost.traffic import Traffic

Kind = Literal["fixed", "usage"]


@dataclass(frozen=True)
class Row:
    resource: str
    resource_type: str
    item: str
    kind: Kind
    quantity: float
    unit: str
    unit_price_usd: float
    price_key: str

    @property
    def usd_month(self) -> float:
        return self.quantity * self.unit_price_usd

    def as_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "resource_type": self.resource_type,
            "item": self.item,
            "kind": self.kind,
            "quantity": round(self.quantity, 6),
            "unit": self.unit,
            "unit_price_usd": self.unit_price_usd,
            "usd_month": round(self.usd_month, 4),
            "price_key": self.price_key,
        }


@dataclass(frozen=True)
class Estimate:
    rows: list[Row]
    unpriced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the figures assume beyond the price table: sleep schedules, NAT instances."""

    @property
    def total_usd_month(self) -> float:
        return sum(row.usd_month for row in self.rows)

    def total(self, kind: Kind) -> float:
        return sum(row.usd_month for row in self.rows if row.kind == kind)

    def top(self, count: int) -> list[Row]:
        return sorted(self.rows, key=lambda row: row.usd_month, reverse=True)[:count]


# Types that cost nothing by themselves, or whose cost is counted elsewhere (flow logs in log GB,
# AWS Backup snapshots in db_backup_gb, App Runner's connector and ingress in the endpoint ENIs, an
# ECS capacity provider's instances in its Auto Scaling group; Cost Anomaly Detection, Application
# Auto Scaling and CloudFront VPC origins have no charge).
FREE_TYPES = frozenset(
    {
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::AppRunner::AutoScalingConfiguration",
        "AWS::AppRunner::ObservabilityConfiguration",
        "AWS::AppRunner::VpcConnector",
        "AWS::AppRunner::VpcIngressConnection",
        "AWS::Backup::BackupPlan",
        "AWS::Backup::BackupSelection",
        "AWS::Backup::BackupVault",
        "AWS::CDK::Metadata",
        "AWS::CE::AnomalyMonitor",
        "AWS::CE::AnomalySubscription",
        "AWS::CertificateManager::Certificate",
        "AWS::CloudFront::CachePolicy",
        "AWS::CloudFront::CloudFrontOriginAccessIdentity",
        "AWS::CloudFront::Function",
        "AWS::CloudFront::VpcOrigin",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::OriginRequestPolicy",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::EC2::FlowLog",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::LaunchTemplate",
        "AWS::EC2::Route",
        "AWS::EC2::RouteTable",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::Subnet",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::VPC",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::ECR::RegistryScanningConfiguration",
        "AWS::ECS::CapacityProvider",
        "AWS::ECS::Cluster",
        "AWS::ECS::ClusterCapacityProviderAssociations",
        "AWS::ECS::TaskDefinition",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::Events::Rule",
        "AWS::IAM::InstanceProfile",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::OIDCProvider",
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::KMS::Alias",
        "AWS::Lambda::Function",
        "AWS::Lambda::Permission",
        "AWS::Logs::LogGroup",
        "AWS::Logs::MetricFilter",
        "AWS::RDS::DBParameterGroup",
        "AWS::RDS::DBProxyTargetGroup",
        "AWS::RDS::DBSubnetGroup",
        "AWS::Route53::RecordSet",
        "AWS::Route53::RecordSetGroup",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::Subscription",
        "AWS::SNS::TopicPolicy",
        "AWS::SecretsManager::ResourcePolicy",
        "AWS::SecretsManager::RotationSchedule",
        "AWS::SecretsManager::SecretTargetAttachment",
        "AWS::Serverless::Application",
        "AWS::SSM::Parameter",
        "AWS::XRay::Group",
        "AWS::Scheduler::ScheduleGroup",
        "AWS::WAFv2::WebACLAssociation",
    }
)

# vCPUs per RDS class, for RDS Proxy (billed per database vCPU, 2 at least).
DB_VCPUS = {"db.t4g.micro": 2, "db.t4g.small": 2, "db.t4g.medium": 2, "db.m7g.large": 2, "db.m7g.xlarge": 4}


@dataclass(frozen=True)
class Context:
    templates: Mapping[str, Template]
    traffic: Traffic
    prices: PriceTable
    awake: Mapping[str, Awake] = field(default_factory=dict)
    """Resources a sleep schedule pauses or stops, by logical id (foundry_tools.cost.schedules)."""

    @property
    def hours(self) -> float:
        return self.prices.hours_per_month

    def awake_hours(self, logical_id: str) -> float:
        """The hours a month the resource runs: all of them, or what its sleep schedule leaves awake."""
        awake = self.awake.get(logical_id)
        return self.hours if awake is None else self.hours * awake.share()

    def awake_label(self, logical_id: str) -> str:
        awake = self.awake.get(logical_id)
        return "" if awake is None else f", awake {awake.hours_per_week:g} h/week"

    def resources(self, resource_type: str) -> Iterator[tuple[Template, str, dict[str, Any]]]:
        return resources_of_type(self.templates.values(), resource_type)

    def count(self, resource_type: str) -> int:
        return sum(1 for _ in self.resources(resource_type))

    def row(
        self, resource: str, resource_type: str, item: str, kind: Kind, quantity: float, price_key: str
    ) -> Row:
        price = self.prices[price_key]
        return Row(resource, resource_type, item, kind, quantity, price.unit, price.usd, price_key)


Pricer = Callable[[Context], Iterator[Row]]
PRICERS: dict[str, Pricer] = {}


def prices(resource_type: str) -> Callable[[Pricer], Pricer]:
    def register(pricer: Pricer) -> Pricer:
        PRICERS[resource_type] = pricer
        return pricer

    return register


@prices("AWS::EC2::NatGateway")
def _nat(ctx: Context) -> Iterator[Row]:
    nats = nat_gateways(ctx.templates.values())
    for logical_id in nats:
        kind = "AWS::EC2::NatGateway"
        yield ctx.row(logical_id, kind, "NAT gateway hours", "fixed", ctx.hours, "nat.hour")
        share = ctx.traffic.nat_gb / len(nats)
        yield ctx.row(logical_id, kind, "NAT GB processed", "usage", share, "nat.gb")


@prices("AWS::EC2::EIP")
def _eip(ctx: Context) -> Iterator[Row]:
    for _, logical_id, _ in ctx.resources("AWS::EC2::EIP"):
        yield ctx.row(
            logical_id, "AWS::EC2::EIP", "public IPv4 address", "fixed", ctx.hours, "public_ipv4.hour"
        )


def interface_endpoints(ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, props)
        for _, logical_id, props in ctx.resources("AWS::EC2::VPCEndpoint")
        if props.get("VpcEndpointType") == "Interface"
    ]


@prices("AWS::EC2::VPCEndpoint")
def _endpoints(ctx: Context) -> Iterator[Row]:
    endpoints = interface_endpoints(ctx)
    for logical_id, props in endpoints:
        enis = len(props.get("SubnetIds", [])) or 1
        kind = "AWS::EC2::VPCEndpoint"
        service = endpoint_service(props.get("ServiceName"))
        yield ctx.row(
            logical_id, kind, f"{service} endpoint ENI hours ({enis} AZ)", "fixed", enis * ctx.hours,
            "interface_endpoint.az_hour",
        )  # fmt: skip
        share = ctx.traffic.endpoint_gb / len(endpoints)
        yield ctx.row(logical_id, kind, f"{service} endpoint GB", "usage", share, "interface_endpoint.gb")


@prices("AWS::RDS::DBInstance")
def _database(ctx: Context) -> Iterator[Row]:
    for _, logical_id, props in ctx.resources("AWS::RDS::DBInstance"):
        kind = "AWS::RDS::DBInstance"
        db_class = str(props.get("DBInstanceClass", ""))
        copies = 2 if props.get("MultiAZ") is True else 1
        az = "Multi-AZ" if copies == 2 else "Single-AZ"
        price_key = f"rds.{db_class}.hour"
        if price_key not in ctx.prices:
            raise KeyError(f"no price for RDS class {db_class!r}; add rds.{db_class}.hour to prices.toml")
        # A stopped instance bills no instance hours; its storage and backups bill on (below).
        # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html
        yield ctx.row(
            logical_id, kind, f"{db_class} {az} hours{ctx.awake_label(logical_id)}", "fixed",
            copies * ctx.awake_hours(logical_id), price_key,
        )  # fmt: skip
        storage = float(props.get("AllocatedStorage", 20))
        yield ctx.row(
            logical_id, kind, f"gp3 storage, {copies} cop{'ies' if copies == 2 else 'y'}", "fixed",
            storage * copies, "rds.gp3_gb_month",
        )  # fmt: skip
        billable_backup = max(0.0, ctx.traffic.db_backup_gb - storage)
        yield ctx.row(
            logical_id, kind, "backup storage beyond the provisioned size", "fixed", billable_backup,
            "rds.backup_gb_month",
        )  # fmt: skip


@prices("AWS::RDS::DBProxy")
def _proxy(ctx: Context) -> Iterator[Row]:
    vcpus = max(
        [
            2,
            *(
                DB_VCPUS.get(str(p.get("DBInstanceClass")), 2)
                for _, _, p in ctx.resources("AWS::RDS::DBInstance")
            ),
        ]
    )
    for _, logical_id, _ in ctx.resources("AWS::RDS::DBProxy"):
        yield ctx.row(
            logical_id, "AWS::RDS::DBProxy", f"RDS Proxy, {vcpus} database vCPU", "fixed", vcpus * ctx.hours,
            "rds_proxy.vcpu_hour",
        )  # fmt: skip


def _apprunner_min_instances(template: Template, props: dict[str, Any]) -> int:
    scaling = ref_id(props.get("AutoScalingConfigurationArn"))
    if scaling and scaling in template.resources:
        return int(template.props(scaling).get("MinSize", 1))
    return 1


def apprunner_services(ctx: Context) -> Iterator[tuple[str, str, float, float, int]]:
    """(logical id, service name, vCPU, memory GB, min instances) of each App Runner service."""
    for template, logical_id, props in ctx.resources("AWS::AppRunner::Service"):
        instance = props.get("InstanceConfiguration", {})
        vcpu = float(str(instance.get("Cpu", "1024")).split()[0]) / 1024
        memory_gb = float(str(instance.get("Memory", "2048")).split()[0]) / 1024
        name = str(props.get("ServiceName", logical_id))
        yield logical_id, name, vcpu, memory_gb, _apprunner_min_instances(template, props)


@prices("AWS::AppRunner::Service")
def _apprunner(ctx: Context) -> Iterator[Row]:
    kind = "AWS::AppRunner::Service"
    for logical_id, name, vcpu, memory_gb, minimum in apprunner_services(ctx):
        # A paused service bills nothing for compute: no provisioned memory, no active vCPU.
        # https://aws.amazon.com/apprunner/pricing/ · https://docs.aws.amazon.com/apprunner/latest/dg/manage-pause.html
        provisioned_hours = minimum * ctx.awake_hours(logical_id)
        yield ctx.row(
            logical_id, kind, f"{name}: {minimum} × {memory_gb:g} GB provisioned{ctx.awake_label(logical_id)}",
            "fixed", provisioned_hours * memory_gb, "apprunner.gb_hour",
        )  # fmt: skip
        active = ctx.traffic.apprunner_active_hours
        yield ctx.row(
            logical_id,
            kind,
            f"{name}: active vCPU ({vcpu:g} vCPU)",
            "usage",
            active * vcpu,
            "apprunner.vcpu_hour",
        )
        # Active hours beyond what the provisioned instances can cover run on extra instances,
        # which pay their memory too.
        extra = max(0.0, active - provisioned_hours)
        yield ctx.row(
            logical_id, kind, f"{name}: active GB above provisioned", "usage", extra * memory_gb,
            "apprunner.gb_hour",
        )  # fmt: skip
    for _, logical_id, props in ctx.resources(kind):
        if props.get("SourceConfiguration", {}).get("AutoDeploymentsEnabled") is True:
            yield ctx.row(
                logical_id, kind, "automatic deployments", "fixed", 1, "apprunner.auto_deploy_month"
            )


def _task_size(template: Template, props: dict[str, Any]) -> tuple[float, float, bool]:
    definition = ref_id(props.get("TaskDefinition"))
    task = template.props(definition) if definition and definition in template.resources else {}
    arm = task.get("RuntimePlatform", {}).get("CpuArchitecture") == "ARM64"
    return float(task.get("Cpu", 256)) / 1024, float(task.get("Memory", 512)) / 1024, arm


def _spot_share(props: dict[str, Any]) -> float:
    """The share of a service's tasks on FARGATE_SPOT, from its strategy's weights (base ignored)."""
    strategy = props.get("CapacityProviderStrategy", [])
    total = sum(float(item.get("Weight", 0)) for item in strategy)
    spot = sum(
        float(item.get("Weight", 0)) for item in strategy if item.get("CapacityProvider") == "FARGATE_SPOT"
    )
    return spot / total if total else 0.0


@prices("AWS::ECS::Service")
def _fargate(ctx: Context) -> Iterator[Row]:
    kind = "AWS::ECS::Service"
    for template, logical_id, props in ctx.resources(kind):
        providers = {str(p.get("CapacityProvider")) for p in props.get("CapacityProviderStrategy", [])}
        if props.get("LaunchType") != "FARGATE" and not providers & {"FARGATE", "FARGATE_SPOT"}:
            continue  # tasks on EC2 capacity are priced through the instances
        vcpu, memory_gb, arm = _task_size(template, props)
        tasks = int(props.get("DesiredCount", 1))
        spot = _spot_share(props)
        for share, label, prefix in (
            (1 - spot, "Fargate", "fargate.arm_" if arm else "fargate."),
            (spot, "Fargate Spot", "fargate.spot_arm_" if arm else "fargate.spot_"),
        ):
            if share == 0:
                continue
            # Scaled to 0 tasks while asleep: Fargate bills running tasks only.
            hours = tasks * share * ctx.awake_hours(logical_id)
            count = f"{tasks * share:g} {label} task(s){ctx.awake_label(logical_id)}"
            yield ctx.row(logical_id, kind, f"{count}, vCPU", "fixed", hours * vcpu, f"{prefix}vcpu_hour")
            yield ctx.row(logical_id, kind, f"{count}, GB", "fixed", hours * memory_gb, f"{prefix}gb_hour")
        network = props.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
        if network.get("AssignPublicIp") == "ENABLED":
            yield ctx.row(
                logical_id, kind, "task public IPv4", "fixed", tasks * ctx.awake_hours(logical_id),
                "public_ipv4.hour",
            )  # fmt: skip


@prices("AWS::ElasticLoadBalancingV2::LoadBalancer")
def _load_balancer(ctx: Context) -> Iterator[Row]:
    kind = "AWS::ElasticLoadBalancingV2::LoadBalancer"
    for _, logical_id, props in ctx.resources(kind):
        if props.get("Type", "application") == "network":
            yield ctx.row(logical_id, kind, "NLB hours", "fixed", ctx.hours, "nlb.hour")
            continue  # internal here; its capacity units follow traffic the profile does not model
        if props.get("Type", "application") != "application":
            continue  # left unpriced below
        yield ctx.row(logical_id, kind, "ALB hours", "fixed", ctx.hours, "alb.hour")
        if props.get("Scheme", "internet-facing") == "internet-facing":
            azs = len(props.get("Subnets", props.get("SubnetMappings", []))) or 2
            yield ctx.row(
                logical_id, kind, f"ALB public IPv4 ({azs} AZ)", "fixed", azs * ctx.hours, "public_ipv4.hour"
            )


def _instance_row(ctx: Context, logical_id: str, kind: str, instance_type: str, count: int) -> Iterator[Row]:
    key = f"ec2.{instance_type}.hour"
    if key in ctx.prices:
        yield ctx.row(logical_id, kind, f"{count} × {instance_type}", "fixed", count * ctx.hours, key)


def is_nat_instance(props: dict[str, Any]) -> bool:
    """An instance that forwards others' packets: AWS requires its source/destination check off.
    https://docs.aws.amazon.com/vpc/latest/userguide/VPC_NAT_Instance.html"""
    return props.get("SourceDestCheck") is False


@prices("AWS::EC2::Instance")
def _instances(ctx: Context) -> Iterator[Row]:
    kind = "AWS::EC2::Instance"
    nats = [(logical_id, props) for _, logical_id, props in ctx.resources(kind) if is_nat_instance(props)]
    for _, logical_id, props in ctx.resources(kind):
        instance_type = str(props.get("InstanceType"))
        if is_nat_instance(props):
            yield ctx.row(
                logical_id, kind, f"NAT instance {instance_type} hours", "fixed", ctx.hours,
                f"ec2.{instance_type}.hour",
            )  # fmt: skip
            # No per-GB processing fee on an instance (a NAT gateway charges one); data out to the
            # internet bills alike either way and the estimate leaves it out for both.
            yield ctx.row(
                logical_id, kind, "NAT instance GB forwarded", "usage", ctx.traffic.nat_gb / len(nats),
                "nat_instance.gb",
            )  # fmt: skip
        else:
            yield from _instance_row(ctx, logical_id, kind, instance_type, 1)
        for device in props.get("BlockDeviceMappings", []):
            ebs = device.get("Ebs", {})
            if ebs.get("VolumeType", "gp3") == "gp3" and ebs.get("VolumeSize"):
                size = int(ebs["VolumeSize"])
                yield ctx.row(
                    logical_id, kind, f"{size} GB gp3 root volume", "fixed", size, "ebs.gp3_gb_month"
                )
        # An auto-assigned public IPv4 address bills like an Elastic IP (which is priced on its own).
        # https://aws.amazon.com/vpc/pricing/ (Public IPv4 addresses)
        if any(ni.get("AssociatePublicIpAddress") is True for ni in props.get("NetworkInterfaces", [])):
            yield ctx.row(logical_id, kind, "public IPv4 address", "fixed", ctx.hours, "public_ipv4.hour")


@prices("AWS::AutoScaling::AutoScalingGroup")
def _auto_scaling(ctx: Context) -> Iterator[Row]:
    kind = "AWS::AutoScaling::AutoScalingGroup"
    for template, logical_id, props in ctx.resources(kind):
        mixed = props.get("MixedInstancesPolicy", {})
        specification = mixed.get("LaunchTemplate", {}).get("LaunchTemplateSpecification", {})
        launch = ref_id(props.get("LaunchTemplate", specification).get("LaunchTemplateId"))
        data = template.props(launch).get("LaunchTemplateData", {}) if launch in template.resources else {}
        count = int(props.get("DesiredCapacity", props.get("MinSize", 0)))
        instance_type = str(data.get("InstanceType"))
        on_demand = mixed.get("InstancesDistribution", {}).get("OnDemandPercentageAboveBaseCapacity", 100)
        if mixed and int(on_demand) < 100:
            # Spot prices move by the hour and the AZ; the on-demand price is the estimate's upper bound.
            item = f"{count} × {instance_type} Spot (≤ on-demand)"
        else:
            item = f"{count} × {instance_type}"
        key = f"ec2.{instance_type}.hour"
        if key in ctx.prices:
            yield ctx.row(logical_id, kind, item, "fixed", count * ctx.hours, key)
        for device in data.get("BlockDeviceMappings", []):
            ebs = device.get("Ebs", {})
            if ebs.get("VolumeType", "gp3") == "gp3" and ebs.get("VolumeSize"):
                size = int(ebs["VolumeSize"])
                yield ctx.row(
                    logical_id, kind, f"{count} × {size} GB gp3 root volume", "fixed", count * size,
                    "ebs.gp3_gb_month",
                )  # fmt: skip


def _flat(resource_type: str, item: str, price_key: str) -> Pricer:
    def pricer(ctx: Context) -> Iterator[Row]:
        for _, logical_id, _ in ctx.resources(resource_type):
            yield ctx.row(logical_id, resource_type, item, "fixed", 1, price_key)

    return pricer


@prices("AWS::Scheduler::Schedule")
def _schedules(ctx: Context) -> Iterator[Row]:
    kind = "AWS::Scheduler::Schedule"
    weeks = ctx.hours / 168
    for _, logical_id, props in ctx.resources(kind):
        expression = str(props.get("ScheduleExpression", ""))
        days = (
            expression.split(" ")[4] if expression.startswith("cron(") and expression.count(" ") >= 5 else "*"
        )
        per_week = 7 if days == "*" else len(days.split(","))
        yield ctx.row(
            logical_id, kind, "scheduler invocations (M)", "fixed", per_week * weeks / 1e6,
            "scheduler.million_invocations",
        )  # fmt: skip


# X-Ray's sampling reservoir: this many traces a second are recorded whatever the rate (per rule, as
# the reservoir is shared by the rule's hosts), then the fixed rate applies to the rest.
# https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html
SECONDS_PER_MONTH = 730 * 3600


@prices("AWS::XRay::SamplingRule")
def _xray(ctx: Context) -> Iterator[Row]:
    kind = "AWS::XRay::SamplingRule"
    requests = ctx.traffic.cloudfront_requests_m * 1e6
    for _, logical_id, props in ctx.resources(kind):
        rule = props.get("SamplingRule", {})
        rate = float(rule.get("FixedRate", 0.05))
        reservoir = min(requests, float(rule.get("ReservoirSize", 1)) * SECONDS_PER_MONTH)
        traced = reservoir + rate * (requests - reservoir)
        # An upper bound: every viewer request is taken for a traced api request (static files are not).
        yield ctx.row(
            logical_id, kind, f"X-Ray traces recorded (M, rate {rate:g} + reservoir)", "usage", traced / 1e6,
            "xray.million_traces",
        )  # fmt: skip


for _type, _item, _key in [
    ("AWS::KMS::Key", "KMS key", "kms.key_month"),
    ("AWS::SecretsManager::Secret", "secret", "secretsmanager.secret_month"),
    ("AWS::CloudWatch::Alarm", "alarm", "cloudwatch.alarm_month"),
    ("AWS::CloudWatch::Dashboard", "dashboard", "cloudwatch.dashboard_month"),
    ("AWS::Route53::HostedZone", "hosted zone", "route53.zone_month"),
    ("AWS::Route53::HealthCheck", "health check", "route53.health_check_month"),
    ("AWS::Budgets::Budget", "budget", "budgets.budget_month"),
    ("AWS::SNS::Topic", "topic", "sns.topic_month"),
]:
    PRICERS[_type] = _flat(_type, _item, _key)


@prices("AWS::WAFv2::WebACL")
def _waf(ctx: Context) -> Iterator[Row]:
    kind = "AWS::WAFv2::WebACL"
    for _, logical_id, props in ctx.resources(kind):
        rules = len(props.get("Rules", []))
        yield ctx.row(logical_id, kind, "web ACL", "fixed", 1, "waf.web_acl_month")
        yield ctx.row(logical_id, kind, f"{rules} rules", "fixed", rules, "waf.rule_month")
        requests = ctx.traffic.cloudfront_requests_m
        yield ctx.row(logical_id, kind, "WAF requests (M)", "usage", requests, "waf.million_requests")


@prices("AWS::CloudFront::Distribution")
def _cloudfront(ctx: Context) -> Iterator[Row]:
    kind = "AWS::CloudFront::Distribution"
    distributions = list(ctx.resources(kind))
    for _, logical_id, _ in distributions:
        gb = ctx.traffic.cloudfront_gb / len(distributions)
        requests_10k = ctx.traffic.cloudfront_requests_m * 100 / len(distributions)
        yield ctx.row(logical_id, kind, "CloudFront GB out", "usage", gb, "cloudfront.gb")
        yield ctx.row(
            logical_id, kind, "CloudFront requests (10k)", "usage", requests_10k, "cloudfront.10k_requests"
        )


def _aggregate_rows(ctx: Context) -> Iterator[Row]:
    """Usage that belongs to a family of resources rather than one of them."""
    traffic = ctx.traffic
    if ctx.count("AWS::Logs::LogGroup") or ctx.count("AWS::AppRunner::Service"):
        yield ctx.row(
            "CloudWatch Logs",
            "AWS::Logs::LogGroup",
            "log GB ingested",
            "usage",
            traffic.log_gb,
            "logs.ingest_gb",
        )
    if ctx.count("AWS::S3::Bucket"):
        s3 = "S3 buckets"
        yield ctx.row(s3, "AWS::S3::Bucket", "S3 GB stored", "usage", traffic.s3_gb, "s3.gb_month")
        yield ctx.row(s3, "AWS::S3::Bucket", "S3 PUT requests (1k)", "usage", traffic.s3_put_k, "s3.1k_put")
        yield ctx.row(s3, "AWS::S3::Bucket", "S3 GET requests (1k)", "usage", traffic.s3_get_k, "s3.1k_get")
    if ctx.count("AWS::ECR::Repository"):
        yield ctx.row(
            "ECR repositories",
            "AWS::ECR::Repository",
            "image storage GB",
            "fixed",
            traffic.ecr_gb,
            "ecr.gb_month",
        )


def sleep_notes(ctx: Context) -> list[str]:
    """What the sleep schedules change in the figures, and on what AWS documents."""
    if not ctx.awake:
        return []
    by_hours: dict[tuple[float, str], list[str]] = {}
    for awake in ctx.awake.values():
        by_hours.setdefault((awake.hours_per_week, awake.timezone), []).append(awake.resource)
    lines = [
        f"sleep schedule ({zone}): {', '.join(sorted(ids))} awake {hours:g} h/week = "
        f"{ctx.hours * hours / 168:.1f} h/month of {ctx.hours:g}"
        for (hours, zone), ids in sorted(by_hours.items())
    ]
    lines.append(
        "priced for the awake hours: a paused App Runner service bills nothing for compute "
        "(https://aws.amazon.com/apprunner/pricing/); a stopped RDS instance bills its storage and backups, "
        "not its hours (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html); "
        "ECS at 0 tasks bills no Fargate"
    )
    return lines


def estimate(templates: Mapping[str, Template], traffic: Traffic, prices: PriceTable) -> Estimate:
    """One row per priced item of every resource in the templates, plus the types left unpriced."""
    awake, schedule_notes = awake_resources(list(templates.values()))
    ctx = Context(templates=templates, traffic=traffic, prices=prices, awake=awake)
    found = {resource["Type"] for template in templates.values() for resource in template.resources.values()}
    rows: list[Row] = []
    for resource_type in sorted(found & PRICERS.keys()):
        rows.extend(PRICERS[resource_type](ctx))
    rows.extend(_aggregate_rows(ctx))
    handled = PRICERS.keys() | FREE_TYPES | {"AWS::ECR::Repository"}
    unpriced = sorted(t for t in found - handled if not t.startswith("Custom::"))
    unpriced += sorted(
        f"AWS::ElasticLoadBalancingV2::LoadBalancer ({props.get('Type')})"
        for _, _, props in ctx.resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
        if props.get("Type", "application") not in ("application", "network")
    )
    notes = [*sleep_notes(ctx), *schedule_notes]
    if any(is_nat_instance(props) for _, _, props in ctx.resources("AWS::EC2::Instance")):
        notes.append(
            "NAT instance: the instance, its gp3 volume and its public IPv4 address, no per-GB processing fee "
            "(a NAT gateway: $0.045/hour + $0.045/GB + its Elastic IP)"
        )
    return Estimate(rows=rows, unpriced=unpriced, notes=notes)
