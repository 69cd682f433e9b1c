"""The image's promises, read from services/ai/Dockerfile (no Docker daemon needed)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"
REPO_ROOT = Path(__file__).resolve().parents[3]


def _instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def _only(keyword: str) -> str:
    values = [rest for kw, rest in _instructions() if kw == keyword]
    assert len(values) == 1, f"expected exactly one {keyword}"
    return values[0]


def test_base_image_is_pinned_to_an_exact_version() -> None:
    image = _only("FROM")
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    assert "latest" not in image


def test_runs_as_a_non_root_user() -> None:
    users = [rest for kw, rest in _instructions() if kw == "USER"]
    assert users, "no USER instruction"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_has_a_healthcheck_on_healthz() -> None:
    check = _only("HEALTHCHECK")
    assert "CMD" in check
    assert "foundry_ai.healthcheck" in check


def test_cmd_is_exec_form_running_the_console_script() -> None:
    assert json.loads(_only("CMD")) == ["foundry-ai"]


def test_installs_only_the_services_own_requirements_and_sources() -> None:
    copies = [shlex.split(rest)[0] for kw, rest in _instructions() if kw == "COPY"]
    assert "services/ai/requirements.txt" in copies
    assert all(src.startswith(("services/ai/", "contract/")) for src in copies), copies
    for src in copies:  # the build context is the repository root
        assert (REPO_ROOT / src).exists(), src
    runs = " ".join(rest for kw, rest in _instructions() if kw == "RUN")
    assert "--no-deps" in runs


@pytest.mark.parametrize("forbidden", ["aws-cdk", "aws_cdk", "strawberry", "psycopg"])
def test_requirements_hold_no_other_deployables_dependencies(forbidden: str) -> None:
    requirements = (DOCKERFILE.parent / "requirements.txt").read_text().lower()
    assert forbidden not in requirements
