"""The platform stack's outputs: what `foundry migrate`, `foundry web publish`, `foundry verify --live`
and the deploy workflow (.github/workflows/deploy-environment.yml) read after a deploy."""

from aws_cdk import CfnOutput, Fn
from constructs import Construct

from foundry_infra import outputs
from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.data.buckets import Buckets
from foundry_infra.data.database import Database
from foundry_infra.data.migrations import MigrationRunner
from foundry_infra.delivery.github import GithubDelivery
from foundry_infra.edge.distribution import Distribution
from foundry_infra.network.vpc import Network
from foundry_infra.observability.platform import PlatformObservability
from foundry_infra.services.apprunner import AppRunnerService
from foundry_infra.services.backends import ServiceBackends


def platform_outputs(
    scope: Construct,
    *,
    config: EnvironmentConfig,
    site_url: str,
    network: Network,
    database: Database,
    buckets: Buckets,
    backends: ServiceBackends,
    distribution: Distribution,
    migrations: MigrationRunner,
    delivery: GithubDelivery,
    observability: PlatformObservability,
) -> None:
    """Written into `scope` itself, the stack, so each output's logical id stays its name."""
    app_subnets = network.vpc.select_subnets(subnet_group_name="app").subnet_ids
    for key, value in {
        outputs.MIGRATIONS_CLUSTER: migrations.cluster.cluster_arn,
        outputs.MIGRATIONS_TASK_DEFINITION: migrations.task_definition_arn,
        outputs.MIGRATIONS_SUBNETS: Fn.join(",", app_subnets),
        outputs.MIGRATIONS_SECURITY_GROUP: migrations.security_group.security_group_id,
        outputs.MIGRATIONS_LOG_GROUP: migrations.log_group.log_group_name,
        outputs.DATABASE_INSTANCE_ID: database.instance.instance_identifier,
    }.items():
        CfnOutput(scope, key, value=value)
    CfnOutput(scope, outputs.SITE_URL, value=site_url)
    if isinstance(backends.api, AppRunnerService):
        CfnOutput(scope, outputs.API_SERVICE_URL, value=f"https://{backends.api.url}")
    CfnOutput(scope, outputs.UPLOADS_BUCKET, value=buckets.uploads.bucket_name)
    CfnOutput(scope, outputs.ASSETS_BUCKET, value=buckets.assets.bucket_name)
    CfnOutput(scope, outputs.DISTRIBUTION_ID, value=distribution.distribution.distribution_id)
    for service, running in backends.running.items():
        on_ecs = not isinstance(running, AppRunnerService)
        CfnOutput(scope, outputs.service_arn(service, on_ecs=on_ecs), value=running.arn)
        # The image running after this deploy, whichever the backend: the workflow's rollback target.
        tag = getattr(config.services, service.value).image_tag
        CfnOutput(scope, outputs.image_tag(service), value=tag)
    CfnOutput(scope, outputs.ECS_CLUSTER, value=backends.compute.cluster.cluster_arn)
    CfnOutput(scope, outputs.DEPLOY_ROLE, value=delivery.deploy_role.role_arn)
    CfnOutput(scope, outputs.DIFF_ROLE, value=delivery.diff_role.role_arn)
    service_logs = observability.service_logs
    CfnOutput(scope, outputs.SERVICE_LOGS_KEY, value=service_logs.key.key_arn)
    CfnOutput(scope, outputs.SERVICE_LOG_RETENTION_DAYS, value=str(service_logs.retention_days))
    CfnOutput(scope, outputs.ALARM_TOPIC, value=observability.alerts.topic.topic_arn)
