from __future__ import annotations

import pytest
from foundry_ai.upstream.breaker import BreakerState, CircuitBreaker, CircuitOpenError


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, reset_seconds=10, clock=clock)


def _state(breaker: CircuitBreaker) -> BreakerState:
    # A call, not the property, so mypy does not narrow the state between assertions.
    return breaker.state


def _fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.record_failure(breaker.acquire())


def test_opens_after_consecutive_failures(breaker: CircuitBreaker) -> None:
    _fail(breaker, 2)
    assert _state(breaker) is BreakerState.CLOSED
    _fail(breaker, 1)
    assert _state(breaker) is BreakerState.OPEN
    with pytest.raises(CircuitOpenError) as caught:
        breaker.acquire()
    assert caught.value.retry_after == pytest.approx(10)


def test_a_success_resets_the_count(breaker: CircuitBreaker) -> None:
    _fail(breaker, 2)
    breaker.record_success(breaker.acquire())
    _fail(breaker, 2)
    assert _state(breaker) is BreakerState.CLOSED


def test_half_open_allows_one_trial_and_success_closes(breaker: CircuitBreaker, clock: FakeClock) -> None:
    _fail(breaker, 3)
    clock.now += 9.9
    with pytest.raises(CircuitOpenError):
        breaker.acquire()
    clock.now += 0.1
    trial = breaker.acquire()
    assert trial.trial
    assert _state(breaker) is BreakerState.HALF_OPEN
    with pytest.raises(CircuitOpenError):
        breaker.acquire()
    breaker.record_success(trial)
    assert _state(breaker) is BreakerState.CLOSED
    assert not breaker.acquire().trial


def test_failed_trial_reopens_for_a_full_period(breaker: CircuitBreaker, clock: FakeClock) -> None:
    _fail(breaker, 3)
    clock.now += 10
    breaker.record_failure(breaker.acquire())
    assert _state(breaker) is BreakerState.OPEN
    clock.now += 9
    with pytest.raises(CircuitOpenError):
        breaker.acquire()


def test_released_trial_lets_the_next_caller_try(breaker: CircuitBreaker, clock: FakeClock) -> None:
    _fail(breaker, 3)
    clock.now += 10
    breaker.release(breaker.acquire())
    assert breaker.acquire().trial


def test_stragglers_do_not_change_an_open_breaker(breaker: CircuitBreaker, clock: FakeClock) -> None:
    early = [breaker.acquire() for _ in range(5)]
    for permit in early[:3]:
        breaker.record_failure(permit)
    assert _state(breaker) is BreakerState.OPEN
    breaker.record_success(early[3])
    breaker.record_failure(early[4])
    assert _state(breaker) is BreakerState.OPEN
    clock.now += 5
    with pytest.raises(CircuitOpenError) as caught:
        breaker.acquire()
    assert caught.value.retry_after == pytest.approx(5)


def test_rejects_nonsense_configuration() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(failure_threshold=0, reset_seconds=1)
