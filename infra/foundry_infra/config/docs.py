"""The README's configuration table, generated from the models so it cannot go stale.

`python -m foundry_infra.config.docs README.md` rewrites the table between its markers.
"""

import sys
from pathlib import Path

from foundry_contract.docs import replace_between
from pydantic import BaseModel

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.config.profiles import PROFILES

START, END = "<!-- config-table:start -->", "<!-- config-table:end -->"


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows += _rows(annotation, f"{prefix}{name}.")
        else:
            type_name = str(annotation).replace("typing.", "").replace("<class '", "").replace("'>", "")
            rows.append((f"{prefix}{name}", type_name, field.description or ""))
    return rows


def _value(data: dict[str, object], dotted: str) -> object:
    node: object = data
    for part in dotted.split("."):
        assert isinstance(node, dict)
        node = node[part]
    return node


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def config_table() -> str:
    profiles = {name: factory().model_dump(mode="json") for name, factory in PROFILES.items()}
    lines = ["| key | type | dev | staging | prod | meaning |", "|---|---|---|---|---|---|"]
    for key, type_name, description in _rows(EnvironmentConfig, ""):
        values = [_value(profiles[name], key) for name in PROFILES]
        cells = [_escape(f"`{value}`") for value in values]
        lines.append(f"| `{key}` | {_escape(type_name)} | {' | '.join(cells)} | {description} |")
    return "\n".join(lines)


def render_into(text: str) -> str:
    return replace_between(text, start=START, end=END, body=config_table())


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(render_into(path.read_text()))
