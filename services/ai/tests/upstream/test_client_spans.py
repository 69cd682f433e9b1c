"""The provider call as OpenTelemetry's GenAI conventions describe it, on a real ai and the real
upstream stub on 127.0.0.1: a CLIENT span "chat MODEL" under ai's server span, the HTTP call under it
carrying its traceparent to the provider, tokens and finish reasons, and no prompt unless opted in.
https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from foundry_runtime.tracing import Tracing, TracingConfig
from foundry_twin.ai_stub import AiStub, StubBehaviour
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

if TYPE_CHECKING:
    from tests.conftest import RunningAi

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"
SPANS_WAIT_SECONDS = 10.0
MODEL = "stub-model"
UPSTREAM_KEY = "test-upstream-key"


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def traced_ai(start_ai: Callable[..., RunningAi], spans: InMemorySpanExporter) -> Callable[..., RunningAi]:
    def start(**overrides: object) -> RunningAi:
        config = TracingConfig.from_environ({}, service_name="ai", environment="local", version="test")
        return start_ai(tracing=Tracing.start(config, exporter=spans), **overrides)

    return start


def finished(spans: InMemorySpanExporter, *, until: str) -> dict[str, ReadableSpan]:
    """The finished spans by name, once `until` has ended: a server span ends after its response has
    left, so the client may hold the answer a moment before (bounded wait)."""
    deadline = time.monotonic() + SPANS_WAIT_SECONDS
    while True:
        found = {span.name: span for span in spans.get_finished_spans()}
        if until in found or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def test_the_provider_call_is_a_genai_client_span_between_ai_and_the_upstream(
    traced_ai: Callable[..., RunningAi], spans: InMemorySpanExporter, stub: AiStub
) -> None:
    response = traced_ai().complete("What is two and two?", traceparent=TRACEPARENT)
    assert response.status_code == 200, response.text
    found = finished(spans, until="POST /v1/complete")
    server, chat, http = found["POST /v1/complete"], found[f"chat {MODEL}"], found["POST"]
    assert {format(s.context.trace_id, "032x") for s in (server, chat, http)} == {TRACE_ID}
    assert server.kind is SpanKind.SERVER and server.parent is not None
    assert format(server.parent.span_id, "016x") == CALLER_SPAN_ID
    assert chat.kind is SpanKind.CLIENT and chat.parent is not None
    assert chat.parent.span_id == server.context.span_id
    assert http.kind is SpanKind.CLIENT and http.parent is not None
    assert http.parent.span_id == chat.context.span_id
    # The provider received the HTTP span as its parent: the trace goes on upstream.
    [call] = stub.calls
    assert call.traceparent == f"00-{TRACE_ID}-{format(http.context.span_id, '016x')}-01"
    body = response.json()
    attributes = dict(chat.attributes or {})
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.system": "openai",
        "gen_ai.request.model": MODEL,
        "gen_ai.request.max_tokens": 1024,
        "gen_ai.response.model": body["model"],
        "gen_ai.usage.input_tokens": body["usage"]["prompt_tokens"],
        "gen_ai.usage.output_tokens": body["usage"]["completion_tokens"],
        "gen_ai.response.finish_reasons": ("stop",),
        "server.address": "127.0.0.1",
        "server.port": int(stub.base_url.split(":")[2].split("/")[0]),
    }
    assert body["usage"]["prompt_tokens"] > 0
    assert chat.resource.attributes["service.name"] == "ai"


def test_prompts_and_answers_are_recorded_only_when_opted_in(
    traced_ai: Callable[..., RunningAi], spans: InMemorySpanExporter
) -> None:
    traced_ai(otel_instrumentation_genai_capture_message_content=True).complete("secret plan")
    chat = finished(spans, until="POST /v1/complete")[f"chat {MODEL}"]
    assert '"content": "secret plan"' in str((chat.attributes or {})["gen_ai.input.messages"])
    assert "gen_ai.output.messages" in (chat.attributes or {})


def test_by_default_no_span_holds_the_prompt(
    traced_ai: Callable[..., RunningAi], spans: InMemorySpanExporter
) -> None:
    traced_ai().complete("secret plan")
    found = finished(spans, until="POST /v1/complete")
    assert all("secret plan" not in str(dict(s.attributes or {})) for s in found.values())
    assert "gen_ai.input.messages" not in (found[f"chat {MODEL}"].attributes or {})


def test_a_failed_attempt_is_an_error_span_and_the_body_names_the_trace(
    traced_ai: Callable[..., RunningAi], spans: InMemorySpanExporter, stub: AiStub
) -> None:
    stub.reset(StubBehaviour(api_key=UPSTREAM_KEY, model=MODEL, script=(500, 500, 500)))
    response = traced_ai().complete("hello", traceparent=TRACEPARENT)
    assert response.status_code == 502
    assert response.json()["error"]["trace_id"] == TRACE_ID
    finished(spans, until="POST /v1/complete")
    attempts = [s for s in spans.get_finished_spans() if s.name == f"chat {MODEL}"]
    assert len(attempts) == 3  # one span per attempt: retries are visible in the trace
    for attempt in attempts:
        assert attempt.status.status_code is StatusCode.ERROR
        assert (attempt.attributes or {})["error.type"] == "UPSTREAM_ERROR"


def test_untraced_ai_sends_no_traceparent_of_its_own(ai: RunningAi, stub: AiStub) -> None:
    assert ai.complete("hello").status_code == 200
    assert [call.traceparent for call in stub.calls] == [None]
