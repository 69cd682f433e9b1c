"""S3 buckets of spec §5: private uploads (pre-signed only), assets (CloudFront OAC only), access logs."""

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct
from foundry_contract import UPLOAD_CORS_RULE

from foundry_infra.checkov import skip_checkov
from foundry_infra.defaults import private_bucket
from foundry_infra.nag import acknowledge

UPLOADS_PREFIX = "uploads/"
AI_PREFIX = "ai/"


class Buckets(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, storage_key: kms.IKey, account: str, region: str, prefix: str
    ) -> None:
        super().__init__(scope, id_)
        # A fixed name lets the api receive it as a plain string. A Ref would make the api depend on the
        # bucket, whose CORS rule depends on the distribution, which depends on the api: a cycle.
        self.uploads_bucket_name = f"{prefix}-uploads-{account}-{region}"
        # Access-log targets cannot use SSE-KMS (S3 server access logging and CloudFront standard
        # logging both require SSE-S3), and CloudFront's log delivery still writes through an ACL.
        self.logs = private_bucket(
            self,
            "Logs",
            encryption_key=None,
            access_logs=None,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-logs",
                    expiration=Duration.days(365),
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
        )
        acknowledge(
            self.logs,
            "AwsSolutions-S1",
            reason="This is the access-log sink itself; logging it into itself would loop.",
        )
        skip_checkov(
            self.logs,
            "CKV_AWS_18",
            reason="This is the access-log sink itself; logging it into itself would loop.",
        )
        self.uploads = private_bucket(
            self,
            "Uploads",
            bucket_name=self.uploads_bucket_name,
            encryption_key=storage_key,
            access_logs=self.logs,
            access_logs_prefix="s3/uploads/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="tiering",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(30),
                        ),
                        # Glacier Instant Retrieval, not Glacier Flexible Retrieval: every uploaded row
                        # gets a pre-signed GET (Upload.download_url), and GetObject on GLACIER answers
                        # InvalidObjectState until a restore. GLACIER_IR reads at once (milliseconds),
                        # at a per-GB retrieval fee.
                        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-class-intro.html
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(90),
                        ),
                    ],
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
        )
        # Spec §5: "cross-account prevented by bucket policy". Service principals never touch this
        # bucket, so denying every principal outside the account is safe.
        self.uploads.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyOutsideAccount",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:*"],
                resources=[self.uploads.bucket_arn, self.uploads.arn_for_objects("*")],
                conditions={"StringNotEquals": {"aws:PrincipalAccount": account}},
            )
        )
        self.assets = private_bucket(
            self,
            "Assets",
            encryption_key=storage_key,
            access_logs=self.logs,
            access_logs_prefix="s3/assets/",
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-old-builds", noncurrent_version_expiration=Duration.days(30))
            ],
        )

    def allow_uploads_from(self, *, origins: list[str]) -> None:
        """Browsers PUT the bytes straight to S3 from the site's origin only (pre-signed URLs)."""
        self.uploads.add_cors_rule(
            allowed_methods=[s3.HttpMethods(method) for method in UPLOAD_CORS_RULE.methods],
            allowed_origins=origins,
            allowed_headers=list(UPLOAD_CORS_RULE.headers),
            exposed_headers=list(UPLOAD_CORS_RULE.expose),
            max_age=UPLOAD_CORS_RULE.max_age_seconds,
        )
