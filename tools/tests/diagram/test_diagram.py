"""The diagram names what the templates hold, renders through Graphviz, and the README shows it."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import read_stacks
from foundry_templates.endpoints import endpoint_service
from foundry_tools.diagram.graphviz import render_file
from foundry_tools.diagram.mermaid import render
from foundry_tools.diagram.model import build

FOUNDRY = str(Path(sys.executable).with_name("foundry"))
README = Path(__file__).resolve().parents[3] / "README.md"
MARKERS = re.compile(r"<!-- diagram:start -->\n```mermaid\n(.*?)```\n<!-- diagram:end -->", re.DOTALL)


def test_diagram_names_every_service_nat_and_endpoint(each_env: Synth) -> None:
    templates = read_stacks(each_env.out_dir)
    text = render(build(templates, "t"))
    resources = {k: v for t in templates.values() for k, v in t.resources.items()}
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::AppRunner::Service":
            assert props["ServiceName"].split("-")[-1] + " (" in text
        if resource["Type"] == "AWS::EC2::VPCEndpoint":
            service = endpoint_service(props.get("ServiceName"))
            enis = len(props.get("SubnetIds", [])) or 1
            assert text.count(f'"{service} endpoint"') + text.count(f'"{service} gateway endpoint"') == enis
    nats = [r for r in resources.values() if r["Type"] == "AWS::EC2::NatGateway"]
    assert text.count("NAT gateway us-east-1") == len(nats) >= 1
    assert "RDS PostgreSQL" in text and "CloudFront + WAF" in text
    assert "==>|tcp 5432| rds" in text, "the api -> database security-group edge is drawn"


def test_mermaid_is_well_formed(dev: Synth) -> None:
    text = render(build(read_stacks(dev.out_dir), "dev"))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert sum(line.strip().startswith("subgraph ") for line in lines) == sum(
        line.strip() == "end" for line in lines
    )
    ids = {m.group(1) for m in re.finditer(r"^\s+(\w+)[\[\(\{]", text, re.MULTILINE)}
    for m in re.finditer(r"^\s+(\w+) (?:-->|==>|-\.-)(?:\|[^|]*\|)? (\w+)$", text, re.MULTILINE):
        assert m.group(1) in ids and m.group(2) in ids, m.group(0)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_png_renders_for_every_environment(env: str, synths: dict[str, Synth], tmp_path: Path) -> None:
    out = tmp_path / f"{env}.png"
    render_file(build(read_stacks(synths[env].out_dir), env), out)
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000


def test_cli_writes_mermaid_and_svg(dev: Synth, tmp_path: Path) -> None:
    for name in ("d.mmd", "d.svg"):
        result = subprocess.run(
            [FOUNDRY, "diagram", "--env", "dev", "--from", str(dev.out_dir), "--out", str(tmp_path / name)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "d.mmd").read_text().startswith("flowchart LR")
    assert "<svg" in (tmp_path / "d.svg").read_text()


def test_readme_architecture_picture_is_current(dev: Synth) -> None:
    found = MARKERS.search(README.read_text())
    assert found, "README.md lacks the <!-- diagram:start --> ... <!-- diagram:end --> block"
    expected = render(build(read_stacks(dev.out_dir), "dev"))
    assert found.group(1) == expected, (
        "README's architecture picture is stale; regenerate it with "
        "`.venv/bin/python -m foundry_tools.diagram.readme README.md`"
    )
