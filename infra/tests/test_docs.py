from pathlib import Path

from foundry_infra.config.docs import END, START, config_table, render_into

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_configuration_table_is_current() -> None:
    text = README.read_text()
    assert render_into(text) == text, (
        "stale table: run `.venv/bin/python -m foundry_infra.config.docs README.md`"
    )


def test_table_lists_every_leaf_key_with_each_profile_value() -> None:
    table = config_table()
    assert "| `network.nat_gateways` | int | `1` | `1` | `2` |" in table
    assert "| `database.multi_az` | bool | `False` | `True` | `True` |" in table
    assert render_into(f"a\n{START}\nold\n{END}\nb").startswith(f"a\n{START}\n| key |")
