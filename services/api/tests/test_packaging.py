"""The Dockerfile and README promises, checked by parsing the files."""

from __future__ import annotations

import re
from pathlib import Path

from foundry_contract import Service
from foundry_contract.docs import render_into

SERVICE_ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (SERVICE_ROOT / "Dockerfile").read_text(encoding="utf-8")


def _instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    result = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_base_image_is_pinned() -> None:
    images = [rest.split()[0] for keyword, rest in _instructions() if keyword == "FROM"]
    assert images
    for image in images:
        _name, _, tag = image.partition(":")
        assert tag, image
        assert tag != "latest", image
        assert re.match(r"^\d+\.\d+\.\d+", tag), f"{image}: use an explicit x.y.z version"


def test_runs_as_a_non_root_user() -> None:
    users = [rest for keyword, rest in _instructions() if keyword == "USER"]
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_has_a_healthcheck_on_healthz() -> None:
    checks = [rest for keyword, rest in _instructions() if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/healthz" in checks[0]


def test_cmd_is_exec_form() -> None:
    cmds = [rest for keyword, rest in _instructions() if keyword == "CMD"]
    assert cmds[-1].startswith("["), "exec form keeps uvicorn in PID 1 so SIGTERM reaches it"


def test_installs_only_the_api_requirements() -> None:
    assert "services/api/requirements.txt" in DOCKERFILE
    assert "--no-deps" in DOCKERFILE
    assert "aws-cdk" not in (SERVICE_ROOT / "requirements.txt").read_text(encoding="utf-8")


def test_readme_env_table_is_current() -> None:
    readme = (SERVICE_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == render_into(readme, Service.API), (
        "services/api/README.md's variable table is stale; regenerate it with:\n"
        "  .venv/bin/python -m foundry_contract.docs api services/api/README.md"
    )
