"""Names of the stack outputs that tools read after a deploy (`foundry migrate`, `foundry verify --live`).

Kept in one module so the stack that writes an output and the tool that reads it cannot disagree.
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
