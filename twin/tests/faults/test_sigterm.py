"""SIGTERM to api under load: requests in flight finish, new ones are refused cleanly, and the
process exits in under 25 s."""

import asyncio
import signal
import time

import httpx
import pytest
from foundry_twin.faults.queries import ASK, PAGE, post

from .conftest import StackFactory

IN_FLIGHT = 8
STUB_LATENCY_MS = 2000
EXIT_BOUND = 25.0

pytestmark = pytest.mark.faults


async def test_sigterm_drains_in_flight_and_refuses_new_work(start_stack: StackFactory) -> None:
    stack = start_stack(stub_latency_ms=STUB_LATENCY_MS)
    headers = stack.headers("sigterm")
    api = stack.process("api")

    async def ask() -> str:
        async with httpx.AsyncClient(timeout=30) as client:
            status, body = await post(client, stack, headers, ASK, prompt="finish me")
        result = (body.get("data") or {}).get("askAi") or {}
        return f"{status} {result.get('__typename')}"

    async def new_request() -> str:
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                status, _ = await post(client, stack, headers, PAGE)
        except httpx.ConnectError:
            return "refused"
        return str(status)

    in_flight = [asyncio.create_task(ask()) for _ in range(IN_FLIGHT)]
    await asyncio.sleep(STUB_LATENCY_MS / 1000 / 2)
    api.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    await asyncio.sleep(0.5)
    late = [await new_request() for _ in range(3)]
    finished = await asyncio.gather(*in_flight)
    exited = await asyncio.to_thread(api.wait, EXIT_BOUND + 5)
    exit_seconds = time.monotonic() - signalled

    assert finished == ["200 AskAiPayload"] * IN_FLIGHT
    assert set(late) <= {"refused", "503"}, late
    # uvicorn re-raises the signal once it has shut down cleanly, so -SIGTERM is the clean exit.
    assert exited in (0, -signal.SIGTERM)
    assert exit_seconds < EXIT_BOUND
    print(
        f"\nsigterm: {IN_FLIGHT} in-flight askAi finished, new requests {late}, exit code {exited} "
        f"{exit_seconds:.1f}s after the signal"
    )
