"""Every GraphQL operation the web app sends, read from its TypeScript source (services/web/src).

The web app writes each document as a template-literal constant, some built from shared fragments
(`${AI_REQUEST_FIELDS}`); the documents are resolved here exactly as JavaScript would concatenate
them, so a check or a test sees the text the browser puts on the wire.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from foundry_tools.paths import REPO_ROOT

WEB_SOURCE = REPO_ROOT / "services" / "web" / "src"
_CONSTANT = re.compile(r"\bconst\s+([A-Z][A-Z0-9_]*)\s*=\s*`([^`]*)`", re.DOTALL)
_SUBSTITUTION = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")
_OPERATION = re.compile(r"^\s*(query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)")
MAX_NESTING = 10


class WebSourceError(ValueError):
    """The web source has no operations, or one that cannot be resolved to plain text."""


@dataclass(frozen=True, kw_only=True)
class Operation:
    name: str  # the operation name (AskAi)
    kind: str  # query or mutation
    document: str  # the text the web app sends as `query`
    source: str  # file:CONSTANT it was read from


def web_operations(*, source: Path = WEB_SOURCE) -> dict[str, Operation]:
    """The operations in the web app's source (tests and test helpers excluded), by name."""
    if not source.is_dir():
        raise WebSourceError(
            f"{source} is not a directory: the web app's source is needed to list its operations"
        )
    files = sorted(
        p
        for p in [*source.rglob("*.ts"), *source.rglob("*.tsx")]
        if ".test." not in p.name and "test" not in p.relative_to(source).parts[:-1]
    )
    constants: dict[str, tuple[str, str]] = {}
    for path in files:
        for match in _CONSTANT.finditer(path.read_text(encoding="utf-8")):
            constants[match.group(1)] = (match.group(2), f"{path.relative_to(source)}:{match.group(1)}")

    def resolve(text: str, depth: int = 0) -> str:
        if depth > MAX_NESTING:
            raise WebSourceError(f"template constants nest deeper than {MAX_NESTING}: {text[:60]!r}")

        def substitute(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in constants:
                raise WebSourceError(
                    f"${{{name}}} in a GraphQL document is not a template constant of the web source"
                )
            return resolve(constants[name][0], depth + 1)

        return _SUBSTITUTION.sub(substitute, text)

    operations: dict[str, Operation] = {}
    for text, where in constants.values():
        head = _OPERATION.match(text)
        if head is None:
            continue
        kind, name = head.groups()
        if name in operations:
            raise WebSourceError(f"operation {name} is defined twice ({operations[name].source}, {where})")
        operations[name] = Operation(name=name, kind=kind, document=resolve(text), source=where)
    if not operations:
        raise WebSourceError(f"no GraphQL operation found under {source}")
    return operations
