"""`foundry synth`'s results: every stack the app wrote, in its summary and with its region."""

from pathlib import Path

import pytest
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_tools.synth import assembly_stacks
from foundry_tools.testing.synthesized import SUMMARY_FILE


def _written(out_dir: Path) -> set[str]:
    return {path.name.removesuffix(".template.json") for path in out_dir.glob("*.template.json")}


@pytest.mark.parametrize("scenario", ["dev", "prod", "complete"])
def test_the_summary_lists_every_template_written(synths: dict[str, Synth], scenario: str) -> None:
    out_dir = synths[scenario].out_dir
    listed = {
        line.split()[0] for line in (out_dir / SUMMARY_FILE).read_text().splitlines() if " resources " in line
    }
    assert listed == _written(out_dir)


def test_the_stacks_and_their_regions_come_from_the_assembly(complete: Synth, dev: Synth) -> None:
    # complete runs in eu-west-1: CloudFront's alarms get their own stack in us-east-1.
    assert assembly_stacks(complete.out_dir) == {
        "Foundry-prod-registry": "eu-west-1",
        "Foundry-prod-edge": "us-east-1",
        "Foundry-prod-platform": "eu-west-1",
        "Foundry-prod-edge-alarms": "us-east-1",
    }
    assert set(assembly_stacks(dev.out_dir)) == _written(dev.out_dir)
