"""The edge's span (service.name `edge`): it continues the viewer's traceparent or starts a trace,
passes its own on to api, and its access line names the trace; untraced, the viewer's header goes
through untouched, as CloudFront forwards viewer headers to the api origin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from foundry_runtime.tracing import Tracing, TracingConfig
from foundry_twin.edge import EdgeServer, create_edge_app
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TRACE_ID = "c0ffee00c0ffee00c0ffee00c0ffee00"
VIEWER_SPAN_ID = "1234567890abcdef"
TRACEPARENT = f"00-{TRACE_ID}-{VIEWER_SPAN_ID}-01"
SPANS_WAIT_SECONDS = 10.0


async def _headers(request: Request) -> Response:
    return JSONResponse({"traceparent": request.headers.getlist("traceparent")})


@pytest.fixture(scope="module")
def api_origin() -> Iterator[EdgeServer]:
    with EdgeServer(Starlette(routes=[Route("/graphql", _headers, methods=["POST"])])) as server:
        yield server


@pytest.fixture(scope="module")
def web_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    (root / "index.html").write_text("<!doctype html>")
    return root


def _edge(api_origin: EdgeServer, web_root: Path, tracing: Tracing) -> EdgeServer:
    app = create_edge_app(
        api_origin=api_origin.url, web_root=web_root, origin_verify_secret="secret", tracing=tracing
    )
    return EdgeServer(app)


def _server_span(spans: InMemorySpanExporter) -> ReadableSpan:
    deadline = time.monotonic() + SPANS_WAIT_SECONDS
    while True:  # bounded: the edge's span ends just after its response has left
        found = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
        if found or time.monotonic() > deadline:
            [span] = found
            return span
        time.sleep(0.01)


def test_the_edge_continues_the_viewers_trace_and_hands_api_its_own_span(
    api_origin: EdgeServer, web_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spans = InMemorySpanExporter()
    config = TracingConfig.from_environ({}, service_name="edge", environment="local", version="test")
    with _edge(api_origin, web_root, Tracing.start(config, exporter=spans)) as edge:
        capsys.readouterr()
        response = httpx.post(edge.url + "/graphql", headers={"traceparent": TRACEPARENT}, timeout=10)
        server = _server_span(spans)
    [call] = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert server.name == "POST /graphql"
    assert server.resource.attributes["service.name"] == "edge"
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert server.parent is not None and format(server.parent.span_id, "016x") == VIEWER_SPAN_ID
    assert call.parent is not None and call.parent.span_id == server.context.span_id
    # One traceparent reaches api: the edge's, not the viewer's beside it.
    assert response.json()["traceparent"] == [f"00-{TRACE_ID}-{format(call.context.span_id, '016x')}-01"]
    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines() if text.startswith("{")]
    assert line["trace_id"] == TRACE_ID


def test_untraced_the_viewers_traceparent_reaches_api_as_sent(
    api_origin: EdgeServer, web_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _edge(api_origin, web_root, Tracing.off()) as edge:
        capsys.readouterr()
        response = httpx.post(edge.url + "/graphql", headers={"traceparent": TRACEPARENT}, timeout=10)
    assert response.json()["traceparent"] == [TRACEPARENT]
    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines() if text.startswith("{")]
    assert "trace_id" not in line


def test_a_bad_tracing_variable_stops_the_edge_with_one_line(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "foundry_twin.edge",
            "--port",
            "0",
            "--api-origin",
            "http://127.0.0.1:9",
            "--web-root",
            str(tmp_path),
            "--origin-verify-secret-file",
            str(secret),
        ],
        env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_PROPAGATORS": "b3"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("edge: OTEL_PROPAGATORS:")
    assert result.stderr.count("\n") == 1
