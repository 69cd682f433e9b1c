"""Customer-managed KMS keys, one per data class (spec §6, §13: KMS everywhere)."""

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
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
        # The platform's own log groups: VPC flow logs and the migration runner under /<prefix>/,
        # and the database's, whose names RDS fixes.
        stack = Stack.of(self)
        groups = f"arn:aws:logs:{stack.region}:{stack.account}:log-group:"
        self.logs = logs_key(
            self,
            "Logs",
            alias=f"alias/{prefix}/platform-logs",
            log_group_arn_pattern=[
                f"{groups}/{prefix}/*",
                f"{groups}/aws/rds/instance/{prefix.replace('/', '-')}-postgres/*",
            ],
        )


# The services that publish to the alarm topics: CloudWatch alarms, AWS Budgets and Cost Anomaly Detection.
ALERT_PUBLISHERS = ("cloudwatch.amazonaws.com", "budgets.amazonaws.com", "costalerts.amazonaws.com")


def alerts_key(scope: Construct, id_: str, *, alias: str) -> kms.Key:
    """The key of an SNS alarm topic: each publishing service must be able to encrypt with it, or SNS
    drops its messages silently (spec §10, §14)."""
    key = customer_managed_key(scope, id_, alias=alias, description="SNS alarm and budget topics")
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AlertPublishersEncrypt",
            principals=[iam.ServicePrincipal(service) for service in ALERT_PUBLISHERS],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}},
        )
    )
    return key


def logs_key(scope: Construct, id_: str, *, alias: str, log_group_arn_pattern: str | list[str]) -> kms.Key:
    """A key for log groups. CloudWatch Logs may use it only for the groups the pattern(s) name:
    the encryption-context condition (spec §10)."""
    region = Stack.of(scope).region
    patterns = [log_group_arn_pattern] if isinstance(log_group_arn_pattern, str) else log_group_arn_pattern
    key = customer_managed_key(scope, id_, alias=alias, description=f"CloudWatch Logs {', '.join(patterns)}")
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsForServiceGroups",
            principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": patterns[0] if len(patterns) == 1 else patterns
                }
            },
        )
    )
    return key
