"""GitHub OIDC and the roles GitHub Actions assumes (spec §6, §12).

Trust is StringEquals on both claims: `aud` = sts.amazonaws.com and `sub` = one repository and one
GitHub environment (or branch). No pattern is ever trusted, so a token from any other repository,
branch or environment cannot assume the roles.
"""

import re
from collections.abc import Sequence

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from constructs import Construct

from foundry_infra.config.model import DeliveryConfig
from foundry_infra.data.migrations import MigrationRunner
from foundry_infra.nag import acknowledge
from foundry_infra.services.apprunner import AppRunnerService

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
# CDK's default bootstrap qualifier, and the roles `cdk deploy` assumes.
CDK_QUALIFIER = "hnb659fds"
CDK_BOOTSTRAP_ROLES = ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")
ECR_PUSH_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    # Reading the layers back: dev saves the pushed images as the archive the next environments push.
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]
APPRUNNER_DEPLOY_ACTIONS = [
    "apprunner:DescribeService",
    "apprunner:ListOperations",
    "apprunner:StartDeployment",
    "apprunner:UpdateService",
]
_LITERAL = re.compile(r"^[A-Za-z0-9_.-]+$")
_BRANCH = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")


class UntrustworthySubjectError(ValueError):
    """A trust that would admit more than one repository, environment or branch."""


def github_subject(*, repo: str, environment: str | None = None, branch: str | None = None) -> str:
    """The exact `sub` claim of a workflow job: repo:OWNER/NAME:environment:ENV or :ref:refs/heads/B.

    Refuses anything that is not a literal name, so `repo:*` or `repo:org/*` can never be trusted.
    """
    owner, _, name = repo.partition("/")
    if not (_LITERAL.match(owner) and _LITERAL.match(name)) or owner in {".", ".."} or name in {".", ".."}:
        raise UntrustworthySubjectError(f"delivery.github_repo must be a literal OWNER/NAME, not {repo!r}")
    if (environment is None) == (branch is None):
        raise UntrustworthySubjectError("trust exactly one GitHub environment or one branch")
    if environment is not None:
        if not _LITERAL.match(environment):
            raise UntrustworthySubjectError(
                f"delivery.github_environment must be a literal name, not {environment!r}"
            )
        return f"repo:{repo}:environment:{environment}"
    assert branch is not None
    if not _BRANCH.match(branch):
        raise UntrustworthySubjectError(
            f"delivery.github_branch must be a literal branch name, not {branch!r}"
        )
    return f"repo:{repo}:ref:refs/heads/{branch}"


def github_trust(provider: iam.IOidcProvider, *, subject: str) -> iam.WebIdentityPrincipal:
    if "*" in subject or "?" in subject:
        raise UntrustworthySubjectError(f"refusing a wildcard OIDC subject: {subject!r}")
    return iam.WebIdentityPrincipal(
        provider.oidc_provider_arn,
        conditions={
            "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE, f"{GITHUB_OIDC_HOST}:sub": subject}
        },
    )


def bootstrap_role_arns(
    *, account: str, regions: Sequence[str], roles: Sequence[str] = CDK_BOOTSTRAP_ROLES
) -> list[str]:
    return [
        f"arn:aws:iam::{account}:role/cdk-{CDK_QUALIFIER}-{role}-{account}-{region}"
        for region in dict.fromkeys(regions)
        for role in roles
    ]


def stack_arn_pattern(*, region: str, account: str, name: str) -> str:
    return f"arn:aws:cloudformation:{region}:{account}:stack/{name}/*"


class GithubDelivery(Construct):
    """The deploy role of one environment, and a read-only role for `cdk diff` on pull requests."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: DeliveryConfig,
        repositories: Sequence[ecr.IRepository],
        app_runner_services: Sequence[AppRunnerService],
        log_group_arn_pattern: str,
        stack_names: Sequence[str],
        regions: Sequence[str],
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        account = stack.account
        if config.create_oidc_provider:
            self.provider: iam.IOidcProvider = iam.OidcProviderNative(
                self,
                "GithubOidc",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_ids=[STS_AUDIENCE],
                # One per account and URL: deleted if the first create rolls back, so the retry can
                # create it again (RetainExceptOnCreate, see foundry_infra/defaults.py).
                removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
            )
        else:
            # One provider per account and URL: another environment's stack owns it.
            self.provider = iam.OidcProviderNative.from_oidc_provider_arn(
                self,
                "GithubOidc",
                f"arn:{stack.partition}:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}",
            )
        self.subject = github_subject(
            repo=config.github_repo, environment=config.github_environment, branch=config.github_branch
        )
        self.deploy_role = iam.Role(
            self,
            "DeployRole",
            assumed_by=github_trust(self.provider, subject=self.subject),
            description=f"GitHub Actions deploy role: {self.subject} (spec §12)",
        )
        self.deploy_policy = iam.Policy(
            self,
            "DeployPolicy",
            statements=[
                iam.PolicyStatement(
                    sid="EcrLogin",
                    actions=["ecr:GetAuthorizationToken"],
                    # AWS requires "*": GetAuthorizationToken has no resource type.
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="PushImages",
                    actions=ECR_PUSH_ACTIONS,
                    resources=[repository.repository_arn for repository in repositories],
                ),
                # Services on ECS deploy through CloudFormation (the bootstrap roles below) only.
                *(
                    [
                        iam.PolicyStatement(
                            sid="DeployServices",
                            actions=APPRUNNER_DEPLOY_ACTIONS,
                            resources=[service.arn for service in app_runner_services],
                        )
                    ]
                    if app_runner_services
                    else []
                ),
                iam.PolicyStatement(
                    sid="CdkBootstrapRoles",
                    actions=["sts:AssumeRole"],
                    resources=bootstrap_role_arns(account=account, regions=regions),
                ),
                iam.PolicyStatement(
                    sid="ReadStackOutputs",
                    actions=["cloudformation:DescribeStacks"],
                    resources=[
                        stack_arn_pattern(region=stack.region, account=account, name=name)
                        for name in stack_names
                    ],
                ),
                iam.PolicyStatement(
                    sid="ServiceLogGroupSettings",
                    actions=["logs:AssociateKmsKey", "logs:PutRetentionPolicy"],
                    resources=[log_group_arn_pattern],
                ),
            ],
        )
        self.deploy_policy.attach_to_role(self.deploy_role)
        acknowledge(
            self.deploy_policy,
            "AwsSolutions-IAM5[Resource::*]",
            reason="ecr:GetAuthorizationToken defines no resource type, so AWS accepts only '*'; pushing is "
            "granted on the three repositories only.",
        )
        for name in stack_names:
            acknowledge(
                self.deploy_policy,
                f"AwsSolutions-IAM5[Resource::{stack_arn_pattern(region=stack.region, account=account, name=name)}]",
                reason="A stack ARN ends in an id CloudFormation assigns at creation; the name is fixed, "
                "and DescribeStacks only reads the outputs the rollback needs.",
            )
        acknowledge(
            self.deploy_policy,
            f"AwsSolutions-IAM5[Resource::{log_group_arn_pattern}]",
            reason="App Runner names its log groups after the service id it assigns at creation; the "
            "pattern admits only this environment's services' groups, for retention and key settings.",
        )
        # Pull requests may read what a deploy would change, nothing more: the lookup role is read-only.
        self.diff_subject = f"repo:{config.github_repo}:pull_request"
        self.diff_role = iam.Role(
            self,
            "DiffRole",
            assumed_by=github_trust(self.provider, subject=self.diff_subject),
            description=f"GitHub Actions cdk diff on pull requests: {self.diff_subject} (read-only)",
        )
        self.diff_policy = iam.Policy(
            self,
            "DiffPolicy",
            statements=[
                iam.PolicyStatement(
                    sid="CdkLookupRole",
                    actions=["sts:AssumeRole"],
                    resources=bootstrap_role_arns(account=account, regions=regions, roles=("lookup-role",)),
                )
            ],
        )
        self.diff_policy.attach_to_role(self.diff_role)

    def allow_migrations(self, *, runner: MigrationRunner, database: rds.IDatabaseInstance) -> None:
        """Let the deploy job run `foundry migrate`: start the runner task, follow it, read its log and,
        in prod, snapshot the database first (spec §12, §13)."""
        stack = Stack.of(self)
        task_definition_arn, cluster_arn = runner.task_definition_arn, runner.cluster.cluster_arn
        cluster_name, snapshot_prefix = runner.cluster.cluster_name, runner.snapshot_prefix
        passed_role_arns = [
            runner.task_role.role_arn,
            runner.task_definition.obtain_execution_role().role_arn,
        ]
        log_group_arn, database_instance_arn = runner.log_group.log_group_arn, database.instance_arn
        snapshots = f"arn:{stack.partition}:rds:{stack.region}:{stack.account}:snapshot:{snapshot_prefix}*"
        tasks = f"arn:{stack.partition}:ecs:{stack.region}:{stack.account}:task/{cluster_name}/*"
        self.deploy_policy.add_statements(
            iam.PolicyStatement(
                sid="RunMigrationTask",
                actions=["ecs:RunTask"],
                resources=[task_definition_arn],
                conditions={"ArnEquals": {"ecs:cluster": cluster_arn}},
            ),
            iam.PolicyStatement(sid="FollowMigrationTask", actions=["ecs:DescribeTasks"], resources=[tasks]),
            iam.PolicyStatement(
                sid="PassMigrationRoles",
                actions=["iam:PassRole"],
                resources=list(passed_role_arns),
                conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="ReadMigrationLog", actions=["logs:GetLogEvents"], resources=[log_group_arn]
            ),
            iam.PolicyStatement(
                sid="SnapshotBeforeMigrating",
                actions=["rds:CreateDBSnapshot", "rds:DescribeDBSnapshots", "rds:AddTagsToResource"],
                resources=[database_instance_arn, snapshots],
            ),
        )
        # cdk-nag names tokens as <AWS::Partition> and <LogicalId> in its finding ids.
        cluster_ref = stack.resolve(cluster_name)["Ref"]
        for finding, reason in (
            (
                f"arn:<AWS::Partition>:ecs:{stack.region}:{stack.account}:task/<{cluster_ref}>/*",
                "Task ids are assigned when the task starts; the pattern admits this cluster's tasks only.",
            ),
            (
                f"arn:<AWS::Partition>:rds:{stack.region}:{stack.account}:snapshot:{snapshot_prefix}*",
                "Snapshot names carry the time they are taken; the prefix admits this environment's "
                "pre-migration snapshots only.",
            ),
        ):
            acknowledge(self.deploy_policy, f"AwsSolutions-IAM5[Resource::{finding}]", reason=reason)
        resolved = stack.resolve(log_group_arn)
        logical = (
            resolved["Fn::GetAtt"][0] if isinstance(resolved, dict) and "Fn::GetAtt" in resolved else None
        )
        if logical is not None:
            acknowledge(
                self.deploy_policy,
                f"AwsSolutions-IAM5[Resource::<{logical}.Arn>]",
                reason="A log group ARN ends in ':*' (its streams); the group is the migration runner's own.",
            )

    def allow_web_publish(
        self, *, bucket: s3.IBucket, key: kms.IKey, distribution: cloudfront.IDistribution
    ) -> None:
        """Let the deploy job publish web to the assets bucket (edge.web_origin = s3) and invalidate
        index.html: PutObject into that bucket, its KMS key for SSE-KMS writes (PutObject with SSE-KMS
        needs kms:GenerateDataKey: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html),
        and CreateInvalidation on that distribution only."""
        bucket_arn, key_arn = bucket.bucket_arn, key.key_arn
        distribution_arn = Stack.of(self).format_arn(
            service="cloudfront",
            region="",
            resource="distribution",
            resource_name=distribution.distribution_id,
        )
        self.deploy_policy.add_statements(
            iam.PolicyStatement(sid="PublishWeb", actions=["s3:PutObject"], resources=[f"{bucket_arn}/*"]),
            iam.PolicyStatement(sid="PublishWebKey", actions=["kms:GenerateDataKey"], resources=[key_arn]),
            iam.PolicyStatement(
                sid="InvalidateIndex", actions=["cloudfront:CreateInvalidation"], resources=[distribution_arn]
            ),
        )
        resolved = Stack.of(self).resolve(bucket_arn)
        if isinstance(resolved, dict) and "Fn::GetAtt" in resolved:
            acknowledge(
                self.deploy_policy,
                f"AwsSolutions-IAM5[Resource::<{resolved['Fn::GetAtt'][0]}.Arn>/*]",
                reason="Each build's hashed asset names are new; the objects are the assets bucket's only.",
            )
