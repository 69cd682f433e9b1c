"""services/ai/README.md lists every variable of the contract for Service.AI, generated from it.

Regenerate after changing foundry_contract.env:
    .venv/bin/python -m foundry_contract.docs ai services/ai/README.md
"""

from pathlib import Path

from foundry_contract import Service
from foundry_contract.docs import render_into

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_env_table_is_current() -> None:
    text = README.read_text()
    assert text == render_into(text, Service.AI), (
        "README env table is stale: .venv/bin/python -m foundry_contract.docs ai services/ai/README.md"
    )
