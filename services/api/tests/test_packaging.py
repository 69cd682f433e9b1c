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
