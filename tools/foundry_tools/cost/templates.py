"""Every stack template in a synthesized folder, read as plain data (no CDK needed)."""

import json
from pathlib import Path
from typing import Any

from foundry_infra.synthesized import Template


def read_templates(out_dir: Path) -> dict[str, Template]:
    """Stack name -> template for each `*.template.json` that `foundry synth` wrote."""
    paths = sorted(out_dir.glob("*.template.json"))
    if not paths:
        raise FileNotFoundError(f"no *.template.json in {out_dir}; run `foundry synth` first")
    return {
        path.name.removesuffix(".template.json"): Template(json.loads(path.read_text())) for path in paths
    }


def read_region(out_dir: Path) -> str | None:
    """The region of the stacks, from the cloud assembly's manifest (aws://ACCOUNT/REGION)."""
    manifest = out_dir / "manifest.json"
    if not manifest.exists():
        return None
    regions = {
        artifact.get("environment", "").rsplit("/", 1)[-1]
        for artifact in json.loads(manifest.read_text()).get("artifacts", {}).values()
        if artifact.get("type") == "aws:cloudformation:stack"
        and not artifact.get("displayName", "").endswith("-edge")
    }
    regions.discard("")
    return sorted(regions)[0] if regions else None


def ref_target(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` points at, or None for anything else."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            return attribute[0]
    return None


def references(value: Any) -> set[str]:
    """Every logical id referenced anywhere inside a property value."""
    found: set[str] = set()
    target = ref_target(value)
    if target is not None:
        found.add(target)
    if isinstance(value, dict):
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found
