"""checkov over the synthesized templates: no failed check, and every skip carries its reason."""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from foundry_templates import SynthesizedEnvironment

CHECKOV = Path(__file__).resolve().parents[3] / ".venv-checkov" / "bin" / "checkov"


def run_checkov(directory: Path) -> dict[str, Any]:
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(directory),
            "--framework",
            "cloudformation",
            "--compact",
            "--skip-download",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        # Offline: no guideline download, no telemetry.
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    document = json.loads(result.stdout)
    reports = document if isinstance(document, list) else [document]
    (report,) = [r for r in reports if r.get("check_type") == "cloudformation"]
    found: dict[str, Any] = report
    return found


# The three profiles, and the matrix's ECS-with-GPU corners: every ECS, ALB, NLB and GPU resource type.
@pytest.mark.parametrize("scenario", ["dev", "staging", "prod", "dev-ecs-gpu", "prod-ecs-gpu"])
def test_no_failed_checks_and_every_skip_has_a_reason(
    synths: dict[str, SynthesizedEnvironment], scenario: str
) -> None:
    report = run_checkov(synths[scenario].out_dir)
    failed = [(f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 200
    skipped = report["results"].get("skipped_checks", [])
    assert skipped, "the known exceptions are listed as skips"
    for check in skipped:
        assert len(check["check_result"].get("suppress_comment", "").split()) >= 5, check["check_id"]


def test_checkov_fails_a_broken_template(prod: SynthesizedEnvironment, tmp_path: Path) -> None:
    body = prod.platform.body
    broken = json.loads(json.dumps(body))
    (key,) = [k for k, v in broken["Resources"].items() if v["Type"] == "AWS::RDS::DBInstance"]
    broken["Resources"][key]["Properties"]["StorageEncrypted"] = False
    (tmp_path / "Foundry-prod-platform.template.json").write_text(json.dumps(broken))
    report = run_checkov(tmp_path)
    assert ("CKV_AWS_16", f"AWS::RDS::DBInstance.{key}") in [
        (f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]
    ]
