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
from foundry_infra.edge.dns import custom_domain_aliases, custom_domain_origin
from foundry_infra.network import endpoints
from foundry_infra.network.security_groups import ServiceSecurityGroups
from foundry_infra.network.vpc import Network
from foundry_infra.observability.platform import platform_observability
from foundry_infra.observability.tracing import Tracing
from foundry_infra.outputs.platform import platform_outputs
from foundry_infra.security.keys import Keys
from foundry_infra.services.backends import ServiceBackends
from foundry_infra.services.environment import ai_environment, api_environment, web_environment
from foundry_infra.services.registry import ImportedRegistry
from foundry_infra.services.roles import service_roles
from foundry_infra.services.sleep import sleep_schedule
from foundry_infra.stacks.edge_alarms import published_values
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
            self,
            "Network",
            config=config.network,
            interface_endpoints=endpoints.chosen(config),
            logs_key=keys.logs,
            log_group_prefix=f"/{prefix}",
        )
        groups = ServiceSecurityGroups(self, "SecurityGroups", vpc=network.vpc, services=config.services)
        buckets = Buckets(
            self, "Buckets", storage_key=keys.storage, account=config.account, region=region, prefix=name
        )
        secrets = AppSecrets(self, "Secrets", key=keys.secrets, prefix=prefix)
        database = Database(
            self,
            "Database",
            config=config.database,
            network=network,
            keys=keys,
            security_group=groups.database,
            prefix=prefix,
            log_retention_days=config.ops.log_retention_days,
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
            self, principal=backends.principal, keys=keys, secrets=secrets, buckets=buckets, database=database
        )
        # Spec §10, issue 17: api and ai send OpenTelemetry traces to X-Ray, through App Runner's
        # observability configuration or their ECS task's collector sidecar.
        tracing = (
            Tracing(self, "Tracing", name=f"{name}-tracing", config=config) if config.ops.tracing else None
        )
        if tracing is not None:
            tracing.allow(roles.ai.policy, roles.api.policy)
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
        api_endpoint = backends.run_api(
            role=roles.api,
            environment=api_environment(
                config=config, secrets=secrets, database=database, buckets=buckets, ai_url=ai_url
            ),
            tracing=tracing,
        )

        # Spec §1: CloudFront with the edge stack's web ACL (and certificate), in front of web and api.
        distribution = Distribution(
            self,
            "Edge",
            config=config.edge,
            web_origin=web_origin,
            api_endpoint=api_endpoint,
            origin_verify=secrets.origin_verify,
            web_acl_arn=references.read(
                self, environment=config.name, writer=references.EDGE, key=references.WEB_ACL_ARN
            ),
            certificate=edge.certificate_in(self),
            log_bucket=buckets.logs,
            # The twin's edge builds its policy with the same function (foundry_contract.edge).
            content_security_policy=content_security_policy(
                uploads=uploads_origins(bucket=buckets.uploads_bucket_name, region=region),
                clerk_frontend_api=config.auth.clerk_issuer,
            ),
        )
        site_url = custom_domain_origin(config.edge) or f"https://{distribution.domain_name}"
        buckets.allow_uploads_from(origins=[site_url])
        custom_domain_aliases(self, config=config.edge, distribution=distribution.distribution)
        # Outside us-east-1 the CloudFront alarm and the site health check sit in the edge-alarms stack
        # (stacks/edge_alarms.py), which reads the distribution by parameter name (edge/references.py).
        self.distribution_references = (
            references.ParameterReferences(
                self,
                "References",
                environment=config.name,
                writer=references.PLATFORM,
                reader="edge-alarms",
                reader_region=EDGE_REGION,
                values=published_values(config=config, distribution=distribution),
            )
            if region != EDGE_REGION
            else None
        )

        # Spec §10, §14: logs, dashboard, alarms and cost guards; spec §6, §12: delivery and migrations.
        observability = platform_observability(
            self,
            config=config,
            services=backends.services,
            api=backends.api,
            network=network,
            database=database,
            distribution=distribution,
            web_acl_metric_name=edge.web_acl_name,
            slow_traces_group=tracing.slow_group_name if tracing is not None else None,
        )
        delivery = GithubDelivery(
            self,
            "Delivery",
            config=config.delivery,
            repositories=list(registry.repositories.values()),
            app_runner_services=backends.app_runner_services,
            log_group_arn_pattern=observability.service_logs.log_group_arn_pattern,
            stack_names=[self.stack_name, f"{config.stack_prefix}-registry"],
            regions=[region, EDGE_REGION],
        )
        migrations = MigrationRunner(
            self,
            "Migrations",
            cluster=backends.compute.cluster,
            database=database,
            repository=registry.repositories[Service.API],
            config=config,
            logs_key=keys.logs,
        )
        delivery.allow_migrations(runner=migrations, database=database.instance)
        for workload in (migrations.security_group, *backends.gpu_security_groups):
            network.admit_to_endpoints(workload, description="HTTPS to AWS interface endpoints")
        if config.sleep.enabled:  # issue 18: dev asleep outside working hours
            sleep_schedule(self, config=config, backends=backends, database=database)
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
            observability=observability,
        )
        self.network, self.database, self.backends = network, database, backends
        self.distribution, self.observability = distribution, observability
        self.delivery, self.migrations = delivery, migrations
