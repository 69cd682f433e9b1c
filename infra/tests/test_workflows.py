"""Spec §12: the GitHub workflows validate against the workflow schema and keep their promises."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
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


def _job() -> dict[str, Any]:
    (job,) = _load("deploy-environment.yml")["jobs"].values()
    return dict(job)


def _steps() -> dict[str, dict[str, Any]]:
    return {step.get("name", step.get("uses", "")): step for step in _job()["steps"]}


def test_each_environment_deploys_sha_tagged_images_with_oidc() -> None:
    called = _load("deploy-environment.yml")
    job = _job()
    # The GitHub environment (and its protection rules, e.g. prod's reviewers) gates the job.
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    assert called["permissions"]["id-token"] == "write"
    assert job["env"]["IMAGE_TAG"] == "${{ github.sha }}"
    steps = _steps()
    credentials = steps["aws-actions/configure-aws-credentials@v4"]["with"]
    assert credentials["role-to-assume"] == "${{ vars.FOUNDRY_DEPLOY_ROLE_ARN }}"
    assert not any("aws-access-key-id" in str(step) for step in job["steps"])
    deploy = steps[DEPLOY_WEB]["run"]
    for service in ("web", "api", "ai"):
        assert f'--set services.{service}.image_tag="$IMAGE_TAG"' in deploy


DEPLOY_API = "Deploy api and ai (web keeps the image it runs)"
DEPLOY_WEB = "Deploy web, once the api that knows its documents runs"


def _first_deploy_of(service: str, steps: list[dict[str, Any]]) -> int:
    """The index of the first step that deploys the new image of `service` (or publishes web)."""
    for index, step in enumerate(steps):
        run = re.sub(r"\\\n\s*", " ", str(step.get("run", "")))
        if f'--set services.{service}.image_tag="$IMAGE_TAG"' in run:
            return index
        if service == "web" and "foundry web publish" in run:
            return index
    raise AssertionError(f"no step deploys {service}")


def test_api_is_deployed_before_web() -> None:
    """The new bundle asks for documents only the new api's manifest holds (issue 16)."""
    steps = _job()["steps"]
    assert _first_deploy_of("api", steps) < _first_deploy_of("web", steps)


def test_the_order_check_catches_web_and_api_in_one_step() -> None:
    together = [
        {
            "run": '.venv/bin/foundry deploy \\\n  --set services.web.image_tag="$IMAGE_TAG" \\\n'
            '  --set services.api.image_tag="$IMAGE_TAG"'
        }
    ]
    assert not _first_deploy_of("api", together) < _first_deploy_of("web", together)


def test_migrations_run_inside_the_vpc_before_the_new_api_takes_traffic() -> None:
    names = [step.get("name", step.get("uses", "")) for step in _job()["steps"]]
    steps = _steps()
    staged = steps["Stage the migration runner on the new image"]["run"]
    assert '--set database.migrations_image_tag="$IMAGE_TAG"' in staged
    # The services keep their running images: `foundry deploy` reads them from the stack's outputs.
    assert "image_tag=" not in staged.replace("migrations_image_tag", "")
    migrate = steps["Migrations plan, then apply"]["run"]
    assert migrate.index("foundry migrate plan") < migrate.index("foundry migrate apply")
    order = [
        "Record the images running now (the rollback target)",
        "Build or promote api and ai, unless the tag is in the registry already",
        "Stage the migration runner on the new image",
        "Migrations plan, then apply",
        DEPLOY_API,
        DEPLOY_WEB,
        "Publish web to the assets bucket (edge.web_origin = s3)",
        "Readiness check through CloudFront",
        "Roll back to the previous images",
        "Apply log retention and the logs key to App Runner's log groups",
    ]
    assert [name for name in names if name in order] == order
    # The pipeline cannot create the stack its own deploy role comes from: no "first deploy" branch.
    assert not any("first deploy" in name.lower() for name in names)
    assert "first_deploy=true" in steps[order[0]]["run"] and "exit 1" in steps[order[0]]["run"]


def _foundry_calls(text: str) -> list[str]:
    """Every foundry invocation in a run block, with its continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if re.search(r"(^|/|\s)foundry\s", line)]


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml", "deploy-environment.yml"])
def test_every_foundry_call_passes_the_environment_config_file(name: str) -> None:
    workflow = _load(name)
    calls = [call for job in workflow["jobs"].values() for call in _foundry_calls(_runs(job))]
    for call in calls:
        assert re.search(r'--config "(\$FOUNDRY_CONFIG|deploy/\$FOUNDRY_ENV\.toml)"', call), call
    if name != "deploy.yml":
        assert calls
    if name == "deploy-environment.yml":
        assert _job()["env"]["FOUNDRY_CONFIG"] == "deploy/${{ inputs.environment }}.toml"


def test_the_config_check_catches_a_call_without_config() -> None:
    broken = 'x\n.venv/bin/foundry migrate apply --env "$FOUNDRY_ENV" \\\n  --set account="$ACCOUNT_ID"\n'
    (call,) = _foundry_calls(broken)
    assert not re.search(r"--config", call)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_each_environment_has_a_committed_config_file_that_loads(env: str) -> None:
    from foundry_infra.config import PLACEHOLDER_ACCOUNT, load_config

    path = REPO / "deploy" / f"{env}.toml"
    config = load_config(env=env, config_file=path)
    assert config.delivery.github_environment == env
    assert config.account == PLACEHOLDER_ACCOUNT, "the account comes from the GitHub environment's variable"


def test_deployed_web_builds_get_the_clerk_key_or_fail() -> None:
    steps = _steps()
    for name in (
        "Build and push web with the environment's Clerk key, unless the tag exists",
        "Publish web to the assets bucket (edge.web_origin = s3)",
    ):
        step = steps[name]
        assert step["env"]["VITE_CLERK_PUBLISHABLE_KEY"] == "${{ vars.CLERK_PUBLISHABLE_KEY }}", name
        # The deployed build mode: dev sign-in compiled out, and vite refuses to build without the key.
        assert "WEB_BUILD_MODE=deployed" in step["run"] or "--mode deployed" in step["run"], name
    web = steps["Build and push web with the environment's Clerk key, unless the tag exists"]["run"]
    assert '[ -z "$VITE_CLERK_PUBLISHABLE_KEY" ]' in web and "exit 1" in web
    dockerfile = (REPO / "services" / "web" / "Dockerfile").read_text()
    assert "npm run build -- --mode ${WEB_BUILD_MODE}" in dockerfile


def test_dev_builds_once_and_later_environments_promote_its_digests() -> None:
    jobs = _load("deploy.yml")["jobs"]
    assert jobs["dev"]["with"].get("build") is True
    assert "build" not in jobs["staging"]["with"] and "build" not in jobs["prod"]["with"]
    assert jobs["staging"]["with"]["expected_digests"] == "${{ needs.dev.outputs.digests }}"
    assert jobs["prod"]["with"]["expected_digests"] == "${{ needs.staging.outputs.digests }}"
    called = _load("deploy-environment.yml")
    assert (
        called["on"]["workflow_call"]["outputs"]["digests"]["value"] == "${{ jobs.deploy.outputs.digests }}"
    )
    assert _job()["outputs"]["digests"] == "${{ steps.images.outputs.digests }}"


# --- the images step, run for real with bash: aws/docker/skopeo are stubs that record their calls ---

# A push (docker buildx --push --tag REF, or skopeo copy ... docker://REF) makes REF's digest
# sha256:built in the fake registry, a folder of files named after the repositories.
FAKE_TOOL = r"""#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$CALLS"
mark() { local repo=${1#*/}; repo=${repo%:*}; echo sha256:built > "$REGISTRY_STATE/${repo//\//_}"; }
if [ "$(basename "$0")" = docker ]; then
  if [[ " $* " == *" --push "* ]]; then
    prev=""; for arg in "$@"; do [ "$prev" = "--tag" ] && mark "$arg"; prev=$arg; done
  fi
else
  last=${!#}; [[ $last == docker://* ]] && mark "${last#docker://}"
fi
exit 0
"""
FAKE_DIGEST = r"""#!/usr/bin/env bash
file="$REGISTRY_STATE/${1//\//_}"
[ -f "$file" ] && cat "$file"
exit 0
"""


def _run_images_step(
    tmp_path: Path, *, build: bool, existing: dict[str, str], expected: str = ""
) -> tuple[subprocess.CompletedProcess[str], list[str], str]:
    bin_dir, scripts, state = tmp_path / "bin", tmp_path / "scripts", tmp_path / "state"
    for folder in (bin_dir, scripts, state):
        folder.mkdir()
    for tool in ("docker", "skopeo"):
        (bin_dir / tool).write_text(FAKE_TOOL)
    (scripts / "ecr-digest").write_text(FAKE_DIGEST)
    for path in (*bin_dir.iterdir(), scripts / "ecr-digest"):
        path.chmod(0o755)
    for service, digest in existing.items():
        (state / f"foundry_dev_{service}").write_text(digest + "\n")
    output = tmp_path / "github_output"
    run = _steps()["Build or promote api and ai, unless the tag is in the registry already"]["run"]
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "CALLS": str(tmp_path / "calls"),
        "REGISTRY_STATE": str(state),
        "GITHUB_OUTPUT": str(output),
        "FOUNDRY_ENV": "dev",
        "IMAGE_TAG": "abc123",
        "IMAGE_PLATFORMS": _job()["env"]["IMAGE_PLATFORMS"],
        "REGISTRY": "111122223333.dkr.ecr.us-east-1.amazonaws.com",
        "BUILD": "true" if build else "false",
        "EXPECTED": expected,
    }
    result = subprocess.run(
        ["bash", "-e", "-c", run],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    return result, calls, output.read_text() if output.exists() else ""


def test_a_tag_already_in_the_registry_is_neither_built_nor_pushed(tmp_path: Path) -> None:
    result, calls, output = _run_images_step(
        tmp_path, build=True, existing={"api": "sha256:aaa", "ai": "sha256:bbb"}
    )
    assert result.returncode == 0, result.stderr
    assert not [call for call in calls if call.startswith("docker")], calls
    assert not [call for call in calls if "docker://" in call.split()[-1]], "nothing pushed"
    assert 'digests={"api":"sha256:aaa","ai":"sha256:bbb"}' in output


def test_dev_builds_a_missing_tag_for_every_platform_and_keeps_the_archive(tmp_path: Path) -> None:
    result, calls, _ = _run_images_step(tmp_path, build=True, existing={"ai": "sha256:bbb"})
    assert result.returncode == 0, result.stderr
    (build,) = [call for call in calls if call.startswith("docker buildx build")]
    assert "--platform linux/amd64,linux/arm64" in build and "/foundry/dev/api:abc123 --push" in build
    archives = [call for call in calls if call.startswith("skopeo copy") and "oci-archive:images/" in call]
    assert len(archives) == 2, "both images saved for the next environments"


def test_later_environments_push_the_archive_and_refuse_another_digest(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    result, calls, _ = _run_images_step(
        tmp_path / "a", build=False, existing={}, expected='{"api":"sha256:built","ai":"sha256:built"}'
    )
    assert result.returncode == 0, result.stderr
    pushes = [call for call in calls if call.startswith("skopeo copy --all --preserve-digests oci-archive:")]
    assert len(pushes) == 2 and not [call for call in calls if call.startswith("docker")]
    (tmp_path / "b").mkdir()
    result, _, _ = _run_images_step(
        tmp_path / "b", build=False, existing={"api": "sha256:other"}, expected='{"api":"sha256:tested"}'
    )
    assert result.returncode == 1
    assert "not sha256:tested, the digest the previous environment tested" in result.stdout


# --- the rollback condition, evaluated as GitHub evaluates it on each way a run can end ---


def _evaluate(expression: str, *, status: str, outcomes: dict[str, str], api_tag: str) -> bool:
    """GitHub's expression, translated to Python: failure()/cancelled() from the job's status,
    steps.<id>.outcome from `outcomes` ('' for a step that never ran), the previous api tag."""
    text = expression.strip().removeprefix("${{").removesuffix("}}")
    text = text.replace("&&", " and ").replace("||", " or ")
    text = text.replace("failure()", str(status == "failure")).replace(
        "cancelled()", str(status == "cancelled")
    )
    text = re.sub(r"steps\.previous\.outputs\.api_tag", repr(api_tag), text)
    text = re.sub(r"steps\.(\w+)\.outcome", lambda m: repr(outcomes.get(m.group(1), "")), text)
    assert re.fullmatch(r"[\sA-Za-z()'=!._-]*", text.replace("==", "").replace("!=", "")), text
    return bool(eval(text, {"__builtins__": {}}))  # noqa: S307 - only literals and and/or/==/!= remain


ROLLBACK_CASES = [
    # (job status, outcomes of the steps that ran, api tag before, roll back?)
    ("success", {"deploy": "success", "health": "success"}, "old", False),
    ("failure", {"deploy": "failure"}, "old", True),
    ("failure", {"deploy": "success", "deploy_web": "failure"}, "old", True),
    ("failure", {"deploy": "success", "publish": "failure"}, "old", True),
    ("failure", {"deploy": "success", "publish": "success", "health": "failure"}, "old", True),
    ("failure", {"images": "failure"}, "old", False),  # nothing deployed yet
    ("failure", {"migrate": "failure"}, "old", False),  # the services still run the old images
    ("cancelled", {"deploy": "cancelled"}, "old", True),  # timed out mid-deploy
    ("cancelled", {"deploy": "success", "health": "cancelled"}, "old", True),
    ("cancelled", {"images": "cancelled"}, "old", False),
    ("failure", {"deploy": "failure"}, "", False),  # no previous images to go back to
]


@pytest.mark.parametrize(("status", "outcomes", "api_tag", "expected"), ROLLBACK_CASES)
def test_rollback_runs_on_a_failed_deploy_or_gate_and_on_cancellation(
    status: str, outcomes: dict[str, str], api_tag: str, expected: bool
) -> None:
    condition = _steps()["Roll back to the previous images"]["if"]
    assert _evaluate(condition, status=status, outcomes=outcomes, api_tag=api_tag) is expected


def test_the_rollback_check_catches_the_old_condition() -> None:
    old = "failure() && steps.previous.outputs.api_tag != ''"
    wrong = [
        case
        for case in ROLLBACK_CASES
        if _evaluate(old, status=case[0], outcomes=case[1], api_tag=case[2]) is not case[3]
    ]
    assert len(wrong) >= 3  # the migrations failure, and both cancellations during the deploy


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml", "deploy-environment.yml"])
def test_actions_are_pinned_to_a_major_version(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    for line in text.splitlines():
        if "uses: " in line and not line.strip().startswith("uses: ./"):
            assert "@v" in line, line


def test_pull_requests_get_the_sql_of_their_migrations() -> None:
    job = _load("ci.yml")["jobs"]["migrations-plan"]
    posting = _runs(job)
    assert "services/api/foundry_api/migrations/*.sql" in posting
    assert "gh pr comment" in posting
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}


# --- the cost difference on pull requests: synthesized offline, posted once per environment ---


def test_ci_posts_the_cost_difference_beside_cdk_diff_without_credentials() -> None:
    jobs = _load("ci.yml")["jobs"]
    cost = jobs["cost"]
    # Commenting is all it does: no OIDC token, no AWS credentials, no secrets.
    assert cost["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "secrets." not in str(cost) and "configure-aws-credentials" not in str(cost)
    assert cost["if"] == jobs["diff"]["if"], "the same pull requests as cdk diff"
    assert cost["strategy"]["matrix"] == jobs["diff"]["strategy"]["matrix"]
    steps = {step.get("name", step.get("uses", "")): step for step in cost["steps"]}
    base = steps["Synthesize the base"]
    assert base["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert 'git worktree add --detach "$RUNNER_TEMP/base" "$BASE_SHA"' in base["run"]
    assert '--out "$RUNNER_TEMP/cost-base"' in base["run"]
    (call,) = _foundry_calls(steps["Cost difference, head against base"]["run"])
    assert '--diff "$RUNNER_TEMP/cost-base" --format markdown' in call
    names = list(steps)
    assert names.index("Synthesize the base") < names.index("Cost difference, head against base")
    assert names.index("Cost difference, head against base") < names.index(
        "Post the cost difference to the pull request"
    )


FAKE_GH = r"""#!/usr/bin/env bash
# gh: `api ... --jq FILTER` answers from $COMMENTS through the real jq (gh's --jq is jq's language);
# every call is recorded in $CALLS.
echo "gh $*" >> "$CALLS"
if [ "$1" = api ] && [ "$2" != --method ]; then
  prev=""; for arg in "$@"; do [ "$prev" = --jq ] && filter=$arg; prev=$arg; done
  jq -r "$filter" "$COMMENTS"
fi
exit 0
"""


def _post_cost_comment(
    tmp_path: Path, *, comments: list[dict[str, Any]], body: str, run: str | None = None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """ci.yml's posting step, run with bash against a fake gh holding the pull request's comments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    (tmp_path / "comments.json").write_text(json.dumps(comments))
    (tmp_path / "cost.md").write_text(body)
    steps = {step.get("name"): step for step in _load("ci.yml")["jobs"]["cost"]["steps"]}
    script = run if run is not None else steps["Post the cost difference to the pull request"]["run"]
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "CALLS": str(tmp_path / "calls"),
        "COMMENTS": str(tmp_path / "comments.json"),
        "FOUNDRY_ENV": "dev",
        "PR_NUMBER": "7",
        "REPO": "o/r",
    }
    result = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    return result, calls


def _writes(calls: list[str]) -> list[str]:
    return [call for call in calls if call.startswith(("gh pr comment", "gh api --method PATCH"))]


BODY = "<!-- foundry-cost-diff:dev -->\n### Monthly cost: dev +$36.50/month\n"
OTHERS = [
    {"id": 11, "body": "### cdk diff: dev\n..."},
    {"id": 12, "body": "<!-- foundry-cost-diff:prod -->\n### Monthly cost: prod $0.00/month\n"},
]


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq: scripts/ensure-system-packages installs it")
def test_the_cost_comment_is_created_once_then_edited_in_place(tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    result, calls = _post_cost_comment(tmp_path / "first", comments=OTHERS, body=BODY)
    assert result.returncode == 0, result.stderr
    assert _writes(calls) == ["gh pr comment 7 --body-file cost.md"]
    (tmp_path / "again").mkdir()
    mine = {"id": 13, "body": BODY}
    result, calls = _post_cost_comment(tmp_path / "again", comments=[*OTHERS, mine], body=BODY)
    assert result.returncode == 0, result.stderr
    assert _writes(calls) == ["gh api --method PATCH repos/o/r/issues/comments/13 -F body=@cost.md"]
    (tmp_path / "wrong").mkdir()
    result, calls = _post_cost_comment(tmp_path / "wrong", comments=OTHERS, body="### cost\n")
    assert result.returncode == 1 and "does not start with <!-- foundry-cost-diff:dev -->" in result.stdout
    assert _writes(calls) == []


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq: scripts/ensure-system-packages installs it")
def test_the_in_place_check_catches_a_step_that_always_comments(tmp_path: Path) -> None:
    broken = 'gh pr comment "$PR_NUMBER" --body-file cost.md\n'
    result, calls = _post_cost_comment(
        tmp_path, comments=[*OTHERS, {"id": 13, "body": BODY}], body=BODY, run=broken
    )
    assert result.returncode == 0
    assert _writes(calls) != ["gh api --method PATCH repos/o/r/issues/comments/13 -F body=@cost.md"]


def test_the_schema_check_catches_a_broken_cost_step(tmp_path: Path) -> None:
    text = (WORKFLOWS / "ci.yml").read_text()
    marker = "      - name: Cost difference, head against base\n        run: |"
    assert marker in text
    broken = tmp_path / "ci.yml"
    broken.write_text(
        text.replace(marker, "      - name: Cost difference, head against base\n        runs: |")
    )
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0, "a step with `runs:` instead of `run:` must not validate"
