"""Customer-managed KMS keys, one per data class (spec §6, §13: KMS everywhere)."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct


def customer_managed_key(scope: Construct, id_: str, *, alias: str, description: str) -> kms.Key:
    return kms.Key(
        scope,
        id_,
        alias=alias,
        description=description,
        enable_key_rotation=True,
        rotation_period=Duration.days(365),
        pending_window=Duration.days(30),
        removal_policy=RemovalPolicy.RETAIN,
    )


class Keys(Construct):
    """Separate keys for the database, object storage, secrets and logs keep each key policy small."""

    def __init__(self, scope: Construct, id_: str, *, prefix: str) -> None:
        super().__init__(scope, id_)
        self.database = customer_managed_key(
            self,
            "Database",
            alias=f"alias/{prefix}/rds",
            description="RDS storage, snapshots, Performance Insights",
        )
        self.storage = customer_managed_key(
            self, "Storage", alias=f"alias/{prefix}/s3", description="S3 uploads and assets (bucket keys)"
        )
        self.secrets = customer_managed_key(
            self, "Secrets", alias=f"alias/{prefix}/secrets", description="Secrets Manager secrets"
        )
