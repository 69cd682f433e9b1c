"""cfn-lint over the synthesized templates: no error, and only warnings that CDK's own constructs
cause and that are understood (each allowed one says why). cfn-lint checks property types, allowed
values and cross-resource references against AWS's resource specification, which cdk-nag and
checkov do not."""

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment as Synth

# rule -> why it is no defect here
UNDERSTOOD_WARNINGS = {
    # CDK writes the profile's availability zones into each subnet: they are chosen on purpose
    # (network.availability_zones), and synth must stay offline (no AZ lookup).
    "W3010": "availability zones are configuration, not guesses",
    # CDK's custom-resource providers add a DependsOn on the role they also GetAtt.
    "W3005": "CDK's custom-resource providers repeat a dependency a GetAtt implies",
    # The access-log bucket needs the log-delivery ACL: CloudFront standard logging writes through it.
    # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html
    "W3045": "CloudFront standard logging requires the log bucket's ACL",
}
# Every profile and example, and the GPU variants of the compute matrix, which hold everything the
# variants without GPU hold (each costs about 10 s of linting, so not all fifteen).
LINTED = [*SCENARIOS, "dev-ecs-gpu", "dev-mixed-gpu", "prod-ecs-gpu", "prod-mixed-gpu"]


def _region(template: Path) -> str:
    return (
        "us-east-1" if template.name.endswith(("-edge.template.json", "-edge-alarms.template.json")) else ""
    )


@pytest.mark.slow
@pytest.mark.parametrize("scenario", LINTED)
def test_templates_are_cfn_lint_clean(synths: dict[str, Synth], scenario: str) -> None:
    assert scenario in SCENARIOS or scenario in MATRIX
    out_dir = synths[scenario].out_dir
    templates = sorted(out_dir.glob("Foundry-*.template.json"))
    assert templates
    region = "eu-west-1" if scenario == "complete" else "us-east-1"
    findings = []
    for template in templates:
        matches = lint_file(template, config=ManualArgs(regions=[_region(template) or region]))
        findings += [
            f"{template.name}: {m.rule.id} {m.message} (line {m.linenumber})"
            for m in matches
            if m.rule.id not in UNDERSTOOD_WARNINGS
        ]
    assert findings == []


def test_the_linter_reports_a_broken_template(tmp_path: Path) -> None:
    """The check can fail: a property AWS does not define and a wrong value type are errors."""
    broken = tmp_path / "Foundry-x-platform.template.json"
    broken.write_text(
        '{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": '
        '{"VisibilityTimeout": "soon", "NoSuchProperty": 1}}}}'
    )
    ids = {m.rule.id for m in lint_file(broken, config=ManualArgs(regions=["us-east-1"]))}
    assert ids & {"E3002", "E3012"}
