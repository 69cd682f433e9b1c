"""`foundry cost` through its real entry point."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from foundry_templates import SynthesizedEnvironment as Synth

FOUNDRY = str(Path(sys.executable).with_name("foundry"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FOUNDRY, *args], capture_output=True, text=True, timeout=300, check=False)


def test_json_output(dev: Synth) -> None:
    result = run("cost", "--env", "dev", "--from", str(dev.out_dir), "--format", "json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["total_usd_month"] == pytest.approx(
        sum(row["usd_month"] for row in payload["rows"]), abs=0.01
    )
    for row in payload["rows"]:
        assert {"resource", "quantity", "unit_price_usd", "usd_month"} <= set(row)
    assert payload["advice"]


def test_table_output_and_traffic_file(dev: Synth, tmp_path: Path) -> None:
    traffic = tmp_path / "t.toml"
    traffic.write_text("nat_gb = 1000\n")
    result = run("cost", "--env", "dev", "--from", str(dev.out_dir), "--traffic", str(traffic))
    assert result.returncode == 0, result.stderr
    assert "total  $" in result.stdout and "advice:" in result.stdout
    assert "1000.00" in result.stdout


def test_bad_traffic_key_is_one_line_error(dev: Synth, tmp_path: Path) -> None:
    traffic = tmp_path / "t.toml"
    traffic.write_text("nat_tb = 1\n")
    result = run("cost", "--env", "dev", "--from", str(dev.out_dir), "--traffic", str(traffic))
    assert result.returncode == 2
    assert "unknown traffic key 'nat_tb'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_one_nat_through_set_saves_one_gateway_and_its_ipv4(prod: Synth, tmp_path: Path) -> None:
    baseline = run("cost", "--env", "prod", "--from", str(prod.out_dir), "--format", "json")
    assert baseline.returncode == 0, baseline.stderr
    one = subprocess.run(
        [FOUNDRY, "cost", "--env", "prod", "--set", "network.nat_gateways=1", "--format", "json"],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert one.returncode == 0, one.stderr
    before = {(r["resource"], r["item"]): r for r in json.loads(baseline.stdout)["rows"]}
    after = {(r["resource"], r["item"]): r for r in json.loads(one.stdout)["rows"]}
    gone = [before[key] for key in before.keys() - after.keys()]
    network = [r for r in gone if r["item"] in ("NAT gateway hours", "public IPv4 address")]
    assert sorted(r["item"] for r in network) == ["NAT gateway hours", "public IPv4 address"]
    assert sum(r["usd_month"] for r in network) == pytest.approx(730 * 0.045 + 730 * 0.005)
    # The only other rows that go are the alarms watching that gateway (one per NAT).
    assert all(
        r["resource_type"] == "AWS::CloudWatch::Alarm"
        for r in gone
        if r not in network and r["kind"] == "fixed"
    )
    # NAT GB moves to the remaining gateway: the usage total does not change.
    usage = [sum(r["usd_month"] for r in rows.values() if r["kind"] == "usage") for rows in (before, after)]
    assert usage[0] == pytest.approx(usage[1], abs=1e-6)
