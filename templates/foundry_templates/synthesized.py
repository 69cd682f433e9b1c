"""Read-only access to what `foundry synth` wrote: one environment's templates as plain data.

Tests, `foundry verify`, `foundry cost` and `foundry diagram` read templates through this module, so
none of them needs the CDK (or Node) at run time.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from foundry_templates.template import Template


@dataclass(frozen=True)
class SynthesizedEnvironment:
    out_dir: Path

    def template(self, stack_suffix: str) -> Template:
        matches = sorted(self.out_dir.glob(f"Foundry-*-{stack_suffix}.template.json"))
        if len(matches) != 1:
            raise FileNotFoundError(
                f"no Foundry-*-{stack_suffix}.template.json in {self.out_dir}; run `foundry synth` first"
            )
        return Template(json.loads(matches[0].read_text()))

    @property
    def platform(self) -> Template:
        return self.template("platform")

    @property
    def edge(self) -> Template:
        return self.template("edge")

    @property
    def registry(self) -> Template:
        return self.template("registry")

    @property
    def edge_alarms(self) -> Template | None:
        """The us-east-1 stack of CloudFront's alarms, synthesized when the platform runs elsewhere."""
        found = sorted(self.out_dir.glob("Foundry-*-edge-alarms.template.json"))
        return self.template("edge-alarms") if found else None


def read_stacks(out_dir: Path) -> dict[str, Template]:
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
