"""cdk-nag (AwsSolutions, errors and warnings): nothing unacknowledged, every acknowledgment explained."""

import json

import pytest
from foundry_templates import SynthesizedEnvironment as Synth


@pytest.mark.parametrize("scenario", ["dev", "staging", "prod", "complete", "minimal"])
def test_no_unacknowledged_findings_and_every_acknowledgment_has_a_reason(
    synths: dict[str, Synth], scenario: str
) -> None:
    report = json.loads((synths[scenario].out_dir / "nag-report.json").read_text())
    assert report["unacknowledged"] == []
    assert report["acknowledged"], "the report lists acknowledgments, so an empty list means it broke"
    for item in report["acknowledged"]:
        assert item["rule"].startswith("AwsSolutions-")
        assert len(item["reason"].split()) >= 6, item
        # Narrowest construct: never a whole stack or the app.
        assert item["construct_path"].count("/") >= 2, item


def test_acknowledgments_in_dev_are_the_reviewed_set(dev: Synth) -> None:
    report = json.loads((dev.out_dir / "nag-report.json").read_text())
    rules = sorted({item["rule"].split("[")[0] for item in report["acknowledged"]})
    assert rules == [
        "AwsSolutions-CFR1",
        "AwsSolutions-CFR4",
        "AwsSolutions-ECS2",
        "AwsSolutions-IAM4",
        "AwsSolutions-IAM5",
        "AwsSolutions-RDS10",
        "AwsSolutions-RDS11",
        "AwsSolutions-RDS3",
        "AwsSolutions-S1",
        "AwsSolutions-SMG4",
    ]


def test_prod_needs_fewer_exceptions_than_dev(dev: Synth, prod: Synth) -> None:
    def rules(synth: Synth) -> set[str]:
        return {
            item["rule"]
            for item in json.loads((synth.out_dir / "nag-report.json").read_text())["acknowledged"]
        }

    assert "AwsSolutions-RDS3" in rules(dev) and "AwsSolutions-RDS3" not in rules(prod)
    assert "AwsSolutions-RDS10" in rules(dev) and "AwsSolutions-RDS10" not in rules(prod)
