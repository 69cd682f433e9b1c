"""The trace a line of code runs in, for the logs and the error bodies (spec §10, issue 17).

Only the OpenTelemetry API, no SDK: these read the current span, which is an invalid one when tracing
is off (then nothing is added), so the logs and errors look the same with or without a collector.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from opentelemetry import trace


def current_trace_id() -> str | None:
    """The current span's trace id in 32 hex digits (as OTLP and `foundry trace` show it), or None."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def add_trace_context(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the trace and span ids on every line logged inside a span."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict
