"""When and how long to wait before the next upstream attempt; used as stamina's backoff hook.

stamina runs the loop and caps the attempts (AI_MAX_ATTEMPTS); this policy decides per failure:
only retryable errors (connect errors, timeouts, 429, 5xx) are retried, a 429's Retry-After replaces
the exponential backoff, and no wait may run past the request's deadline: a retry that could not
start before the deadline is not attempted, so the caller gets the real error at once instead of a
timeout later.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from foundry_ai.upstream.errors import CompletionError


@dataclass(slots=True)
class RetryPolicy:
    deadline_at: float
    clock: Callable[[], float]
    backoff_initial: float
    backoff_max: float
    jitter: float
    rng: random.Random = field(default_factory=random.Random)
    retries: int = 0

    def backoff(self) -> float:
        exponential = min(self.backoff_max, self.backoff_initial * float(2**self.retries))
        return exponential + (self.rng.uniform(0, self.jitter) if self.jitter > 0 else 0.0)

    def __call__(self, exc: Exception) -> bool | float:
        if not isinstance(exc, CompletionError) or not exc.retryable:
            return False
        delay = exc.retry_after if exc.retry_after is not None else self.backoff()
        if delay >= self.deadline_at - self.clock():
            return False
        self.retries += 1
        return float(delay)
