"""The regional platform of one environment, composed as the spec draws it:
edge → services → data, inside a VPC whose security groups carry the spec's arrows."""

from aws_cdk import CfnOutput, Environment, Fn, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct
from foundry_contract import (
    API_DATABASE_USER,
    API_PATH_PATTERNS,
    DATABASE_TLS,
    Service,
    content_security_policy,
    uploads_origins,
)

from foundry_infra import outputs
from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.data.buckets import AI_PREFIX, UPLOADS_PREFIX, Buckets
from foundry_infra.data.database import Database
from foundry_infra.data.migrations import MigrationRunner
from foundry_infra.data.secrets import AppSecrets
from foundry_infra.delivery.github import GithubDelivery
from foundry_infra.edge import references
from foundry_infra.edge.distribution import Distribution, origin_verify_headers
from foundry_infra.edge.dns import AliasRecords, hosted_zone
from foundry_infra.network.security_groups import ServiceSecurityGroups
from foundry_infra.network.vpc import Network
from foundry_infra.observability.alarms import PlatformAlarms
from foundry_infra.observability.alerts import AlarmTopic
from foundry_infra.observability.cost import CostGuards
from foundry_infra.observability.dashboard import Dashboard
from foundry_infra.observability.logs import ServiceLogs
from foundry_infra.observability.metrics import nat_gateway_ids
from foundry_infra.observability.tracing import Tracing
from foundry_infra.security.keys import Keys
from foundry_infra.services.apprunner import AppRunnerService, PrivateIngress
from foundry_infra.services.ecs import (
    ECS_TASKS,
    EcsCompute,
    FargateSettings,
    FargateWebService,
    InternalLoadBalancer,
    OriginLoadBalancer,
)
from foundry_infra.services.environment import ServiceEnvironment, api_database_login
from foundry_infra.services.gpu import VLLM_PORT, GpuInference
from foundry_infra.services.registry import ImportedRegistry
from foundry_infra.services.roles import (
    EcrAccessRole,
    ServiceRole,
    object_prefix_statements,
    put_metrics_statement,
    read_secrets_statements,
)
from foundry_infra.stacks.edge_global import EDGE_REGION, EdgeGlobalStack

APP_RUNNER_TASKS = "tasks.apprunner.amazonaws.com"
UNSET_AUTHORIZED_PARTY = "https://authorized-parties-not-set.invalid"


class PlatformStack(Stack):
    def __init__(
        self, scope: Construct, id_: str, *, config: EnvironmentConfig, edge: EdgeGlobalStack
    ) -> None:
        super().__init__(
            scope,
            id_,
            env=Environment(account=config.account, region=config.region),
            description=f"Foundry {config.name}: network, data, services, edge, operations (spec §1-7, §10, §12, §14)",
        )
        self.config = config
        # The edge stack's values arrive by parameter name (edge/references.py), not as references, so
        # the order is stated here.
        self.add_stack_dependency(edge)
        prefix, name = f"foundry/{config.name}", f"foundry-{config.name}"
        region = config.region

        keys = Keys(self, "Keys", prefix=prefix)
        network = Network(
            self, "Network", config=config.network, logs_key=keys.logs, log_group_prefix=f"/{prefix}"
        )
        on_ecs = config.services.on("ecs")
        groups = ServiceSecurityGroups(self, "SecurityGroups", vpc=network.vpc, web="web" in on_ecs)
        buckets = Buckets(
            self, "Buckets", storage_key=keys.storage, account=config.account, region=region, prefix=name
        )
        secrets = AppSecrets(self, "Secrets", key=keys.secrets, prefix=prefix)
        database = Database(
            self,
            "Database",
            config=config.database,
            vpc=network.vpc,
            subnets=network.data_subnets,
            rotation_subnets=network.app_subnets,
            security_group=groups.database,
            storage_key=keys.database,
            secrets_key=keys.secrets,
            secrets_endpoint=network.interface_endpoints.get("secretsmanager"),
            prefix=prefix,
            log_retention_days=config.ops.log_retention_days,
            logs_key=keys.logs,
        )

        # The arrows of spec §3: api → database; api, ai → AWS endpoints and, through NAT, the internet.
        database_clients = [groups.api, groups.ai] if config.database.allow_from_ai else [groups.api]
        database_port = ec2.Port.tcp(5432)
        for client in database_clients:
            target = database.proxy_security_group or groups.database
            target.add_ingress_rule(client, database_port, "PostgreSQL from the service")
            client.add_egress_rule(target, database_port, "PostgreSQL")
        # Fargate tasks pull their image and write their logs from their own network interfaces, so an
        # ECS web needs the same way out; App Runner's web needs none (it has no VPC connector).
        for group in groups.in_vpc:
            network.admit_to_endpoints(group, description="HTTPS to AWS interface endpoints")
            group.add_egress_rule(
                ec2.Peer.any_ipv4(),
                ec2.Port.tcp(443),
                "HTTPS out: interface endpoints, S3 gateway endpoint, and external APIs through the NAT",
            )

        # The repositories live in the registry stack, deployed first (stacks/registry.py).
        registry = ImportedRegistry(self, "Registry", prefix=prefix)
        on_apprunner = config.services.on("apprunner")
        access_role = (
            EcrAccessRole(self, "EcrAccess", repositories=list(registry.repositories.values()))
            if on_apprunner
            else None
        )
        # One role per service whatever its backend: the same statements, trusted by the backend that
        # runs it (App Runner instance role or ECS task role).
        trust = {"apprunner": iam.ServicePrincipal(APP_RUNNER_TASKS), "ecs": iam.ServicePrincipal(ECS_TASKS)}
        compute = EcsCompute(
            self, "Compute", vpc=network.vpc, prefix=prefix, log_retention_days=config.ops.log_retention_days
        )
        fargate = FargateSettings.of(
            config=config.services, cluster=compute.cluster, subnets=network.app_subnets
        )

        ai_role = ServiceRole(
            self,
            "AiRole",
            role_name_hint="role-ai",
            assumed_by=[trust[config.services.ai.compute]],
            statements=[
                *read_secrets_statements(
                    secrets=[secrets.internal_api_key, secrets.ai_provider_key],
                    key=keys.secrets,
                    region=region,
                ),
                *object_prefix_statements(
                    bucket=buckets.uploads, prefix=AI_PREFIX, key=keys.storage, region=region
                ),
            ],
            object_prefix=AI_PREFIX,
        )
        api_role = ServiceRole(
            self,
            "ApiRole",
            role_name_hint="role-api",
            assumed_by=[trust[config.services.api.compute]],
            statements=[
                *read_secrets_statements(
                    # Not the database's master secret: that is the migration runner's alone (issue 19).
                    secrets=[secrets.clerk_secret_key, secrets.internal_api_key, secrets.origin_verify],
                    key=keys.secrets,
                    region=region,
                ),
                *object_prefix_statements(
                    bucket=buckets.uploads, prefix=UPLOADS_PREFIX, key=keys.storage, region=region
                ),
                # The api logs in as its own role with RDS IAM tokens (core/credentials.py).
                database.connect_statement(db_user=API_DATABASE_USER),
            ],
            object_prefix=UPLOADS_PREFIX,
        )
        web_role = ServiceRole(
            self,
            "WebRole",
            role_name_hint="role-web",
            assumed_by=[trust[config.services.web.compute]],
            statements=[
                put_metrics_statement(namespace="Foundry/web"),
                # web's nginx compares CloudFront's origin-verify header with this secret.
                *read_secrets_statements(secrets=[secrets.origin_verify], key=keys.secrets, region=region),
            ],
        )

        # Spec §10: api and ai send X-Ray traces through App Runner's observability configuration.
        tracing = Tracing(self, "Tracing", name=f"{name}-tracing") if config.ops.tracing else None
        if tracing is not None:
            tracing.allow(ai_role.policy)
            tracing.allow(api_role.policy)
        tracing_arn = tracing.arn if tracing is not None else None

        # Spec §3.3: ai answers only api. On App Runner through a private ingress endpoint; on ECS
        # through the internal load balancer, whose ai listener admits sg-api alone.
        internal_lb = (
            InternalLoadBalancer(
                self, "InternalLb", vpc=network.vpc, subnets=network.app_subnets, access_logs=buckets.logs
            )
            if "ai" in on_ecs or config.gpu.enabled
            else None
        )
        # Spec §9: with the GPU path on, ai's upstream is vLLM on the internal load balancer, reachable
        # from ai and api only, instead of the external provider.
        self.gpu: GpuInference | None = None
        upstream_base_url, upstream_model = config.ai.base_url, config.ai.model
        if config.gpu.enabled and internal_lb is not None:
            self.gpu = GpuInference(
                self,
                "Gpu",
                name=name,
                config=config.gpu,
                compute=compute,
                subnets=network.app_subnets,
                api_key=secrets.ai_provider_key,
                access_logs=buckets.logs,
            )
            callers = [("ai (sg-ai)", groups.ai), ("api (sg-api)", groups.api)]
            internal_lb.add_listener(
                "Vllm", port=VLLM_PORT, callers=callers, target_group=self.gpu.target_group
            )
            self.gpu.scale()
            if config.gpu.nlb:
                self.gpu.add_nlb(subnets=network.app_subnets, callers=callers)
            upstream_base_url, upstream_model = f"{internal_lb.url(VLLM_PORT)}/v1", config.gpu.model
        ai_environment = ServiceEnvironment(
            service=Service.AI,
            plain={
                "PORT": "8080",
                "FOUNDRY_ENV": config.name,
                "AI_UPSTREAM_BASE_URL": upstream_base_url,
                "AI_UPSTREAM_MODEL": upstream_model,
            },
            secrets={
                "AI_INTERNAL_API_KEY": secrets.internal_api_key,
                "AI_UPSTREAM_API_KEY": secrets.ai_provider_key,
            },
        )

        def run(
            service: Service,
            *,
            role: ServiceRole,
            environment: ServiceEnvironment,
            security_group: ec2.ISecurityGroup | None,
            public: bool,
            traced: bool,
        ) -> AppRunnerService | FargateWebService:
            """One service on the backend its profile names (issue 6): the same image, role, environment
            and security group either way; the callers wire what reaches it."""
            label, service_config = service.value.capitalize(), getattr(config.services, service.value)
            if service_config.compute == "ecs":
                assert security_group is not None
                return FargateWebService(
                    self,
                    f"{label}Tasks",
                    name=f"{name}-{service.value}",
                    config=service_config,
                    settings=fargate,
                    repository=registry.repositories[service],
                    task_role=role.role,
                    environment=environment,
                    security_group=security_group,
                    log_group=compute.log_group(self, f"{label}Logs", name=service.value),
                )
            assert access_role is not None
            return AppRunnerService(
                self,
                label,
                name=f"{name}-{service.value}",
                config=service_config,
                repository=registry.repositories[service],
                access_role=access_role.role,
                instance_role=role.role,
                environment=environment,
                public=public,
                vpc_egress=(network.vpc.select_subnets(subnet_group_name="app"), security_group)
                if security_group is not None
                else None,
                observability_configuration_arn=tracing_arn if traced else None,
            )

        ai = run(
            Service.AI,
            role=ai_role,
            environment=ai_environment,
            security_group=groups.ai,
            public=False,
            traced=True,
        )
        ai_ingress: PrivateIngress | None = None
        if isinstance(ai, AppRunnerService):
            ai_ingress = PrivateIngress(
                self,
                "AiIngress",
                service=ai,
                vpc=network.vpc,
                subnets=network.data_subnets,
                allowed_peers=[groups.api],
            )
            ai_url = ai_ingress.url
        else:
            assert internal_lb is not None
            ai_url = internal_lb.serve(ai, callers=[("api tasks or connector (sg-api) only", groups.api)])

        origin_lb = (
            OriginLoadBalancer(
                self,
                "OriginLb",
                vpc=network.vpc,
                subnets=network.app_subnets,
                cloudfront_prefix_list_id=config.cloudfront_prefix_list_id,
                access_logs=buckets.logs,
            )
            if {"web", "api"} & set(on_ecs)
            else None
        )

        self.web_service: AppRunnerService | FargateWebService | None = None
        web_origin: cloudfront.IOrigin
        web_environment = ServiceEnvironment(
            service=Service.WEB,
            plain={"PORT": "8080", "FOUNDRY_ENV": config.name},
            secrets={"ORIGIN_VERIFY_SECRET": secrets.origin_verify},
        )
        if config.edge.web_origin == "apprunner":
            self.web_service = run(
                Service.WEB,
                role=web_role,
                environment=web_environment,
                security_group=groups.web,
                public=True,
                traced=False,
            )
            if isinstance(self.web_service, FargateWebService):
                assert origin_lb is not None
                origin_lb.route(service=self.web_service, path_patterns=None)
                web_origin = origin_lb.origin(custom_headers=origin_verify_headers(secrets.origin_verify))
            else:
                web_origin = origins.HttpOrigin(
                    self.web_service.url,
                    protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                    origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                    custom_headers=origin_verify_headers(secrets.origin_verify),
                )
        else:
            web_origin = origins.S3BucketOrigin.with_origin_access_control(buckets.assets)

        site_origin = f"https://{config.edge.domain_name}" if config.edge.domain_name else None
        # CloudFront needs the api's URL, so the api cannot also take the distribution's domain (a
        # cycle). With a custom domain the site origin is known up front; without one, the operator sets
        # auth.authorized_parties to the SiteUrl output after the first deploy, and until then the
        # placeholder below admits no token (foundry verify reports it).
        api_env_plain = {
            "PORT": "8080",
            "FOUNDRY_ENV": config.name,
            "DATABASE_HOST": database.endpoint_address,
            **DATABASE_TLS,
            **api_database_login(region=region),
            "DATABASE_PROXY": "true" if database.proxy is not None else "false",
            "UPLOADS_BUCKET": buckets.uploads_bucket_name,
            "UPLOADS_BUCKET_REGION": region,
            "CLERK_ISSUER": config.auth.clerk_issuer,
            "CLERK_JWKS_URL": f"{config.auth.clerk_issuer.rstrip('/')}/.well-known/jwks.json",
            "AI_SERVICE_URL": ai_url,
        }
        api_environment = ServiceEnvironment(
            service=Service.API,
            plain={
                **api_env_plain,
                "CLERK_AUTHORIZED_PARTIES": ",".join(config.auth.authorized_parties)
                or site_origin
                or UNSET_AUTHORIZED_PARTY,
            },
            secrets={
                "CLERK_SECRET_KEY": secrets.clerk_secret_key,
                "ORIGIN_VERIFY_SECRET": secrets.origin_verify,
                "AI_INTERNAL_API_KEY": secrets.internal_api_key,
            },
        )
        api = run(
            Service.API,
            role=api_role,
            environment=api_environment,
            security_group=groups.api,
            public=True,
            traced=True,
        )
        api_endpoint: str | OriginLoadBalancer
        if isinstance(api, FargateWebService):
            assert origin_lb is not None
            origin_lb.route(service=api, path_patterns=API_PATH_PATTERNS)
            api_endpoint = origin_lb
        else:
            api_endpoint = api.url

        distribution = Distribution(
            self,
            "Edge",
            config=config.edge,
            web_origin=web_origin,
            api_endpoint=api_endpoint,
            origin_verify=secrets.origin_verify,
            web_acl_arn=references.read(self, environment=config.name, key=references.WEB_ACL_ARN),
            certificate=references.certificate(
                self, "EdgeCertificate", environment=config.name, domain_name=config.edge.domain_name
            )
            if edge.certificate is not None and config.edge.domain_name
            else None,
            log_bucket=buckets.logs,
            # The twin's edge builds its policy with the same function (foundry_contract.edge).
            content_security_policy=content_security_policy(
                uploads=uploads_origins(bucket=buckets.uploads_bucket_name, region=region),
                clerk_frontend_api=config.auth.clerk_issuer,
            ),
        )
        buckets.allow_uploads_from(origins=[site_origin or f"https://{distribution.domain_name}"])
        if config.edge.domain_name and config.edge.hosted_zone_id and config.edge.hosted_zone_name:
            zone = hosted_zone(
                self, "Zone", zone_id=config.edge.hosted_zone_id, zone_name=config.edge.hosted_zone_name
            )
            AliasRecords(
                self,
                "Aliases",
                zone=zone,
                domain_name=config.edge.domain_name,
                distribution=distribution.distribution,
            )

        # Spec §10, §14: logs, dashboard, alarms and cost guards; spec §6, §12: delivery.
        services = [service for service in (self.web_service, api, ai) if service is not None]
        nats = nat_gateway_ids(network.vpc)
        service_logs = ServiceLogs(
            self,
            "ServiceLogs",
            alias_prefix=prefix,
            service_name_prefix=f"{name}-",
            retention_days=config.ops.log_retention_days,
        )
        alerts = AlarmTopic(
            self, "Alerts", name=f"{name}-alarms", alias_prefix=prefix, email=config.ops.alarm_email
        )
        dashboard = Dashboard(
            self,
            "Dashboard",
            name=name,
            services=services,
            nat_gateway_ids=nats,
            database_instance_id=database.instance.instance_identifier,
            distribution_id=distribution.distribution.distribution_id,
            web_acl_metric_name=edge.web_acl_name,
            environment=config.name,
        )
        alarms = PlatformAlarms(
            self,
            "Alarms",
            config=config.ops,
            topic=alerts.topic,
            prefix=name,
            api=api,
            services=services,
            nat_gateway_ids=nats,
            database_instance_id=database.instance.instance_identifier,
            max_connections=database.max_connections,
            storage=config.database,
            environment=config.name,
        )
        # CloudFront and Route 53 publish metrics in us-east-1 only (observability/alarms.py).
        if region == EDGE_REGION:
            alarms.cloudfront(config=config.ops, distribution_id=distribution.distribution.distribution_id)
            if config.ops.health_check and not config.edge.domain_name:
                alarms.site_health(domain_name=distribution.domain_name, regions=config.health_check_regions)
        CostGuards(
            self, "CostGuards", config=config.ops, environment=config.name, topic=alerts.topic, name=name
        )
        delivery = GithubDelivery(
            self,
            "Delivery",
            config=config.delivery,
            repositories=list(registry.repositories.values()),
            service_arns={
                service.name: service.arn for service in services if isinstance(service, AppRunnerService)
            },
            log_group_arn_pattern=service_logs.log_group_arn_pattern,
            stack_names=[self.stack_name, f"{config.stack_prefix}-registry"],
            regions=[region, EDGE_REGION],
        )
        self.tracing, self.service_logs, self.alerts, self.dashboard = (
            tracing,
            service_logs,
            alerts,
            dashboard,
        )
        self.alarms, self.delivery = alarms, delivery

        migrations = MigrationRunner(
            self,
            "Migrations",
            cluster=compute.cluster,
            vpc=network.vpc,
            # Straight to the instance, never through RDS Proxy: the runner's advisory lock and its
            # session settings would pin a proxy connection for the whole run, and a lock taken
            # through a multiplexed connection is not guaranteed to stay on one backend.
            # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html
            database_security_group=groups.database,
            database_secret=database.secret,
            database_host=database.instance.db_instance_endpoint_address,
            repository=registry.repositories[Service.API],
            image_tag=config.database.migrations_image_tag or config.services.api.image_tag,
            environment_name=config.name,
            log_retention_days=config.ops.log_retention_days,
            logs_key=keys.logs,
            architecture=config.services.ecs_cpu_architecture,
        )
        delivery.allow_migrations(
            task_definition_arn=migrations.task_definition_arn,
            cluster_arn=migrations.cluster.cluster_arn,
            cluster_name=migrations.cluster.cluster_name,
            passed_role_arns=[
                migrations.task_role.role_arn,
                migrations.task_definition.obtain_execution_role().role_arn,
            ],
            log_group_arn=migrations.log_group.log_group_arn,
            database_instance_arn=database.instance.instance_arn,
            snapshot_prefix=f"foundry-{config.name}-pre-migrate-",
        )
        self.migrations = migrations
        # Interface endpoints with private DNS answer for their services' names across the VPC and drop
        # what their group does not admit (issue 20): the migration runner and the GPU instances pull
        # images, read secrets and write logs through them (the rotation function is admitted in
        # data/database.py). https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
        for workload in (
            migrations.security_group,
            *([self.gpu.instance_security_group] if self.gpu else []),
        ):
            network.admit_to_endpoints(workload, description="HTTPS to AWS interface endpoints")
        if config.edge.web_origin == "s3":
            delivery.allow_web_publish(
                bucket_arn=buckets.assets.bucket_arn,
                key_arn=keys.storage.key_arn,
                distribution_arn=self.format_arn(
                    service="cloudfront",
                    region="",
                    resource="distribution",
                    resource_name=distribution.distribution.distribution_id,
                ),
            )
        app_subnets = network.vpc.select_subnets(subnet_group_name="app").subnet_ids
        for key, value in {
            outputs.MIGRATIONS_CLUSTER: migrations.cluster.cluster_arn,
            outputs.MIGRATIONS_TASK_DEFINITION: migrations.task_definition_arn,
            outputs.MIGRATIONS_SUBNETS: Fn.join(",", app_subnets),
            outputs.MIGRATIONS_SECURITY_GROUP: migrations.security_group.security_group_id,
            outputs.MIGRATIONS_LOG_GROUP: migrations.log_group.log_group_name,
            outputs.DATABASE_INSTANCE_ID: database.instance.instance_identifier,
        }.items():
            CfnOutput(self, key, value=value)

        self.keys, self.network, self.groups, self.buckets = keys, network, groups, buckets
        self.secrets, self.database, self.registry = secrets, database, registry
        self.api, self.ai, self.ai_ingress, self.distribution = api, ai, ai_ingress, distribution
        self.compute, self.origin_lb, self.internal_lb = compute, origin_lb, internal_lb
        CfnOutput(self, "SiteUrl", value=site_origin or f"https://{distribution.domain_name}")
        if isinstance(api, AppRunnerService):
            CfnOutput(self, "ApiServiceUrl", value=f"https://{api.url}")
        CfnOutput(self, "UploadsBucket", value=buckets.uploads.bucket_name)
        CfnOutput(self, outputs.ASSETS_BUCKET, value=buckets.assets.bucket_name)
        CfnOutput(self, outputs.DISTRIBUTION_ID, value=distribution.distribution.distribution_id)
        # What the deploy workflow reads (.github/workflows/deploy.yml): services, roles, log settings.
        for service in services:
            short = service.name.rsplit("-", 1)[-1].capitalize()
            kind = "" if isinstance(service, AppRunnerService) else "Ecs"
            CfnOutput(self, f"{short}{kind}ServiceArn", value=service.arn)
            # The image running after this deploy, whichever the backend: the workflow's rollback target.
            tag = getattr(config.services, short.lower()).image_tag
            CfnOutput(self, outputs.image_tag(short.lower()), value=tag)
        CfnOutput(self, "EcsClusterArn", value=compute.cluster.cluster_arn)
        CfnOutput(self, "DeployRoleArn", value=delivery.deploy_role.role_arn)
        CfnOutput(self, "DiffRoleArn", value=delivery.diff_role.role_arn)
        CfnOutput(self, "ServiceLogsKeyArn", value=service_logs.key.key_arn)
        CfnOutput(self, "ServiceLogRetentionDays", value=str(service_logs.retention_days))
        CfnOutput(self, "AlarmTopicArn", value=alerts.topic.topic_arn)
