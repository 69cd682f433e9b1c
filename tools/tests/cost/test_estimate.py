"""Arithmetic of the estimate on hand-written templates, and on the synthesized environments."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import Template, read_stacks
from foundry_tools.cost.advice import advise
from foundry_tools.cost.estimate import estimate
from foundry_tools.cost.prices import PRICES_FILE, load_prices
from foundry_tools.cost.traffic import DEFAULTS, Traffic, load_traffic

PRICES = load_prices()
ZERO = Traffic(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

TINY: dict[str, Any] = {
    "Resources": {
        "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
        "Nat": {
            "Type": "AWS::EC2::NatGateway",
            "Properties": {"AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]}},
        },
        "Logs": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "ServiceName": "com.amazonaws.us-east-1.logs",
                "VpcEndpointType": "Interface",
                "SubnetIds": [{"Ref": "A"}, {"Ref": "B"}],
            },
        },
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {"DBInstanceClass": "db.t4g.micro", "MultiAZ": True, "AllocatedStorage": "20"},
        },
        "Scaling": {"Type": "AWS::AppRunner::AutoScalingConfiguration", "Properties": {"MinSize": 2}},
        "Api": {
            "Type": "AWS::AppRunner::Service",
            "Properties": {
                "ServiceName": "foundry-t-api",
                "InstanceConfiguration": {"Cpu": "1024", "Memory": "2048"},
                "AutoScalingConfigurationArn": {"Fn::GetAtt": ["Scaling", "AutoScalingConfigurationArn"]},
            },
        },
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}},
        "Acl": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [{}, {}, {}]}},
    }
}


def test_tiny_template_fixed_costs_match_hand_arithmetic() -> None:
    result = estimate({"tiny": Template(TINY)}, ZERO, PRICES)
    hand = {
        "nat": 730 * 0.045,  # 32.85
        "eip": 730 * 0.005,  # 3.65
        "endpoint": 2 * 730 * 0.01,  # 14.60
        "rds": 2 * 730 * 0.016,  # 23.36, Multi-AZ doubles
        "gp3": 2 * 20 * 0.115,  # 4.60, Multi-AZ doubles
        "apprunner": 2 * 2 * 730 * 0.007,  # 20.44, two provisioned 2 GB instances, memory only
        "kms": 1.0,
        "secret": 0.40,
        "alarm": 0.10,
        "waf": 5 + 3 * 1.0,
    }
    assert sum(hand.values()) == pytest.approx(109.00)
    assert result.total_usd_month == pytest.approx(109.00)
    assert result.total("usage") == 0
    assert result.unpriced == []


def test_tiny_template_usage_costs_match_hand_arithmetic() -> None:
    traffic = Traffic(
        nat_gb=100, endpoint_gb=50, cloudfront_gb=0, cloudfront_requests_m=2, log_gb=10, s3_gb=0,
        s3_put_k=0, s3_get_k=0, apprunner_active_hours=100, db_backup_gb=30, ecr_gb=0,
    )  # fmt: skip
    usage = estimate({"tiny": Template(TINY)}, traffic, PRICES).total("usage")
    # NAT 100 × 0.045 + endpoint 50 × 0.01 + WAF 2M × 0.60 + logs 10 × 0.50 + active 100 h × 1 vCPU × 0.064
    assert usage == pytest.approx(4.5 + 0.5 + 1.2 + 5.0 + 6.4)
    backup = estimate({"tiny": Template(TINY)}, traffic, PRICES).total("fixed") - 109.00
    assert backup == pytest.approx((30 - 20) * 0.095)


CONTAINERS: dict[str, Any] = {
    "Resources": {
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"Cpu": "1024", "Memory": "2048", "RuntimePlatform": {"CpuArchitecture": "ARM64"}},
        },
        "Half": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "TaskDefinition": {"Ref": "Task"},
                "DesiredCount": 2,
                "CapacityProviderStrategy": [
                    {"CapacityProvider": "FARGATE", "Weight": 1},
                    {"CapacityProvider": "FARGATE_SPOT", "Weight": 1},
                ],
            },
        },
        "Launch": {
            "Type": "AWS::EC2::LaunchTemplate",
            "Properties": {
                "LaunchTemplateData": {
                    "InstanceType": "g6.xlarge",
                    "BlockDeviceMappings": [{"Ebs": {"VolumeSize": 100, "VolumeType": "gp3"}}],
                }
            },
        },
        "Gpus": {
            "Type": "AWS::AutoScaling::AutoScalingGroup",
            "Properties": {
                "MinSize": "2",
                "MaxSize": "2",
                "MixedInstancesPolicy": {
                    "InstancesDistribution": {"OnDemandPercentageAboveBaseCapacity": 0},
                    "LaunchTemplate": {
                        "LaunchTemplateSpecification": {"LaunchTemplateId": {"Ref": "Launch"}}
                    },
                },
            },
        },
        "Nlb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Type": "network"}},
    }
}


def test_containers_spot_gpu_and_nlb_match_hand_arithmetic() -> None:
    result = estimate({"c": Template(CONTAINERS)}, ZERO, PRICES)
    hand = {
        # two ARM tasks of 1 vCPU / 2 GB, weights 1:1 -> one task's hours on demand, one on Spot
        "fargate": 730 * (1 * 0.03238 + 2 * 0.00356),
        "fargate spot": 730 * (1 * 0.01619 + 2 * 0.00178),
        # Spot GPU instances are priced at the on-demand upper bound, each with its 100 GB root volume
        "g6": 2 * 730 * 0.805,
        "gp3": 2 * 100 * 0.08,
        "nlb": 730 * 0.0225,
    }
    assert result.total_usd_month == pytest.approx(sum(hand.values()))
    assert result.unpriced == []
    items = [row.item for row in result.rows]
    assert "1 Fargate Spot task(s), vCPU" in items
    assert "2 × g6.xlarge Spot (≤ on-demand)" in items


def test_unknown_resource_types_are_reported_not_silently_free() -> None:
    body = {"Resources": {"Thing": {"Type": "AWS::Neptune::DBCluster", "Properties": {}}}}
    assert estimate({"x": Template(body)}, ZERO, PRICES).unpriced == ["AWS::Neptune::DBCluster"]


def test_every_price_has_a_source_and_a_date() -> None:
    import tomllib

    raw = tomllib.loads(PRICES_FILE.read_text())["prices"]
    assert raw
    for key, entry in raw.items():
        assert entry.get("source", "").strip(), f"{key} has no source"
        assert str(entry.get("date", "")).startswith("20"), f"{key} has no date"
        assert entry.get("unit"), f"{key} has no unit"
        assert entry["usd"] >= 0


def _without_one_nat(out_dir: Path) -> dict[str, Template]:
    templates = read_stacks(out_dir)
    platform = next(name for name in templates if name.endswith("-platform"))
    body = copy.deepcopy(templates[platform].body)
    nat_id = sorted(k for k, v in body["Resources"].items() if v["Type"] == "AWS::EC2::NatGateway")[-1]
    eip_id = body["Resources"][nat_id]["Properties"]["AllocationId"]["Fn::GetAtt"][0]
    del body["Resources"][nat_id], body["Resources"][eip_id]
    return {**templates, platform: Template(body)}


def test_one_nat_fewer_saves_exactly_its_hours_and_its_public_ipv4(prod: Synth) -> None:
    traffic = load_traffic("prod")
    two = estimate(read_stacks(prod.out_dir), traffic, PRICES).total_usd_month
    one = estimate(_without_one_nat(prod.out_dir), traffic, PRICES).total_usd_month
    assert two - one == pytest.approx(730 * 0.045 + 730 * 0.005, abs=1e-9)


def test_scale_multiplies_usage_rows_only(dev: Synth) -> None:
    templates = read_stacks(dev.out_dir)
    base = estimate(templates, load_traffic("dev"), PRICES)
    doubled = estimate(templates, load_traffic("dev", scale=2), PRICES)
    assert doubled.total("fixed") == pytest.approx(base.total("fixed"))
    linear = [row for row in base.rows if row.kind == "usage" and "above provisioned" not in row.item]
    assert linear
    for row, scaled in zip(base.rows, doubled.rows, strict=True):
        if row in linear:
            assert scaled.usd_month == pytest.approx(2 * row.usd_month)


def test_environments_price_every_resource_type(each_env: Synth) -> None:
    result = estimate(read_stacks(each_env.out_dir), load_traffic("dev"), PRICES)
    assert result.unpriced == []
    assert result.total("fixed") > 90  # dev by need (issue 18): $99.84


def test_dev_fixed_cost_meets_issue_18(synths: dict[str, Synth]) -> None:
    """<= $100 a month fixed on the default profile (NAT gateway, private ai, three tiers); <= $70 with
    the NAT instance and the sleep schedule's 50 awake hours a week (the dev-lean scenario)."""
    default = estimate(read_stacks(synths["dev"].out_dir), DEFAULTS["dev"], PRICES)
    assert default.total("fixed") <= 100
    assert [row.item for row in default.rows].count("NAT gateway hours") == 1
    lean = estimate(read_stacks(synths["dev-lean"].out_dir), DEFAULTS["dev"], PRICES)
    assert lean.total("fixed") <= 70
    assert any("awake 50 h/week" in note for note in lean.notes)
    assert "NAT instance t4g.nano hours" in [row.item for row in lean.rows]


def test_prod_fixed_items_follow_the_reference_arithmetic(prod: Synth) -> None:
    result = estimate(read_stacks(prod.out_dir), DEFAULTS["prod"], PRICES)
    by_item = {row.item: row.usd_month for row in result.rows}
    assert by_item["db.t4g.medium Multi-AZ hours"] == pytest.approx(94.90)
    assert by_item["gp3 storage, 2 copies"] == pytest.approx(4.60)
    nat_hours = [row for row in result.rows if row.item == "NAT gateway hours"]
    assert len(nat_hours) == 2
    endpoint_hours = sum(
        row.usd_month for row in result.rows if row.item.endswith("endpoint ENI hours (2 AZ)")
    )
    # The spec's list but sts, which nothing calls (foundry_infra.network.endpoints), + apprunner.requests.
    assert endpoint_hours == pytest.approx(5 * 14.60)


def test_advice_has_computed_break_evens(dev: Synth, prod: Synth) -> None:
    prod_text = "\n".join(advise(read_stacks(prod.out_dir), load_traffic("prod"), PRICES))
    # 2-AZ endpoint in prod: $14.60 / ($0.045 - $0.01) = 417 GB
    assert "endpoint secretsmanager (2 AZ, $14.60/month) beats NAT processing above 417 GB/month" in prod_text
    lines = advise(read_stacks(dev.out_dir), load_traffic("dev"), PRICES)
    text = "\n".join(lines)
    assert "apprunner.requests" in text and "NAT cannot replace it" in text
    # api 1 vCPU/2 GB: (36.04 - 10.22) / 0.064 = 403 active hours
    assert "foundry-dev-api (1 vCPU/2 GB × 1)" in text and "break-even at 403 active h/month" in text
    assert "flat-rate Free $0.00" in text


def test_json_shape_is_stable() -> None:
    row = estimate({"tiny": Template(TINY)}, ZERO, PRICES).rows[0].as_json()
    assert {"resource", "quantity", "unit_price_usd", "usd_month"} <= set(row)
    json.dumps(row)
