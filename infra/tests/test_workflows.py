"""Spec §12: the GitHub workflows validate against the workflow schema and keep their promises."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def _load(name: str) -> dict[Any, Any]:
    # YAML 1.2 (as GitHub reads it): `on:` stays the string "on".
    loaded: dict[Any, Any] = YAML(typ="safe").load((WORKFLOWS / name).read_text())
    return loaded


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def test_every_workflow_validates_against_the_github_workflow_schema() -> None:
    files = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))
    assert len(files) == 3
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    stepz: []\n")
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0


def test_ci_runs_make_test_synth_and_posts_the_diff_on_pull_requests() -> None:
    ci = _load("ci.yml")
    assert "pull_request" in ci["on"]
    assert ci["permissions"] == {"contents": "read"}
    jobs = ci["jobs"]
    assert "make test" in _runs(jobs["test"])
    assert "make synth" in _runs(jobs["synth"])
    diff = jobs["diff"]
    assert diff["permissions"]["id-token"] == "write" and diff["permissions"]["pull-requests"] == "write"
    # No GitHub environment: the token's sub stays repo:OWNER/REPO:pull_request (the read-only role).
    assert "environment" not in diff
    assert "foundry diff" in _runs(diff) and "gh pr comment" in _runs(diff)


def test_deploy_goes_dev_staging_prod_with_oidc_and_prod_approval() -> None:
    deploy = _load("deploy.yml")
    assert deploy["permissions"] == {"contents": "read"}
    jobs = deploy["jobs"]
    assert "make test" in _runs(jobs["test"])
    chain = [
        (name, jobs[name]["needs"], jobs[name]["with"]["environment"]) for name in ("dev", "staging", "prod")
    ]
    assert chain == [("dev", "test", "dev"), ("staging", "dev", "staging"), ("prod", "staging", "prod")]
    for name in ("dev", "staging", "prod"):
        assert jobs[name]["uses"] == "./.github/workflows/deploy-environment.yml"
        assert jobs[name]["permissions"]["id-token"] == "write"


def test_each_environment_deploys_sha_tagged_images_and_rolls_back() -> None:
    called = _load("deploy-environment.yml")
    (job,) = called["jobs"].values()
    # The GitHub environment (and its protection rules, e.g. prod's reviewers) gates the job.
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    assert called["permissions"]["id-token"] == "write"
    assert job["env"]["IMAGE_TAG"] == "${{ github.sha }}"
    steps = {step.get("name", step.get("uses", "")): step for step in job["steps"]}
    credentials = steps["aws-actions/configure-aws-credentials@v4"]["with"]
    assert credentials["role-to-assume"] == "${{ vars.FOUNDRY_DEPLOY_ROLE_ARN }}"
    assert not any("aws-access-key-id" in str(step) for step in job["steps"])
    build = steps["Build and push the images, tagged with the git SHA"]["run"]
    assert build.count(":$IMAGE_TAG") == 4  # three builds, one push loop
    deploy = steps["Deploy"]["run"]
    for service in ("web", "api", "ai"):
        assert f'--set services.{service}.image_tag="$IMAGE_TAG"' in deploy
    assert "/api/healthz" in steps["Health check through CloudFront"]["run"]
    rollback = steps["Roll back to the previous images"]
    assert rollback["if"].startswith("failure()")
    assert "steps.previous.outputs.api_tag" in rollback["env"]["API_TAG"]
    assert "foundry deploy" in rollback["run"]


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml", "deploy-environment.yml"])
def test_actions_are_pinned_to_a_major_version(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    for line in text.splitlines():
        if "uses: " in line and not line.strip().startswith("uses: ./"):
            assert "@v" in line, line


def test_migrations_run_inside_the_vpc_before_the_new_api_takes_traffic() -> None:
    (job,) = _load("deploy-environment.yml")["jobs"].values()
    names = [step.get("name", step.get("uses", "")) for step in job["steps"]]
    steps = {step.get("name", ""): step for step in job["steps"]}
    staged = steps["Stage the migration runner on the new image"]["run"]
    assert '--set database.migrations_image_tag="$IMAGE_TAG"' in staged
    assert '--set services.api.image_tag="$API_TAG"' in staged, "services keep their running image"
    migrate = steps["Migrations plan, then apply"]["run"]
    assert migrate.index("foundry migrate plan") < migrate.index("foundry migrate apply")
    assert names.index("Migrations plan, then apply") < names.index("Deploy")
    assert names.index("First deploy - apply the migrations the new database needs") > names.index("Deploy")


def test_pull_requests_get_the_sql_of_their_migrations() -> None:
    job = _load("ci.yml")["jobs"]["migrations-plan"]
    posting = _runs(job)
    assert "services/api/foundry_api/migrations/*.sql" in posting
    assert "gh pr comment" in posting
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
