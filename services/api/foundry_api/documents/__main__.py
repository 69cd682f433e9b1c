"""`python -m foundry_api.documents sync|check`: the trusted documents' manifest against the compiler.

    sync   merge relay-compiler's output into the manifest (additively; see manifest.py)
    check  exit 1 when a sync would change the manifest (it is stale), printing what differs

Both read services/web/.relay/persisted-documents.json unless --compiled names another file.
`make documents` runs `sync`; the api's tests run `check`'s function against the web's output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from foundry_api.documents.manifest import (
    MANIFEST_PATH,
    MAX_RETAIN_RELEASES,
    Manifest,
    ManifestError,
    load_compiler_output,
    load_manifest,
    synced,
)

# services/api/foundry_api/documents/__main__.py -> the repository root (a source checkout only: the
# image carries the manifest, not the web's sources).
REPO_ROOT = Path(__file__).resolve().parents[4]
COMPILER_OUTPUT = REPO_ROOT / "services" / "web" / ".relay" / "persisted-documents.json"


def staleness(manifest: Manifest, *, compiled: dict[str, str]) -> list[str]:
    """What a sync would change, one line each; empty when the manifest is current."""
    current = manifest.current()
    problems = [f"new in the web app: {i}" for i in sorted(set(compiled) - set(current))]
    problems += [f"no longer in the web app: {i}" for i in sorted(set(current) - set(compiled))]
    problems += [
        f"text differs: {i}" for i in sorted(set(current) & set(compiled)) if current[i] != compiled[i]
    ]
    if not problems and synced(manifest, compiled=compiled) != manifest:
        problems.append("releases beyond retain_releases are still listed")
    return problems


def _retain(value: str) -> int:
    number = int(value)
    if not 1 <= number <= MAX_RETAIN_RELEASES:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_RETAIN_RELEASES}")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m foundry_api.documents", description=__doc__)
    parser.add_argument("command", choices=["sync", "check"])
    parser.add_argument("--compiled", type=Path, default=COMPILER_OUTPUT, help="relay-compiler's output")
    parser.add_argument("--manifest", type=Path, default=MANIFEST_PATH, help="the manifest to update")
    parser.add_argument(
        "--retain-releases", type=_retain, default=None, help="releases whose documents stay valid"
    )
    args = parser.parse_args(argv)
    try:
        compiled = load_compiler_output(args.compiled)
        manifest = load_manifest(args.manifest) if args.manifest.exists() else Manifest()
        if args.command == "check":
            problems = staleness(manifest, compiled=compiled)
            for problem in problems:
                print(f"stale: {problem}", file=sys.stderr)
            if problems:
                print("the manifest is stale; run `make documents` and commit it", file=sys.stderr)
                return 1
            print(f"{args.manifest}: current with {args.compiled}")
            return 0
        updated = synced(manifest, compiled=compiled, retain_releases=args.retain_releases)
    except ManifestError as exc:
        print(f"documents: {exc}", file=sys.stderr)
        return 2
    if updated == manifest and args.manifest.exists():
        print(f"{args.manifest}: current (release {manifest.latest_release}, {len(manifest.documents)} documents)")
        return 0
    args.manifest.write_text(updated.render(), encoding="utf-8")
    print(
        f"{args.manifest}: release {updated.latest_release}, {len(updated.current())} documents in it, "
        f"{len(updated.trusted())} trusted (the last {updated.retain_releases} releases)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
