"""The database migration runner (spec §12 "DB migrations gated by plan/apply review").

A Fargate task definition from the `api` image, run one-off by `foundry migrate`: in the private-app
subnets, with a security group that may reach PostgreSQL and HTTPS endpoints only, and roles that can
read the database secret (and its key) and nothing else. The database is private, so this is the
only way a migration reaches it.
"""

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct
from foundry_contract import DATABASE_TLS

from foundry_infra import outputs
from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.data.database import DATABASE_PORT, Database
from foundry_infra.defaults import log_retention
from foundry_infra.nag import acknowledge
from foundry_infra.services.architecture import fargate_runtime_platform


class MigrationRunner(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        cluster: ecs.ICluster,
        database: Database,
        repository: ecr.IRepository,
        config: EnvironmentConfig,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, id_)
        environment_name = config.name
        # The api's image: the tag the profile pins for migrations, else the one api runs.
        image_tag = config.database.migrations_image_tag or config.services.api.image_tag
        # `foundry migrate` names the snapshot it takes before migrating with this prefix and the time.
        self.snapshot_prefix = f"foundry-{environment_name}-pre-migrate-"
        # Straight to the instance, never through RDS Proxy: the runner's advisory lock and its
        # session settings would pin a proxy connection for the whole run, and a lock taken
        # through a multiplexed connection is not guaranteed to stay on one backend.
        # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html
        database_security_group = database.security_group
        # The environment's one cluster (services/ecs.py EcsCompute), whichever backend the services use.
        self.cluster = cluster
        self.security_group = ec2.SecurityGroup(
            self,
            "Sg",
            vpc=cluster.vpc,
            description="Migration runner - PostgreSQL and HTTPS endpoints only",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            database_security_group, ec2.Port.tcp(DATABASE_PORT), "PostgreSQL"
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "ECR, CloudWatch Logs and Secrets Manager endpoints"
        )
        database_security_group.add_ingress_rule(
            self.security_group, ec2.Port.tcp(DATABASE_PORT), "Migration runner"
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/foundry/{environment_name}/migrations",
            encryption_key=logs_key,
            retention=log_retention(config.ops.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        # The task role has no permissions: the runner talks to PostgreSQL only. The execution role
        # pulls the image, writes the log and injects the database secret.
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Migration runner: no AWS permissions (it talks to PostgreSQL only)",
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            family=f"foundry-{environment_name}-migrations",
            cpu=256,
            memory_limit_mib=512,
            # The api image's CPU, as for every Fargate task of ours (services/architecture.py).
            runtime_platform=fargate_runtime_platform(config.services.ecs_cpu_architecture),
            task_role=self.task_role,
        )
        self.container = self.task_definition.add_container(
            outputs.MIGRATIONS_CONTAINER,
            image=ecs.ContainerImage.from_ecr_repository(repository, image_tag),
            command=["foundry-api", "migrate", "plan"],
            environment={
                "FOUNDRY_ENV": environment_name,
                "DATABASE_HOST": database.instance.db_instance_endpoint_address,
                **DATABASE_TLS,
            },
            secrets={"DATABASE_SECRET": ecs.Secret.from_secrets_manager(database.secret)},
            logging=ecs.LogDrivers.aws_logs(stream_prefix="migrate", log_group=self.log_group),
            readonly_root_filesystem=True,
        )
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            reason="The plain environment holds only non-secret settings (environment name, database host, "
            "TLS mode); the database credentials arrive through `secrets` from Secrets Manager.",
        )
        execution_policy = self.task_definition.execution_role.node.try_find_child("DefaultPolicy")  # type: ignore[union-attr]
        if execution_policy is not None:
            acknowledge(
                execution_policy,
                "AwsSolutions-IAM5[Resource::*]",
                reason="ecr:GetAuthorizationToken has no resource type and must be granted on '*'; image "
                "pulls are limited to the api repository.",
            )

    @property
    def task_definition_arn(self) -> str:
        return self.task_definition.task_definition_arn
