"""The VPC of spec §2: two AZs, public / private-app / private-data tiers, NAT per profile, endpoints."""

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from foundry_infra.checkov import skip_checkov
from foundry_infra.config.model import InterfaceEndpoint, NetworkConfig
from foundry_infra.defaults import log_retention
from foundry_infra.network.nat_instance import NatInstances

PUBLIC, APP, DATA = "public", "app", "data"

_ENDPOINT_SERVICES: dict[InterfaceEndpoint, ec2.InterfaceVpcEndpointAwsService] = {
    "secretsmanager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "ecr.api": ec2.InterfaceVpcEndpointAwsService.ECR,
    "ecr.dkr": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "sts": ec2.InterfaceVpcEndpointAwsService.STS,
}


class Network(Construct):
    """The data tier is isolated: no route to a NAT or an IGW, only the S3 gateway endpoint."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: NetworkConfig,
        interface_endpoints: tuple[InterfaceEndpoint, ...],
        logs_key: kms.IKey,
        log_group_prefix: str,
    ) -> None:
        """`interface_endpoints` is the by-need choice of network/endpoints.py (`chosen`)."""
        super().__init__(scope, id_)
        self.config = config
        # Issue 18: NAT gateways (default) or NAT instances (dev's opt-in), one per nat_gateways.
        self.nat_instances = NatInstances(config=config) if config.nat == "instance" else None
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(config.cidr),
            availability_zones=list(config.availability_zones),
            nat_gateways=config.nat_gateways,
            nat_gateway_provider=self.nat_instances.provider if self.nat_instances else None,
            subnet_configuration=[
                ec2.SubnetConfiguration(name=PUBLIC, subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(
                    name=APP, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
                ec2.SubnetConfiguration(name=DATA, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24),
            ],
            restrict_default_security_group=True,
        )
        self._explain_default_group_handler()
        # Spec §2/§5: S3 traffic from the app and data tiers takes the free gateway endpoint, not the NAT.
        self.s3_endpoint = self.vpc.add_gateway_endpoint(
            "S3",
            service=ec2.GatewayVpcEndpointAwsService.S3,
            subnets=[ec2.SubnetSelection(subnet_group_name=APP), ec2.SubnetSelection(subnet_group_name=DATA)],
        )
        flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            log_group_name=f"{log_group_prefix}/vpc-flow-logs",
            encryption_key=logs_key,
            retention=log_retention(config.flow_log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointsSg",
            vpc=self.vpc,
            description="Interface endpoints - HTTPS from the app tier service security groups only",
            allow_all_outbound=False,
        )
        if self.nat_instances is not None:
            self.nat_instances.secure(vpc=self.vpc, private_subnets=self.vpc.private_subnets)
        endpoint_subnets = self.endpoint_subnets
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {
            name: self.vpc.add_interface_endpoint(
                name.replace(".", "-"),
                service=_ENDPOINT_SERVICES[name],
                subnets=endpoint_subnets,
                private_dns_enabled=True,
                security_groups=[self.endpoint_security_group],
                open=False,
            )
            for name in interface_endpoints
        }

    def _explain_default_group_handler(self) -> None:
        # restrict_default_security_group adds a CDK-owned Lambda that runs once per deploy to strip the
        # default security group's rules; CDK fixes its configuration.
        provider = Stack.of(self).node.try_find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
        handler = provider.node.try_find_child("Handler") if provider is not None else None
        if handler is None:
            return
        for check_id, reason in (
            (
                "CKV_AWS_115",
                "CDK's one-shot deploy-time handler; concurrency limits buy nothing for one call per deploy.",
            ),
            (
                "CKV_AWS_116",
                "CDK's deploy-time handler: CloudFormation retries and reports a failure; a DLQ adds nothing.",
            ),
            (
                "CKV_AWS_117",
                "CDK's deploy-time handler only calls the EC2 API to revoke the default group's rules.",
            ),
        ):
            skip_checkov(handler, check_id, reason=reason)

    @property
    def app_subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_group_name=APP)

    @property
    def data_subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_group_name=DATA)

    @property
    def endpoint_subnets(self) -> ec2.SubnetSelection:
        """Where interface endpoints put their ENIs: the data subnets of interface_endpoint_azs AZs."""
        return ec2.SubnetSelection(
            subnet_group_name=DATA,
            availability_zones=list(self.config.availability_zones[: self.config.interface_endpoint_azs]),
        )

    def admit_to_endpoints(self, peer: ec2.ISecurityGroup, *, description: str) -> None:
        """Interface endpoints with private DNS answer for their services' names across the VPC and drop
        what their group does not admit (issue 20): every workload that pulls images, reads secrets or
        writes logs from its own network interface is admitted here, the services (network/
        security_groups.py), the rotation function (data/database.py), the migration runner and the
        GPU instances. https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html"""
        self.endpoint_security_group.add_ingress_rule(peer, ec2.Port.tcp(443), description)
