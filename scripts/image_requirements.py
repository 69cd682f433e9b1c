"""Prints the third-party requirements of a package's image: its own and, through each foundry-*
package it depends on (installed from source with --no-deps), theirs. One requirement a line.

Usage: python scripts/image_requirements.py services/api
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _packages() -> dict[str, Path]:
    """Every package of the repository by its project name (a folder with a pyproject.toml)."""
    found = {}
    for pyproject in [*REPO.glob("*/pyproject.toml"), *REPO.glob("services/*/pyproject.toml")]:
        found[tomllib.loads(pyproject.read_text())["project"]["name"]] = pyproject.parent
    return found


def _dependencies(folder: Path) -> list[str]:
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    return list(project.get("dependencies", []))


def image_requirements(folder: Path) -> tuple[list[str], list[Path]]:
    """(third-party requirements, foundry package folders) of the package in `folder`, in order."""
    packages = _packages()
    requirements: list[str] = []
    installed: list[Path] = []
    pending = [folder]
    while pending:  # bounded: each package of the repository is visited once
        current = pending.pop(0)
        if current in installed:
            continue
        installed.append(current)
        for requirement in _dependencies(current):
            if requirement.startswith("foundry-"):
                if requirement not in packages:
                    raise SystemExit(f"{current}: {requirement} is no package of this repository")
                pending.append(packages[requirement])
            elif requirement not in requirements:
                requirements.append(requirement)
    return requirements, installed[1:]


def main(argv: list[str]) -> int:
    (folder,) = argv
    requirements, _ = image_requirements(REPO / folder)
    print("\n".join(requirements))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
