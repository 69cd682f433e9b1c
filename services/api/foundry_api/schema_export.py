"""Print the SDL, or with --write update services/api/schema.graphql (committed; a test keeps it current)."""

from __future__ import annotations

import sys
from pathlib import Path

from strawberry.printer import print_schema

from foundry_api.schema import build_schema

SDL_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"
REGENERATE_COMMAND = ".venv/bin/python -m foundry_api.schema_export --write"


def current_sdl() -> str:
    return print_schema(build_schema()) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    sdl = current_sdl()
    if "--write" in args:
        SDL_PATH.write_text(sdl, encoding="utf-8")
        print(f"wrote {SDL_PATH}")
    else:
        sys.stdout.write(sdl)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
