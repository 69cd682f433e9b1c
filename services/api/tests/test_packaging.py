"""The README promises (the image's are checked for every service in tools/tests/test_dockerfiles.py)."""

from __future__ import annotations

from pathlib import Path

from foundry_contract import Service
from foundry_contract.docs import render_into

SERVICE_ROOT = Path(__file__).resolve().parents[1]


def test_readme_env_table_is_current() -> None:
    readme = (SERVICE_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == render_into(readme, Service.API), (
        "services/api/README.md's variable table is stale; regenerate it with:\n"
        "  .venv/bin/python -m foundry_contract.docs api services/api/README.md"
    )


def test_the_image_carries_the_trusted_documents_manifest() -> None:
    """The Dockerfile pip-installs services/api as a wheel (tools/tests/test_dockerfiles.py), and hatch
    puts every file of a wheel package in it that git does not ignore: the manifest is package data."""
    import subprocess
    import tomllib

    manifest = SERVICE_ROOT / "foundry_api" / "documents" / "manifest.json"
    wheel = tomllib.loads((SERVICE_ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]
    packages = wheel["wheel"]["packages"]
    assert any(manifest.is_relative_to(SERVICE_ROOT / package) for package in packages), packages
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(manifest)],
        cwd=SERVICE_ROOT,
        capture_output=True,
        check=False,
    )
    assert tracked.returncode == 0, "manifest.json must be committed"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(manifest)], cwd=SERVICE_ROOT, check=False)
    assert ignored.returncode == 1, "a git-ignored file is left out of the wheel"
