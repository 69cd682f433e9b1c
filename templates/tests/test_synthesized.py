import json
from pathlib import Path

import pytest
from foundry_templates import SynthesizedEnvironment, read_region, read_stacks


def _write(folder: Path, name: str, body: dict[str, object]) -> None:
    (folder / name).write_text(json.dumps(body))


def test_read_stacks_names_each_template_by_its_stack(tmp_path: Path) -> None:
    _write(tmp_path, "Foundry-dev-platform.template.json", {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}}})
    _write(tmp_path, "Foundry-dev-edge.template.json", {})
    stacks = read_stacks(tmp_path)
    assert sorted(stacks) == ["Foundry-dev-edge", "Foundry-dev-platform"]
    assert list(stacks["Foundry-dev-platform"].resources) == ["Vpc"]
    assert stacks["Foundry-dev-edge"].resources == {}


def test_read_stacks_refuses_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="foundry synth"):
        read_stacks(tmp_path)


def test_read_region_is_the_platform_stacks_not_the_edges(tmp_path: Path) -> None:
    assert read_region(tmp_path) is None
    artifacts = {
        "Foundry-dev-edge": {
            "type": "aws:cloudformation:stack",
            "environment": "aws://1/us-east-1",
            "displayName": "Foundry-dev-edge",
        },
        "Foundry-dev-platform": {
            "type": "aws:cloudformation:stack",
            "environment": "aws://1/eu-west-1",
            "displayName": "Foundry-dev-platform",
        },
        "Tree": {"type": "cdk:tree"},
    }
    _write(tmp_path, "manifest.json", {"artifacts": artifacts})
    assert read_region(tmp_path) == "eu-west-1"


def test_synthesized_environment_finds_each_stack_by_its_suffix(tmp_path: Path) -> None:
    for suffix in ("platform", "edge", "registry"):
        _write(
            tmp_path,
            f"Foundry-dev-{suffix}.template.json",
            {"Resources": {suffix: {"Type": "AWS::CDK::Metadata"}}},
        )
    synth = SynthesizedEnvironment(tmp_path)
    assert list(synth.platform.resources) == ["platform"]
    assert list(synth.edge.resources) == ["edge"]
    assert list(synth.registry.resources) == ["registry"]
    assert synth.edge_alarms is None
    with pytest.raises(FileNotFoundError, match="Foundry-\\*-monitoring"):
        synth.template("monitoring")
