"""The regional platform of one environment, composed as the spec draws it:
edge → services → data, inside a VPC whose security groups carry the spec's arrows."""

from aws_cdk import CfnOutput, Environment, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct
from foundry_contract import Service

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.data.buckets import AI_PREFIX, UPLOADS_PREFIX, Buckets
from foundry_infra.data.database import Database
from foundry_infra.data.secrets import AppSecrets
from foundry_infra.edge.distribution import Distribution
from foundry_infra.edge.dns import AliasRecords, hosted_zone
from foundry_infra.network.security_groups import ServiceSecurityGroups
from foundry_infra.network.vpc import Network
from foundry_infra.security.keys import Keys
from foundry_infra.services.apprunner import AppRunnerService, PrivateIngress
from foundry_infra.services.environment import ServiceEnvironment
from foundry_infra.services.registry import Registry
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
            cross_region_references=config.region != EDGE_REGION,
            description=f"Foundry {config.name}: network, data, services and edge (spec §1-7)",
        )
        self.config = config
        prefix, name = f"foundry/{config.name}", f"foundry-{config.name}"
        region = config.region

        keys = Keys(self, "Keys", prefix=prefix)
        network = Network(self, "Network", config=config.network)
        groups = ServiceSecurityGroups(self, "SecurityGroups", vpc=network.vpc)
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
        )

        # The arrows of spec §3: api → database; api, ai → AWS endpoints and, through NAT, the internet.
        database_clients = [groups.api, groups.ai] if config.database.allow_from_ai else [groups.api]
        database_port = ec2.Port.tcp(5432)
        for client in database_clients:
            target = database.proxy_security_group or groups.database
            target.add_ingress_rule(client, database_port, "PostgreSQL from the service")
            client.add_egress_rule(target, database_port, "PostgreSQL")
        for group in (groups.api, groups.ai):
            network.admit_to_endpoints(group, description="HTTPS to AWS interface endpoints")
            group.add_egress_rule(
                ec2.Peer.any_ipv4(),
                ec2.Port.tcp(443),
                "HTTPS out: interface endpoints, S3 gateway endpoint, and external APIs through the NAT",
            )

        registry = Registry(
            self,
            "Registry",
            prefix=prefix,
            keep_images=config.services.ecr_keep_images,
            manage_registry_scanning=config.services.ecr_registry_scanning,
        )
        access_role = EcrAccessRole(self, "EcrAccess", repositories=list(registry.repositories.values()))
        principal = iam.ServicePrincipal(APP_RUNNER_TASKS)

        ai_role = ServiceRole(
            self,
            "AiRole",
            role_name_hint="role-ai",
            assumed_by=[principal],
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
            assumed_by=[principal],
            statements=[
                *read_secrets_statements(
                    secrets=[
                        database.secret,
                        secrets.clerk_secret_key,
                        secrets.internal_api_key,
                        secrets.origin_verify,
                    ],
                    key=keys.secrets,
                    region=region,
                ),
                *object_prefix_statements(
                    bucket=buckets.uploads, prefix=UPLOADS_PREFIX, key=keys.storage, region=region
                ),
            ],
            object_prefix=UPLOADS_PREFIX,
        )
        web_role = ServiceRole(
            self,
            "WebRole",
            role_name_hint="role-web",
            assumed_by=[principal],
            statements=[put_metrics_statement(namespace="Foundry/web")],
        )

        ai = AppRunnerService(
            self,
            "Ai",
            name=f"{name}-ai",
            config=config.services.ai,
            repository=registry.repositories[Service.AI],
            access_role=access_role.role,
            instance_role=ai_role.role,
            environment=ServiceEnvironment(
                service=Service.AI,
                plain={
                    "PORT": "8080",
                    "FOUNDRY_ENV": config.name,
                    "AI_UPSTREAM_BASE_URL": config.ai.base_url,
                    "AI_UPSTREAM_MODEL": config.ai.model,
                },
                secrets={
                    "AI_INTERNAL_API_KEY": secrets.internal_api_key,
                    "AI_UPSTREAM_API_KEY": secrets.ai_provider_key,
                },
            ),
            public=False,
            vpc_egress=(network.vpc.select_subnets(subnet_group_name="app"), groups.ai),
            observability_configuration_arn=None,
        )
        ai_ingress = PrivateIngress(
            self,
            "AiIngress",
            service=ai,
            vpc=network.vpc,
            subnets=network.data_subnets,
            allowed_peers=[groups.api],
        )

        self.web_service: AppRunnerService | None = None
        web_origin: cloudfront.IOrigin
        if config.edge.web_origin == "apprunner":
            self.web_service = AppRunnerService(
                self,
                "Web",
                name=f"{name}-web",
                config=config.services.web,
                repository=registry.repositories[Service.WEB],
                access_role=access_role.role,
                instance_role=web_role.role,
                environment=ServiceEnvironment(
                    service=Service.WEB, plain={"PORT": "8080", "FOUNDRY_ENV": config.name}
                ),
                public=True,
                vpc_egress=None,
                observability_configuration_arn=None,
            )
            web_origin = origins.HttpOrigin(
                self.web_service.url,
                protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
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
            "DATABASE_SSLMODE": "require",
            "UPLOADS_BUCKET": buckets.uploads_bucket_name,
            "UPLOADS_BUCKET_REGION": region,
            "CLERK_ISSUER": config.auth.clerk_issuer,
            "CLERK_JWKS_URL": f"{config.auth.clerk_issuer.rstrip('/')}/.well-known/jwks.json",
            "AI_SERVICE_URL": ai_ingress.url,
        }
        api = AppRunnerService(
            self,
            "Api",
            name=f"{name}-api",
            config=config.services.api,
            repository=registry.repositories[Service.API],
            access_role=access_role.role,
            instance_role=api_role.role,
            environment=ServiceEnvironment(
                service=Service.API,
                plain={
                    **api_env_plain,
                    "CLERK_AUTHORIZED_PARTIES": ",".join(config.auth.authorized_parties)
                    or site_origin
                    or UNSET_AUTHORIZED_PARTY,
                },
                secrets={
                    "DATABASE_SECRET": database.secret,
                    "CLERK_SECRET_KEY": secrets.clerk_secret_key,
                    "ORIGIN_VERIFY_SECRET": secrets.origin_verify,
                    "AI_INTERNAL_API_KEY": secrets.internal_api_key,
                },
            ),
            public=True,
            vpc_egress=(network.vpc.select_subnets(subnet_group_name="app"), groups.api),
            observability_configuration_arn=None,
        )

        distribution = Distribution(
            self,
            "Edge",
            config=config.edge,
            web_origin=web_origin,
            api_domain=api.url,
            origin_verify=secrets.origin_verify,
            web_acl_arn=edge.web_acl.arn,
            certificate=edge.certificate,
            log_bucket=buckets.logs,
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

        self.keys, self.network, self.groups, self.buckets = keys, network, groups, buckets
        self.secrets, self.database, self.registry = secrets, database, registry
        self.api, self.ai, self.ai_ingress, self.distribution = api, ai, ai_ingress, distribution
        CfnOutput(self, "SiteUrl", value=site_origin or f"https://{distribution.domain_name}")
        CfnOutput(self, "ApiServiceUrl", value=f"https://{api.url}")
        CfnOutput(self, "UploadsBucket", value=buckets.uploads.bucket_name)
