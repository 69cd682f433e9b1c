"""The regional platform of one environment, composed as the spec draws it:
edge → services → data, inside a VPC whose security groups carry the spec's arrows."""

from aws_cdk import Environment, Stack
from constructs import Construct
from foundry_contract import Service, content_security_policy, uploads_origins

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.data.buckets import Buckets
from foundry_infra.data.database import Database
from foundry_infra.data.migrations import MigrationRunner
from foundry_infra.data.secrets import AppSecrets
from foundry_infra.delivery.github import GithubDelivery
from foundry_infra.edge import references
from foundry_infra.edge.distribution import Distribution
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
from foundry_infra.outputs.platform import platform_outputs
from foundry_infra.security.keys import Keys
from foundry_infra.services.backends import ServiceBackends
from foundry_infra.services.environment import ai_environment, api_environment, web_environment
from foundry_infra.services.registry import ImportedRegistry
from foundry_infra.services.roles import service_roles
from foundry_infra.stacks.edge_global import EDGE_REGION, EdgeGlobalStack


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
        prefix, name, region = f"foundry/{config.name}", f"foundry-{config.name}", config.region

        # Spec §2, §4, §5: the VPC, the buckets, the secrets and the database, each with its own key.
        keys = Keys(self, "Keys", prefix=prefix)
        network = Network(
            self, "Network", config=config.network, logs_key=keys.logs, log_group_prefix=f"/{prefix}"
        )
        groups = ServiceSecurityGroups(
            self, "SecurityGroups", vpc=network.vpc, web="web" in config.services.on("ecs")
        )
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
        groups.allow_database_clients(database=database, ai=config.database.allow_from_ai)
        groups.allow_https_out(network=network)

        # Spec §3, §8, §9: web, api and ai, each on the backend its profile names (issue 6), with one
        # role per service whatever the backend. The repositories live in the registry stack.
        registry = ImportedRegistry(self, "Registry", prefix=prefix)
        backends = ServiceBackends(
            self, config=config, network=network, groups=groups, registry=registry, access_logs=buckets.logs
        )
        roles = service_roles(
            self,
            principal=backends.principal,
            keys=keys,
            secrets=secrets,
            buckets=buckets,
            database=database,
            region=region,
        )
        # Spec §10: api and ai send X-Ray traces through App Runner's observability configuration.
        tracing = Tracing(self, "Tracing", name=f"{name}-tracing") if config.ops.tracing else None
        if tracing is not None:
            tracing.allow(roles.ai.policy)
            tracing.allow(roles.api.policy)
        vllm_url = backends.add_gpu(api_key=secrets.ai_provider_key) if config.gpu.enabled else None
        ai_url = backends.run_ai(
            role=roles.ai,
            environment=ai_environment(config=config, secrets=secrets, vllm_url=vllm_url),
            tracing=tracing,
        )
        web_origin = backends.run_web(
            role=roles.web,
            environment=web_environment(config=config, secrets=secrets),
            origin_verify=secrets.origin_verify,
            assets=buckets.assets,
        )
        site_origin = f"https://{config.edge.domain_name}" if config.edge.domain_name else None
        api_endpoint = backends.run_api(
            role=roles.api,
            environment=api_environment(
                config=config,
                secrets=secrets,
                database=database,
                buckets=buckets,
                ai_url=ai_url,
                site_origin=site_origin,
            ),
            tracing=tracing,
        )

        # Spec §1: CloudFront with the edge stack's web ACL and certificate, in front of web and api.
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
        site_url = site_origin or f"https://{distribution.domain_name}"
        buckets.allow_uploads_from(origins=[site_url])
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
        services, nats = backends.services, nat_gateway_ids(network.vpc)
        database_id = database.instance.instance_identifier
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
        distribution_id = distribution.distribution.distribution_id
        dashboard = Dashboard(
            self,
            "Dashboard",
            name=name,
            services=services,
            nat_gateway_ids=nats,
            database_instance_id=database_id,
            distribution_id=distribution_id,
            web_acl_metric_name=edge.web_acl_name,
            environment=config.name,
        )
        alarms = PlatformAlarms(
            self,
            "Alarms",
            config=config.ops,
            topic=alerts.topic,
            prefix=name,
            api=backends.api,
            services=services,
            nat_gateway_ids=nats,
            database_instance_id=database_id,
            max_connections=database.max_connections,
            storage=config.database,
            environment=config.name,
        )
        # CloudFront and Route 53 publish metrics in us-east-1 only (observability/alarms.py).
        if region == EDGE_REGION:
            alarms.cloudfront(config=config.ops, distribution_id=distribution_id)
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
            app_runner_services=backends.app_runner_services,
            log_group_arn_pattern=service_logs.log_group_arn_pattern,
            stack_names=[self.stack_name, f"{config.stack_prefix}-registry"],
            regions=[region, EDGE_REGION],
        )

        # Spec §12: migrations run one-off from the api image, by the deploy job alone.
        migrations = MigrationRunner(
            self,
            "Migrations",
            cluster=backends.compute.cluster,
            vpc=network.vpc,
            database=database,
            repository=registry.repositories[Service.API],
            image_tag=config.database.migrations_image_tag or config.services.api.image_tag,
            environment_name=config.name,
            log_retention_days=config.ops.log_retention_days,
            logs_key=keys.logs,
            architecture=config.services.ecs_cpu_architecture,
        )
        delivery.allow_migrations(runner=migrations, database=database.instance)
        # Interface endpoints with private DNS answer for their services' names across the VPC and drop
        # what their group does not admit (issue 20): the migration runner and the GPU instances pull
        # images, read secrets and write logs through them (the rotation function is admitted in
        # data/database.py). https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
        for workload in (
            migrations.security_group,
            *([backends.gpu.instance_security_group] if backends.gpu else []),
        ):
            network.admit_to_endpoints(workload, description="HTTPS to AWS interface endpoints")
        if config.edge.web_origin == "s3":
            delivery.allow_web_publish(
                bucket=buckets.assets, key=keys.storage, distribution=distribution.distribution
            )
        platform_outputs(
            self,
            config=config,
            site_url=site_url,
            network=network,
            database=database,
            buckets=buckets,
            backends=backends,
            distribution=distribution,
            migrations=migrations,
            delivery=delivery,
            service_logs=service_logs,
            alerts=alerts,
        )

        self.keys, self.network, self.groups, self.buckets = keys, network, groups, buckets
        self.secrets, self.database, self.registry, self.backends = secrets, database, registry, backends
        self.roles, self.tracing, self.distribution, self.migrations = (
            roles,
            tracing,
            distribution,
            migrations,
        )
        self.service_logs, self.alerts, self.dashboard = service_logs, alerts, dashboard
        self.alarms, self.delivery = alarms, delivery
