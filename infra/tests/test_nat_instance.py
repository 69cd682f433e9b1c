"""Issue 18: network.nat=instance, dev's opt-in NAT instance (network/nat_instance.py), and that prod
refuses it."""

import pytest
from foundry_infra.config import ConfigError, load_config
from foundry_templates import SynthesizedEnvironment as Synth


@pytest.fixture(scope="module")
def lean(synths: dict[str, Synth]) -> Synth:
    return synths["dev-lean"]


def test_nat_instance_replaces_the_gateway(lean: Synth) -> None:
    t = lean.platform
    assert t.of_type("AWS::EC2::NatGateway") == {}
    (key,) = t.of_type("AWS::EC2::Instance")
    props = t.props(key)
    assert props["InstanceType"] == "t4g.nano"
    assert props["SourceDestCheck"] is False
    assert props["Monitoring"] is True
    (volume,) = props["BlockDeviceMappings"]
    assert volume["Ebs"]["Encrypted"] is True and volume["Ebs"]["VolumeType"] == "gp3"
    # AWS's own AL2023 arm64 image through the public SSM parameter: a deploy-time parameter, no lookup.
    image = props["ImageId"]["Ref"]
    assert "al2023" in image.lower() and "arm64" in image.lower()
    template = t.props(props["LaunchTemplate"]["LaunchTemplateId"]["Ref"])
    assert template["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] == "required"
    assert "LaunchTemplateName" not in template  # names are unique per region and account
    # Every app subnet's default route goes to the instance.
    routes = [r["Properties"] for r in t.of_type("AWS::EC2::Route").values()]
    app = [r for r in routes if "appSubnet" in r["RouteTableId"]["Ref"]]
    assert len(app) == 2 and all(r["InstanceId"] == {"Ref": key} for r in app)


def test_nat_instance_group_admits_the_private_app_subnets_only(lean: Synth) -> None:
    t = lean.platform
    (key,) = t.of_type("AWS::EC2::Instance")
    (group,) = [g["Fn::GetAtt"][0] for g in t.props(key)["SecurityGroupIds"]]
    ingress = t.props(group).get("SecurityGroupIngress", [])
    app_cidrs = {
        s["Properties"]["CidrBlock"]
        for k, s in t.of_type("AWS::EC2::Subnet").items()
        if k.startswith("NetworkVpcappSubnet")
    }
    assert {rule["CidrIp"] for rule in ingress} == app_cidrs
    assert all(rule["IpProtocol"] == "-1" for rule in ingress)


def test_nat_instance_recovers_itself_and_its_egress_is_watched(lean: Synth) -> None:
    t = lean.platform
    (key,) = t.of_type("AWS::EC2::Instance")
    alarms = [a["Properties"] for a in t.of_type("AWS::CloudWatch::Alarm").values()]
    actions = {
        a["MetricName"]: str(a["AlarmActions"])
        for a in alarms
        if a.get("Dimensions") == [{"Name": "InstanceId", "Value": {"Ref": key}}] and "MetricName" in a
    }
    assert ":ec2:recover" in actions["StatusCheckFailed_System"]
    assert ":ec2:reboot" in actions["StatusCheckFailed_Instance"]
    egress = [a for a in alarms if "nat-egress-spike" in str(a.get("AlarmName"))]
    assert len(egress) == 1 and "NetworkOut" in str(egress[0]["Metrics"])


def test_prod_refuses_the_nat_instance() -> None:
    with pytest.raises(ConfigError, match="prod keeps NAT gateways"):
        load_config(env="prod", overrides=("network.nat=instance",))
    assert load_config(env="staging", overrides=("network.nat=instance",)).network.nat == "instance"
