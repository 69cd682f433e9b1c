"""Names of the stack outputs that tools read after a deploy (`foundry migrate`, `foundry verify --live`).

Kept in one module so the stack that writes an output and the tool that reads it cannot disagree.
The names import nothing else, so the tools that read them do not load aws-cdk-lib;
`foundry_infra.outputs.platform` writes the platform stack's outputs with them.
"""

MIGRATIONS_CLUSTER = "MigrationsClusterArn"
MIGRATIONS_TASK_DEFINITION = "MigrationsTaskDefinitionArn"
MIGRATIONS_SUBNETS = "MigrationsSubnetIds"
MIGRATIONS_SECURITY_GROUP = "MigrationsSecurityGroupId"
MIGRATIONS_LOG_GROUP = "MigrationsLogGroupName"
MIGRATIONS_CONTAINER = "migrations"
DATABASE_INSTANCE_ID = "DatabaseInstanceId"


def image_tag(service: str) -> str:
    """The output naming the image tag a service runs, e.g. ApiImageTag (read by the deploy workflow as
    `${service^}ImageTag`, so on App Runner and ECS alike)."""
    return f"{service.capitalize()}ImageTag"


# `foundry web publish` (edge.web_origin = s3): where the web build goes and what to invalidate.
ASSETS_BUCKET = "AssetsBucketName"
DISTRIBUTION_ID = "DistributionId"
SITE_URL = "SiteUrl"

# What the deploy workflow reads (.github/workflows/deploy.yml): services, roles, log settings.
API_SERVICE_URL = "ApiServiceUrl"
UPLOADS_BUCKET = "UploadsBucket"
ECS_CLUSTER = "EcsClusterArn"
DEPLOY_ROLE = "DeployRoleArn"
DIFF_ROLE = "DiffRoleArn"
SERVICE_LOGS_KEY = "ServiceLogsKeyArn"
SERVICE_LOG_RETENTION_DAYS = "ServiceLogRetentionDays"
ALARM_TOPIC = "AlarmTopicArn"


def service_arn(service: str, *, on_ecs: bool) -> str:
    """The output naming a service's ARN: ApiServiceArn on App Runner, ApiEcsServiceArn on ECS."""
    return f"{service.capitalize()}{'Ecs' if on_ecs else ''}ServiceArn"
