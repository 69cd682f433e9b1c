"""One span as `foundry trace` prints it, whatever backend it was read from."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

Scalar = str | int | float | bool | None
Attribute = Scalar | list[Scalar]


@dataclass(frozen=True, kw_only=True)
class TraceSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str | None  # None at the root of the trace
    start: datetime
    duration_ms: float
    attributes: dict[str, Attribute]

    def as_json(self) -> dict[str, Any]:
        """Exactly the keys of `foundry trace --format json`."""
        return {
            "service": self.service,
            "name": self.name,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "start": self.start.isoformat(),
            "duration_ms": self.duration_ms,
            "attributes": self.attributes,
        }


def flatten(attributes: dict[str, Any], *, prefix: str = "") -> dict[str, Attribute]:
    """Nested objects as dotted keys ({"http": {"method": "GET"}} → {"http.method": "GET"}); lists of
    scalars stay lists (OpenTelemetry's array attributes), anything deeper becomes its text."""
    flat: dict[str, Attribute] = {}
    for key, value in attributes.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, prefix=f"{name}."))
        elif isinstance(value, list):
            flat[name] = [item if _is_scalar(item) else str(item) for item in value]
        elif _is_scalar(value):
            flat[name] = value
        else:
            flat[name] = str(value)
    return flat


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def in_tree_order(spans: list[TraceSpan]) -> list[tuple[int, TraceSpan]]:
    """(depth, span), each span after its parent and siblings by start time. A span whose parent is
    not in the list is a root (depth 0)."""
    ids = {span.span_id for span in spans}
    children: dict[str | None, list[TraceSpan]] = {}
    for span in spans:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    ordered: list[tuple[int, TraceSpan]] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda s: (s.start, s.span_id)):
            ordered.append((depth, span))
            walk(span.span_id, depth + 1)

    walk(None, 0)
    return ordered
