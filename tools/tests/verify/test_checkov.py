"""checkov over the synthesized templates: no failed check, and every skip carries its reason.

One checkov process reads every scenario's templates and the broken one: checkov's start-up and rule
loading cost more than a scenario's checks, so one run serves the whole module (results are told apart
by each finding's file_abs_path).
"""

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from foundry_templates import SynthesizedEnvironment

CHECKOV = Path(__file__).resolve().parents[3] / ".venv-checkov" / "bin" / "checkov"
# The three profiles, and the matrix's ECS-with-GPU corners: every ECS, ALB, NLB and GPU resource type;
# dev-lean: the NAT instance and the sleep schedules (issue 18); complete: the platform outside
# us-east-1, so the edge-alarms stack and the SSM copies both ways (edge/references.py).
SCANNED = ["dev", "staging", "prod", "dev-ecs-gpu", "prod-ecs-gpu", "dev-lean", "complete"]
RESULT_KINDS = ("passed_checks", "failed_checks", "skipped_checks")


def run_checkov(templates: list[Path]) -> dict[str, Any]:
    """checkov's CloudFormation report over these template files (offline: no download, no telemetry)."""
    argv = [str(CHECKOV), "--framework", "cloudformation", "--compact", "--skip-download", "-o", "json"]
    for template in templates:
        argv += ["-f", str(template)]
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    document = json.loads(result.stdout)
    reports = document if isinstance(document, list) else [document]
    (report,) = [r for r in reports if r.get("check_type") == "cloudformation"]
    found: dict[str, Any] = report
    return found


def results_under(report: dict[str, Any], directory: Path) -> dict[str, list[dict[str, Any]]]:
    """The findings of the templates in one directory, by kind (passed, failed, skipped)."""
    return {
        kind: [
            check
            for check in report["results"].get(kind, [])
            if Path(check["file_abs_path"]).parent == directory.resolve()
        ]
        for kind in RESULT_KINDS
    }


def _broken_prod(prod: SynthesizedEnvironment, directory: Path) -> str:
    """prod's platform template with its database's storage encryption turned off; its logical id."""
    broken: dict[str, Any] = json.loads(json.dumps(prod.platform.body))
    (key,) = [str(k) for k, v in broken["Resources"].items() if v["Type"] == "AWS::RDS::DBInstance"]
    broken["Resources"][key]["Properties"]["StorageEncrypted"] = False
    (directory / "Foundry-prod-platform.template.json").write_text(json.dumps(broken))
    return key


@dataclass(frozen=True, kw_only=True)
class CheckovRun:
    report: dict[str, Any]
    broken_dir: Path
    broken_key: str  # the logical id of the database whose encryption the broken copy turned off


@pytest.fixture(scope="module")
def checkov(
    synths: dict[str, SynthesizedEnvironment], tmp_path_factory: pytest.TempPathFactory
) -> CheckovRun:
    """One checkov run: the scanned scenarios, and a broken copy of prod in a directory of its own."""
    broken_dir = tmp_path_factory.mktemp("checkov-broken")
    broken_key = _broken_prod(synths["prod"], broken_dir)
    templates = [t for name in SCANNED for t in sorted(synths[name].out_dir.glob("*.template.json"))]
    report = run_checkov([*templates, broken_dir / "Foundry-prod-platform.template.json"])
    return CheckovRun(report=report, broken_dir=broken_dir, broken_key=broken_key)


@pytest.mark.parametrize("scenario", SCANNED)
def test_no_failed_checks_and_every_skip_has_a_reason(
    synths: dict[str, SynthesizedEnvironment], checkov: CheckovRun, scenario: str
) -> None:
    results = results_under(checkov.report, synths[scenario].out_dir)
    failed = [(f["check_id"], f["resource"]) for f in results["failed_checks"]]
    assert failed == []
    assert len(results["passed_checks"]) > 200
    skipped = results["skipped_checks"]
    assert skipped, "the known exceptions are listed as skips"
    for check in skipped:
        assert len(check["check_result"].get("suppress_comment", "").split()) >= 5, check["check_id"]


def test_checkov_fails_a_broken_template(checkov: CheckovRun) -> None:
    failed = results_under(checkov.report, checkov.broken_dir)["failed_checks"]
    assert ("CKV_AWS_16", f"AWS::RDS::DBInstance.{checkov.broken_key}") in [
        (f["check_id"], f["resource"]) for f in failed
    ]
