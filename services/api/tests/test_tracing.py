"""One askAi request, one trace: browser → edge → api (and its SQL statements) → ai → the provider,
every hop a real server on 127.0.0.1 with its own tracer provider (service.name edge, api, ai), all
recording into one in-memory exporter; parentage follows the W3C traceparent each hop sends on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from foundry_ai.core.config import Settings as AiSettings
from foundry_ai.main import create_app as create_ai_app
from foundry_runtime.tracing import Tracing, TracingConfig
from foundry_twin.ai_stub import AiStub
from foundry_twin.edge import EdgeServer, create_edge_app
from foundry_twin.issuer import LocalIssuer
from foundry_twin.serving import BackgroundServer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import SecretStr

if TYPE_CHECKING:
    from tests.conftest import RunningApi

BROWSER_TRACE_ID = "5b8efff798038103d269b633813fc60c"
BROWSER_SPAN_ID = "eee19b7ec3c1b174"
TRACEPARENT = f"00-{BROWSER_TRACE_ID}-{BROWSER_SPAN_ID}-01"
AI_KEY = "test-internal-key"  # the api's settings in conftest.make_settings
MODEL = "trace-model"
WEB_ORIGIN = "http://127.0.0.1:5173"
SPANS_WAIT_SECONDS = 10.0
ASK = """
mutation Ask($prompt: String!) {
  askAi(input: { prompt: $prompt }) {
    __typename
    ... on AskAiPayload { aiRequest { id answer model } }
    ... on UserError { code message }
  }
}
"""


def _tracing(service: str, spans: InMemorySpanExporter) -> Tracing:
    config = TracingConfig.from_environ({}, service_name=service, environment="local", version="test")
    return Tracing.start(config, exporter=spans)


@dataclass
class Chain:
    edge_url: str
    api: RunningApi
    upstream: AiStub
    spans: InMemorySpanExporter


@pytest.fixture(scope="module")
def chain(
    start_api_with: Callable[..., RunningApi], api_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Chain]:
    spans = InMemorySpanExporter()
    web_root: Path = tmp_path_factory.mktemp("web")
    (web_root / "index.html").write_text("<!doctype html>")
    with AiStub(model=MODEL) as upstream:
        ai_settings = AiSettings(
            foundry_env="local",
            ai_internal_api_key=SecretStr(AI_KEY),
            ai_upstream_base_url=upstream.base_url,
            ai_upstream_model=MODEL,
        )
        ai_app = create_ai_app(ai_settings, tracing=_tracing("ai", spans))
        with BackgroundServer(ai_app, name="ai", log_config=None, lifespan="on") as ai:
            api = start_api_with(database_url=api_database_url, ai_url=ai.url, tracing=_tracing("api", spans))
            edge_app = create_edge_app(
                api_origin=api.url,
                web_root=web_root,
                origin_verify_secret="origin-secret",
                tracing=_tracing("edge", spans),
            )
            with EdgeServer(edge_app) as edge:
                yield Chain(edge_url=edge.url, api=api, upstream=upstream, spans=spans)


def _trace(
    spans: InMemorySpanExporter, trace_id: str, *, until: Callable[[list[ReadableSpan]], bool]
) -> list[ReadableSpan]:
    """The trace's finished spans once `until` holds: a server span ends after its response has left,
    so the caller may hold the answer a moment before its span is recorded (bounded wait)."""
    deadline = time.monotonic() + SPANS_WAIT_SECONDS
    while True:
        found = [s for s in spans.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id]
        if until(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def _service(span: ReadableSpan) -> Any:
    return span.resource.attributes["service.name"]


def _every_hop_served(found: list[ReadableSpan]) -> bool:
    """Each hop's server span has ended. Each ends after its own response has left, in its own
    server's thread, so the edge's can end before the api's or ai's (make test saw it once)."""
    served = {_service(s) for s in found if s.kind is SpanKind.SERVER}
    return served >= {"edge", "api", "ai"}


def _one(spans: list[ReadableSpan], *, service: str, name: str) -> ReadableSpan:
    [span] = [s for s in spans if _service(s) == service and s.name == name]
    return span


def _parent_of(span: ReadableSpan, spans: list[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    matches = [s for s in spans if s.context.span_id == span.parent.span_id]
    return matches[0] if matches else None


def _path_to_root(span: ReadableSpan, spans: list[ReadableSpan]) -> list[tuple[str, str]]:
    path = []
    current: ReadableSpan | None = span
    while current is not None:  # bounded: every step moves to a distinct, earlier span
        path.append((_service(current), current.name))
        current = _parent_of(current, spans)
    return path


def test_an_ask_through_the_edge_is_one_trace_from_the_browser_to_the_provider(
    chain: Chain, issuer: LocalIssuer, sub: str
) -> None:
    token = issuer.mint(sub=sub, azp=WEB_ORIGIN)
    response = httpx.post(
        chain.edge_url + "/graphql",
        json={"query": ASK, "variables": {"prompt": "How long is a piece of string?"}},
        headers={"Authorization": f"Bearer {token}", "traceparent": TRACEPARENT},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["askAi"]["__typename"] == "AskAiPayload", response.text
    spans = _trace(
        chain.spans,
        BROWSER_TRACE_ID,
        until=_every_hop_served,
    )
    edge = _one(spans, service="edge", name="POST /graphql")
    edge_call = _one(spans, service="edge", name="POST")
    api = _one(spans, service="api", name="POST /graphql")
    ai = _one(spans, service="ai", name="POST /v1/complete")
    chat = _one(spans, service="ai", name=f"chat {MODEL}")
    upstream_call = _one(spans, service="ai", name="POST")
    # The edge continues the browser's span; each hop's parent is the previous hop's client span.
    assert edge.kind is SpanKind.SERVER and edge.parent is not None
    assert format(edge.parent.span_id, "016x") == BROWSER_SPAN_ID
    assert _path_to_root(upstream_call, spans) == [
        ("ai", "POST"),
        ("ai", f"chat {MODEL}"),
        ("ai", "POST /v1/complete"),
        *_path_to_root(_parent_of(ai, spans) or ai, spans),
    ]
    ai_call = _parent_of(ai, spans)
    assert ai_call is not None and _service(ai_call) == "api" and ai_call.kind is SpanKind.CLIENT
    assert str((ai_call.attributes or {})["http.url"]).endswith("/v1/complete")
    assert _parent_of(edge_call, spans) is edge and _parent_of(api, spans) is edge_call
    assert api in [_parent_of(ai_call, spans), *(_ancestors(ai_call, spans))]
    # The api's Postgres statements are spans of the request too.
    statements = [
        s for s in spans if _service(s) == "api" and (s.attributes or {}).get("db.system") == "postgresql"
    ]
    assert statements, [(_service(s), s.name, dict(s.attributes or {})) for s in spans]
    assert all(api in _ancestors(s, spans) for s in statements)
    assert any("INSERT" in str((s.attributes or {}).get("db.statement", "")) for s in statements)
    # The provider call follows the GenAI conventions, and the provider got the trace.
    attributes = chat.attributes or {}
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == MODEL
    assert int(str(attributes["gen_ai.usage.input_tokens"])) > 0
    assert int(str(attributes["gen_ai.usage.output_tokens"])) > 0
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    [call] = chain.upstream.calls
    assert call.traceparent == f"00-{BROWSER_TRACE_ID}-{format(upstream_call.context.span_id, '016x')}-01"
    # Every service names the same versioned resource.
    assert {_service(s) for s in spans} == {"edge", "api", "ai"}
    assert all(s.resource.attributes["deployment.environment"] == "local" for s in spans)


def _ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[ReadableSpan]:
    found = []
    current = _parent_of(span, spans)
    while current is not None:  # bounded: every step moves to a distinct, earlier span
        found.append(current)
        current = _parent_of(current, spans)
    return found


def test_a_refused_request_names_its_trace_beside_its_request_id(chain: Chain) -> None:
    response = httpx.post(
        chain.api.url + "/graphql", json={"query": "{ viewer { id } }"}, headers={"traceparent": TRACEPARENT}
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["requestId"] == response.headers["x-request-id"]
    assert error["traceId"] == BROWSER_TRACE_ID


def test_without_a_traceparent_the_edge_starts_the_trace(chain: Chain) -> None:
    response = httpx.get(chain.edge_url + "/api/healthz", timeout=10)
    assert response.status_code == 200
    edges = [
        s for s in chain.spans.get_finished_spans() if s.name == "GET /api/healthz" and _service(s) == "edge"
    ]
    deadline = time.monotonic() + SPANS_WAIT_SECONDS
    while not edges and time.monotonic() < deadline:  # bounded: see _trace
        time.sleep(0.01)
        edges = [
            s
            for s in chain.spans.get_finished_spans()
            if s.name == "GET /api/healthz" and _service(s) == "edge"
        ]
    [edge] = edges
    assert edge.parent is None
    trace_id = format(edge.context.trace_id, "032x")
    api_spans = _trace(chain.spans, trace_id, until=lambda found: any(_service(s) == "api" for s in found))
    assert [s.name for s in api_spans if _service(s) == "api"] == ["GET /api/healthz"]


def test_an_ask_the_caller_left_unsampled_records_nothing_on_any_hop_and_says_so_onwards(
    chain: Chain, issuer: LocalIssuer, sub: str
) -> None:
    """Prod's head sampling: a dropped trace costs no span anywhere (no server, client, statement or
    GenAI span), and each hop tells the next one, down to the provider, that the trace is unsampled."""
    unsampled_trace = "7c1f0e5a3b9d4c2e8f6a1b3c5d7e9f01"
    token = issuer.mint(sub=sub, azp=WEB_ORIGIN)

    def ask(traceparent: str) -> None:
        response = httpx.post(
            chain.edge_url + "/graphql",
            json={"query": ASK, "variables": {"prompt": "Sampled or not?"}},
            headers={"Authorization": f"Bearer {token}", "traceparent": traceparent},
            timeout=30,
        )
        assert response.json()["data"]["askAi"]["__typename"] == "AskAiPayload", response.text

    ask(f"00-{unsampled_trace}-{BROWSER_SPAN_ID}-00")
    provider_saw = chain.upstream.calls[-1].traceparent
    assert provider_saw is not None and provider_saw.split("-")[1::2] == [unsampled_trace, "00"]
    # A sampled ask after it: once its edge span has ended, the unsampled one's would have too.
    sampled_trace = "2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a0c"
    ask(f"00-{sampled_trace}-{BROWSER_SPAN_ID}-01")
    after = _trace(
        chain.spans,
        sampled_trace,
        until=_every_hop_served,
    )
    assert {_service(s) for s in after} == {"edge", "api", "ai"}
    assert not [
        s for s in chain.spans.get_finished_spans() if format(s.context.trace_id, "032x") == unsampled_trace
    ]
