"""Spec §2 and §7: tiers, NAT per profile, the isolated data tier, endpoints, flow logs."""

from typing import Any

import pytest
from foundry_infra.config import load_config
from foundry_infra.network import endpoints as by_need
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import Template


def _routes_by_table(template: Template) -> dict[str, list[dict[str, Any]]]:
    routes: dict[str, list[dict[str, Any]]] = {}
    for props in (r["Properties"] for r in template.of_type("AWS::EC2::Route").values()):
        routes.setdefault(props["RouteTableId"]["Ref"], []).append(props)
    return routes


def _tables_of_tier(template: Template, tier: str) -> list[str]:
    return [
        key for key in template.of_type("AWS::EC2::RouteTable") if key.startswith(f"NetworkVpc{tier}Subnet")
    ]


def test_two_azs_three_tiers_from_fixed_names(each_env: Synth) -> None:
    subnets = [r["Properties"] for r in each_env.platform.of_type("AWS::EC2::Subnet").values()]
    assert len(subnets) == 6
    assert {s["AvailabilityZone"] for s in subnets} == {"us-east-1a", "us-east-1b"}
    public = [s for s in subnets if s["MapPublicIpOnLaunch"]]
    assert len(public) == 2


@pytest.mark.parametrize(("env", "expected"), [("dev", 1), ("staging", 1), ("prod", 2)])
def test_nat_gateways_per_profile(synths: dict[str, Synth], env: str, expected: int) -> None:
    template = synths[env].platform
    assert len(template.of_type("AWS::EC2::NatGateway")) == expected
    assert len(template.of_type("AWS::EC2::EIP")) == expected


def test_app_tier_leaves_through_nat_and_data_tier_has_no_default_route(each_env: Synth) -> None:
    template = each_env.platform
    routes = _routes_by_table(template)
    for table in _tables_of_tier(template, "app"):
        (default,) = [r for r in routes[table] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert "NatGatewayId" in default
    data_tables = _tables_of_tier(template, "data")
    assert len(data_tables) == 2
    for table in data_tables:
        assert routes.get(table, []) == [], "the data tier must have no route to a NAT or an IGW"


def test_s3_gateway_endpoint_serves_app_and_data_route_tables(each_env: Synth) -> None:
    template = each_env.platform
    (gateway,) = [
        r["Properties"]
        for r in template.of_type("AWS::EC2::VPCEndpoint").values()
        if r["Properties"].get("VpcEndpointType") == "Gateway"
    ]
    assert ".s3" in str(gateway["ServiceName"])
    tables = {ref["Ref"] for ref in gateway["RouteTableIds"]}
    assert tables == set(_tables_of_tier(template, "app") + _tables_of_tier(template, "data"))


@pytest.mark.parametrize(("env", "azs"), [("dev", 1), ("prod", 2)])
def test_interface_endpoints_private_dns_in_data_subnets(
    synths: dict[str, Synth], env: str, azs: int
) -> None:
    """The VPC's own endpoints are the by-need choice (issue 18; test_endpoints.py pins it per profile)."""
    template = synths[env].platform
    endpoints = {
        key: r["Properties"]
        for key, r in template.of_type("AWS::EC2::VPCEndpoint").items()
        if r["Properties"].get("VpcEndpointType") == "Interface" and key.startswith("NetworkVpc")
    }
    names = " ".join(str(p["ServiceName"]) for p in endpoints.values())
    chosen = by_need.chosen(load_config(env=env))
    for service in chosen:
        assert f".{service}" in names, service
    assert len(endpoints) == len(chosen)
    for props in endpoints.values():
        assert props["PrivateDnsEnabled"] is True
        assert len(props["SubnetIds"]) == azs
        assert all(ref["Ref"].startswith("NetworkVpcdataSubnet") for ref in props["SubnetIds"])


def test_endpoint_security_group_admits_https_from_service_groups_only(each_env: Synth) -> None:
    template = each_env.platform
    group = template.logical_id("NetworkEndpointsSg", "AWS::EC2::SecurityGroup")
    assert "SecurityGroupIngress" not in template.props(group)
    rules = [
        r["Properties"]
        for r in template.of_type("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}
    ]
    sources = sorted(r["SourceSecurityGroupId"]["Fn::GetAtt"][0] for r in rules)
    # The services, and the workloads that pull images, read secrets or write logs from their own
    # interfaces (issue 20; infra/tests/test_reachability.py proves each is needed).
    assert sources == sorted(
        template.logical_id(prefix, "AWS::EC2::SecurityGroup")
        for prefix in ("SecurityGroupsApi", "SecurityGroupsAi", "MigrationsSg", "DatabaseRotationSg")
    )
    assert {(r["FromPort"], r["ToPort"]) for r in rules} == {(443, 443)}


def test_flow_logs_capture_all_traffic(each_env: Synth) -> None:
    (log,) = each_env.platform.of_type("AWS::EC2::FlowLog").values()
    assert log["Properties"]["TrafficType"] == "ALL"
    assert log["Properties"]["ResourceType"] == "VPC"


def test_minimal_profile_can_drop_interface_endpoints(minimal: Synth) -> None:
    endpoints = minimal.platform.of_type("AWS::EC2::VPCEndpoint")
    assert [
        r["Properties"]["VpcEndpointType"] for k, r in endpoints.items() if k.startswith("NetworkVpc")
    ] == ["Gateway"]
