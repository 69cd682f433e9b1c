"""A bounded closed-loop load for fault suites: N workers repeat one request until a deadline.

The benchmarks use wrk; fault suites need per-request outcomes over time (which request failed,
when, how fast), so they record every request here. Every request has its own timeout and the
whole run its own deadline, so nothing here can hang a test.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Request = Callable[[httpx.AsyncClient], Awaitable["Outcome"]]


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    detail: str = ""
    value: Any = None


@dataclass(frozen=True, slots=True)
class Sample:
    started: float  # seconds since the run began
    elapsed: float
    outcome: Outcome


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)

    def between(self, start: float, end: float = math.inf) -> list[Sample]:
        return [s for s in self.samples if start <= s.started < end]

    @staticmethod
    def p(samples: list[Sample], q: float) -> float:
        return percentile([s.elapsed for s in samples], q)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


async def run_load(
    request: Request,
    *,
    workers: int,
    duration: float,
    request_timeout: float,
    stop: asyncio.Event | None = None,
    pause: float = 0.0,
) -> Run:
    """Runs `workers` loops of `request` for `duration` seconds (or until `stop` is set)."""
    run = Run()
    began = time.perf_counter()
    end = began + duration
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(timeout=request_timeout, limits=limits) as client:

        async def worker() -> None:
            while time.perf_counter() < end and not (stop is not None and stop.is_set()):
                started = time.perf_counter()
                try:
                    async with asyncio.timeout(request_timeout + 1):
                        outcome = await request(client)
                except (httpx.HTTPError, TimeoutError, OSError) as exc:
                    outcome = Outcome(ok=False, detail=type(exc).__name__)
                run.samples.append(Sample(started - began, time.perf_counter() - started, outcome))
                if pause:
                    await asyncio.sleep(pause)

        await asyncio.gather(*(worker() for _ in range(workers)))
    return run
