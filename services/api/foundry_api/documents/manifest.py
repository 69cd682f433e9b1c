"""The trusted documents' manifest: every GraphQL document the web app was built with, by id.

relay-compiler writes the web's current documents to services/web/.relay/persisted-documents.json
(a JSON object, id → document text; the bundle carries the ids only). `sync` merges that output into
the committed manifest (foundry_api/documents/manifest.json, package data, so the api image carries
it) **additively**: a browser that still holds an older bundle sends the ids of an older release, so
each document stays in the manifest while any of the last `retain_releases` releases had it.

A *release* here is one change of the web's set of documents, recorded by `sync`: when the compiler's
output differs from the newest release's documents, `sync` adds release N+1 holding exactly the
compiler's documents, then drops every release older than the newest `retain_releases`, and every
document no kept release holds. Syncing an unchanged output changes nothing, so the staleness test
can ask whether a sync would change the manifest.

    {
      "format": 1,
      "retain_releases": 3,
      "latest_release": 7,
      "documents": {
        "<id>": {"releases": [6, 7], "text": "query Uploads(...) { ... }"}
      }
    }
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MANIFEST_FORMAT = 1
MANIFEST_PATH = Path(__file__).resolve().parent / "manifest.json"
# Releases whose documents stay valid: the newest and the two before it. A browser keeps an old bundle
# for as long as its tab stays open; three document changes cover several deploys of open tabs.
DEFAULT_RETAIN_RELEASES = 3
MAX_RETAIN_RELEASES = 100
# What a document id may look like (relay-compiler's md5/sha hex, or a GraphQL-over-HTTP prefixed
# id such as sha256:<hex>): short and log-safe, since refusals name it.
DocumentId = Annotated[str, Field(pattern=r"^[A-Za-z0-9:_-]{1,128}$")]


class ManifestError(Exception):
    """The manifest or the compiler's output cannot be read; the message says what to fix."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Entry(_Model):
    releases: tuple[Annotated[int, Field(ge=1)], ...] = Field(min_length=1)
    text: str = Field(min_length=1)


class Manifest(_Model):
    format: int = MANIFEST_FORMAT
    retain_releases: int = Field(DEFAULT_RETAIN_RELEASES, ge=1, le=MAX_RETAIN_RELEASES)
    latest_release: int = Field(0, ge=0)
    documents: dict[DocumentId, Entry] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        if self.format != MANIFEST_FORMAT:
            raise ValueError(f"format {self.format} is not {MANIFEST_FORMAT}, the one this api reads")
        for document_id, entry in self.documents.items():
            if max(entry.releases) > self.latest_release:
                raise ValueError(f"{document_id} names a release after latest_release {self.latest_release}")
        return self

    @property
    def oldest_kept_release(self) -> int:
        return max(1, self.latest_release - self.retain_releases + 1)

    def current(self) -> dict[str, str]:
        """The newest release's documents: what the web app of this commit sends."""
        return {i: e.text for i, e in self.documents.items() if self.latest_release in e.releases}

    def trusted(self) -> dict[str, str]:
        """Every document a browser may still send: those of the kept releases."""
        oldest = self.oldest_kept_release
        return {i: e.text for i, e in self.documents.items() if max(e.releases) >= oldest}

    def render(self) -> str:
        ordered = {
            "format": self.format,
            "retain_releases": self.retain_releases,
            "latest_release": self.latest_release,
            "documents": {
                i: {"releases": list(e.releases), "text": e.text} for i, e in sorted(self.documents.items())
            },
        }
        return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: no manifest; run `make documents` to write it") from None
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: not readable JSON ({exc})") from None
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        raise ManifestError(f"{path}: {_problems(exc)}") from None


def load_compiler_output(path: Path) -> dict[str, str]:
    """relay-compiler's persisted documents: one JSON object, id → document text."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(
            f"{path}: no compiler output; run relay-compiler first (`make web-relay` or "
            "`npm --prefix services/web run relay`)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v for v in raw.values()):
        raise ManifestError(f"{path}: expected a JSON object of document id -> document text")
    try:
        # Through the model, so a malformed id is refused here and not at the api's start-up.
        Manifest(latest_release=1, documents={i: Entry(releases=(1,), text=t) for i, t in raw.items()})
    except ValidationError as exc:
        raise ManifestError(f"{path}: {_problems(exc)}") from None
    return dict(raw)


def synced(manifest: Manifest, *, compiled: Mapping[str, str], retain_releases: int | None = None) -> Manifest:
    """The manifest after merging the compiler's output (see the module's docstring)."""
    retain = manifest.retain_releases if retain_releases is None else retain_releases
    if manifest.latest_release > 0 and dict(compiled) == manifest.current():
        return _kept(manifest.documents, latest=manifest.latest_release, retain=retain)
    for document_id, text in compiled.items():
        known = manifest.documents.get(document_id)
        if known is not None and known.text != text:
            raise ManifestError(
                f"document id {document_id} names another text than the manifest's: ids are content "
                "hashes, so the compiler's output or the manifest was edited by hand"
            )
    release = manifest.latest_release + 1
    documents = dict(manifest.documents)
    for document_id, text in compiled.items():
        known = documents.get(document_id)
        documents[document_id] = Entry(releases=(*(known.releases if known else ()), release), text=text)
    return _kept(documents, latest=release, retain=retain)


def _kept(documents: Mapping[str, Entry], *, latest: int, retain: int) -> Manifest:
    """Only the newest `retain` releases, and the documents they hold."""
    oldest = max(1, latest - retain + 1)
    kept: dict[str, Entry] = {}
    for document_id, entry in documents.items():
        releases = tuple(sorted(r for r in entry.releases if r >= oldest))
        if releases:
            kept[document_id] = Entry(releases=releases, text=entry.text)
    return Manifest(retain_releases=retain, latest_release=latest, documents=kept)


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'manifest'}: {e['msg']}" for e in exc.errors())
