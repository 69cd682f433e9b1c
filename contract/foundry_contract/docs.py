"""Markdown tables of each service's environment variables, generated from the contract.

`python -m foundry_contract.docs api services/api/README.md` rewrites the table between the
`<!-- env-table:start -->` and `<!-- env-table:end -->` markers; the services' tests fail when a
README's table differs from what this prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

from foundry_contract.env import Service, env_vars_for

START_MARKER = "<!-- env-table:start -->"
END_MARKER = "<!-- env-table:end -->"


def env_table(service: Service) -> str:
    rows = ["| Variable | Required | Default | Secret | Description |", "|---|---|---|---|---|"]
    for var in env_vars_for(service, include_local_only=True):
        default = f"`{var.default}`" if var.default is not None else ""
        notes = " (local twin and tests only)" if var.local_only else ""
        rows.append(
            f"| `{var.name}` | {'yes' if var.required else ''} | {default} | {'yes' if var.secret else ''} "
            f"| {var.description.replace('|', '/')}{notes} |"
        )
    return "\n".join(rows)


def replace_between(text: str, *, start: str, end: str, body: str) -> str:
    """Replace what lies between two marker lines of a generated section (README tables, pictures)."""
    head, found_start, rest = text.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found_start or not found_end:
        raise ValueError(f"markers {start} / {end} not found")
    return f"{head}{start}\n{body}\n{end}{tail}"


def render_into(text: str, service: Service) -> str:
    return replace_between(text, start=START_MARKER, end=END_MARKER, body=env_table(service))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m foundry_contract.docs <service> <README.md>", file=sys.stderr)
        return 2
    path = Path(argv[1])
    path.write_text(render_into(path.read_text(encoding="utf-8"), Service(argv[0])), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
