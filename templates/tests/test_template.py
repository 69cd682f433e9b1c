import pytest
from foundry_templates import Template
from foundry_templates.network import nat_gateways
from foundry_templates.template import merged, resources_of_type


def _template(**resources: str) -> Template:
    return Template(
        {"Resources": {key: {"Type": kind, "Properties": {"Name": key}} for key, kind in resources.items()}}
    )


PLATFORM = _template(NatB="AWS::EC2::NatGateway", Vpc="AWS::EC2::VPC", NatA="AWS::EC2::NatGateway")
EDGE = _template(Acl="AWS::WAFv2::WebACL", NatC="AWS::EC2::NatGateway")


def test_resources_of_type_walks_every_stack_in_template_order() -> None:
    found = [
        (t is EDGE, key, props)
        for t, key, props in resources_of_type([PLATFORM, EDGE], "AWS::EC2::NatGateway")
    ]
    assert found == [
        (False, "NatB", {"Name": "NatB"}),
        (False, "NatA", {"Name": "NatA"}),
        (True, "NatC", {"Name": "NatC"}),
    ]


def test_nat_gateways_counts_each_gateway_of_every_stack() -> None:
    assert list(nat_gateways([PLATFORM, EDGE])) == ["NatB", "NatA", "NatC"]
    assert nat_gateways([EDGE]) == {"NatC": {"Name": "NatC"}}
    assert nat_gateways([_template(Vpc="AWS::EC2::VPC")]) == {}


def test_merged_holds_every_stacks_resources() -> None:
    both = merged([PLATFORM, EDGE])
    assert sorted(both.resources) == ["Acl", "NatA", "NatB", "NatC", "Vpc"]
    assert both.props("Acl") == {"Name": "Acl"}


def test_one_and_logical_id_fail_loudly_unless_exactly_one_matches() -> None:
    assert PLATFORM.one("AWS::EC2::NatGateway", Name="NatA") == ("NatA", {"Name": "NatA"})
    assert PLATFORM.logical_id("NatB", "AWS::EC2::NatGateway") == "NatB"
    with pytest.raises(LookupError, match="found 2"):
        PLATFORM.one("AWS::EC2::NatGateway")
    with pytest.raises(LookupError):
        PLATFORM.logical_id("Nat", "AWS::EC2::NatGateway")
