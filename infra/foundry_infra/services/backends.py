"""Where the services run (issue 6, spec §3, §8, §9): each on App Runner or on Fargate, as its profile
says, and what reaches each one.

`ServiceBackends` hides that choice from the stack. It runs each service with the role and environment
the stack gives it and hands back what the stack wires next: ai's URL (a private ingress endpoint on
App Runner, the internal load balancer on Fargate), web's CloudFront origin (its App Runner URL, the
origin load balancer's VPC origin, or the assets bucket) and api's endpoint (its App Runner domain, or
the origin load balancer that routes the API paths to its tasks).

It is a builder, not a Construct: what it creates are children of the stack, at the construct paths,
and so with the CloudFormation logical ids, they had when the stack wrote them inline, so an update
replaces nothing. Its steps therefore run in the stack's order too (`run_ai`, `run_web`, `run_api`),
and each load balancer is created just before the first service behind it.
"""

from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct
from foundry_contract import API_PATH_PATTERNS, Service

from foundry_infra.config.model import EnvironmentConfig, ServiceConfig
from foundry_infra.edge.distribution import origin_verify_headers
from foundry_infra.network.security_groups import ServiceSecurityGroups
from foundry_infra.network.vpc import Network
from foundry_infra.observability.tracing import TRACED_SERVICES, Tracing
from foundry_infra.services.apprunner import AppRunnerService, PrivateIngress
from foundry_infra.services.ecs import (
    ECS_TASKS,
    EcsCompute,
    FargateSettings,
    FargateWebService,
    InternalLoadBalancer,
    OriginLoadBalancer,
)
from foundry_infra.services.environment import ServiceEnvironment
from foundry_infra.services.gpu import VLLM_PORT, GpuInference
from foundry_infra.services.registry import ImportedRegistry
from foundry_infra.services.roles import EcrAccessRole, ServiceRole

APP_RUNNER_TASKS = "tasks.apprunner.amazonaws.com"

RunningService = AppRunnerService | FargateWebService


class ServiceBackends:
    def __init__(
        self,
        scope: Construct,
        *,
        config: EnvironmentConfig,
        network: Network,
        groups: ServiceSecurityGroups,
        registry: ImportedRegistry,
        access_logs: s3.IBucket,
    ) -> None:
        self._scope, self._config, self._network, self._groups = scope, config, network, groups
        self._registry, self._access_logs = registry, access_logs
        self._name = f"foundry-{config.name}"
        self.access_role = (
            EcrAccessRole(scope, "EcrAccess", repositories=list(registry.repositories.values()))
            if config.services.on("apprunner")
            else None
        )
        # Always created: a cluster costs nothing, and the migration runner and the GPU path use it too.
        self.compute = EcsCompute(
            scope,
            "Compute",
            vpc=network.vpc,
            prefix=f"foundry/{config.name}",
            log_retention_days=config.ops.log_retention_days,
        )
        self._fargate = FargateSettings.of(
            config=config.services, cluster=self.compute.cluster, subnets=network.app_subnets
        )
        self.internal_lb: InternalLoadBalancer | None = None
        self.origin_lb: OriginLoadBalancer | None = None
        self.ai_ingress: PrivateIngress | None = None
        self.gpu: GpuInference | None = None
        self._running: dict[Service, RunningService] = {}

    def principal(self, service: Service) -> iam.IPrincipal:
        """Who assumes a service's role: the backend that runs it (App Runner instance or ECS task)."""
        on_ecs = self._service_config(service).compute == "ecs"
        return iam.ServicePrincipal(ECS_TASKS if on_ecs else APP_RUNNER_TASKS)

    def add_gpu(self, *, api_key: sm.ISecret) -> str:
        """Spec §9: vLLM on GPU instances behind the internal load balancer, reachable from ai and api
        only; returns its URL (ai's upstream instead of the external provider)."""
        internal_lb = self._internal_load_balancer()
        self.gpu = GpuInference(
            self._scope,
            "Gpu",
            name=self._name,
            config=self._config.gpu,
            compute=self.compute,
            subnets=self._network.app_subnets,
            api_key=api_key,
            access_logs=self._access_logs,
        )
        callers = [("ai (sg-ai)", self._groups.ai), ("api (sg-api)", self._groups.api)]
        internal_lb.add_listener("Vllm", port=VLLM_PORT, callers=callers, target_group=self.gpu.target_group)
        self.gpu.scale()
        if self._config.gpu.nlb:
            self.gpu.add_nlb(subnets=self._network.app_subnets, callers=callers)
        return internal_lb.url(VLLM_PORT)

    def run_ai(self, *, role: ServiceRole, environment: ServiceEnvironment, tracing: Tracing | None) -> str:
        """Spec §3.3: ai answers only api. On App Runner through a private ingress endpoint; on ECS
        through the internal load balancer, whose ai listener admits sg-api alone. Returns ai's URL."""
        api_group = self._groups.api
        if self._on_ecs(Service.AI):
            internal_lb = self._internal_load_balancer()  # before the tasks, as the stack always had it
            tasks = self._fargate_service(Service.AI, role=role, environment=environment)
            return internal_lb.serve(tasks, callers=[("api tasks or connector (sg-api) only", api_group)])
        service = self._app_runner_service(
            Service.AI, role=role, environment=environment, public=False, tracing=tracing
        )
        self.ai_ingress = PrivateIngress(
            self._scope,
            "AiIngress",
            service=service,
            vpc=self._network.vpc,
            # In as many AZs as the other interface endpoints (network.interface_endpoint_azs).
            subnets=self._network.endpoint_subnets,
            allowed_peers=[api_group],
        )
        return self.ai_ingress.url

    def run_web(
        self,
        *,
        role: ServiceRole,
        environment: ServiceEnvironment,
        origin_verify: sm.ISecret,
        assets: s3.IBucket,
    ) -> cloudfront.IOrigin:
        """web's CloudFront origin: the assets bucket through OAC (edge.web_origin = s3), else the web
        service with the origin-verify header, on App Runner by its URL, on ECS by the origin load
        balancer's VPC origin."""
        if self._on_ecs(Service.WEB) or self._on_ecs(Service.API):
            self._origin_load_balancer()  # before web's service, where the stack has always created it
        if self._config.edge.web_origin == "s3":
            return origins.S3BucketOrigin.with_origin_access_control(assets)
        headers = origin_verify_headers(origin_verify)
        if self._on_ecs(Service.WEB):
            tasks = self._fargate_service(Service.WEB, role=role, environment=environment)
            origin_lb = self._origin_load_balancer()
            origin_lb.route(service=tasks, path_patterns=None)
            return origin_lb.origin(custom_headers=headers)
        service = self._app_runner_service(
            Service.WEB, role=role, environment=environment, public=True, tracing=None
        )
        return origins.HttpOrigin(
            service.url,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            custom_headers=headers,
        )

    def run_api(
        self, *, role: ServiceRole, environment: ServiceEnvironment, tracing: Tracing | None
    ) -> str | OriginLoadBalancer:
        """api's endpoint for CloudFront: its App Runner domain, or the origin load balancer, which
        sends the API paths to its tasks."""
        if self._on_ecs(Service.API):
            tasks = self._fargate_service(Service.API, role=role, environment=environment)
            origin_lb = self._origin_load_balancer()
            origin_lb.route(service=tasks, path_patterns=API_PATH_PATTERNS)
            return origin_lb
        return self._app_runner_service(
            Service.API, role=role, environment=environment, public=True, tracing=tracing
        ).url

    @property
    def running(self) -> dict[Service, RunningService]:
        """The running services in the diagram's order, web, api, ai (web is absent when the assets
        bucket serves it): the order of the dashboard's rows and of the stack's outputs."""
        order = (Service.WEB, Service.API, Service.AI)
        return {service: self._running[service] for service in order if service in self._running}

    @property
    def api(self) -> RunningService:
        return self._running[Service.API]

    @property
    def services(self) -> list[RunningService]:
        return list(self.running.values())

    @property
    def gpu_security_groups(self) -> list[ec2.ISecurityGroup]:
        """The GPU instances' group, when there is a GPU path: it needs the AWS interface endpoints."""
        return [self.gpu.instance_security_group] if self.gpu is not None else []

    @property
    def app_runner_services(self) -> list[AppRunnerService]:
        return [service for service in self.services if isinstance(service, AppRunnerService)]

    def _service_config(self, service: Service) -> ServiceConfig:
        config: ServiceConfig = getattr(self._config.services, service.value)
        return config

    def _on_ecs(self, service: Service) -> bool:
        return self._service_config(service).compute == "ecs"

    def _internal_load_balancer(self) -> InternalLoadBalancer:
        if self.internal_lb is None:
            self.internal_lb = InternalLoadBalancer(
                self._scope,
                "InternalLb",
                vpc=self._network.vpc,
                subnets=self._network.app_subnets,
                access_logs=self._access_logs,
            )
        return self.internal_lb

    def _origin_load_balancer(self) -> OriginLoadBalancer:
        if self.origin_lb is None:
            self.origin_lb = OriginLoadBalancer(
                self._scope,
                "OriginLb",
                vpc=self._network.vpc,
                subnets=self._network.app_subnets,
                cloudfront_prefix_list_id=self._config.cloudfront_prefix_list_id,
                access_logs=self._access_logs,
            )
        return self.origin_lb

    def _security_group(self, service: Service) -> ec2.ISecurityGroup | None:
        groups = self._groups
        return {Service.WEB: groups.web, Service.API: groups.api, Service.AI: groups.ai}[service]

    def _fargate_service(
        self, service: Service, *, role: ServiceRole, environment: ServiceEnvironment
    ) -> FargateWebService:
        label, security_group = service.value.capitalize(), self._security_group(service)
        if security_group is None:
            raise ValueError(f"{service} runs on ECS but has no security group (ServiceSecurityGroups)")
        tasks = FargateWebService(
            self._scope,
            f"{label}Tasks",
            name=f"{self._name}-{service.value}",
            config=self._service_config(service),
            settings=self._fargate,
            repository=self._registry.repositories[service],
            task_role=role.role,
            environment=environment,
            security_group=security_group,
            log_group=self.compute.log_group(self._scope, f"{label}Logs", name=service.value),
            # Issue 17: a traced service's task carries its ADOT collector (App Runner runs its own).
            collector=(self._config.tracing, f"/foundry/{self._config.name}/{service.value}/collector-config")
            if self._config.ops.tracing and service in TRACED_SERVICES
            else None,
        )
        self._running[service] = tasks
        return tasks

    def _app_runner_service(
        self,
        service: Service,
        *,
        role: ServiceRole,
        environment: ServiceEnvironment,
        public: bool,
        tracing: Tracing | None,
    ) -> AppRunnerService:
        if self.access_role is None:
            raise ValueError(f"{service} runs on App Runner but no ECR access role was created")
        security_group = self._security_group(service)
        app = AppRunnerService(
            self._scope,
            service.value.capitalize(),
            name=f"{self._name}-{service.value}",
            config=self._service_config(service),
            repository=self._registry.repositories[service],
            access_role=self.access_role.role,
            instance_role=role.role,
            environment=environment,
            public=public,
            # App Runner's web has no side in the VPC; api and ai leave through a VPC connector.
            vpc_egress=(self._network.vpc.select_subnets(subnet_group_name="app"), security_group)
            if security_group is not None
            else None,
            observability_configuration_arn=tracing.arn if tracing is not None else None,
        )
        self._running[service] = app
        return app
