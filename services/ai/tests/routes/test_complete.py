"""Acceptance tests: the ai app and the upstream stub as real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest
from foundry_ai.upstream.breaker import BreakerState
from foundry_contract import INTERNAL_API_KEY_HEADER
from foundry_contract.metrics import AI_METRICS_NAMESPACE, UPSTREAM_ERRORS, UPSTREAM_REQUESTS
from foundry_twin.ai_stub import HANG, AiStub, answer_for
from structlog.testing import capture_logs

if TYPE_CHECKING:
    from tests.conftest import RunningAi

StartAi = Callable[..., "RunningAi"]


def _error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, object] = body["error"]
    assert set(error) == {"code", "message", "request_id", "trace_id"}
    return error


# -- authentication


def test_missing_key_is_401(ai: RunningAi) -> None:
    with ai.client(key=None) as client:
        response = client.post("/v1/complete", json={"prompt": "hi"})
    assert response.status_code == 401
    assert _error(response)["code"] == "UNAUTHENTICATED"


def test_wrong_key_is_401(ai: RunningAi, stub: AiStub) -> None:
    with ai.client(key="not-the-key") as client:
        response = client.post("/v1/complete", json={"prompt": "hi"})
    assert response.status_code == 401
    assert _error(response)["code"] == "UNAUTHENTICATED"
    assert stub.call_count == 0


def test_right_key_answers_with_the_upstream_completion(ai: RunningAi, stub: AiStub) -> None:
    response = ai.complete("what is foundry?")
    assert response.status_code == 200
    body = response.json()
    assert body["answer"] == answer_for("what is foundry?", max_tokens=ai.settings.ai_max_output_tokens)
    assert body["model"] == "stub-model"
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert (
        body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )
    assert isinstance(body["latency_ms"], int)
    assert stub.call_count == 1
    sent = stub.calls[0]
    assert sent.authorization == "Bearer test-upstream-key"
    assert sent.body["model"] == "stub-model"
    assert sent.body["messages"] == [{"role": "user", "content": "what is foundry?"}]


def test_unknown_route_needs_the_key_too(ai: RunningAi) -> None:
    with ai.client(key=None) as client:
        assert client.get("/v1/nothing").status_code == 401
    with ai.client() as client:
        response = client.get("/v1/nothing")
    assert response.status_code == 404
    assert _error(response)["code"] == "NOT_FOUND"


def test_health_and_readiness_need_no_key(ai: RunningAi) -> None:
    with ai.client(key=None) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").status_code == 200
        ai.lifecycle.draining = True
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200


def test_request_id_is_echoed_and_sent_upstream(ai: RunningAi, stub: AiStub) -> None:
    response = ai.complete("hi", **{"X-Request-Id": "req-123"})
    assert response.headers["X-Request-Id"] == "req-123"
    assert stub.calls[0].request_id == "req-123"


# -- validation


def test_empty_prompt_is_rejected_without_calling_upstream(ai: RunningAi, stub: AiStub) -> None:
    response = ai.complete("")
    assert response.status_code == 422
    assert _error(response)["code"] == "INVALID_REQUEST"
    assert stub.call_count == 0


def test_prompt_longer_than_the_setting_is_rejected_and_not_echoed(start_ai: StartAi, stub: AiStub) -> None:
    ai = start_ai(ai_prompt_max_chars=10)
    response = ai.complete("secret-words " * 3)
    assert response.status_code == 422
    assert "secret-words" not in response.text
    assert stub.call_count == 0


def test_max_tokens_over_the_limit_is_rejected(ai: RunningAi) -> None:
    with ai.client() as client:
        response = client.post("/v1/complete", json={"prompt": "hi", "max_tokens": 10**6})
    assert response.status_code == 422


# -- retries


def test_two_server_errors_then_success_takes_exactly_three_calls(ai: RunningAi, stub: AiStub) -> None:
    stub.configure(script=[500, 500, 200])
    response = ai.complete()
    assert response.status_code == 200
    assert stub.call_count == 3


def test_persistent_server_errors_give_up_after_max_attempts(ai: RunningAi, stub: AiStub) -> None:
    stub.configure(script=[503, 503, 503, 503])
    response = ai.complete()
    assert response.status_code == 502
    assert _error(response)["code"] == "UPSTREAM_ERROR"
    assert stub.call_count == ai.settings.ai_max_attempts == 3


def test_bad_request_from_upstream_is_not_retried(ai: RunningAi, stub: AiStub) -> None:
    stub.configure(script=[400, 200])
    response = ai.complete()
    assert response.status_code == 502
    assert _error(response)["code"] == "UPSTREAM_REJECTED"
    assert stub.call_count == 1
    assert ai.gateway.breaker.consecutive_failures == 0


def test_rate_limit_retry_after_is_honoured(ai: RunningAi, stub: AiStub) -> None:
    # Backoff is 0.01 s in these settings, so a wait of at least 0.4 s can only be Retry-After's.
    stub.configure(script=[429, 200], retry_after="0.4")
    started = time.monotonic()
    response = ai.complete()
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.4
    assert stub.call_count == 2


def test_retry_after_beyond_the_deadline_fails_fast_as_rate_limited(ai: RunningAi, stub: AiStub) -> None:
    stub.configure(script=[429, 200], retry_after="120")
    started = time.monotonic()
    response = ai.complete()
    assert time.monotonic() - started < ai.settings.ai_deadline_seconds
    assert response.status_code == 503
    assert _error(response)["code"] == "UPSTREAM_RATE_LIMITED"
    assert int(response.headers["Retry-After"]) >= 1
    assert stub.call_count == 1


# -- deadline


def test_hanging_upstream_times_out_within_the_deadline(start_ai: StartAi, stub: AiStub) -> None:
    ai = start_ai(ai_deadline_seconds=0.5, ai_read_timeout_seconds=10.0)
    stub.configure(hang=True, hang_seconds=10.0)
    started = time.monotonic()
    response = ai.complete()
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert _error(response)["code"] == "UPSTREAM_TIMEOUT"
    assert elapsed < 0.5 + 2.0
    assert stub.call_count == 1


def test_read_timeouts_are_retried_within_the_deadline(start_ai: StartAi, stub: AiStub) -> None:
    ai = start_ai(ai_deadline_seconds=5.0, ai_read_timeout_seconds=0.5)
    stub.configure(script=[HANG, 200], hang_seconds=5.0)
    response = ai.complete()
    assert response.status_code == 200
    assert stub.call_count == 2


# -- circuit breaker


def test_breaker_opens_after_threshold_failures_and_fails_fast(start_ai: StartAi, stub: AiStub) -> None:
    ai = start_ai(ai_max_attempts=1, ai_breaker_failure_threshold=2, ai_breaker_reset_seconds=30)
    stub.configure(failure_rate=1.0)
    assert [ai.complete().status_code for _ in range(2)] == [502, 502]
    assert ai.gateway.breaker.state is BreakerState.OPEN
    response = ai.complete()
    assert response.status_code == 503
    assert _error(response)["code"] == "CIRCUIT_OPEN"
    assert "Retry-After" in response.headers
    assert stub.call_count == 2


def test_breaker_half_opens_after_reset_and_a_successful_trial_closes_it(
    start_ai: StartAi, stub: AiStub
) -> None:
    ai = start_ai(ai_max_attempts=1, ai_breaker_failure_threshold=2, ai_breaker_reset_seconds=0.3)
    stub.configure(failure_rate=1.0)
    for _ in range(2):
        ai.complete()
    assert ai.complete().status_code == 503
    stub.configure(failure_rate=0.0)
    time.sleep(0.4)
    assert ai.complete().status_code == 200  # the trial call
    assert ai.gateway.breaker.state is BreakerState.CLOSED
    assert ai.complete().status_code == 200
    assert stub.call_count == 4


def test_failed_trial_reopens_the_breaker(start_ai: StartAi, stub: AiStub) -> None:
    ai = start_ai(ai_max_attempts=1, ai_breaker_failure_threshold=1, ai_breaker_reset_seconds=1.0)
    stub.configure(failure_rate=1.0)
    assert ai.complete().status_code == 502
    time.sleep(1.1)
    assert ai.complete().status_code == 502  # the trial reached upstream and failed
    assert ai.gateway.breaker.state is BreakerState.OPEN
    assert _error(ai.complete())["code"] == "CIRCUIT_OPEN"
    assert stub.call_count == 2


async def test_half_open_lets_exactly_one_trial_through(start_ai: StartAi, stub: AiStub) -> None:
    ai = start_ai(ai_max_attempts=1, ai_breaker_failure_threshold=1, ai_breaker_reset_seconds=0.3)
    stub.configure(failure_rate=1.0)
    await asyncio.to_thread(ai.complete)
    await asyncio.sleep(0.4)
    stub.configure(failure_rate=0.0, latency_ms=400)
    async with ai.async_client() as client:
        responses = await asyncio.gather(
            *(client.post("/v1/complete", json={"prompt": f"p{i}"}) for i in range(3))
        )
    assert sorted(r.status_code for r in responses) == [200, 503, 503]
    assert stub.call_count == 2


# -- concurrency


async def test_requests_over_the_concurrency_limit_get_overloaded(start_ai: StartAi, stub: AiStub) -> None:
    ai = start_ai(ai_max_concurrency=1, ai_queue_timeout_seconds=0.05)
    stub.configure(latency_ms=500)
    async with ai.async_client() as client:
        responses = await asyncio.gather(
            *(client.post("/v1/complete", json={"prompt": f"p{i}"}) for i in range(2))
        )
    codes = sorted((r.status_code, r.json().get("error", {}).get("code")) for r in responses)
    assert codes == [(200, None), (503, "OVERLOADED")]
    assert stub.call_count == 1
    assert ai.gateway.breaker.consecutive_failures == 0


# -- observability


def test_each_upstream_error_emits_an_emf_metric_and_a_log_event(
    ai: RunningAi, stub: AiStub, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.configure(script=[500, 429, 200], retry_after="0")
    capsys.readouterr()
    with capture_logs() as logs:
        response = ai.complete("hi", **{"X-Request-Id": "req-obs"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    errors = [line for line in lines if UPSTREAM_ERRORS in line]
    requests = [line for line in lines if UPSTREAM_REQUESTS in line]
    assert [e["ErrorCode"] for e in errors] == ["UPSTREAM_ERROR", "UPSTREAM_RATE_LIMITED"]
    assert len(requests) == 3
    for line in errors:
        directive = line["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == AI_METRICS_NAMESPACE
        assert ["Service", "Environment"] in directive["Dimensions"]
        assert line["Service"] == "ai"
        assert line["Environment"] == line["environment"]
        assert line["request_id"] == "req-obs"
    events = [e for e in logs if e["event"] == "upstream_error"]
    assert [(e["code"], e["upstream_status"], e["attempt"]) for e in events] == [
        ("UPSTREAM_ERROR", 500, 1),
        ("UPSTREAM_RATE_LIMITED", 429, 2),
    ]
    assert all(e["log_level"] == "warning" and e["request_id"] == "req-obs" for e in events)


def test_a_deadline_timeout_is_counted_as_an_upstream_error(
    start_ai: StartAi, stub: AiStub, capsys: pytest.CaptureFixture[str]
) -> None:
    ai = start_ai(ai_deadline_seconds=0.3, ai_read_timeout_seconds=10.0)
    stub.configure(hang=True, hang_seconds=5.0)
    capsys.readouterr()
    with capture_logs() as logs:
        assert ai.complete().status_code == 504
    errors = [json.loads(x) for x in capsys.readouterr().out.splitlines() if UPSTREAM_ERRORS in x]
    assert [e["ErrorCode"] for e in errors] == ["UPSTREAM_TIMEOUT"]
    assert [e["code"] for e in logs if e["event"] == "upstream_error"] == ["UPSTREAM_TIMEOUT"]


def test_errors_never_carry_a_stack_trace(start_ai: StartAi, stub: AiStub) -> None:
    ai = start_ai(ai_max_attempts=1)
    stub.configure(script=[500])
    response = ai.complete()
    assert "Traceback" not in response.text
    assert _error(response)["request_id"] == response.headers["X-Request-Id"]


# -- OpenAPI docs


def test_docs_are_served_in_development(ai: RunningAi) -> None:
    with ai.client(key=None) as client:
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_docs_are_off_in_staging_and_prod(start_ai: StartAi, env: str) -> None:
    ai = start_ai(foundry_env=env, ai_internal_api_key="k" * 32)
    with ai.client(key="k" * 32) as client:
        for path in ("/docs", "/openapi.json", "/redoc"):
            assert client.get(path).status_code == 404, path


def test_the_key_header_name_comes_from_the_contract() -> None:
    assert INTERNAL_API_KEY_HEADER == "X-Internal-Api-Key"
