"""`foundry cost --diff`: the monthly difference per resource between two synths."""

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import Template, read_stacks
from foundry_tools.cost.diff import diff
from foundry_tools.cost.diff_report import MARKER, render_diff_markdown, render_diff_table, signed
from foundry_tools.cost.estimate import estimate
from foundry_tools.cost.prices import load_prices
from foundry_tools.cost.traffic import DEFAULTS

FOUNDRY = str(Path(sys.executable).with_name("foundry"))
PRICES = load_prices()
NAT_MONTH = 730 * PRICES.usd("nat.hour")  # 32.85
IPV4_MONTH = 730 * PRICES.usd("public_ipv4.hour")  # 3.65


def _network_template(templates: dict[str, Template]) -> str:
    return next(name for name, t in templates.items() if t.of_type("AWS::EC2::NatGateway"))


def _with_second_nat(out_dir: Path, copy_to: Path) -> Path:
    """dev's templates with one more NAT gateway and its Elastic IP, as `nat_gateways = 2` adds them."""
    shutil.copytree(out_dir, copy_to)
    name = _network_template(read_stacks(out_dir))
    path = copy_to / f"{name}.template.json"
    data: dict[str, Any] = json.loads(path.read_text())
    resources = data["Resources"]
    nat_id = next(k for k, v in resources.items() if v["Type"] == "AWS::EC2::NatGateway")
    eip_id = next(k for k, v in resources.items() if v["Type"] == "AWS::EC2::EIP")
    resources["SecondNatEip"] = copy.deepcopy(resources[eip_id])
    second = copy.deepcopy(resources[nat_id])
    second["Properties"]["AllocationId"] = {"Fn::GetAtt": ["SecondNatEip", "AllocationId"]}
    resources["SecondNat"] = second
    path.write_text(json.dumps(data))
    return copy_to


def test_a_second_nat_gateway_costs_its_hours_and_its_address(dev: Synth, tmp_path: Path) -> None:
    base = read_stacks(dev.out_dir)
    head = read_stacks(_with_second_nat(dev.out_dir, tmp_path / "head"))
    result = diff(base=estimate(base, DEFAULTS["dev"], PRICES), head=estimate(head, DEFAULTS["dev"], PRICES))
    added = {d.resource: d for d in result.resources if d.change == "added"}
    # The new gateway takes half of the NAT GB, which the old one no longer processes: the fixed
    # NAT hours are the difference.
    assert added["SecondNat"].delta_usd_month == pytest.approx(NAT_MONTH + DEFAULTS["dev"].nat_gb / 2 * 0.045)
    assert added["SecondNatEip"].delta_usd_month == pytest.approx(IPV4_MONTH)
    assert result.delta_usd_month == pytest.approx(NAT_MONTH + IPV4_MONTH)  # +36.50
    assert result.delta("fixed") == pytest.approx(NAT_MONTH + IPV4_MONTH)
    assert result.delta("usage") == pytest.approx(0, abs=1e-9)
    (old,) = [d for d in result.resources if d.change == "changed"]
    assert old.resource_type == "AWS::EC2::NatGateway" and old.delta_usd_month < 0
    table = render_diff_table(result, PRICES, "dev")
    assert "+$36.50/month" in table and "SecondNatEip" in table
    markdown = render_diff_markdown(result, PRICES, "dev")
    assert markdown.startswith(MARKER.format(env="dev") + "\n### Monthly cost: dev +$36.50/month")
    assert "| added | `SecondNat` | AWS::EC2::NatGateway |" in markdown
    assert "| added | `SecondNatEip` | AWS::EC2::EIP | 0.00 | 3.65 | +$3.65 |" in markdown


def test_removing_resources_shows_them_negative(dev: Synth, tmp_path: Path) -> None:
    head = read_stacks(_with_second_nat(dev.out_dir, tmp_path / "head"))
    base = read_stacks(dev.out_dir)
    # The other way round: the change removes the second gateway.
    result = diff(base=estimate(head, DEFAULTS["dev"], PRICES), head=estimate(base, DEFAULTS["dev"], PRICES))
    removed = {d.resource: d for d in result.resources if d.change == "removed"}
    assert set(removed) == {"SecondNat", "SecondNatEip"}
    assert removed["SecondNatEip"].delta_usd_month == pytest.approx(-IPV4_MONTH)
    assert removed["SecondNatEip"].head_usd_month == 0
    assert result.delta_usd_month == pytest.approx(-(NAT_MONTH + IPV4_MONTH))
    assert "-$36.50/month" in render_diff_table(result, PRICES, "dev")


def test_unchanged_inputs_give_no_rows_and_zero(dev: Synth) -> None:
    templates = read_stacks(dev.out_dir)
    result = diff(
        base=estimate(templates, DEFAULTS["dev"], PRICES), head=estimate(templates, DEFAULTS["dev"], PRICES)
    )
    assert result.resources == [] and result.delta_usd_month == 0
    assert "total       $0.00/month" in render_diff_table(result, PRICES, "dev")
    assert "No resource changes its monthly cost." in render_diff_markdown(result, PRICES, "dev")


def test_signed_money() -> None:
    assert [signed(x) for x in (32.849, -3.65, 0.004, -0.004, 1234.5)] == [
        "+$32.85", "-$3.65", "$0.00", "$0.00", "+$1,234.50",
    ]  # fmt: skip


def _cost(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FOUNDRY, "cost", *args], capture_output=True, text=True, timeout=600, check=False, cwd=cwd
    )


def test_cli_diff_formats(dev: Synth, tmp_path: Path) -> None:
    head = _with_second_nat(dev.out_dir, tmp_path / "head")
    common = ("--env", "dev", "--from", str(head), "--diff", str(dev.out_dir))
    as_json = _cost(*common, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    payload = json.loads(as_json.stdout)
    assert payload["delta_usd_month"] == pytest.approx(36.50)
    assert {r["resource"]: r["change"] for r in payload["resources"]}["SecondNatEip"] == "added"
    markdown = _cost(*common, "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert "| | **total** |" in markdown.stdout and "**+$36.50**" in markdown.stdout
    same = _cost("--env", "dev", "--from", str(dev.out_dir), "--diff", str(dev.out_dir))
    assert same.returncode == 0, same.stderr
    assert (
        "(no resource changes its monthly cost)" in same.stdout and "total       $0.00/month" in same.stdout
    )


def test_cli_diff_errors_are_one_line(dev: Synth, tmp_path: Path) -> None:
    empty = _cost("--env", "dev", "--from", str(dev.out_dir), "--diff", str(tmp_path))
    assert empty.returncode == 2 and "no *.template.json there" in empty.stderr
    both = _cost(
        "--env", "dev", "--from", str(dev.out_dir), "--diff", str(dev.out_dir), "--diff-config", "x.toml"
    )  # fmt: skip
    assert both.returncode == 2 and "pass one of them" in both.stderr
    for result in (empty, both):
        assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_diff_config_adds_prods_second_nat_gateway(prod: Synth, tmp_path: Path) -> None:
    """A real change: prod with one NAT gateway (the base) to prod's default two (the head)."""
    base_config = tmp_path / "one-nat.toml"
    base_config.write_text('name = "prod"\n[network]\nnat_gateways = 1\n')
    result = _cost(
        "--env", "prod", "--diff-config", str(base_config), "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    added = [r for r in payload["resources"] if r["change"] == "added"]
    types = sorted(r["resource_type"] for r in added)
    assert types.count("AWS::EC2::NatGateway") == 1 and types.count("AWS::EC2::EIP") == 1
    nat = next(r for r in added if r["resource_type"] == "AWS::EC2::NatGateway")
    assert nat["delta_usd_month"] == pytest.approx(NAT_MONTH + DEFAULTS["prod"].nat_gb / 2 * 0.045, abs=0.01)
    # The gateway, its address and the alarms that watch it; nothing else moves.
    assert set(types) <= {"AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::CloudWatch::Alarm"}
    assert payload["fixed_delta_usd_month"] == pytest.approx(
        NAT_MONTH + IPV4_MONTH + 0.10 * types.count("AWS::CloudWatch::Alarm"), abs=0.01
    )
