"""The manifest's additive releases, its retention, and `check` failing on a stale manifest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from foundry_api.documents.__main__ import COMPILER_OUTPUT, staleness
from foundry_api.documents.manifest import (
    MANIFEST_PATH,
    Manifest,
    ManifestError,
    load_compiler_output,
    load_manifest,
    synced,
)

A = {"a1": "query A { viewer { id } }"}
B = {"b1": "query B { viewer { id } }"}
C = {"c1": "query C { viewer { id } }"}
D = {"d1": "query D { viewer { id } }"}


def test_releases_are_additive_and_age_out_after_retain_releases() -> None:
    manifest = Manifest(retain_releases=3)
    for compiled in (A, {**A, **B}, C):
        manifest = synced(manifest, compiled=compiled)
    assert manifest.latest_release == 3
    assert manifest.current() == C
    assert manifest.trusted() == {**A, **B, **C}  # a browser holding release 1 or 2 still works
    assert manifest.documents["a1"].releases == (1, 2)
    manifest = synced(manifest, compiled=D)
    assert set(manifest.trusted()) == {"a1", "b1", "c1", "d1"}  # a1 was in release 2, still kept
    manifest = synced(manifest, compiled=C)
    assert set(manifest.trusted()) == {"c1", "d1"}  # releases 4 and 5 (and 3): a1 and b1 aged out
    assert manifest.documents["c1"].releases == (3, 5)


def test_an_unchanged_output_changes_nothing() -> None:
    manifest = synced(Manifest(), compiled=A)
    assert synced(manifest, compiled=dict(A)) == manifest
    assert staleness(manifest, compiled=A) == []


def test_staleness_names_what_differs() -> None:
    manifest = synced(Manifest(), compiled={**A, **B})
    assert staleness(manifest, compiled={**A, **C}) == ["new in the web app: c1", "no longer in the web app: b1"]


def test_a_changed_text_under_a_known_id_is_refused() -> None:
    manifest = synced(Manifest(), compiled=A)
    with pytest.raises(ManifestError, match="edited by hand"):
        synced(manifest, compiled={"a1": "query A2 { viewer { id } }"})


def test_retention_can_shrink(tmp_path: Path) -> None:
    manifest = synced(synced(synced(Manifest(), compiled=A), compiled=B), compiled=C)
    assert set(synced(manifest, compiled=C, retain_releases=1).trusted()) == {"c1"}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[]", "expected a JSON object"),
        ('{"a": 3}', "expected a JSON object"),
        ('{"has space": "query { a }"}', "documents.has space"),
        ("{not json", "not readable JSON"),
    ],
)
def test_broken_compiler_output_is_a_clear_error(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "persisted-documents.json"
    path.write_text(content)
    with pytest.raises(ManifestError, match=problem):
        load_compiler_output(path)
    with pytest.raises(ManifestError, match="run relay-compiler"):
        load_compiler_output(tmp_path / "missing.json")


def test_a_broken_manifest_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format": 1, "latest_release": 1, "documents": {"a": {"releases": [2], "text": "x"}}}))
    with pytest.raises(ManifestError, match="after latest_release"):
        load_manifest(path)


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "foundry_api.documents", *args], capture_output=True, text=True, check=False
    )


def test_check_fails_on_a_stale_manifest_and_sync_fixes_it(tmp_path: Path) -> None:
    compiled, manifest = tmp_path / "persisted-documents.json", tmp_path / "manifest.json"
    compiled.write_text(json.dumps(A))
    assert _check("sync", "--compiled", str(compiled), "--manifest", str(manifest)).returncode == 0
    assert _check("check", "--compiled", str(compiled), "--manifest", str(manifest)).returncode == 0
    compiled.write_text(json.dumps(B))  # the web app changed its documents; nobody synced
    stale = _check("check", "--compiled", str(compiled), "--manifest", str(manifest))
    assert stale.returncode == 1
    assert "new in the web app: b1" in stale.stderr and "make documents" in stale.stderr
    assert _check("sync", "--compiled", str(compiled), "--manifest", str(manifest)).returncode == 0
    assert _check("check", "--compiled", str(compiled), "--manifest", str(manifest)).returncode == 0
    assert set(load_manifest(manifest).trusted()) == {"a1", "b1"}


def test_the_committed_manifest_is_current_with_the_web_app() -> None:
    """relay-compiler's output for the web's current source (the web build runs it first: `make
    setup` and `make test` build the web) against the api's committed manifest."""
    problems = staleness(load_manifest(MANIFEST_PATH), compiled=load_compiler_output(COMPILER_OUTPUT))
    assert problems == [], f"{problems}: run `make documents` and commit the manifest"
