"""ai killed under load: askAi fails fast with a clear error; queries that do not need ai go on."""

import asyncio
import os
import signal

import httpx
from foundry_contract import ENV_VARS
from foundry_twin.faults.load import Outcome, Run, percentile, run_load
from foundry_twin.faults.queries import ASK, PAGE, page_outcome, post

from .conftest import StackFactory

LOAD_SECONDS = 8.0
KILL_AT = 3.0
# The api's deadline for one ai call (the stack leaves it at the contract's default). A killed ai
# refuses connections, so askAi must end far inside it; an api that waited on the dead ai would end at it.
AI_DEADLINE = float(next(v.default for v in ENV_VARS if v.name == "AI_REQUEST_TIMEOUT_SECONDS") or "nan")
# Queries that do not need ai must not slow down: compared with the same run's own pre-kill figure,
# with a floor for the scheduler's jitter on a loaded 2-core runner, never with a wall-clock target.
PAGE_SLOWDOWN_FACTOR = 3.0
PAGE_JITTER_SECONDS = 0.1


async def test_askai_fails_fast_and_queries_go_on_when_ai_is_killed(start_stack: StackFactory) -> None:
    stack = start_stack(stub_latency_ms=50)
    headers = stack.headers("killed")
    ai = stack.process("ai")

    async def ask(client: httpx.AsyncClient) -> Outcome:
        status, body = await post(client, stack, headers, ASK, prompt="hello")
        result = (body.get("data") or {}).get("askAi") or {}
        if result.get("__typename") == "AskAiPayload":
            return Outcome(ok=True, detail="answered")
        return Outcome(ok=False, detail=f"{status} {result.get('code')}", value=result.get("message") or body)

    async def page(client: httpx.AsyncClient) -> Outcome:
        return page_outcome(*await post(client, stack, headers, PAGE))

    async def kill_ai() -> None:
        await asyncio.sleep(KILL_AT)
        os.kill(ai.pid, signal.SIGKILL)

    asks, pages, _ = await asyncio.gather(
        run_load(ask, workers=4, duration=LOAD_SECONDS, request_timeout=10, pause=0.02),
        run_load(page, workers=2, duration=LOAD_SECONDS, request_timeout=10),
        kill_ai(),
    )
    after_kill = asks.between(KILL_AT + 0.05)
    assert [s for s in asks.between(0, KILL_AT - 0.5) if s.outcome.ok], "askAi worked before the kill"
    assert after_kill, "askAi was called after the kill"
    failures = [s for s in after_kill if not s.outcome.ok]
    assert {s.outcome.detail for s in failures} == {"200 AI_UNAVAILABLE"}, [
        f for f in failures if "None" in f.outcome.detail
    ][:3]
    assert all(s.outcome.value for s in failures), "the error says what happened"
    ask_p99 = Run.p(after_kill, 99)
    slowest_ask = max(s.elapsed for s in after_kill)
    assert slowest_ask < AI_DEADLINE / 4, (
        f"askAi after the kill took {slowest_ask:.3f}s of a {AI_DEADLINE}s deadline"
    )

    page_after = pages.between(KILL_AT)
    assert all(s.outcome.ok for s in pages.samples), [
        s.outcome.detail for s in pages.samples if not s.outcome.ok
    ][:3]
    page_p99 = percentile([s.elapsed for s in page_after], 99)
    page_p99_before = Run.p(pages.between(0, KILL_AT), 99)
    assert page_p99 <= PAGE_SLOWDOWN_FACTOR * page_p99_before + PAGE_JITTER_SECONDS, (
        f"page p99 {page_p99:.3f}s after the kill, {page_p99_before:.3f}s before it"
    )
    print(
        f"\nai killed: askAi after kill n={len(after_kill)} p50={Run.p(after_kill, 50) * 1000:.1f}ms "
        f"p99={ask_p99 * 1000:.1f}ms; page queries n={len(page_after)} p99={page_p99 * 1000:.1f}ms "
        f"(before the kill {page_p99_before * 1000:.1f}ms), "
        f"0 errors of {len(pages.samples)}"
    )
