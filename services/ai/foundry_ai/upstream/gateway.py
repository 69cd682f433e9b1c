"""The one way to get a completion: breaker, concurrency limit, deadline, retries, then the client.

Order matters. The breaker is asked first so an open circuit answers in microseconds without
queueing; then a concurrency slot (bounded wait, then 503 OVERLOADED), then the whole retry loop
runs inside one `asyncio.timeout` (httpx timeouts are per socket operation, not a deadline:
reference §7). The breaker judges a request once, after its retries, as the contract's
AI_BREAKER_FAILURE_THRESHOLD describes ("consecutive failed requests").
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import stamina
import structlog
from foundry_contract.metrics import UPSTREAM_ERROR_LOG_EVENT

from foundry_ai.core.metrics import Metrics
from foundry_ai.upstream.breaker import CircuitBreaker, CircuitOpenError, Permit
from foundry_ai.upstream.client import UpstreamAnswer, UpstreamClient, Usage
from foundry_ai.upstream.errors import CompletionError, ErrorCode
from foundry_ai.upstream.retry import RetryPolicy

log = structlog.stdlib.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RetrySettings:
    max_attempts: int
    backoff_initial: float
    backoff_max: float
    jitter: float


@dataclass(frozen=True, slots=True)
class Completion:
    answer: str
    model: str
    usage: Usage
    latency_ms: int
    attempts: int


@dataclass(slots=True)
class _Call:
    prompt: str
    max_tokens: int
    user: str | None
    request_id: str | None
    deadline: asyncio.Timeout | None = None
    attempts: int = 0


class CompletionGateway:
    def __init__(
        self,
        *,
        client: UpstreamClient,
        breaker: CircuitBreaker,
        metrics: Metrics,
        retry: RetrySettings,
        deadline_seconds: float,
        max_concurrency: int,
        queue_timeout_seconds: float,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._breaker = breaker
        self._metrics = metrics
        self._retry = retry
        self._deadline_seconds = deadline_seconds
        self._slots = asyncio.Semaphore(max_concurrency)
        self._queue_timeout = queue_timeout_seconds
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    @property
    def breaker(self) -> CircuitBreaker:
        return self._breaker

    async def aclose(self) -> None:
        await self._client.aclose()

    async def complete(
        self, *, prompt: str, max_tokens: int, user: str | None, request_id: str | None
    ) -> Completion:
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline_at = started + self._deadline_seconds
        call = _Call(prompt=prompt, max_tokens=max_tokens, user=user, request_id=request_id)
        permit = self._admit(call)
        verdict: bool | None = None  # True: upstream healthy, False: failed, None: no verdict
        try:
            await self._take_slot(call, deadline_at)
            try:
                async with asyncio.timeout_at(deadline_at) as deadline:
                    call.deadline = deadline
                    answer = await self._call_with_retries(call, deadline_at)
            except TimeoutError:
                raise CompletionError(
                    ErrorCode.UPSTREAM_TIMEOUT,
                    f"no answer from the AI provider within {self._deadline_seconds:g}s",
                ) from None
            finally:
                self._slots.release()
        except CompletionError as exc:
            if exc.code is not ErrorCode.OVERLOADED:
                verdict = not exc.counts_as_failure
            log.warning(
                "completion_failed",
                code=exc.code.value,
                attempts=call.attempts,
                request_id=request_id,
                breaker=self._breaker.state.value,
            )
            raise
        else:
            verdict = True
        finally:
            self._judge(permit, verdict)
        latency_ms = round((loop.time() - started) * 1000)
        log.info(
            "completion",
            attempts=call.attempts,
            latency_ms=latency_ms,
            model=answer.model,
            total_tokens=answer.usage.total_tokens,
            request_id=request_id,
        )
        return Completion(
            answer=answer.answer,
            model=answer.model,
            usage=answer.usage,
            latency_ms=latency_ms,
            attempts=call.attempts,
        )

    def _admit(self, call: _Call) -> Permit:
        try:
            return self._breaker.acquire()
        except CircuitOpenError as exc:
            self._reject(ErrorCode.CIRCUIT_OPEN, call)
            raise CompletionError(
                ErrorCode.CIRCUIT_OPEN,
                "the AI provider is failing; calls are paused briefly",
                retry_after=exc.retry_after,
            ) from None

    def _judge(self, permit: Permit, verdict: bool | None) -> None:
        if verdict is True:
            self._breaker.record_success(permit)
        elif verdict is False:
            self._breaker.record_failure(permit)
        else:
            self._breaker.release(permit)

    async def _take_slot(self, call: _Call, deadline_at: float) -> None:
        if not self._slots.locked():
            await self._slots.acquire()
            return
        wait = min(self._queue_timeout, deadline_at - asyncio.get_running_loop().time())
        try:
            if wait <= 0:
                raise TimeoutError
            async with asyncio.timeout(wait):
                await self._slots.acquire()
        except TimeoutError:
            self._reject(ErrorCode.OVERLOADED, call)
            raise CompletionError(
                ErrorCode.OVERLOADED, "too many concurrent requests; try again shortly", retry_after=1.0
            ) from None

    def _reject(self, code: ErrorCode, call: _Call) -> None:
        log.warning("request_rejected", code=code.value, request_id=call.request_id)
        self._metrics.rejected(code=code.value, request_id=call.request_id)

    async def _call_with_retries(self, call: _Call, deadline_at: float) -> UpstreamAnswer:
        policy = RetryPolicy(
            deadline_at=deadline_at,
            clock=asyncio.get_running_loop().time,
            backoff_initial=self._retry.backoff_initial,
            backoff_max=self._retry.backoff_max,
            jitter=self._retry.jitter,
            rng=self._rng,
        )
        # The policy returns every wait itself, so stamina's own backoff parameters go unused; the
        # deadline above bounds the whole loop, hence no stamina timeout.
        async for attempt in stamina.retry_context(
            on=policy, attempts=self._retry.max_attempts, timeout=None
        ):
            with attempt:
                return await self._attempt(call)
        raise AssertionError("unreachable: stamina re-raises the last error")

    async def _attempt(self, call: _Call) -> UpstreamAnswer:
        loop = asyncio.get_running_loop()
        call.attempts += 1
        started = loop.time()
        try:
            answer = await self._client.chat(
                prompt=call.prompt, max_tokens=call.max_tokens, user=call.user, request_id=call.request_id
            )
        except CompletionError as exc:
            self._upstream_error(call, exc.code, exc.upstream_status, started, exc.message, exc.retryable)
            raise
        except asyncio.CancelledError:
            if call.deadline is not None and call.deadline.expired():
                self._upstream_error(
                    call, ErrorCode.UPSTREAM_TIMEOUT, None, started, "request deadline reached", False
                )
            raise
        self._metrics.upstream_attempt(
            latency_ms=(loop.time() - started) * 1000, status=200, request_id=call.request_id
        )
        return answer

    def _upstream_error(
        self,
        call: _Call,
        code: ErrorCode,
        status: int | None,
        started: float,
        message: str,
        retryable: bool,
    ) -> None:
        latency_ms = (asyncio.get_running_loop().time() - started) * 1000
        log.warning(
            UPSTREAM_ERROR_LOG_EVENT,
            code=code.value,
            upstream_status=status,
            attempt=call.attempts,
            max_attempts=self._retry.max_attempts,
            retryable=retryable,
            latency_ms=round(latency_ms, 1),
            message=message,
            request_id=call.request_id,
        )
        self._metrics.upstream_attempt(latency_ms=latency_ms, status=status, request_id=call.request_id)
        self._metrics.upstream_error(code=code.value, status=status, request_id=call.request_id)
