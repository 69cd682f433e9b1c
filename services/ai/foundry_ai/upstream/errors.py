"""Every way a completion can fail, each with the code and HTTP status `ai` answers with."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    UPSTREAM_ERROR = "UPSTREAM_ERROR"
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    UPSTREAM_RATE_LIMITED = "UPSTREAM_RATE_LIMITED"
    UPSTREAM_REJECTED = "UPSTREAM_REJECTED"
    CIRCUIT_OPEN = "CIRCUIT_OPEN"
    OVERLOADED = "OVERLOADED"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.UPSTREAM_ERROR: 502,
    ErrorCode.UPSTREAM_REJECTED: 502,
    ErrorCode.UPSTREAM_TIMEOUT: 504,
    # The caller may try again later; 503 + Retry-After says so (api maps 5xx to AI_UNAVAILABLE).
    ErrorCode.UPSTREAM_RATE_LIMITED: 503,
    ErrorCode.CIRCUIT_OPEN: 503,
    ErrorCode.OVERLOADED: 503,
}


class CompletionError(Exception):
    """A completion failed; `message` is safe to show to the caller (no upstream body, no trace)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        upstream_status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        counts_as_failure: bool = True,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.upstream_status = upstream_status
        self.retryable = retryable
        self.retry_after = retry_after
        # Whether the breaker counts it: a refused request (4xx) says nothing about upstream health.
        self.counts_as_failure = counts_as_failure

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]
