"""The diagram names what the templates hold, reads well (issue 18), renders through Graphviz with AWS's
icons, and the README shows it."""

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
from foundry_tools.diagram.model import Diagram, build
from foundry_tools.diagram.readme import current_block, replace_block

FOUNDRY = str(Path(sys.executable).with_name("foundry"))
REPO = Path(__file__).resolve().parents[3]
README = REPO / "README.md"
# The PNGs the test draws, kept for people to look at (test-results/ is not committed).
PICTURES = REPO / "test-results" / "diagram"


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
            if props.get("VpcEndpointType") == "Interface":
                # Named once in the endpoint node of each subnet it has an ENI in.
                groups = re.findall(r'"interface endpoints?: ([^"]*)"', text)
                named = sum(service in group.split(", ") for group in groups)
                assert named == len(props.get("SubnetIds", [])), service
            else:
                assert f'"{service} gateway endpoint"' in text
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


def _arrows(diagram: Diagram) -> list[tuple[str, str]]:
    return [(edge.source, edge.target) for edge in diagram.edges]


def test_callers_have_one_arrow_per_endpoint_group_not_per_endpoint(each_env: Synth) -> None:
    diagram = build(read_stacks(each_env.out_dir), "t")
    kinds = {node.id: node.kind for node in diagram.nodes}
    endpoint_nodes = [node for node in diagram.nodes if node.kind == "endpoint"]
    # One node per subnet for the interface endpoints, one per gateway endpoint: nothing else.
    assert all(n.id.startswith("eps_") or n.label.endswith("gateway endpoint") for n in endpoint_nodes)
    arrows = _arrows(diagram)
    assert len(arrows) == len(set(arrows)), "no arrow drawn twice"
    groups = {n.id for n in endpoint_nodes if n.id.startswith("eps_")}
    for group in groups:
        callers = [source for source, target in arrows if target == group]
        assert len(callers) == len(set(callers))
        assert all(kinds[source] in ("service", "other") for source in callers)


def test_buckets_are_connected_to_who_reads_or_writes_them(each_env: Synth) -> None:
    diagram = build(read_stacks(each_env.out_dir), "t")
    arrows = _arrows(diagram)
    assert ("svc_api", "ep_s3") in arrows and ("ep_s3", "s3_uploads") in arrows, (
        "api -> uploads via the gateway"
    )
    for bucket in (node.id for node in diagram.nodes if node.kind == "bucket"):
        assert any(bucket in arrow for arrow in arrows), f"{bucket} is drawn unconnected"


def test_egress_starts_at_the_service_that_calls_out(each_env: Synth) -> None:
    diagram = build(read_stacks(each_env.out_dir), "t")
    edges = {(edge.source, edge.target): edge.label for edge in diagram.edges}
    ai_out = [
        label for (source, target), label in edges.items() if source == "svc_ai" and target.startswith("nat_")
    ]
    assert ai_out and all("api.openai.com" in label for label in ai_out)
    assert any(source.startswith("nat_") and target == "internet" for source, target in edges)
    # Not from the connectors' ENIs any more, and web calls nothing outside.
    assert not [s for s, t in edges if s.startswith("conn_") and t.startswith("nat_")]
    assert not [s for s, t in edges if s == "svc_web" and t.startswith("nat_")]


def test_a_nat_instance_is_drawn_in_its_public_subnet_and_the_app_tier_routes_to_it(
    synths: dict[str, Synth],
) -> None:
    diagram = build(read_stacks(synths["dev-lean"].out_dir), "t")
    (nat,) = [node for node in diagram.nodes if node.kind == "nat"]
    assert nat.label == "NAT instance t4g.nano us-east-1a" and nat.cluster == "public_us_east_1a"
    assert {"app_us_east_1a", "app_us_east_1b"} <= {cluster.id for cluster in diagram.clusters}
    assert ("svc_ai", nat.id) in _arrows(diagram)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_png_with_aws_icons_for_dev_and_prod(env: str, synths: dict[str, Synth]) -> None:
    PICTURES.mkdir(parents=True, exist_ok=True)
    out = PICTURES / f"{env}.png"
    model = build(read_stacks(synths[env].out_dir), f"Foundry {env}")
    render_file(model, out)
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 100_000, "the icons are drawn (the plain shapes take a fraction of this)"
    again = PICTURES / f"{env}.again.png"
    render_file(model, again)
    assert again.read_bytes() == data, "the same templates draw the same picture"
    again.unlink()


def test_svg_renders_for_staging(staging: Synth, tmp_path: Path) -> None:
    out = tmp_path / "staging.svg"
    render_file(build(read_stacks(staging.out_dir), "staging"), out)
    assert "<svg" in out.read_text() and "interface endpoint" in out.read_text()


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
    found = current_block(README.read_text())
    assert found is not None, "README.md lacks the <!-- diagram:start --> ... <!-- diagram:end --> block"
    expected = render(build(read_stacks(dev.out_dir), "dev"))
    assert found == expected, (
        "README's architecture picture is stale; regenerate it with "
        "`.venv/bin/python -m foundry_tools.diagram.readme README.md`"
    )


def test_the_staleness_check_catches_a_stale_or_missing_picture(dev: Synth) -> None:
    expected = render(build(read_stacks(dev.out_dir), "dev"))
    readme = replace_block(README.read_text(), expected)
    assert current_block(readme) == expected
    stale = replace_block(readme, expected.replace("svc_api ==>|tcp 5432| rds\n", ""))
    assert current_block(stale) != expected
    assert current_block(readme.replace("<!-- diagram:end -->", "")) is None
