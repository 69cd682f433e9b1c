"""The AI upstream slow or failing: at most 3 upstream calls per user request, the breaker opens
(further requests never reach the upstream), and it closes again once the upstream recovers."""

import asyncio
import time
from collections import Counter

import httpx
from foundry_twin.faults.queries import ASK, post
from foundry_twin.faults.stack import INTERNAL_KEY, Stack

from .conftest import StackFactory

THRESHOLD = 3
RESET_SECONDS = 2.0
RECOVERY_DEADLINE_SECONDS = 20.0
MAX_UPSTREAM_CALLS_PER_REQUEST = 3


async def _ask(client: httpx.AsyncClient, stack: Stack, headers: dict[str, str]) -> tuple[str, float]:
    started = time.perf_counter()
    _, body = await post(client, stack, headers, ASK, prompt="are you there?")
    result = (body.get("data") or {}).get("askAi") or {}
    return str(
        result.get("__typename") if result.get("__typename") == "AskAiPayload" else result.get("code")
    ), (time.perf_counter() - started)


def _calls_per_request(stack: Stack) -> Counter[str | None]:
    return Counter(call.request_id for call in stack.stub.calls if call.path.endswith("/chat/completions"))


async def test_retries_are_bounded_and_the_breaker_opens_and_closes(start_stack: StackFactory) -> None:
    stack = start_stack(
        ai_env={
            "AI_BREAKER_FAILURE_THRESHOLD": str(THRESHOLD),
            "AI_BREAKER_RESET_SECONDS": str(RESET_SECONDS),
            "AI_READ_TIMEOUT_SECONDS": "0.5",
            "AI_DEADLINE_SECONDS": "4",
            "AI_RETRY_BACKOFF_INITIAL_SECONDS": "0.01",
            "AI_RETRY_BACKOFF_MAX_SECONDS": "0.05",
            "AI_RETRY_JITTER_SECONDS": "0.01",
        },
        api_env={"AI_REQUEST_TIMEOUT_SECONDS": "6"},
    )
    headers = stack.headers("breaker")
    async with httpx.AsyncClient(timeout=15) as client:
        # Slow: every call hangs past the read timeout; one user request, at most three calls.
        stack.stub.reset()
        stack.stub.configure(hang=True, hang_seconds=3)
        outcome, slow_elapsed = await _ask(client, stack, headers)
        assert outcome == "AI_UNAVAILABLE"
        slow_calls = _calls_per_request(stack)
        assert 1 <= sum(slow_calls.values()) <= MAX_UPSTREAM_CALLS_PER_REQUEST, slow_calls

        # Failing: HTTP 500 on every call. THRESHOLD - 1 more failed requests open the breaker.
        stack.stub.reset()
        stack.stub.configure(hang=False, failure_rate=1.0, failure_status=500)
        for _ in range(THRESHOLD - 1):
            assert (await _ask(client, stack, headers))[0] == "AI_UNAVAILABLE"
        failing_calls = _calls_per_request(stack)
        assert max(failing_calls.values()) <= MAX_UPSTREAM_CALLS_PER_REQUEST, failing_calls
        assert sum(failing_calls.values()) <= MAX_UPSTREAM_CALLS_PER_REQUEST * (THRESHOLD - 1)

        # Open: requests fail fast and never reach the upstream; ai says why.
        before = stack.stub.call_count
        open_elapsed = [(await _ask(client, stack, headers))[1] for _ in range(5)]
        assert stack.stub.call_count == before, "an open breaker sends nothing upstream"
        direct = await client.post(
            f"{stack.urls['ai']}/v1/complete",
            json={"prompt": "x", "user": "u"},
            headers={"X-Internal-Api-Key": INTERNAL_KEY},
        )
        assert direct.status_code == 503
        assert direct.json()["error"]["code"] == "CIRCUIT_OPEN"

        # Recovery: the upstream answers again; after the reset time one trial closes the breaker.
        stack.stub.configure(failure_rate=0.0)
        recovered_at = time.monotonic()
        while (await _ask(client, stack, headers))[0] != "AskAiPayload":
            assert time.monotonic() - recovered_at < RECOVERY_DEADLINE_SECONDS, "the breaker never closed"
            await asyncio.sleep(0.25)
        closed_after = time.monotonic() - recovered_at
        stack.stub.reset()
        for _ in range(3):
            assert (await _ask(client, stack, headers))[0] == "AskAiPayload"
        assert stack.stub.call_count == 3, "closed again: one upstream call per request"
    print(
        f"\nupstream: slow request {slow_elapsed:.2f}s with {sum(slow_calls.values())} calls; failing requests "
        f"{list(failing_calls.values())} calls each; open breaker answers in max {max(open_elapsed) * 1000:.1f}ms "
        f"with 0 calls; closed again {closed_after:.1f}s after the upstream recovered (reset {RESET_SECONDS}s)"
    )
