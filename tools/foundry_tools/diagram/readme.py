"""Rewrite the README's architecture picture from dev's templates.

    python -m foundry_tools.diagram.readme README.md [TEMPLATES_DIR]

Without TEMPLATES_DIR it synthesizes dev into a temporary folder first (`foundry synth`, ~12 s).
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from foundry_contract.docs import replace_between
from foundry_templates import read_stacks

from foundry_tools.diagram.mermaid import render
from foundry_tools.diagram.model import build

BLOCK = re.compile(r"<!-- diagram:start -->\n```mermaid\n(.*?)```\n<!-- diagram:end -->", re.DOTALL)


def current_block(readme: str) -> str | None:
    """The Mermaid text between the README's diagram markers, or None when the block is missing."""
    found = BLOCK.search(readme)
    return found.group(1) if found else None


def replace_block(readme: str, mermaid: str) -> str:
    return replace_between(
        readme, start="<!-- diagram:start -->", end="<!-- diagram:end -->", body=f"```mermaid\n{mermaid}```"
    )


def main(argv: list[str]) -> None:
    readme = Path(argv[0])
    if len(argv) > 1:
        templates_dir = Path(argv[1])
    else:
        templates_dir = Path(tempfile.mkdtemp(prefix="foundry-diagram-")) / "dev"
        foundry = Path(sys.executable).with_name("foundry")
        subprocess.run([str(foundry), "synth", "--env", "dev", "--out", str(templates_dir)], check=True)  # noqa: S603
    mermaid = render(build(read_stacks(templates_dir), "Foundry dev"))
    readme.write_text(replace_block(readme.read_text(), mermaid))
    print(f"updated {readme}")


if __name__ == "__main__":
    main(sys.argv[1:])
