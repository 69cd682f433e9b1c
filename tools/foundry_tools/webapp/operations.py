"""Every GraphQL operation the web app sends: relay-compiler's persisted documents.

The web app's operations are `graphql` tags that relay-compiler validates against the api's schema
and persists (services/web/relay.config.json): `services/web/.relay/persisted-documents.json` maps
each document's SHA-256 id to its text (the operation, then the fragments it spreads). The browser
sends only the id, as `{"documentId", "variables"}`; the text is what the api runs for it. The file
is generated (`cd services/web && npm run relay`; `make setup` and every web build run it).
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from foundry_tools.paths import REPO_ROOT

WEB_DOCUMENTS = REPO_ROOT / "services" / "web" / ".relay" / "persisted-documents.json"
_OPERATION = re.compile(r"^\s*(query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)")


class WebSourceError(ValueError):
    """The compiled documents are missing, malformed, or hold no operation."""


@dataclass(frozen=True, kw_only=True)
class Operation:
    name: str  # the operation name (AiPanelAskMutation)
    kind: str  # query or mutation
    document: str  # the text the api executes for the id
    document_id: str  # what the browser sends as `documentId`


def web_operations(*, documents: Path = WEB_DOCUMENTS) -> dict[str, Operation]:
    """The operations relay-compiler persisted for the web app, by name."""
    if not documents.is_file():
        raise WebSourceError(
            f"{documents} is missing: compile the web app's operations first "
            "(cd services/web && npm run relay; make setup does)"
        )
    try:
        compiled = json.loads(documents.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise WebSourceError(f"{documents} is not JSON ({error}): run npm run relay again") from error
    if not isinstance(compiled, dict) or not all(
        isinstance(key, str) and isinstance(text, str) for key, text in compiled.items()
    ):
        raise WebSourceError(
            f"{documents} must map document ids to document text, as relay-compiler writes it"
        )
    operations: dict[str, Operation] = {}
    for document_id, text in compiled.items():
        head = _OPERATION.match(text)
        if head is None:
            raise WebSourceError(f"document {document_id} of {documents} does not start with an operation")
        kind, name = head.groups()
        if name in operations:
            raise WebSourceError(
                f"operation {name} is in {documents} twice ({operations[name].document_id}, {document_id})"
            )
        operations[name] = Operation(name=name, kind=kind, document=text, document_id=document_id)
    if not operations:
        raise WebSourceError(f"{documents} holds no operation: the web app's source has no graphql`` tags")
    return operations
