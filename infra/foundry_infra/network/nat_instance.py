"""Issue 18: the opt-in NAT instance for dev (`network.nat = instance`), fck-nat-style.

fck-nat's approach is Amazon Linux 2023 on a Graviton t4g.nano with IP forwarding on and iptables
masquerading out of the instance's interface (https://fck-nat.dev/stable/). This is that approach with
AWS's own image, so nothing third-party is trusted and synth stays offline: the AMI is AWS's public SSM
parameter for the latest AL2023 arm64 (a CloudFormation parameter resolved at deploy time, no lookup),
and CDK's NatInstanceProviderV2 user data does the forwarding and masquerading.
https://docs.aws.amazon.com/vpc/latest/userguide/VPC_NAT_Instance.html ·
https://docs.aws.amazon.com/linux/al2023/ug/ec2.html#launch-from-ssm

Per instance: source/destination check off (the provider sets it; a NAT forwards others' packets), its
own security group admitting only the VPC's private app subnets, IMDSv2 required (through a launch
template), an encrypted gp3 root volume, and automatic recovery: a CloudWatch alarm on the system
status check that recovers the instance in place (same instance id, private and public IP, so the
private subnets' routes stay valid), and one on the instance check that reboots it.
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-recover.html ·
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/UsingAlarmActions.html#AddingRecoverActions
"""

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2

from foundry_infra.checkov import skip_checkov
from foundry_infra.config.model import NetworkConfig
from foundry_infra.nag import acknowledge

ROOT_VOLUME_GIB = 8  # AL2023's image size; the instance keeps no state


class NatInstances:
    """The provider for ec2.Vpc and, once the VPC exists, what secures and watches its instances."""

    def __init__(self, *, config: NetworkConfig) -> None:
        self.provider = ec2.NatProvider.instance_v2(
            instance_type=ec2.InstanceType(config.nat_instance_type),
            machine_image=ec2.MachineImage.latest_amazon_linux2023(cpu_type=ec2.AmazonLinuxCpuType.ARM_64),
            # No ingress from anywhere by default: the group below admits the private subnets only.
            default_allowed_traffic=ec2.NatTrafficDirection.OUTBOUND_ONLY,
            associate_public_ip_address=True,
        )

    def secure(self, *, vpc: ec2.Vpc, private_subnets: list[ec2.ISubnet]) -> None:
        group = self.provider.security_group
        for subnet in private_subnets:
            group.add_ingress_rule(
                ec2.Peer.ipv4(subnet.ipv4_cidr_block),
                ec2.Port.all_traffic(),
                "Traffic to forward, from a private app subnet only",
            )
        instances = self.provider.gateway_instances
        for index, instance in enumerate(instances):
            cfn = instance.node.default_child
            assert isinstance(cfn, ec2.CfnInstance)
            # IMDSv2 only: AWS::EC2::Instance takes metadata options from a launch template alone. An
            # unnamed one (CDK's own aspect names every one alike, and names are unique per region).
            template = ec2.CfnLaunchTemplate(
                instance,
                "Imdsv2",
                launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                    metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(
                        http_tokens="required", http_endpoint="enabled"
                    )
                ),
            )
            cfn.launch_template = ec2.CfnInstance.LaunchTemplateSpecificationProperty(
                launch_template_id=template.ref, version=template.attr_latest_version_number
            )
            cfn.block_device_mappings = [
                ec2.CfnInstance.BlockDeviceMappingProperty(
                    device_name="/dev/xvda",
                    ebs=ec2.CfnInstance.EbsProperty(
                        volume_size=ROOT_VOLUME_GIB,
                        volume_type="gp3",
                        encrypted=True,
                        delete_on_termination=True,
                    ),
                )
            ]
            cfn.monitoring = True
            self._recover(instance, number=index + 1)
            self._explain(instance)

    def _recover(self, instance: ec2.Instance, *, number: int) -> None:
        scope, region = instance, Stack.of(instance).region

        def status(check: str) -> cw.Metric:
            return cw.Metric(
                namespace="AWS/EC2",
                metric_name=check,
                dimensions_map={"InstanceId": instance.instance_id},
                statistic="Maximum",
                period=Duration.minutes(1),
            )

        for check, action, verb in (
            ("StatusCheckFailed_System", ec2_action(region, "recover"), "recovers"),
            ("StatusCheckFailed_Instance", ec2_action(region, "reboot"), "reboots"),
        ):
            alarm = cw.Alarm(
                scope,
                check,
                alarm_description=f"NAT instance {number}: {check} for 2 minutes; the alarm {verb} it in place.",
                metric=status(check),
                threshold=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=2,
                treat_missing_data=cw.TreatMissingData.MISSING,
            )
            alarm.add_alarm_action(action)

    def _explain(self, instance: ec2.Instance) -> None:
        acknowledge(
            instance,
            "AwsSolutions-EC29",
            reason="A NAT instance is replaceable and stateless; automatic recovery, not termination "
            "protection or an Auto Scaling group, keeps its instance id that the routes name.",
        )
        skip_checkov(
            instance,
            "CKV_AWS_88",
            reason="A NAT instance forwards the private subnets' traffic to the internet through its "
            "public IPv4 address; that is its purpose (network.nat=instance).",
        )


def ec2_action(region: str, action: str) -> cw_actions.Ec2Action:
    """arn:aws:automate:REGION:ec2:recover / reboot, CloudWatch's built-in EC2 actions."""
    kinds = {"recover": cw_actions.Ec2InstanceAction.RECOVER, "reboot": cw_actions.Ec2InstanceAction.REBOOT}
    return cw_actions.Ec2Action(kinds[action])
