"""Head sampling before the server span: a dropped request skips OpenTelemetry's middleware and
records nothing, yet names its trace in the logs and passes the unsampled decision on; a kept root
request's server span takes the very trace id the decision was made on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
import structlog
from foundry_runtime import RequestContextMiddleware, StructlogAccessLog
from foundry_runtime.head_sampling import PresetIdGenerator
from foundry_runtime.tracing import Tracing, TracingConfig
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import Tracer
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from tests.conftest import JsonLog

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
ENDPOINT = "http://127.0.0.1:4318"


def _tracing(sampler: str, ratio: float, spans: InMemorySpanExporter) -> Tracing:
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT,
        "OTEL_TRACES_SAMPLER": sampler,
        "OTEL_TRACES_SAMPLER_ARG": str(ratio),
    }
    config = TracingConfig.from_environ(environ, service_name="api", environment="prod", version="1")
    return Tracing.start(config, exporter=spans)


def _echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"traceparent": request.headers.get("traceparent")})


def _app(tracing: Tracing) -> Starlette:
    downstream = httpx.AsyncClient(transport=httpx.MockTransport(_echo))
    tracing.instrument_httpx(downstream)

    async def hello(request: Request) -> Response:
        structlog.stdlib.get_logger("foundry_test.app").info("hello")
        return JSONResponse((await downstream.get("http://downstream.test/")).json())

    app = Starlette(
        routes=[Route("/hello", hello)],
        middleware=[
            Middleware(
                RequestContextMiddleware, access_log=StructlogAccessLog(logger_name="foundry_test.access")
            )
        ],
    )
    tracing.instrument_app(app)
    return app


async def _ask(app: Starlette, count: int, headers: dict[str, str] | None = None) -> list[str]:
    """The traceparent the downstream call carried, per request."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as client:
        return [(await client.get("/hello", headers=headers)).json()["traceparent"] for _ in range(count)]


@pytest.fixture
def entered(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many requests went through OpenTelemetry's ASGI middleware."""
    calls: list[int] = []
    original = OpenTelemetryMiddleware.__call__

    async def counted(self: OpenTelemetryMiddleware, scope: Any, receive: Any, send: Any) -> None:
        calls.append(1)
        await original(self, scope, receive, send)

    monkeypatch.setattr(OpenTelemetryMiddleware, "__call__", counted)
    return calls


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the spans the SDK was asked to start, recording or not."""
    names: list[str] = []
    original = Tracer.start_span

    def counted(self: Tracer, name: str, *args: Any, **kwargs: Any) -> Any:
        names.append(name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(Tracer, "start_span", counted)
    return names


async def test_an_unsampled_caller_skips_the_middleware_records_nothing_and_passes_the_decision_on(
    json_log: JsonLog, entered: list[int], started: list[str]
) -> None:
    json_log.start()
    spans = InMemorySpanExporter()
    app = _app(_tracing("parentbased_always_on", 1.0, spans))
    [passed_on] = await _ask(app, 1, {"traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-00"})
    assert entered == []
    assert started == []  # not even a non-recording span: no server span, no client span
    assert spans.get_finished_spans() == ()
    version, trace_id, span_id, flags = passed_on.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "00")
    assert span_id != "b7ad6b7169203331"  # this service's (dropped) span is the next hop's parent
    lines = {line["event"]: line for line in json_log.lines()}
    assert lines["hello"]["trace_id"] == lines["request"]["trace_id"] == TRACE_ID


async def test_a_sampled_caller_goes_through_the_middleware(entered: list[int], started: list[str]) -> None:
    spans = InMemorySpanExporter()
    app = _app(_tracing("parentbased_always_off", 1.0, spans))  # the caller's flag wins over the root's
    [passed_on] = await _ask(app, 1, {"traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01"})
    assert entered == [1]
    assert int(passed_on.split("-")[3], 16) & 1 and TRACE_ID in passed_on
    assert {span.name for span in spans.get_finished_spans()} == {"GET /hello", "GET"}
    assert sorted(started) == ["GET", "GET /hello"]


def _decisions(passed_on: list[str], spans: InMemorySpanExporter) -> tuple[set[str], set[str], set[str]]:
    """Trace ids the downstream header marked kept, marked dropped, and the server spans recorded."""
    # The flags' low bit is "sampled" (W3C Trace Context; the next bit marks a random trace id).
    kept = {header.split("-")[1] for header in passed_on if int(header.split("-")[3], 16) & 1}
    dropped = {header.split("-")[1] for header in passed_on if not int(header.split("-")[3], 16) & 1}
    recorded = {
        format(span.context.trace_id, "032x")
        for span in spans.get_finished_spans()
        if span.name == "GET /hello"
    }
    return kept, dropped, recorded


REQUESTS = 1000


def _share_is(ratio: float, *, kept: int) -> bool:
    """Kept about `ratio` of REQUESTS: within 0.1, about seven standard deviations of a binomial share
    at 0.3, while a second, independent decision (0.3 x 0.3) lands 0.21 below."""
    return abs(kept / REQUESTS - ratio) < 0.1


async def test_new_traces_are_kept_at_the_ratio_on_the_trace_id_the_decision_was_made_on(
    entered: list[int],
) -> None:
    spans = InMemorySpanExporter()
    ratio = 0.3
    app = _app(_tracing("parentbased_traceidratio", ratio, spans))
    passed_on = await _ask(app, REQUESTS)
    kept, dropped, recorded = _decisions(passed_on, spans)
    assert len(kept) + len(dropped) == REQUESTS
    assert recorded == kept and len(entered) == len(kept)
    assert _share_is(ratio, kept=len(kept))
    # The ratio sampler's own rule, on each trace id: kept below the bound, dropped above.
    bound = TraceIdRatioBased.get_bound_for_rate(ratio)
    assert all(int(t, 16) & TraceIdRatioBased.TRACE_ID_LIMIT < bound for t in kept)
    assert all(int(t, 16) & TraceIdRatioBased.TRACE_ID_LIMIT >= bound for t in dropped)


class _IgnoresThePreset(PresetIdGenerator):
    """A planted bug: the server span draws a trace id of its own, and so a second decision."""

    def __init__(self, inner: IdGenerator) -> None:
        super().__init__(inner)

    def generate_trace_id(self) -> int:
        return self.inner.generate_trace_id()


async def test_without_the_preset_the_kept_share_is_sampled_twice_and_the_check_sees_it() -> None:
    spans = InMemorySpanExporter()
    tracing = _tracing("parentbased_traceidratio", 0.3, spans)
    assert tracing.provider is not None
    ids = tracing.provider.id_generator
    assert isinstance(ids, PresetIdGenerator)
    tracing.provider.id_generator = _IgnoresThePreset(ids.inner)  # type: ignore[assignment]
    kept, _, _ = _decisions(await _ask(_app(tracing), REQUESTS), spans)
    assert not _share_is(0.3, kept=len(kept))


@pytest.mark.parametrize(("flag", "kept"), [("0", False), ("1", True)])
async def test_an_x_ray_parent_decides_as_the_middleware_reads_it(
    flag: str, kept: bool, entered: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS's X-Ray header (the platform's propagators are xray,tracecontext) is read under its
    spelled name from ASGI's lower-cased headers: its Sampled flag decides, and a kept request
    continues its trace."""
    spans = InMemorySpanExporter()
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT,
        "OTEL_TRACES_SAMPLER": "parentbased_always_off",  # only the parent's flag can keep it
        "OTEL_PROPAGATORS": "xray,tracecontext",
    }
    config = TracingConfig.from_environ(environ, service_name="api", environment="prod", version="1")
    app = _app(Tracing.start(config, exporter=spans))
    header = f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled={flag}"
    await _ask(app, 1, {"X-Amzn-Trace-Id": header})
    assert entered == ([1] if kept else [])
    recorded = {format(s.context.trace_id, "032x") for s in spans.get_finished_spans()}
    assert recorded == ({"5759e988bd862e3fe1be46a994272793"} if kept else set())
    Tracing.start(
        TracingConfig.from_environ(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, service_name="api", environment="dev", version="1"
        ),
        exporter=InMemorySpanExporter(),
    )  # the default propagators back


async def test_the_gate_reads_the_headers_of_the_propagators_in_use_now(entered: list[int]) -> None:
    """Only the propagators' own headers are read (their `fields`); a propagator set after the app
    started is read from its next request on, and a request with none of them is a new trace."""
    from opentelemetry import propagate
    from opentelemetry.propagators.aws import AwsXRayPropagator

    spans = InMemorySpanExporter()
    app = _app(_tracing("parentbased_always_off", 1.0, spans))  # only a sampled parent keeps a request
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    await _ask(app, 1, {"X-Amzn-Trace-Id": header, "X-Unrelated": "1"})
    assert entered == []  # tracecontext alone does not read X-Ray's header
    default = propagate.get_global_textmap()
    propagate.set_global_textmap(AwsXRayPropagator())
    try:
        await _ask(app, 1, {"X-Amzn-Trace-Id": header, "X-Unrelated": "1"})
        await _ask(app, 1, {"X-Unrelated": "1"})
    finally:
        propagate.set_global_textmap(default)
    assert entered == [1]
    assert {format(s.context.trace_id, "032x") for s in spans.get_finished_spans()} == {
        "5759e988bd862e3fe1be46a994272793"
    }


# -- the fast decision against the SDK's own path ------------------------------------------------


@pytest.fixture(autouse=True)
def _global_textmap_restored() -> Any:
    """Tracing.start sets the process's propagator; these tests choose others, which must not leak."""
    from opentelemetry import propagate

    before = propagate.get_global_textmap()
    yield
    propagate.set_global_textmap(before)


class _SeededIds(IdGenerator):
    """Ids from a seeded generator, so the fast path and the full one get the same ids."""

    def __init__(self, seed: int) -> None:
        import random

        self.random = random.Random(seed)

    def generate_span_id(self) -> int:
        return self.random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self.random.getrandbits(128) or 1


def _traceparents(rng: Any) -> list[str]:
    """Valid ones (every flag value, sampled or not) and each way the W3C parser refuses one."""
    hexa = "0123456789abcdef"

    def digits(n: int) -> str:
        return "".join(rng.choice(hexa) for _ in range(n))

    flags = [f"{rng.randrange(256):02x}" for _ in range(6)] + ["00", "01", "02", "03"]
    out = [f"00-{digits(32)}-{digits(16)}-{f}" for f in flags]
    out += [
        f"00-{'0' * 32}-{digits(16)}-01",  # zero trace id
        f"00-{digits(32)}-{'0' * 16}-01",  # zero span id
        f"ff-{digits(32)}-{digits(16)}-01",  # version ff
        f"00-{digits(32)}-{digits(16)}-01-extra",  # version 00 with more fields
        f"01-{digits(32)}-{digits(16)}-00-extra",  # a later version may have more
        f" \t00-{digits(32)}-{digits(16)}-00 ",  # surrounding blanks
        f"00-{digits(32).upper()}-{digits(16)}-01",  # upper-case hex
        f"00-{digits(31)}-{digits(16)}-01",  # short
        "garbage",
        "",
    ]
    return out


def _requests(rng: Any) -> list[list[tuple[bytes, bytes]]]:
    base = [(b"host", b"api.test"), (b"authorization", b"Bearer abc")]
    out = [base]
    for value in _traceparents(rng):
        out.append([*base, (b"traceparent", value.encode())])
    tp = f"00-{rng.getrandbits(128):032x}-{rng.getrandbits(64):016x}-00".encode()
    out.append([*base, (b"traceparent", tp), (b"tracestate", b"vendor=1")])  # the full path's case
    out.append([*base, (b"traceparent", tp), (b"traceparent", tp)])
    out.append([*base, (b"baggage", b"user=1")])
    out.append([*base, (b"x-amzn-trace-id", b"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")])
    return out


def _gate(sampler: str, ratio: float, propagators: str, *, seed: int, fast: bool) -> Any:
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT,
        "OTEL_TRACES_SAMPLER": sampler,
        "OTEL_TRACES_SAMPLER_ARG": str(ratio),
        "OTEL_PROPAGATORS": propagators,
    }
    config = TracingConfig.from_environ(environ, service_name="api", environment="prod", version="1")
    tracing = Tracing.start(config, exporter=InMemorySpanExporter())
    assert tracing.provider is not None
    tracing.provider.id_generator.inner = _SeededIds(seed)  # type: ignore[attr-defined]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    gate = tracing._gate(app)
    gate._propagation_fields()
    if not fast:
        gate._fast = None
    return gate


def _outcome(gate: Any, headers: list[tuple[bytes, bytes]]) -> tuple[Any, ...]:
    """What a decision makes observable: kept (with its preset trace id), or dropped with the span
    the request runs in as OpenTelemetry's API would give it, whether anything records, the headers
    a call made inside it sends, its baggage, and the trace fields of its log lines."""
    from foundry_runtime import trace_context
    from foundry_runtime.head_sampling import DroppedHeaders, release
    from opentelemetry import baggage, propagate, trace

    kept, handle = gate.decide({"type": "http", "method": "POST", "path": "/graphql", "headers": headers})
    if kept:
        return ("kept", handle)
    try:
        dropped = trace_context.DROPPED.get()
        sent = httpx.Headers()
        if dropped is None:
            span = trace.get_current_span()
            propagate.inject(sent)
        else:
            span = trace_context.dropped_span(dropped)
            DroppedHeaders().inject(sent, dropped)
        return (
            "dropped",
            trace_context.recording(),
            span.is_recording(),
            span.get_span_context(),
            sorted(sent.multi_items()),
            dict(baggage.get_all()),
            dict(trace_context.add_trace_context(None, "", {})),
        )
    finally:
        release(handle)


@pytest.mark.parametrize(
    ("sampler", "ratio"),
    [
        ("parentbased_traceidratio", 0.0),
        ("parentbased_traceidratio", 0.05),
        ("parentbased_traceidratio", 0.5),
        ("parentbased_traceidratio", 1.0),
        ("parentbased_always_on", 1.0),
        ("parentbased_always_off", 1.0),
        ("traceidratio", 0.5),  # not parent-based: the full path only
        ("always_on", 1.0),
    ],
)
@pytest.mark.parametrize(
    "propagators", ["tracecontext,baggage", "xray,tracecontext", "baggage,tracecontext", "xray"]
)
def test_the_fast_decision_equals_the_sdks_on_generated_requests(
    sampler: str, ratio: float, propagators: str
) -> None:
    import random

    rng = random.Random(f"{sampler}{ratio}{propagators}")
    requests = _requests(rng) * 8  # repeated: root decisions draw new trace ids each time
    fast = _gate(sampler, ratio, propagators, seed=7, fast=True)
    full = _gate(sampler, ratio, propagators, seed=7, fast=False)
    fast_outcomes = [_outcome(fast, headers) for headers in requests]
    full_outcomes = [_outcome(full, headers) for headers in requests]
    assert fast_outcomes == full_outcomes
    kinds = {o[0] for o in full_outcomes}
    if sampler == "parentbased_traceidratio" and ratio == 0.05:
        assert kinds == {"kept", "dropped"}  # both paths exercised, sampled parents kept
    from foundry_runtime import trace_context

    assert trace_context.DROPPED.get() is None  # every decision released


@pytest.mark.parametrize(
    "propagators",
    ["tracecontext,baggage", "xray,tracecontext", "baggage,tracecontext", "xray", "tracecontext"],
)
@pytest.mark.parametrize("flags", [0x00, 0x02])
@pytest.mark.parametrize("with_baggage", [False, True])
def test_a_dropped_requests_headers_are_what_propagate_injects_for_its_span(
    propagators: str, flags: int, with_baggage: bool
) -> None:
    from foundry_runtime.head_sampling import DroppedHeaders
    from foundry_runtime.trace_context import DroppedTrace, dropped_span
    from opentelemetry import baggage, context, propagate, trace

    gate = _gate("parentbased_traceidratio", 0.05, propagators, seed=3, fast=True)  # sets the propagators
    assert gate is not None
    dropped = DroppedTrace(0x0AF7651916CD43DD8448EB211C80319C, 0x00F067AA0BA902B7, flags)
    token = context.attach(baggage.set_baggage("user", "1")) if with_baggage else None
    try:
        ours, theirs = httpx.Headers({"accept": "*/*"}), httpx.Headers({"accept": "*/*"})
        DroppedHeaders().inject(ours, dropped)
        propagate.inject(theirs, context=trace.set_span_in_context(dropped_span(dropped)))
    finally:
        if token is not None:
            context.detach(token)
    assert sorted(ours.multi_items()) == sorted(theirs.multi_items())
    assert len(ours) > 1  # something was injected


def test_a_span_started_inside_a_fast_dropped_request_is_dropped_and_in_its_trace() -> None:
    """No instrumentation here starts one (each checks `recording()`), but one that did would not
    begin a new trace that the ratio might keep."""
    from foundry_runtime.head_sampling import release
    from foundry_runtime.trace_context import DROPPED

    spans = InMemorySpanExporter()
    tracing = _tracing("parentbased_traceidratio", 1.0, spans)  # a new trace would always be kept

    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    gate = tracing._gate(app)
    headers = [(b"traceparent", f"00-{TRACE_ID}-b7ad6b7169203331-00".encode())]
    kept, handle = gate.decide({"type": "http", "method": "GET", "path": "/", "headers": headers})
    assert not kept and DROPPED.get() is not None
    try:
        with tracing.tracer("test").start_as_current_span("inner") as span:
            assert not span.is_recording()
            assert format(span.get_span_context().trace_id, "032x") == TRACE_ID
    finally:
        release(handle)
    with tracing.tracer("test").start_as_current_span("outside") as span:
        assert span.is_recording()  # outside the request the sampler decides as configured
    assert [s.name for s in spans.get_finished_spans()] == ["outside"]


def test_the_fast_decision_is_taken_for_the_common_shapes_only() -> None:
    gate = _gate("parentbased_traceidratio", 0.05, "tracecontext,baggage", seed=1, fast=True)
    assert gate._fast is not None
    tp = (b"traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
    from foundry_runtime.head_sampling import release

    root = gate._decide_fast(gate._fast, {})
    assert root is not None
    if not root[0]:
        release(root[1])
    carrier = {"traceparent": [tp[1].decode()]}
    decided = gate._decide_fast(gate._fast, carrier)
    assert decided is not None and decided[0] is False
    release(decided[1])
    assert gate._decide_fast(gate._fast, {**carrier, "tracestate": ["a=1"]}) is None
    assert _gate("traceidratio", 0.5, "tracecontext", seed=1, fast=True)._fast is None
    assert _gate("parentbased_traceidratio", 0.5, "baggage,tracecontext", seed=1, fast=True)._fast is not None


@pytest.mark.parametrize(
    ("sampler", "ratio"),
    [("parentbased_traceidratio", 1.0), ("traceidratio", 0.5), ("always_on", 1.0)],
)
@pytest.mark.parametrize("propagators", ["tracecontext,baggage", "baggage,tracecontext"])
def test_a_gate_inside_a_fast_dropped_request_decides_as_under_that_requests_span(
    sampler: str, ratio: float, propagators: str
) -> None:
    """In-process only (a server's requests arrive with nothing current), but exact there too: the
    outer request's trace in DROPPED is the parent the SDK's path sees with it as OpenTelemetry's
    current span (a composite led by baggage extracts into the current context, so an unreadable
    traceparent leaves that span the parent)."""
    import random

    from foundry_runtime.trace_context import DROPPED, DroppedTrace, dropped_span
    from opentelemetry import context, trace

    rng = random.Random(sampler)
    requests = _requests(rng) * 2
    outer = DroppedTrace(rng.getrandbits(128) | 1, rng.getrandbits(64) | 1, 0)
    ours = _gate(sampler, ratio, propagators, seed=5, fast=True)
    theirs = _gate(sampler, ratio, propagators, seed=5, fast=False)

    def inside_ours(headers: list[tuple[bytes, bytes]]) -> tuple[Any, ...]:
        token = DROPPED.set(outer)
        try:
            return _outcome(ours, headers)
        finally:
            DROPPED.reset(token)

    def inside_theirs(headers: list[tuple[bytes, bytes]]) -> tuple[Any, ...]:
        token = context.attach(trace.set_span_in_context(dropped_span(outer)))
        try:
            return _outcome(theirs, headers)
        finally:
            context.detach(token)

    outcomes = [inside_ours(headers) for headers in requests]
    assert outcomes == [inside_theirs(headers) for headers in requests]
    if sampler.startswith("parentbased"):  # the outer request's unsampled span is the parent
        assert any(o[0] == "dropped" and o[3].trace_id == outer.trace_id for o in outcomes)
