"""`foundry-ai` through its real entry point: one-line config errors, JSON logs and EMF lines on
stdout, serving on $PORT, SIGTERM drain."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from foundry_contract import INTERNAL_API_KEY_HEADER, Service, env_vars_for
from foundry_twin.ai_stub import AiStub
from foundry_twin.otlp_receiver import OtlpReceiver

START_TIMEOUT_SECONDS = 20.0


def _clean_env(**values: str) -> dict[str, str]:
    names = {var.name for var in env_vars_for(Service.AI, include_local_only=True)}
    env = {k: v for k, v in os.environ.items() if k not in names}
    return {**env, **values}


def test_missing_configuration_exits_2_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "foundry_ai"],
        env=_clean_env(FOUNDRY_ENV="prod"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("foundry-ai: invalid configuration:")
    assert "Traceback" not in result.stderr


def test_serves_on_port_logs_json_and_metrics_and_drains_on_sigterm() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with AiStub(script=[500, 200]) as stub:
        env = _clean_env(
            PORT=str(port),
            HOST="127.0.0.1",
            FOUNDRY_ENV="local",
            AI_INTERNAL_API_KEY="local-key",
            AI_UPSTREAM_BASE_URL=stub.base_url,
            AI_UPSTREAM_MODEL="stub",
            AI_RETRY_BACKOFF_INITIAL_SECONDS="0.01",
            AI_RETRY_JITTER_SECONDS="0",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "foundry_ai"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while True:
                try:
                    health = httpx.get(f"{base}/healthz", timeout=2)
                    assert health.status_code == 200
                    break
                except httpx.TransportError:
                    assert process.poll() is None, "foundry-ai exited early"
                    assert time.monotonic() < deadline, "foundry-ai did not start"
                    time.sleep(0.05)
            response = httpx.post(
                f"{base}/v1/complete",
                json={"prompt": "hi"},
                headers={INTERNAL_API_KEY_HEADER: "local-key", "X-Request-Id": "entry-1"},
                timeout=10,
            )
            assert response.status_code == 200
            assert response.headers["X-Request-Id"] == "entry-1"
            assert stub.call_count == 2
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)
    # uvicorn finishes its graceful shutdown, then re-raises the signal it caught (so exit by SIGTERM).
    assert process.returncode in (0, -signal.SIGTERM)
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    events = {record.get("event") for record in records}
    assert {"ai_started", "upstream_error", "completion", "request", "ai_stopped"} <= events
    upstream_error = next(r for r in records if r.get("event") == "upstream_error")
    assert upstream_error["request_id"] == "entry-1"
    assert upstream_error["level"] == "warning"
    emf = [r for r in records if "_aws" in r and "UpstreamErrors" in r]
    assert [(r["ErrorCode"], r["request_id"]) for r in emf] == [("UPSTREAM_ERROR", "entry-1")]
    # foundry_runtime's request context and access line, as the app wires them: one JSON line per
    # request, under the id the caller sent or the one the app made and answered with.
    access = {r["request_id"]: r for r in records if r.get("event") == "request"}
    made = health.headers["X-Request-Id"]
    assert made != "entry-1"
    assert {
        rid: (r["logger"], r["method"], r["path"], r["status"])
        for rid, r in access.items()
        if rid in (made, "entry-1")
    } == {
        made: ("foundry_ai.access", "GET", "/healthz", 200),
        "entry-1": ("foundry_ai.access", "POST", "/v1/complete", 200),
    }


TRACE_ID = "8a3c60f7d188f8fa79d48a391a778fa6"
TRACEPARENT = f"00-{TRACE_ID}-53995c3f42cd8ad8-01"


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_traced_it_exports_by_otlp_and_every_request_log_line_names_the_trace(protocol: str) -> None:
    """The real entry point with the platform's variables: spans reach the collector over either
    transport with the resource the platform set; a parent-based ratio of 0 keeps a sampled caller's
    trace and drops new ones, whose log lines still carry a trace id."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with AiStub() as stub, OtlpReceiver(protocol=protocol) as collector:  # type: ignore[arg-type]
        env = _clean_env(
            PORT=str(port),
            HOST="127.0.0.1",
            FOUNDRY_ENV="dev",
            AI_INTERNAL_API_KEY="local-key",
            AI_UPSTREAM_BASE_URL=stub.base_url,
            AI_UPSTREAM_MODEL="stub",
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint,
            OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
            OTEL_RESOURCE_ATTRIBUTES="deployment.environment=prod,service.version=img-1a2b3c",
            OTEL_TRACES_SAMPLER="parentbased_traceidratio",
            OTEL_TRACES_SAMPLER_ARG="0",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "foundry_ai"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while True:
                try:
                    httpx.get(f"{base}/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    assert process.poll() is None, "foundry-ai exited early"
                    assert time.monotonic() < deadline, "foundry-ai did not start"
                    time.sleep(0.05)
            for request_id, headers in (("traced-1", {"traceparent": TRACEPARENT}), ("new-1", {})):
                response = httpx.post(
                    f"{base}/v1/complete",
                    json={"prompt": "hi"},
                    headers={INTERNAL_API_KEY_HEADER: "local-key", "X-Request-Id": request_id, **headers},
                    timeout=10,
                )
                assert response.status_code == 200
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)  # the provider's shutdown flushes the batch
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)
        spans = collector.wait_for(lambda found: any(s.name == "POST /v1/complete" for s in found))
    assert {(s.name, s.trace_id) for s in spans} == {
        ("POST /v1/complete", TRACE_ID),
        ("chat stub", TRACE_ID),
        ("POST", TRACE_ID),
    }
    resource = spans[0].resource
    assert resource["service.name"] == "ai"
    assert resource["deployment.environment"] == "prod"
    assert resource["service.version"] == "img-1a2b3c"
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    traced = [r for r in records if r.get("request_id") == "traced-1" and "event" in r]
    assert {r["event"] for r in traced} >= {"completion", "request"}
    assert {r["trace_id"] for r in traced} == {TRACE_ID}
    untraced = [r for r in records if r.get("request_id") == "new-1" and "event" in r]
    assert untraced and all(len(r["trace_id"]) == 32 and r["trace_id"] != TRACE_ID for r in untraced)
    assert not any(s.trace_id == untraced[0]["trace_id"] for s in spans)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OTEL_TRACES_SAMPLER_ARG", "ten percent"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift"),
        ("OTEL_PROPAGATORS", "tracecontext,b3"),
    ],
)
def test_a_bad_tracing_variable_exits_2_with_one_line(variable: str, value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "foundry_ai"],
        env=_clean_env(
            FOUNDRY_ENV="local",
            AI_INTERNAL_API_KEY="k",
            AI_UPSTREAM_BASE_URL="http://127.0.0.1:9/v1",
            AI_UPSTREAM_MODEL="m",
            OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318",
            **{variable: value},
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"foundry-ai: invalid configuration: {variable}")
    assert result.stderr.count("\n") == 1
