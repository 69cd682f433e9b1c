"""Head sampling before the server span: a request the sampler drops costs (almost) nothing.

OpenTelemetry's ASGI middleware does its full work for every request, sampled or not: it collects the
request's attributes, starts a span (a non-recording one when dropped), wraps `send` and records
metrics; and every Postgres statement and HTTP call under it starts a span of its own. At prod's 5%
that is 95% of requests paying for spans nobody keeps (bench/README.md measures it).

`HeadSampled` takes the sampler's decision first, with the provider's own sampler, on the trace id
the server span would get:
- with a parent (`traceparent`, or what else the configured propagators read), its trace id;
- without one, a new trace id from the provider's id generator, which the server span then takes
  (`PresetIdGenerator`), so the decision made here is the one the SDK makes again for that span.
Every sampler this setup offers decides by the parent's flags or the trace id alone
(foundry_runtime.tracing.SAMPLERS: ParentBased, TraceIdRatioBased, always on/off), so deciding twice
on the same inputs gives the same answer:
https://opentelemetry.io/docs/specs/otel/trace/sdk/#sampler

Kept: the request goes through OpenTelemetry's middleware as before. Dropped: it skips that middleware
and runs with what the SDK's own dropped span would carry: the trace id, a span id and the unsampled
flag. So the logs still name the trace, and the calls it makes pass `traceparent` on with the sampled
flag off: the next service follows the decision instead of taking its own (W3C Trace Context,
https://www.w3.org/TR/trace-context/#sampled-flag). The two shapes nearly every request has (no
propagation header, or a lone `traceparent`) are decided by `_FastDecision` and carried in
foundry_runtime.trace_context.DROPPED; any other runs in a non-recording span in OpenTelemetry's
context, as the SDK makes it. `FollowsDropped` keeps a span started inside a fast-dropped request
(no instrumentation here starts one: each checks `recording()`) dropped and in the request's trace.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

from opentelemetry import context, trace
from opentelemetry.context.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from foundry_runtime.trace_context import DROPPED, DroppedTrace, dropped_span

TRACE_ID_LIMIT = (1 << 64) - 1  # TraceIdRatioBased's: the low 64 bits of the trace id decide

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import httpx
    from opentelemetry.trace import Link
    from opentelemetry.util.types import Attributes
    from starlette.types import ASGIApp, Receive, Scope, Send

# The trace id HeadSampled chose for a kept request without a parent, until the server span takes it.
_preset_trace_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "foundry_preset_trace_id", default=None
)


class PresetIdGenerator(IdGenerator):
    """The provider's id generator, except that a root span started while HeadSampled holds a preset
    trace id takes that one (once: later roots in the same request get new ids), and one started
    inside a fast-dropped request takes that request's (it stays in the trace the logs name)."""

    def __init__(self, inner: IdGenerator) -> None:
        self.inner = inner

    def generate_span_id(self) -> int:
        return self.inner.generate_span_id()

    def generate_trace_id(self) -> int:
        preset = _preset_trace_id.get()
        if preset is None:
            dropped = DROPPED.get()
            return self.inner.generate_trace_id() if dropped is None else dropped.trace_id
        _preset_trace_id.set(None)
        return preset

    def is_trace_id_random(self) -> bool:
        return self.inner.is_trace_id_random()


class FollowsDropped(Sampler):
    """The configured sampler, except inside a request dropped on the fast path, where OpenTelemetry's
    context holds no span: a span started there without a parent is dropped, as the SDK's sampler
    drops it under the non-recording parent the request would otherwise have had (every sampler
    this setup offers drops under a non-sampled parent, or decides by the trace id, which
    PresetIdGenerator keeps the request's)."""

    def __init__(self, inner: Sampler) -> None:
        self.inner = inner

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if (
            DROPPED.get() is not None
            and not trace.get_current_span(parent_context).get_span_context().is_valid
        ):
            return SamplingResult(Decision.DROP)
        return self.inner.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return self.inner.get_description()


class _HeaderGetter(Getter[dict[str, list[str]]]):
    """The request's headers by name, any case: propagators ask for theirs as their specs spell them
    (`X-Amzn-Trace-Id`), ASGI gives them lower-cased, as OpenTelemetry's ASGI getter also reads them."""

    def get(self, carrier: dict[str, list[str]], key: str) -> list[str] | None:
        return carrier.get(key.lower())

    def keys(self, carrier: dict[str, list[str]]) -> list[str]:
        return list(carrier)


_HEADERS = _HeaderGetter()


def _propagators_of(textmap: object) -> list[object]:
    """The propagators a global textmap runs, in its order: a CompositePropagator's, or itself."""
    return list(getattr(textmap, "_propagators", [textmap]))  # the composite keeps them private


class _FastDecision:
    """The same decision as the SDK's ParentBased sampler and OpenTelemetry's W3C extraction, for the
    two shapes nearly every request has: no propagation header at all (a browser's, at the first
    hop), or a lone `traceparent` (every later hop). Why it exists: measured inside a request, the
    full path (the composite propagator's extract, the sampler's chain of calls, their objects) cost
    about 90 µs of the api's CPU per dropped request, four times its cost in a tight loop, as its
    code comes in cold after the rest of the request; this one touches a few lines. Any other
    request, or any other sampler, takes the full path. tests/test_head_sampling.py holds the two
    equal on generated requests, samplers and propagator sets.

    Mirrored: ParentBased with its default delegates for a remote parent (sampled: keep; not: drop;
    https://opentelemetry.io/docs/specs/otel/trace/sdk/#parentbased), its root TraceIdRatioBased
    (kept when the trace id's low 64 bits are below the bound) or always on/off; and
    TraceContextTextMapPropagator.extract's parsing of `traceparent` (its own regular expression,
    zero ids, version 00 with more fields, version ff)."""

    __slots__ = ("base_is_empty", "bound")

    def __init__(self, *, bound: int, base_is_empty: bool) -> None:
        self.bound = bound  # root: kept when trace_id & TRACE_ID_LIMIT < bound
        # The composite's first propagator extracts into a fresh Context, not the current one, so a
        # lone traceparent it cannot read leaves no parent even where a span is current.
        self.base_is_empty = base_is_empty

    @classmethod
    def for_setup(cls, sampler: Sampler, propagators: list[object]) -> _FastDecision | None:
        from opentelemetry.propagators.aws import AwsXRayPropagator
        from opentelemetry.sdk.trace.sampling import (
            ALWAYS_OFF,
            ALWAYS_ON,
            ParentBased,
            TraceIdRatioBased,
        )
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        if type(sampler) is not ParentBased:
            return None
        delegates = (
            sampler._remote_parent_sampled,  # the SDK keeps its delegates private
            sampler._remote_parent_not_sampled,
        )
        if delegates != (ALWAYS_ON, ALWAYS_OFF):
            return None
        root = sampler._root
        if type(root) is TraceIdRatioBased:
            bound = root.bound
        elif root is ALWAYS_ON:
            bound = TRACE_ID_LIMIT + 1
        elif root is ALWAYS_OFF:
            bound = 0
        else:
            return None
        if not any(type(p) is TraceContextTextMapPropagator for p in propagators):
            return None
        first = propagators[0] if propagators else None
        return cls(
            bound=bound,
            base_is_empty=type(first) in (TraceContextTextMapPropagator, AwsXRayPropagator),
        )


_TRACEPARENT = "traceparent"
_ZERO_TRACE_ID = "0" * 32
_ZERO_SPAN_ID = "0" * 16
_traceparent_format: Any = None  # TraceContextTextMapPropagator's regular expression, once loaded


def _parse_traceparent(header: str) -> tuple[int, int, int] | None:
    """(trace id, span id, flags) as TraceContextTextMapPropagator.extract reads them, with its own
    regular expression, or None where it extracts nothing."""
    global _traceparent_format  # loaded on first use, not at import (HeadSampled says why)
    if _traceparent_format is None:
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        _traceparent_format = TraceContextTextMapPropagator._TRACEPARENT_HEADER_FORMAT_RE
    match = _traceparent_format.search(header)
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if (
        trace_id == _ZERO_TRACE_ID
        or span_id == _ZERO_SPAN_ID
        or version == "ff"
        or (version == "00" and rest)
    ):
        return None
    return int(trace_id, 16), int(span_id, 16), int(flags, 16)


class HeadSampled:
    """ASGI: each HTTP request to `traced` (the app inside OpenTelemetry's middleware) when the sampler
    keeps it, else to `untraced` (the same app without it) inside a non-recording span."""

    def __init__(
        self,
        *,
        traced: ASGIApp,
        untraced: ASGIApp,
        sampler: Sampler,
        ids: PresetIdGenerator,
        span_name: Callable[[Scope], str],
    ) -> None:
        self.traced = traced
        self.untraced = untraced
        self.sampler = sampler
        self.ids = ids
        self.span_name = span_name
        # Not imported with this module: opentelemetry.propagate reads OTEL_PROPAGATORS as it loads,
        # which foundry_runtime.tracing checks first (its module doc).
        from opentelemetry import propagate

        self._propagate = propagate
        self._textmap: object = None
        self._fields: frozenset[bytes] = frozenset()
        self._fast: _FastDecision | None = None

    def _propagation_fields(self) -> frozenset[bytes]:
        """The header names the process's propagators read (their `fields`), as ASGI spells them."""
        textmap = self._propagate.get_global_textmap()
        if textmap is not self._textmap:
            self._textmap = textmap
            self._fields = frozenset(name.lower().encode("latin-1") for name in textmap.fields)
            self._fast = _FastDecision.for_setup(self.sampler, _propagators_of(textmap))
        return self._fields

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan (and websockets, which no service serves)
            await self.traced(scope, receive, send)
            return
        kept, handle = self.decide(scope)
        if kept:
            await self.call_kept(handle, scope, receive, send)
            return
        try:
            await self.untraced(scope, receive, send)
        finally:
            release(handle)

    def decide(self, scope: Scope) -> tuple[bool, Any]:
        """The sampler's decision on an HTTP request: (True, the preset trace id or None) when kept,
        for `call_kept`; (False, a handle) when dropped: the dropped trace is then current, and the
        caller runs the untraced app and `release`s the handle when the request is done."""
        inherited = DROPPED.get()
        if inherited is None:
            return self._decide(scope)
        # A gate called inside a fast-dropped request (in-process only: a server's requests arrive
        # with nothing current): decided as the SDK would decide with that request's span current.
        outer = _hold_as_span(inherited)
        kept, handle = self._decide(scope)
        if kept:
            release(outer)  # call_kept holds it again around the traced app
            return kept, handle
        return False, (handle, outer)

    def _decide(self, scope: Scope) -> tuple[bool, Any]:
        # Only the propagators' own headers, and no extraction at all for a request that carries none
        # (every request a browser sends): an empty carrier extracts the current context unchanged.
        # Header names arrive lower-cased (ASGI); a repeated header keeps every value, as the getter expects.
        fields = self._propagation_fields()
        carrier: dict[str, list[str]] = {}
        for name, value in scope["headers"]:
            if name in fields:
                carrier.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
        fast = self._fast
        if fast is not None:
            decided = self._decide_fast(fast, carrier)
            if decided is not None:
                return decided
        extracted = self._propagate.extract(carrier, getter=_HEADERS) if carrier else context.get_current()
        parent = trace.get_current_span(extracted).get_span_context()
        trace_id = parent.trace_id if parent.is_valid else self.ids.inner.generate_trace_id()
        result = self.sampler.should_sample(extracted, trace_id, self.span_name(scope), kind=SpanKind.SERVER)
        if result.decision is not Decision.DROP:  # RECORD_ONLY records too
            return True, None if parent.is_valid else trace_id
        # The span context the SDK gives a dropped span (TracerProvider's Tracer.start_span): the
        # sampled flag off, the random-trace-id flag from the parent or the id generator.
        random_id = parent.trace_flags.random_trace_id if parent.is_valid else self.ids.is_trace_id_random()
        flags = TraceFlags(TraceFlags.RANDOM_TRACE_ID if random_id else TraceFlags.DEFAULT)
        dropped = NonRecordingSpan(
            SpanContext(
                trace_id=trace_id,
                span_id=self.ids.generate_span_id(),
                is_remote=False,
                trace_flags=flags,
                trace_state=result.trace_state,
            )
        )
        return False, context.attach(trace.set_span_in_context(dropped, extracted))

    def _decide_fast(self, fast: _FastDecision, carrier: dict[str, list[str]]) -> tuple[bool, Any] | None:
        """`decide` for no propagation header or a lone `traceparent`; None: take the full path. A
        dropped request's trace goes in DROPPED: no span, context or lookups of OpenTelemetry's, whose
        context stays the one current at the request's start (a server's: empty, as the full path's
        extraction leaves it but for the span)."""
        if not carrier:
            parent = None
            if trace.get_current_span().get_span_context().is_valid:
                return None  # a span is current already (not a server's request): the full path
        elif len(carrier) == 1 and len(values := carrier.get(_TRACEPARENT, [])) == 1:
            if not fast.base_is_empty:
                return None
            parent = _parse_traceparent(values[0])
        else:
            return None
        if parent is None:  # a root: the ratio decides on a new trace id
            trace_id = self.ids.inner.generate_trace_id()
            if trace_id & TRACE_ID_LIMIT < fast.bound:
                return True, trace_id
            random_id = self.ids.is_trace_id_random()
        else:
            trace_id, _, parent_flags = parent
            if parent_flags & TraceFlags.SAMPLED:
                return True, None
            random_id = bool(parent_flags & TraceFlags.RANDOM_TRACE_ID)
        flags = TraceFlags.RANDOM_TRACE_ID if random_id else TraceFlags.DEFAULT
        return False, DROPPED.set(DroppedTrace(trace_id, self.ids.generate_span_id(), flags))

    async def call_kept(self, preset: int | None, scope: Scope, receive: Receive, send: Send) -> None:
        """A kept request through `traced`; without a parent, its server span takes `preset`. Inside a
        fast-dropped request (a gate called in-process), that request's span becomes OpenTelemetry's
        current one, the parent `decide` saw."""
        token = None if preset is None else _preset_trace_id.set(preset)
        inherited = DROPPED.get()
        held = None if inherited is None else _hold_as_span(inherited)
        try:
            await self.traced(scope, receive, send)
        finally:
            if held is not None:
                release(held)
            if token is not None:
                _preset_trace_id.reset(token)


def _hold_as_span(dropped: DroppedTrace) -> tuple[Any, Any]:
    """`dropped` as OpenTelemetry's current span instead of in DROPPED, until released."""
    return DROPPED.set(None), context.attach(trace.set_span_in_context(dropped_span(dropped)))


def release(handle: Any) -> None:
    """Ends what `HeadSampled.decide` made current for a dropped request: a token of DROPPED's or of
    OpenTelemetry's context, or a tuple of handles, released in their order (innermost first)."""
    if isinstance(handle, tuple):
        for inner in handle:
            release(inner)
    elif handle.var is DROPPED:
        DROPPED.reset(handle)
    else:
        context.detach(handle)


class DroppedHeaders:
    """The headers the process's propagators would inject for a fast-dropped request's span, as
    `propagate.inject` would write them with that span current: `traceparent` written here for the
    W3C propagator (its format, with the sampled flag off and no tracestate), any other propagator
    asked with OpenTelemetry's own span. tests/test_head_sampling.py holds the two equal."""

    def __init__(self) -> None:
        from opentelemetry import propagate

        self._propagate = propagate
        self._textmap: object = None
        self._plan: list[Any] = []

    def _current_plan(self) -> list[Any]:
        textmap = self._propagate.get_global_textmap()
        if textmap is not self._textmap:
            from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

            self._plan = [
                None if type(p) is TraceContextTextMapPropagator else p for p in _propagators_of(textmap)
            ]
            self._textmap = textmap
        return self._plan

    def inject(self, headers: httpx.Headers, dropped: DroppedTrace) -> None:
        with_span: Context | None = None
        for propagator in self._current_plan():
            if propagator is None:
                headers[_TRACEPARENT] = (
                    f"00-{dropped.trace_id:032x}-{dropped.span_id:016x}-{dropped.flags:02x}"
                )
                continue
            if with_span is None:
                with_span = trace.set_span_in_context(dropped_span(dropped))
            propagator.inject(headers, context=with_span)


def send_only_headers(client: httpx.AsyncClient) -> None:
    """After OpenTelemetry's httpx instrumentation (which wraps the client's transport's
    `handle_async_request` in place): a request sent inside a dropped request skips the wrapper's
    client span (its attributes, its metrics) and gets the current trace context's headers alone,
    as the wrapper would have injected them (the dropped span's id as the parent, sampled flag off)."""
    transport = client._transport  # the attribute the instrumentation itself wraps
    traced = transport.handle_async_request
    plain = getattr(traced, "__wrapped__", None)
    if plain is None:  # not instrumented: nothing to skip
        return
    from opentelemetry import propagate

    inject = propagate.inject
    dropped_headers = DroppedHeaders()

    async def handle_async_request(request: httpx.Request) -> httpx.Response:
        dropped = DROPPED.get()
        if dropped is not None:
            dropped_headers.inject(request.headers, dropped)
        elif trace.get_current_span().is_recording():
            return await traced(request)
        else:
            inject(request.headers)
        response: httpx.Response = await plain(request)
        return response

    transport.handle_async_request = handle_async_request  # type: ignore[method-assign]
