"""`foundry-api serve` as the container runs it: a real process, SIGTERM, in-flight work drains."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx
from foundry_twin.issuer import LocalIssuer
from foundry_twin.otlp_receiver import OtlpReceiver
from foundry_twin.postgres import PostgresServer, free_port

if TYPE_CHECKING:
    from tests.conftest import AiStub


ASK = 'mutation { askAi(input: {prompt: "[slow] drain me"}) { __typename ... on AskAiPayload { aiRequest { answer } } } }'


TRACE_ID = "1f2e3d4c5b6a79881f2e3d4c5b6a7988"
TRACEPARENT = f"00-{TRACE_ID}-a1b2c3d4e5f60718-01"


def test_sigterm_drains_in_flight_requests(
    postgres: PostgresServer, issuer: LocalIssuer, s3_endpoint: str, ai_stub: AiStub, uploads_bucket: str
) -> None:
    """Also traced as the platform runs it: the in-flight request's spans (its SQL statements too)
    still reach the collector after SIGTERM, and its log lines name its trace."""
    port = free_port()
    collector = OtlpReceiver().start()
    env = {
        **os.environ,
        "PORT": str(port),
        "FOUNDRY_ENV": "local",
        "DATABASE_URL": postgres.create_database("serve_drain"),
        "DATABASE_SSLMODE": "disable",
        "UPLOADS_BUCKET": uploads_bucket,
        "S3_ENDPOINT_URL": s3_endpoint,
        "CLERK_JWKS_URL": issuer.jwks_url,
        "CLERK_ISSUER": issuer.issuer,
        "CLERK_AUTHORIZED_PARTIES": issuer.default_azp,
        "AI_SERVICE_URL": ai_stub.url,
        "AI_INTERNAL_API_KEY": ai_stub.api_key,
        "AI_REQUEST_TIMEOUT_SECONDS": "10",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "OTEL_RESOURCE_ATTRIBUTES": "service.version=img-42",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "foundry_api", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "api exited during start-up"
            assert time.monotonic() < deadline, "api did not become ready within 30 s"
            time.sleep(0.1)

        result: dict[str, Any] = {}

        def ask() -> None:
            token = issuer.mint(sub="user_drain", azp=issuer.default_azp)
            response = httpx.post(
                base + "/graphql",
                json={"query": ASK},
                headers={"Authorization": f"Bearer {token}", "traceparent": TRACEPARENT},
                timeout=20,
            )
            result["status"] = response.status_code
            result["body"] = response.json()
            result["request_id"] = response.headers.get("X-Request-Id")

        in_flight = threading.Thread(target=ask)
        in_flight.start()
        time.sleep(0.8)  # the stub holds this request for 3 s
        process.send_signal(signal.SIGTERM)
        in_flight.join(timeout=20)
        # uvicorn re-raises the captured SIGTERM after its graceful shutdown, as a signal-terminated exit.
        assert process.wait(timeout=20) in (0, -signal.SIGTERM)
        spans = collector.wait_for(lambda found: any(s.name == "POST /graphql" for s in found))
    finally:
        collector.stop()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        output = process.stdout.read().decode() if process.stdout else ""
        if process.stdout:
            process.stdout.close()
    assert result["status"] == 200, output
    assert result["body"]["data"]["askAi"]["aiRequest"]["answer"] == "late"
    log_lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "api_stopped" for line in log_lines), output
    assert all("request_id" in line for line in log_lines if line.get("event") == "request")
    # foundry_runtime's request context and access line, as the app wires them: the id the api made
    # and answered with names the request's one JSON access line.
    requests = [line for line in log_lines if line.get("event") == "request"]
    (access,) = [line for line in requests if line["request_id"] == result["request_id"]]
    assert (access["logger"], access["method"], access["path"], access["status"]) == (
        "foundry_api.access",
        "POST",
        "/graphql",
        200,
    )
    assert access["trace_id"] == TRACE_ID
    traced = [s for s in spans if s.trace_id == TRACE_ID]
    assert {s.service for s in traced} == {"api"}
    assert {s.resource["service.version"] for s in traced} == {"img-42"}
    [server] = [s for s in traced if s.name == "POST /graphql"]
    assert server.parent_id == "a1b2c3d4e5f60718"
    assert any(s.attributes.get("db.system") == "postgresql" for s in traced)
    assert any(str(s.attributes.get("http.url", "")).endswith("/v1/complete") for s in traced)
