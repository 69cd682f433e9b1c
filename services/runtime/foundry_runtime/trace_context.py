"""The trace a line of code runs in, for the logs, the error bodies and the calls it makes (spec §10,
issue 17).

Only the OpenTelemetry API, no SDK: these read the current span, which is an invalid one when tracing
is off (then nothing is added), so the logs and errors look the same with or without a collector.

A request the head sampler dropped on its fast path (foundry_runtime.head_sampling) carries its trace
in `DROPPED`, not in OpenTelemetry's context: the trace id, a span id of its own and the flags, which
is all the logs and the next hop need. Building the SDK's non-recording span, its context and their
lookups cost that request about as much as deciding did (bench/README.md); the readers below look here
first, and `dropped_span` gives the span back wherever OpenTelemetry's own objects are needed.
"""

from __future__ import annotations

import contextvars
from collections.abc import MutableMapping
from typing import Any, NamedTuple

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags


class DroppedTrace(NamedTuple):
    """What the SDK's dropped server span would carry: the trace id (the parent's, or a new one), a
    span id of its own and the W3C flags byte (sampled off; the random-trace-id bit as the SDK sets
    it). No tracestate: a request carrying one takes the full path."""

    trace_id: int
    span_id: int
    flags: int


DROPPED: contextvars.ContextVar[DroppedTrace | None] = contextvars.ContextVar(
    "foundry_dropped_trace", default=None
)


def dropped_span(dropped: DroppedTrace) -> NonRecordingSpan:
    """The span OpenTelemetry would hold as current for `dropped`."""
    return NonRecordingSpan(
        SpanContext(
            trace_id=dropped.trace_id,
            span_id=dropped.span_id,
            is_remote=False,
            trace_flags=TraceFlags(dropped.flags),
        )
    )


def recording() -> bool:
    """Whether the current span records: what an instrumented call checks before making a span."""
    return DROPPED.get() is None and trace.get_current_span().is_recording()


def current_ids() -> tuple[int, int] | None:
    """The current trace and span ids, or None outside any trace."""
    dropped = DROPPED.get()
    if dropped is not None:
        return dropped.trace_id, dropped.span_id
    context = trace.get_current_span().get_span_context()
    return (context.trace_id, context.span_id) if context.is_valid else None


def current_trace_id() -> str | None:
    """The current span's trace id in 32 hex digits (as OTLP and `foundry trace` show it), or None."""
    ids = current_ids()
    return None if ids is None else format(ids[0], "032x")


def add_trace_context(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the trace and span ids on every line logged inside a span."""
    ids = current_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", format(ids[0], "032x"))
        event_dict.setdefault("span_id", format(ids[1], "016x"))
    return event_dict
