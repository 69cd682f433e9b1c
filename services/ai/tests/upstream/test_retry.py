from __future__ import annotations

import random

import pytest
from foundry_ai.upstream.errors import CompletionError, ErrorCode
from foundry_ai.upstream.retry import RetryPolicy


def _policy(now: float = 0.0, deadline: float = 10.0, jitter: float = 0.0) -> RetryPolicy:
    return RetryPolicy(
        deadline_at=deadline,
        clock=lambda: now,
        backoff_initial=0.5,
        backoff_max=2.0,
        jitter=jitter,
        rng=random.Random(1),
    )


def _retryable(retry_after: float | None = None) -> CompletionError:
    return CompletionError(ErrorCode.UPSTREAM_ERROR, "boom", retryable=True, retry_after=retry_after)


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = _policy()
    assert [policy(_retryable()) for _ in range(4)] == [0.5, 1.0, 2.0, 2.0]


def test_jitter_stays_within_bounds() -> None:
    policy = _policy(jitter=0.25)
    delay = policy(_retryable())
    assert isinstance(delay, float)
    assert 0.5 <= delay <= 0.75


def test_non_retryable_and_foreign_errors_are_not_retried() -> None:
    policy = _policy()
    assert policy(CompletionError(ErrorCode.UPSTREAM_REJECTED, "400")) is False
    assert policy(ValueError("bug")) is False


def test_retry_after_replaces_the_backoff() -> None:
    assert _policy()(_retryable(retry_after=3.0)) == 3.0
    assert _policy()(_retryable(retry_after=0.0)) == 0.0


@pytest.mark.parametrize("retry_after", [None, 5.0])
def test_no_wait_may_run_past_the_deadline(retry_after: float | None) -> None:
    policy = _policy(now=9.8, deadline=10.0)
    assert policy(_retryable(retry_after=retry_after)) is False
    assert policy.retries == 0
