"""A consecutive-failure circuit breaker with a single half-open trial.

Hand-written rather than `purgatory` (reference §7): the behaviour needed is ~60 lines, it must
count whole requests (after retries) rather than attempts, and it keeps the image's dependency
set at what the lock file already pins. All transitions are synchronous, so on one event loop no
lock is needed.

CLOSED --threshold consecutive failures--> OPEN --reset time passes, next call--> HALF_OPEN (one
trial call; others still fail fast) --trial succeeds--> CLOSED, --trial fails--> OPEN again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"circuit open; retry in {retry_after:.1f}s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Permit:
    """Proof a call was let through; `trial` marks the single half-open probe."""

    trial: bool


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_seconds <= 0:
            raise ValueError("failure_threshold must be >= 1 and reset_seconds > 0")
        self._threshold = failure_threshold
        self._reset_seconds = reset_seconds
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._consecutive_failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._consecutive_failures

    def acquire(self) -> Permit:
        """A permit to call the upstream, or CircuitOpenError without touching it."""
        if self._state is BreakerState.CLOSED:
            return Permit(trial=False)
        if self._state is BreakerState.OPEN:
            waited = self._clock() - self._opened_at
            if waited < self._reset_seconds:
                raise CircuitOpenError(self._reset_seconds - waited)
            self._state = BreakerState.HALF_OPEN
        if self._trial_in_flight:
            raise CircuitOpenError(self._reset_seconds)
        self._trial_in_flight = True
        return Permit(trial=True)

    def record_success(self, permit: Permit) -> None:
        if permit.trial or self._state is BreakerState.CLOSED:
            self._close()

    def record_failure(self, permit: Permit) -> None:
        if permit.trial:
            self._open()
        elif self._state is BreakerState.CLOSED:
            # Calls admitted before the breaker opened and finishing after it do not count again.
            self._consecutive_failures += 1
            if self._consecutive_failures >= self._threshold:
                self._open()

    def release(self, permit: Permit) -> None:
        """The call ended without a verdict on upstream health (cancelled, refused locally)."""
        if permit.trial:
            self._trial_in_flight = False

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._trial_in_flight = False

    def _close(self) -> None:
        self._state = BreakerState.CLOSED
        self._consecutive_failures = 0
        self._trial_in_flight = False
