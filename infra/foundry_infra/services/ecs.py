"""The ECS path of issue 6 and spec §8: the same services on Fargate, behind load balancers that only
CloudFront (web, api) or only api (ai) can reach.

- `EcsCompute` owns the cluster (always created: it costs nothing, and the migration runner and the
  GPU path use it too) and the KMS key of the ECS log groups.
- `OriginLoadBalancer`: one internal ALB for web and api together, CloudFront's VPC origin. It has no
  public address; its security group admits only CloudFront's origin-facing prefix list. CloudFront
  reaches it over HTTP on port 80 inside the VPC (a VPC origin needs no certificate for that; HTTPS
  would need one for a domain we own, see docs/compute-backends.md). api still checks the
  origin-verify header CloudFront adds, as on App Runner.
- `InternalLoadBalancer`: one internal ALB for the callers inside the VPC: ai on port 80 (admitting
  sg-api only) and, with the GPU path, vLLM on its own port (admitting sg-ai and sg-api only). One
  load balancer per purpose, not per service: each costs about $16 a month before traffic.
- `FargateWebService`: a Fargate service in the private-app subnets, registered with one of them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct
from foundry_contract import ALB_IDLE_TIMEOUT_SECONDS, HEALTH_PATH

from foundry_infra.checkov import skip_checkov
from foundry_infra.config.model import ServiceConfig, ServicesConfig, TracingConfig
from foundry_infra.defaults import log_retention
from foundry_infra.nag import acknowledge
from foundry_infra.security.keys import logs_key
from foundry_infra.services.architecture import cpu_architecture
from foundry_infra.services.collector import CollectorSidecar
from foundry_infra.services.environment import CONTAINER_PORT, ServiceEnvironment

HTTP_PORT = 80
ECS_TASKS = "ecs-tasks.amazonaws.com"


class EcsCompute(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, vpc: ec2.IVpc, prefix: str, log_retention_days: int
    ) -> None:
        super().__init__(scope, id_)
        self.vpc, self.prefix = vpc, prefix
        self.log_retention_days = log_retention_days
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
            enable_fargate_capacity_providers=True,
        )
        self._logs_key: kms.Key | None = None

    @property
    def log_group_prefix(self) -> str:
        return f"/{self.prefix}/ecs/"

    def log_group(self, scope: Construct, id_: str, *, name: str) -> logs.LogGroup:
        """A KMS-encrypted log group with the profile's retention (cdk-nag ECS7, spec §10)."""
        if self._logs_key is None:
            stack = Stack.of(self)
            self._logs_key = logs_key(
                self,
                "LogsKey",
                alias=f"alias/{self.prefix}/ecs-logs",
                log_group_arn_pattern=f"arn:aws:logs:{stack.region}:{stack.account}:log-group:{self.log_group_prefix}*",
            )
        return logs.LogGroup(
            scope,
            id_,
            log_group_name=f"{self.log_group_prefix}{name}",
            encryption_key=self._logs_key,
            retention=log_retention(self.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )


def _internal_alb(
    scope: Construct,
    *,
    vpc: ec2.IVpc,
    subnets: ec2.SubnetSelection,
    security_group: ec2.ISecurityGroup,
    access_logs: s3.IBucket,
    logs_prefix: str,
) -> elbv2.ApplicationLoadBalancer:
    alb = elbv2.ApplicationLoadBalancer(
        scope,
        "Alb",
        vpc=vpc,
        vpc_subnets=subnets,
        internet_facing=False,
        security_group=security_group,
        drop_invalid_header_fields=True,
        # Set, not left to the default, so it cannot drift from the keep-alive of api and ai, which
        # foundry_contract.timeouts keeps longer (else the ALB answers 502 on a socket they closed):
        # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout
        idle_timeout=Duration.seconds(ALB_IDLE_TIMEOUT_SECONDS),
    )
    alb.log_access_logs(access_logs, prefix=logs_prefix)
    return alb


def _plain_http_inside_the_vpc(listener: elbv2.ApplicationListener, *, why: str) -> None:
    """checkov wants HTTPS (CKV_AWS_2) and a TLS 1.2 policy (CKV_AWS_103) on every ALB listener; these
    listeners are internal, with no public address, so TLS would need a certificate for a name we own."""
    for check_id in ("CKV_AWS_2", "CKV_AWS_103"):
        skip_checkov(listener, check_id, reason=why)


class OriginLoadBalancer(Construct):
    """CloudFront → (VPC origin) → this internal ALB → web and api tasks."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        cloudfront_prefix_list_id: str,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, id_)
        self.security_group = ec2.SecurityGroup(
            self,
            "Sg",
            vpc=vpc,
            description="Origin ALB - HTTP from the CloudFront origin-facing prefix list only",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(
            ec2.Peer.prefix_list(cloudfront_prefix_list_id),
            ec2.Port.tcp(HTTP_PORT),
            "CloudFront VPC origin (com.amazonaws.global.cloudfront.origin-facing)",
        )
        self.alb = _internal_alb(
            self,
            vpc=vpc,
            subnets=subnets,
            security_group=self.security_group,
            access_logs=access_logs,
            logs_prefix="alb/origin",
        )
        self.listener = self.alb.add_listener(
            "Http",
            port=HTTP_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            open=False,
            default_action=elbv2.ListenerAction.fixed_response(404, content_type="text/plain"),
        )
        _plain_http_inside_the_vpc(
            self.listener,
            why="Internal ALB reached only by CloudFront's VPC origin (prefix-list security group) over "
            "HTTP inside the VPC; viewers get TLS at CloudFront. HTTPS here needs a certificate for an "
            "owned domain (docs/compute-backends.md); verify reports it as a DEVIATION.",
        )
        # One VPC origin for the ALB; CloudFront's web and api origins both use it.
        self.vpc_origin = cloudfront.VpcOrigin(
            self,
            "VpcOrigin",
            endpoint=cloudfront.VpcOriginEndpoint.application_load_balancer(self.alb),
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTP_ONLY,
            http_port=HTTP_PORT,
        )

    def origin(self, *, custom_headers: dict[str, str] | None = None) -> cloudfront.IOrigin:
        return origins.VpcOrigin.with_vpc_origin(
            self.vpc_origin,
            custom_headers=custom_headers,
            read_timeout=Duration.seconds(30),
        )

    def route(
        self, *, service: "FargateWebService", path_patterns: Sequence[str] | None, priority: int = 10
    ) -> None:
        """Send these paths (or, without paths, everything else) to a service."""
        if path_patterns:
            self.listener.add_target_groups(
                f"{service.node.id}Rule",
                target_groups=[service.target_group],
                priority=priority,
                conditions=[elbv2.ListenerCondition.path_patterns(list(path_patterns))],
            )
        else:
            self.listener.add_target_groups(f"{service.node.id}Default", target_groups=[service.target_group])
        service.scale()


class InternalLoadBalancer(Construct):
    """Callers inside the VPC → this internal ALB → ai tasks (port 80) and vLLM (its own port)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, id_)
        self.security_group = ec2.SecurityGroup(
            self,
            "Sg",
            vpc=vpc,
            description="Internal ALB - each listener admits only the security groups of its callers",
            allow_all_outbound=False,
        )
        self.alb = _internal_alb(
            self,
            vpc=vpc,
            subnets=subnets,
            security_group=self.security_group,
            access_logs=access_logs,
            logs_prefix="alb/internal",
        )

    def add_listener(
        self,
        id_: str,
        *,
        port: int,
        callers: Sequence[tuple[str, ec2.ISecurityGroup]],
        target_group: elbv2.IApplicationTargetGroup,
    ) -> elbv2.ApplicationListener:
        for description, caller in callers:
            self.security_group.add_ingress_rule(caller, ec2.Port.tcp(port), description)
            caller.add_egress_rule(self.security_group, ec2.Port.tcp(port), f"Internal ALB port {port}")
        listener = self.alb.add_listener(
            id_,
            port=port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            open=False,
            default_target_groups=[target_group],
        )
        _plain_http_inside_the_vpc(
            listener,
            why="Internal ALB with no public address whose listener admits only the callers' security "
            "groups (sg-api, sg-ai) inside the VPC; ai and vLLM also require their own API key. HTTPS "
            "here needs a certificate for an owned domain (docs/compute-backends.md).",
        )
        return listener

    def serve(
        self, service: "FargateWebService", *, callers: Sequence[tuple[str, ec2.ISecurityGroup]]
    ) -> str:
        """Put a Fargate service on port 80 for these callers; returns its URL."""
        self.add_listener(
            f"{service.node.id}Listener", port=HTTP_PORT, callers=callers, target_group=service.target_group
        )
        service.scale()
        return self.url(HTTP_PORT)

    def url(self, port: int) -> str:
        suffix = "" if port == HTTP_PORT else f":{port}"
        return f"http://{self.alb.load_balancer_dns_name}{suffix}"


@dataclass(frozen=True, kw_only=True)
class FargateSettings:
    """What every Fargate service of an environment shares (services.* in the profile)."""

    cluster: ecs.ICluster
    subnets: ec2.SubnetSelection
    architecture: ecs.CpuArchitecture
    spot: bool
    cpu_target_percent: int

    @classmethod
    def of(
        cls, *, config: ServicesConfig, cluster: ecs.ICluster, subnets: ec2.SubnetSelection
    ) -> "FargateSettings":
        return cls(
            cluster=cluster,
            subnets=subnets,
            architecture=cpu_architecture(config.ecs_cpu_architecture),
            spot=config.fargate_spot,
            cpu_target_percent=config.ecs_cpu_target_percent,
        )


class FargateWebService(Construct):
    """One service on Fargate: task definition, service with circuit breaker and rollback, target
    group with the /healthz check, and target tracking on CPU and requests per target."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        config: ServiceConfig,
        settings: FargateSettings,
        repository: ecr.IRepository,
        task_role: iam.IRole,
        environment: ServiceEnvironment,
        security_group: ec2.ISecurityGroup,
        log_group: logs.ILogGroup,
        collector: tuple[TracingConfig, str] | None = None,
    ) -> None:
        """`collector`: the tracing settings and SSM parameter name of the ADOT sidecar a traced
        service (api, ai with ops.tracing) carries (services/collector.py)."""
        super().__init__(scope, id_)
        self.name = name
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            family=name,
            cpu=config.cpu,
            memory_limit_mib=config.memory,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=settings.architecture,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            task_role=task_role,
        )
        self.container = self.task_definition.add_container(
            "App",
            image=ecs.ContainerImage.from_ecr_repository(repository, config.image_tag),
            environment=dict(sorted(environment.plain.items())),
            secrets={
                key: ecs.Secret.from_secrets_manager(secret)
                for key, secret in sorted(environment.secrets.items())
            },
            port_mappings=[ecs.PortMapping(container_port=CONTAINER_PORT, protocol=ecs.Protocol.TCP)],
            # The images App Runner runs, unchanged: web's nginx renders its config at start, so the
            # root filesystem stays writable as it is on App Runner.
            logging=ecs.LogDrivers.aws_logs(stream_prefix=id_.lower(), log_group=log_group),
        )
        self.collector: CollectorSidecar | None = None
        if collector is not None:
            tracing, parameter_name = collector
            self.collector = CollectorSidecar(
                self,
                "Collector",
                task_definition=self.task_definition,
                config=tracing,
                parameter_name=parameter_name,
                log_group=log_group,
            )
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            reason="The plain environment holds only non-secret settings, each name checked against the "
            "contract by ServiceEnvironment; every secret arrives through `secrets` from Secrets Manager.",
        )
        execution_policy = self.task_definition.execution_role.node.try_find_child("DefaultPolicy")  # type: ignore[union-attr]
        if execution_policy is not None:
            acknowledge(
                execution_policy,
                "AwsSolutions-IAM5[Resource::*]",
                reason="ecr:GetAuthorizationToken has no resource type and must be granted on '*'; image "
                "pulls are limited to this service's repository.",
            )
        capacity = "FARGATE_SPOT" if settings.spot else "FARGATE"
        self.service = ecs.FargateService(
            self,
            "Service",
            service_name=name,
            cluster=settings.cluster,
            task_definition=self.task_definition,
            desired_count=config.min_instances,
            vpc_subnets=settings.subnets,
            security_groups=[security_group],
            assign_public_ip=False,
            capacity_provider_strategies=[ecs.CapacityProviderStrategy(capacity_provider=capacity, weight=1)],
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=200,
            health_check_grace_period=Duration.seconds(60),
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "Targets",
            vpc=settings.cluster.vpc,
            port=CONTAINER_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path=HEALTH_PATH,
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
            # Attaching the service to a listener's target group is what opens the task security group:
            # CDK adds "load balancer → tasks on the container port" to both groups, nothing wider.
            targets=[self.service],
        )
        self._config, self._settings = config, settings

    def scale(self) -> None:
        """Target tracking between min and max on CPU and on requests per target; call once the
        target group is attached to a listener (the request metric needs its load balancer)."""
        scaling = self.service.auto_scale_task_count(
            min_capacity=self._config.min_instances, max_capacity=self._config.max_instances
        )
        scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=self._settings.cpu_target_percent)
        scaling.scale_on_request_count(
            "Requests",
            requests_per_target=self._config.requests_per_target_per_minute,
            target_group=self.target_group,
        )

    @property
    def arn(self) -> str:
        return self.service.service_arn
