"""The tracing setup: OpenTelemetry's variables read as the spec defines them (bad values refused with
one line), off and free without an endpoint, and, on, a server span per request that continues the
caller's traceparent and hands its own to the next hop, with the trace id in the logs and errors."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import httpx
import pytest
import structlog
from foundry_contract import TRACING_ENV_VARS
from foundry_runtime import ErrorShape, RequestContextMiddleware, StructlogAccessLog
from foundry_runtime.head_sampling import PresetIdGenerator
from foundry_runtime.tracing import (
    READS,
    Tracing,
    TracingConfig,
    TracingConfigError,
    parse_resource_attributes,
    sampler_for,
)
from opentelemetry import trace
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from tests.conftest import JsonLog

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
ENDPOINT = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}


def config_from(environ: dict[str, str]) -> TracingConfig:
    return TracingConfig.from_environ(environ, service_name="api", environment="dev", version="0.1.0")


# -- the variables


def undeclared(read: tuple[str, ...], declared: tuple[str, ...]) -> set[str]:
    """Names read on one side and not declared on the other, either way."""
    return set(read) ^ set(declared)


def test_the_runtime_reads_exactly_the_contracts_tracing_variables() -> None:
    assert undeclared(READS, TRACING_ENV_VARS) == set()


def test_a_variable_missing_from_the_contract_is_found() -> None:
    # The checker shown to fail: a contract without OTEL_PROPAGATORS.
    broken = tuple(name for name in TRACING_ENV_VARS if name != "OTEL_PROPAGATORS")
    assert undeclared(READS, broken) == {"OTEL_PROPAGATORS"}


def test_without_an_endpoint_tracing_is_off_and_instruments_nothing() -> None:
    config = config_from({})
    assert not config.enabled
    tracing = Tracing.start(config)
    assert not tracing.enabled
    app = Starlette()
    tracing.instrument_app(app)
    assert type(app) is Starlette
    client = httpx.AsyncClient()
    tracing.instrument_httpx(client)
    assert not getattr(client, "_is_instrumented_by_opentelemetry", False)
    assert isinstance(tracing.tracer("x"), trace.NoOpTracer)


def test_sdk_disabled_wins_over_an_endpoint() -> None:
    assert not config_from({**ENDPOINT, "OTEL_SDK_DISABLED": "true"}).enabled
    assert config_from({**ENDPOINT, "OTEL_SDK_DISABLED": "false"}).enabled


def test_the_resource_names_service_environment_and_version() -> None:
    defaults = config_from(ENDPOINT).resource_attributes
    assert defaults["service.name"] == "api"
    assert defaults["deployment.environment"] == "dev"
    assert defaults["deployment.environment.name"] == "dev"
    assert defaults["service.version"] == "0.1.0"
    given = config_from(
        {
            **ENDPOINT,
            "OTEL_SERVICE_NAME": "api-blue",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,service.version=sha-1a2b%2C3,service.name=x",
        }
    )
    assert given.service_name == "api-blue"
    assert given.resource_attributes["service.name"] == "api-blue"
    assert given.resource_attributes["deployment.environment"] == "prod"
    assert given.resource_attributes["service.version"] == "sha-1a2b,3"


def test_prod_samples_a_ratio_of_new_traces_and_follows_the_caller() -> None:
    config = config_from(
        {**ENDPOINT, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.05"}
    )
    assert config.sampler_ratio == 0.05
    description = sampler_for(config).get_description()
    assert description.startswith("ParentBased{root:TraceIdRatioBased{0.05}")


def test_xray_id_generator_and_propagator_are_offered() -> None:
    config = config_from(
        {**ENDPOINT, "OTEL_PROPAGATORS": "tracecontext,xray", "OTEL_PYTHON_ID_GENERATOR": "xray"}
    )
    tracing = Tracing.start(config, exporter=InMemorySpanExporter())
    assert tracing.provider is not None
    assert isinstance(tracing.provider.id_generator, PresetIdGenerator)
    assert isinstance(tracing.provider.id_generator.inner, AwsXRayIdGenerator)
    carrier: dict[str, str] = {}
    with tracing.tracer("t").start_as_current_span("s"):
        from opentelemetry import propagate

        propagate.inject(carrier)
    assert set(carrier) == {"traceparent", "X-Amzn-Trace-Id"}
    Tracing.start(config_from(ENDPOINT), exporter=InMemorySpanExporter())  # back to the default


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OTEL_SDK_DISABLED": "yes"}, "OTEL_SDK_DISABLED"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4317"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        ({**ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
        ({**ENDPOINT, "OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER"),
        ({**ENDPOINT, "OTEL_TRACES_SAMPLER_ARG": "5%"}, "OTEL_TRACES_SAMPLER_ARG"),
        ({**ENDPOINT, "OTEL_TRACES_SAMPLER_ARG": "1.5"}, "OTEL_TRACES_SAMPLER_ARG"),
        ({**ENDPOINT, "OTEL_PROPAGATORS": "tracecontext,b3"}, "OTEL_PROPAGATORS"),
        ({**ENDPOINT, "OTEL_PYTHON_ID_GENERATOR": "uuid"}, "OTEL_PYTHON_ID_GENERATOR"),
        ({**ENDPOINT, "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment"}, "OTEL_RESOURCE_ATTRIBUTES"),
    ],
)
def test_a_bad_value_is_refused_with_one_line_naming_the_variable(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(TracingConfigError) as caught:
        config_from(environ)
    assert str(caught.value).startswith(named)
    assert "\n" not in str(caught.value)


def test_resource_attributes_skip_empty_items() -> None:
    assert parse_resource_attributes(" a=1, ,b = 2 ") == {"a": "1", "b": "2"}


# -- spans through an app


def _app(tracing: Tracing, *, downstream: httpx.AsyncClient | None = None) -> Starlette:
    errors = ErrorShape(request_id_field="request_id", trace_id_field="trace_id")

    async def hello(request: Request) -> Response:
        structlog.stdlib.get_logger("foundry_test.app").info("hello")
        if downstream is not None:
            answer = await downstream.get("http://downstream.test/echo")
            return JSONResponse(answer.json())
        return JSONResponse({"ok": True})

    async def fails(request: Request) -> Response:
        return errors.response(scope=request.scope, status=503, code="UNAVAILABLE", message="down")

    app = Starlette(
        routes=[Route("/hello", hello), Route("/fails", fails)],
        middleware=[
            Middleware(
                RequestContextMiddleware, access_log=StructlogAccessLog(logger_name="foundry_test.access")
            )
        ],
    )
    tracing.instrument_app(app)
    return app


def _echo_headers(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"traceparent": request.headers.get("traceparent")})


async def test_a_request_continues_the_callers_trace_and_passes_its_span_on() -> None:
    spans = InMemorySpanExporter()
    tracing = Tracing.start(config_from(ENDPOINT), exporter=spans)
    downstream = httpx.AsyncClient(transport=httpx.MockTransport(_echo_headers))
    tracing.instrument_httpx(downstream)
    app = _app(tracing, downstream=downstream)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as client:
        response = await client.get("/hello", headers={"traceparent": TRACEPARENT})
    finished = {span.name: span for span in spans.get_finished_spans()}
    server, call = finished["GET /hello"], finished["GET"]
    assert server.kind is SpanKind.SERVER and call.kind is SpanKind.CLIENT
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert server.parent is not None and format(server.parent.span_id, "016x") == PARENT_ID
    assert call.parent is not None and call.parent.span_id == server.context.span_id
    # The next hop got the client span as its parent, in the caller's trace.
    assert response.json()["traceparent"] == f"00-{TRACE_ID}-{format(call.context.span_id, '016x')}-01"
    assert server.resource.attributes["service.name"] == "api"
    assert server.resource.attributes["deployment.environment"] == "dev"


async def test_log_lines_and_error_bodies_carry_the_trace_id(json_log: JsonLog) -> None:
    json_log.start()
    spans = InMemorySpanExporter()
    app = _app(Tracing.start(config_from(ENDPOINT), exporter=spans))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as client:
        hello = await client.get("/hello", headers={"traceparent": TRACEPARENT})
        fails = await client.get("/fails")
    assert hello.status_code == 200
    lines = json_log.lines()
    by_event = {(line["event"], line.get("path")): line for line in lines}
    assert by_event[("hello", None)]["trace_id"] == TRACE_ID
    assert by_event[("request", "/hello")]["trace_id"] == TRACE_ID
    error = fails.json()["error"]
    assert error["request_id"] == fails.headers["x-request-id"]
    assert error["trace_id"] == by_event[("request", "/fails")]["trace_id"]
    assert error["trace_id"] in {format(span.context.trace_id, "032x") for span in spans.get_finished_spans()}


async def test_off_no_span_no_trace_id_and_the_callers_header_goes_on_untouched(json_log: JsonLog) -> None:
    json_log.start()
    tracing = Tracing.off()
    downstream = httpx.AsyncClient(transport=httpx.MockTransport(_echo_headers))
    tracing.instrument_httpx(downstream)
    app = _app(tracing, downstream=downstream)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as client:
        fails = await client.get("/fails")
    assert fails.json()["error"]["trace_id"] is None
    assert all("trace_id" not in line for line in json_log.lines())


def test_unsampled_requests_still_name_their_trace_in_logs() -> None:
    """A parent-based ratio drops the span, not the trace id: logs still lead to the caller's trace."""
    spans = InMemorySpanExporter()
    config = config_from({**ENDPOINT, "OTEL_TRACES_SAMPLER": "parentbased_always_off"})
    tracer = Tracing.start(config, exporter=spans).tracer("t")
    event: dict[str, object] = {}
    with tracer.start_as_current_span("root"):
        from foundry_runtime.trace_context import add_trace_context

        add_trace_context(logging.getLogger(), "info", event)
    assert spans.get_finished_spans() == ()
    assert isinstance(event["trace_id"], str) and len(event["trace_id"]) == 32


class _LeanApp(Starlette):
    """An app that answers one path before Starlette's middleware stack, as the api's lean route does."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/lean":
            await JSONResponse({"lean": True})(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def test_a_path_the_app_dispatches_itself_is_inside_the_server_span_too() -> None:
    spans = InMemorySpanExporter()
    app = _LeanApp(routes=[Route("/routed", lambda _: JSONResponse({"routed": True}))])
    Tracing.start(config_from(ENDPOINT), exporter=spans).instrument_app(app)
    assert isinstance(app, _LeanApp) and app.router.routes  # the same object, still the app's class
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as client:
        assert (await client.post("/lean")).json() == {"lean": True}
        assert (await client.get("/routed")).json() == {"routed": True}
    assert sorted(span.name for span in spans.get_finished_spans()) == ["GET /routed", "POST /lean"]
