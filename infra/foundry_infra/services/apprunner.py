"""A service on AWS App Runner (spec §3): image from ECR, secrets at run time, optional VPC egress."""

from aws_cdk import aws_apprunner as apprunner
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct
from foundry_contract import HEALTH_PATH

from foundry_infra.config.model import ServiceConfig
from foundry_infra.services.environment import CONTAINER_PORT, ServiceEnvironment


class AppRunnerService(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        config: ServiceConfig,
        repository: ecr.IRepository,
        access_role: iam.IRole,
        instance_role: iam.IRole,
        environment: ServiceEnvironment,
        public: bool,
        vpc_egress: tuple[ec2.SelectedSubnets, ec2.ISecurityGroup] | None,
        observability_configuration_arn: str | None,
    ) -> None:
        super().__init__(scope, id_)
        self.name = name
        self.public = public
        self.auto_scaling = apprunner.CfnAutoScalingConfiguration(
            self,
            "Scaling",
            auto_scaling_configuration_name=name[:32],
            min_size=config.min_instances,
            max_size=config.max_instances,
            max_concurrency=config.concurrency,
        )
        self.vpc_connector: apprunner.CfnVpcConnector | None = None
        egress = apprunner.CfnService.EgressConfigurationProperty(egress_type="DEFAULT")
        if vpc_egress is not None:
            subnets, security_group = vpc_egress
            self.vpc_connector = apprunner.CfnVpcConnector(
                self,
                "VpcConnector",
                vpc_connector_name=name[:40],
                subnets=subnets.subnet_ids,
                security_groups=[security_group.security_group_id],
            )
            egress = apprunner.CfnService.EgressConfigurationProperty(
                egress_type="VPC", vpc_connector_arn=self.vpc_connector.attr_vpc_connector_arn
            )
        self.service = apprunner.CfnService(
            self,
            "Service",
            service_name=name,
            source_configuration=apprunner.CfnService.SourceConfigurationProperty(
                # The pipeline deploys explicitly (immutable SHA tags), so ECR pushes never deploy alone.
                auto_deployments_enabled=False,
                authentication_configuration=apprunner.CfnService.AuthenticationConfigurationProperty(
                    access_role_arn=access_role.role_arn
                ),
                image_repository=apprunner.CfnService.ImageRepositoryProperty(
                    image_identifier=f"{repository.repository_uri}:{config.image_tag}",
                    image_repository_type="ECR",
                    image_configuration=apprunner.CfnService.ImageConfigurationProperty(
                        port=str(CONTAINER_PORT),
                        runtime_environment_variables=[
                            apprunner.CfnService.KeyValuePairProperty(name=key, value=value)
                            for key, value in sorted(environment.plain.items())
                        ],
                        runtime_environment_secrets=[
                            apprunner.CfnService.KeyValuePairProperty(name=key, value=secret.secret_arn)
                            for key, secret in sorted(environment.secrets.items())
                        ],
                    ),
                ),
            ),
            instance_configuration=apprunner.CfnService.InstanceConfigurationProperty(
                cpu=str(config.cpu), memory=str(config.memory), instance_role_arn=instance_role.role_arn
            ),
            health_check_configuration=apprunner.CfnService.HealthCheckConfigurationProperty(
                protocol="HTTP",
                path=HEALTH_PATH,
                interval=10,
                timeout=5,
                healthy_threshold=1,
                unhealthy_threshold=5,
            ),
            network_configuration=apprunner.CfnService.NetworkConfigurationProperty(
                egress_configuration=egress,
                ingress_configuration=apprunner.CfnService.IngressConfigurationProperty(
                    is_publicly_accessible=public
                ),
            ),
            auto_scaling_configuration_arn=self.auto_scaling.attr_auto_scaling_configuration_arn,
            observability_configuration=apprunner.CfnService.ServiceObservabilityConfigurationProperty(
                observability_enabled=observability_configuration_arn is not None,
                observability_configuration_arn=observability_configuration_arn,
            ),
        )

    @property
    def url(self) -> str:
        """Default domain without scheme (xyz.region.awsapprunner.com)."""
        return self.service.attr_service_url

    @property
    def arn(self) -> str:
        return self.service.attr_service_arn


class PrivateIngress(Construct):
    """Spec §3.3: `ai` answers only inside the VPC, through an `apprunner.requests` interface endpoint
    whose security group admits HTTPS from the api's security group alone."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        service: AppRunnerService,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        allowed_peers: list[ec2.ISecurityGroup],
    ) -> None:
        super().__init__(scope, id_)
        self.security_group = ec2.SecurityGroup(
            self,
            "Sg",
            vpc=vpc,
            description=f"{service.name} private ingress: HTTPS from sg-api only",
            allow_all_outbound=False,
        )
        for peer in allowed_peers:
            self.security_group.add_ingress_rule(peer, ec2.Port.tcp(443), "HTTPS to the private ai service")
        self.endpoint = ec2.InterfaceVpcEndpoint(
            self,
            "RequestsEndpoint",
            vpc=vpc,
            service=ec2.InterfaceVpcEndpointAwsService.APP_RUNNER_REQUESTS,
            subnets=subnets,
            private_dns_enabled=False,
            security_groups=[self.security_group],
            open=False,
        )
        self.connection = apprunner.CfnVpcIngressConnection(
            self,
            "Connection",
            service_arn=service.arn,
            vpc_ingress_connection_name=service.name[:40],
            ingress_vpc_configuration=apprunner.CfnVpcIngressConnection.IngressVpcConfigurationProperty(
                vpc_id=vpc.vpc_id, vpc_endpoint_id=self.endpoint.vpc_endpoint_id
            ),
        )

    @property
    def url(self) -> str:
        return f"https://{self.connection.attr_domain_name}"
