"""Secure defaults as plain functions; constructs start from these and override only what differs."""

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

_RETENTION_DAYS: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def log_retention(days: int) -> logs.RetentionDays:
    """The shortest CloudWatch retention that keeps at least `days` days."""
    return next(
        (value for limit, value in _RETENTION_DAYS.items() if limit >= days), logs.RetentionDays.TEN_YEARS
    )


def private_bucket(
    scope: Construct,
    id_: str,
    *,
    encryption_key: kms.IKey | None,
    access_logs: s3.IBucket | None,
    access_logs_prefix: str | None = None,
    lifecycle_rules: Sequence[s3.LifecycleRule] = (),
    object_ownership: s3.ObjectOwnership = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    bucket_name: str | None = None,
) -> s3.Bucket:
    """Private, TLS-only, versioned and retained; a CMK with a bucket key when a key is given."""
    return s3.Bucket(
        scope,
        id_,
        bucket_name=bucket_name,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        versioned=True,
        object_ownership=object_ownership,
        # A named bucket that survived a failed first create would make the retry fail with "already
        # exists"; RETAIN_ON_UPDATE_OR_DELETE (RetainExceptOnCreate) deletes it when the create rolls
        # back: https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/CfnDeletionPolicy.html
        removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if bucket_name else RemovalPolicy.RETAIN,
        encryption=s3.BucketEncryption.KMS if encryption_key is not None else s3.BucketEncryption.S3_MANAGED,
        encryption_key=encryption_key,
        bucket_key_enabled=True if encryption_key is not None else None,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=access_logs_prefix,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="abort-incomplete-multipart", abort_incomplete_multipart_upload_after=Duration.days(7)
            ),
            *lifecycle_rules,
        ],
    )
