"""RDS PostgreSQL of spec §4: private, CMK-encrypted, TLS-only, backed up, optionally behind RDS Proxy."""

from aws_cdk import ArnFormat, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_backup as backup
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from constructs import Construct

from foundry_infra.checkov import skip_checkov
from foundry_infra.config.model import DatabaseConfig
from foundry_infra.defaults import log_retention
from foundry_infra.nag import acknowledge
from foundry_infra.network.vpc import Network
from foundry_infra.security.keys import Keys

DATABASE_NAME = "foundry"
# RDS PostgreSQL's default port (the instance and RDS Proxy both listen on it).
DATABASE_PORT = 5432
MASTER_USERNAME = "foundry_admin"

_MEMORY_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32, "4xlarge": 64}


def instance_memory_gib(instance_class: str) -> int:
    family, _, size = instance_class.partition(".")
    if size not in _MEMORY_GIB:
        raise ValueError(f"unknown RDS instance size in {instance_class!r}; sizes: {', '.join(_MEMORY_GIB)}")
    # r-family instances carry twice the memory of m/t instances of the same size.
    return _MEMORY_GIB[size] * (2 if family.startswith("r") else 1)


def default_max_connections(instance_class: str) -> int:
    """RDS's own formula, LEAST(DBInstanceClassMemory/9531392, 5000), fixed so alarms can use it."""
    usable_bytes = instance_memory_gib(instance_class) * 1024**3 * 0.9
    return min(int(usable_bytes // 9531392), 5000)


class Database(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: DatabaseConfig,
        network: Network,
        keys: Keys,
        security_group: ec2.ISecurityGroup,
        prefix: str,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, id_)
        # The instance and its proxy in the data tier; the rotation function in the app tier, which
        # reaches Secrets Manager through its interface endpoint or the NAT.
        vpc, subnets, rotation_subnets = network.vpc, network.data_subnets, network.app_subnets
        secrets_endpoint = network.interface_endpoints.get("secretsmanager")
        storage_key, secrets_key, logs_key = keys.database, keys.secrets, keys.logs
        self.config = config
        self.security_group = security_group
        self.max_connections = config.max_connections or default_max_connections(config.instance_class)
        major = config.engine_version.split(".")[0]
        engine = rds.DatabaseInstanceEngine.postgres(
            version=rds.PostgresEngineVersion.of(config.engine_version, major)
        )
        self.parameter_group = rds.ParameterGroup(
            self,
            "Parameters",
            engine=engine,
            description="Foundry: TLS only, bounded statements and idle transactions",
            parameters={
                "rds.force_ssl": "1",
                # The same settings the twin's Postgres starts with (foundry_contract.postgres).
                **config.server_parameters(),
                "max_connections": str(self.max_connections),
            },
        )
        # Log groups made here, not through cloudwatch_logs_retention, which would add a Lambda.
        identifier = f"{prefix.replace('/', '-')}-postgres"
        self.log_groups = [
            logs.LogGroup(
                self,
                f"{kind.capitalize()}Logs",
                log_group_name=f"/aws/rds/instance/{identifier}/{kind}",
                encryption_key=logs_key,
                retention=log_retention(log_retention_days),
                removal_policy=RemovalPolicy.DESTROY,
            )
            for kind in ("postgresql", "upgrade")
        ]
        performance_insights = not config.instance_class.endswith((".micro", ".small"))
        self.instance = rds.DatabaseInstance(
            self,
            "Instance",
            engine=engine,
            instance_type=ec2.InstanceType(config.instance_class),
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[security_group],
            publicly_accessible=False,
            multi_az=config.multi_az,
            database_name=DATABASE_NAME,
            credentials=rds.Credentials.from_generated_secret(
                MASTER_USERNAME, encryption_key=secrets_key, secret_name=f"{prefix}/database"
            ),
            parameter_group=self.parameter_group,
            storage_type=rds.StorageType.GP3,
            allocated_storage=config.allocated_storage_gib,
            max_allocated_storage=config.max_allocated_storage_gib,
            storage_encrypted=True,
            storage_encryption_key=storage_key,
            backup_retention=Duration.days(config.backup_retention_days),
            copy_tags_to_snapshot=True,
            deletion_protection=config.deletion_protection,
            removal_policy=RemovalPolicy.SNAPSHOT,
            auto_minor_version_upgrade=True,
            instance_identifier=identifier,
            cloudwatch_logs_exports=["postgresql", "upgrade"],
            monitoring_interval=Duration.seconds(60),
            enable_performance_insights=performance_insights,
            performance_insight_encryption_key=storage_key if performance_insights else None,
            ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
            # Spec §6: role-api may use rds-db:connect; passwords from the rotated secret still work.
            iam_authentication=True,
        )
        for log_group in self.log_groups:
            self.instance.node.add_dependency(log_group)
        acknowledge(
            self.instance,
            "AwsSolutions-RDS11",
            reason="The default port is no secret worth keeping: sg-rds admits 5432 from sg-api only and the "
            "data subnets have no route to the internet.",
        )
        if not config.multi_az:
            single_az = (
                "Single-AZ is this profile's deliberate cost trade-off (database.multi_az=false); "
                "foundry verify reports it as a DEVIATION. staging and prod run Multi-AZ."
            )
            acknowledge(self.instance, "AwsSolutions-RDS3", reason=single_az)
            skip_checkov(self.instance, "CKV_AWS_157", reason=single_az)
        if not config.deletion_protection:
            acknowledge(
                self.instance,
                "AwsSolutions-RDS10",
                reason="Deletion protection is on in prod only (database.deletion_protection); non-prod "
                "databases are disposable and still snapshot on deletion (RemovalPolicy.SNAPSHOT).",
            )
        monitoring_role = self.instance.node.try_find_child("MonitoringRole")
        if monitoring_role is not None:
            acknowledge(
                monitoring_role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]",
                reason="AWS's enhanced-monitoring role policy only lets RDS write OS metrics to its own "
                "RDSOSMetrics log group; there is no narrower equivalent.",
            )
        assert self.instance.secret is not None
        self.secret = self.instance.secret
        # The rotation function calls Secrets Manager through the endpoint it is given (by the
        # endpoint's own DNS name) or, without one, through the NAT; its group must be admitted there.
        # https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-secrets-manager-vpc.html
        self.rotation_security_group = ec2.SecurityGroup(
            self,
            "RotationSg",
            vpc=vpc,
            description="Secret rotation function - PostgreSQL and Secrets Manager over HTTPS only",
            allow_all_outbound=False,
        )
        self.rotation_security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "Secrets Manager: its interface endpoint or the NAT"
        )
        if secrets_endpoint is not None:
            secrets_endpoint.connections.allow_default_port_from(
                self.rotation_security_group, "Secret rotation function"
            )
        self.rotation = self.instance.add_rotation_single_user(
            automatically_after=Duration.days(30),
            vpc_subnets=rotation_subnets,
            endpoint=secrets_endpoint,
            security_group=self.rotation_security_group,
        )
        self.proxy: rds.DatabaseProxy | None = None
        self.proxy_security_group: ec2.SecurityGroup | None = None
        if config.proxy:
            self.proxy_security_group = ec2.SecurityGroup(
                self,
                "ProxySg",
                vpc=vpc,
                description="RDS Proxy, in front of sg-rds",
                allow_all_outbound=False,
            )
            self.proxy = self.instance.add_proxy(
                "Proxy",
                # Proxy names are unique per account and region; CDK's default ("Proxy", from the
                # construct id) collides as soon as two environments share an account.
                # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBProxy.html
                db_proxy_name=f"{prefix.replace('/', '-')}-proxy",
                secrets=[self.secret],
                vpc=vpc,
                vpc_subnets=subnets,
                security_groups=[self.proxy_security_group],
                require_tls=True,
                # End-to-end IAM: the api's role presents its IAM token to the proxy and the proxy logs
                # in to the database with IAM as that same user, so the api's role needs no secret
                # registered on the proxy. The master secret above stays for the migration runner.
                # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-iam.html
                default_auth_scheme=rds.DefaultAuthScheme.IAM_AUTH,
            )
            self.instance.connections.allow_default_port_from(
                self.proxy_security_group, "RDS Proxy to PostgreSQL"
            )
            self.proxy_security_group.add_egress_rule(
                security_group, ec2.Port.tcp(DATABASE_PORT), "RDS Proxy to PostgreSQL"
            )
        self.backup_plan = self._backup_plan(
            storage_key=storage_key,
            weekly_retention_days=config.weekly_snapshot_retention_days,
            prefix=prefix,
        )

    def connect_statement(self, *, db_user: str) -> iam.PolicyStatement:
        """rds-db:connect for exactly one database user, on the proxy when there is one.

        The resource is arn:aws:rds-db:REGION:ACCOUNT:dbuser:RESOURCE_ID/USER, where RESOURCE_ID is
        the instance's DbiResourceId (db-...) or, through RDS Proxy, the proxy's prx-... id:
        https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html
        https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-iam.html
        """
        instance_id = self.instance.instance_resource_id  # DbiResourceId (db-...), a token at synth
        if instance_id is None:
            raise TypeError("the RDS instance has no DbiResourceId to grant rds-db:connect on")
        if self.proxy is None:
            return self._connect(resource_id=instance_id, db_user=db_user)
        # End-to-end IAM: the proxy logs in to the instance as that same user with its own role,
        # which therefore needs rds-db:connect on the instance's user (AWS's migration guide:
        # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-iam-migration.html).
        proxy_role = self.proxy.node.try_find_child("IAMRole")
        if not isinstance(proxy_role, iam.Role):
            raise TypeError("RDS Proxy without its IAMRole child: cannot grant it rds-db:connect")
        proxy_role.add_to_principal_policy(self._connect(resource_id=instance_id, db_user=db_user))
        # The proxy's ARN ends in db-proxy:prx-...; its seventh ':' field is the resource id.
        return self._connect(
            resource_id=Fn.select(6, Fn.split(":", self.proxy.db_proxy_arn)), db_user=db_user
        )

    def _connect(self, *, resource_id: str, db_user: str) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=["rds-db:connect"],
            resources=[
                Stack.of(self).format_arn(
                    service="rds-db",
                    resource="dbuser",
                    resource_name=f"{resource_id}/{db_user}",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )

    @property
    def front_security_group(self) -> ec2.ISecurityGroup:
        """The group a client connects to: RDS Proxy's when there is one, else the instance's."""
        return self.proxy_security_group or self.security_group

    @property
    def endpoint_address(self) -> str:
        return self.proxy.endpoint if self.proxy is not None else self.instance.db_instance_endpoint_address

    def _backup_plan(
        self, *, storage_key: kms.IKey, weekly_retention_days: int, prefix: str
    ) -> backup.BackupPlan:
        # Spec §4: daily automated backups with PITR live on the instance; AWS Backup adds daily and
        # weekly snapshots kept longer and outside the instance's lifecycle.
        vault = backup.BackupVault(
            self,
            "Vault",
            backup_vault_name=f"{prefix.replace('/', '-')}-database",
            encryption_key=storage_key,
            # Named: deleted if the first create rolls back, so the retry can create it (defaults.py).
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        plan = backup.BackupPlan(self, "BackupPlan", backup_vault=vault)
        plan.add_rule(
            backup.BackupPlanRule(
                rule_name="daily",
                schedule_expression=events.Schedule.cron(hour="3", minute="0"),
                delete_after=Duration.days(self.config.backup_retention_days),
            )
        )
        plan.add_rule(
            backup.BackupPlanRule(
                rule_name="weekly",
                schedule_expression=events.Schedule.cron(week_day="SUN", hour="4", minute="0"),
                delete_after=Duration.days(weekly_retention_days),
            )
        )
        selection = plan.add_selection(
            "Database", resources=[backup.BackupResource.from_rds_database_instance(self.instance)]
        )
        acknowledge(
            selection,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]",
            reason="AWS Backup's service role policy is the documented way to let the service snapshot the "
            "selected instance; its actions are scoped by the selection.",
        )
        return plan
