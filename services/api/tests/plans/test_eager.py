"""run_eagerly: a coroutine that never waits is its value; one that waits is resumed where it stopped,
with its result, its exceptions and a cancellation delivered as if it had been awaited all along."""

from __future__ import annotations

import asyncio
import gc

import pytest
from foundry_api.plans.eager import run_eagerly


async def _value(x: int) -> int:
    return x * 2


async def _raises_at_once() -> int:
    raise ValueError("before any wait")


def test_a_coroutine_that_never_waits_is_its_value_and_its_error() -> None:
    assert run_eagerly(_value(21)) == 42
    with pytest.raises(ValueError, match="before any wait"):
        run_eagerly(_raises_at_once())


async def test_a_coroutine_that_waits_is_resumed_with_what_it_waited_for() -> None:
    steps: list[str] = []
    gate: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def waits() -> int:
        steps.append("started")
        got = await gate
        steps.append("resumed")
        await asyncio.sleep(0)  # a bare yield to the loop, too
        return got + 1

    rest = run_eagerly(waits())
    assert steps == ["started"]  # ran at once, up to its wait
    asyncio.get_running_loop().call_soon(gate.set_result, 41)
    assert list(await asyncio.gather(rest)) == [42]  # as gather runs it: in a Task
    assert steps == ["started", "resumed"]


async def test_an_error_after_the_wait_reaches_the_awaiter() -> None:
    async def fails_later() -> None:
        await asyncio.sleep(0)
        raise KeyError("after the wait")

    rest = run_eagerly(fails_later())
    with pytest.raises(KeyError, match="after the wait"):
        await rest


async def test_cancelling_the_task_cancels_the_coroutine_where_it_waits() -> None:
    seen: list[str] = []

    async def long_wait() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append("cancelled inside")
            raise

    task = asyncio.ensure_future(run_eagerly(long_wait()))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled inside"]


async def test_a_resumable_rest_dropped_unawaited_closes_the_coroutine() -> None:
    seen: list[str] = []

    async def waits_forever() -> None:
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            seen.append("closed")

    rest = run_eagerly(waits_forever())
    del rest
    gc.collect()
    assert seen == ["closed"]
