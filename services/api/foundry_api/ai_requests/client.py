"""The call to the private `ai` service (spec §3.3).

No retries here: `ai` retries its upstream, and retrying at both layers multiplies load on an
already failing provider (reference §7). We only enforce a deadline, so a stuck `ai` turns into a
fast, clear AI_UNAVAILABLE instead of a hung GraphQL request.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
import structlog
from foundry_contract import INTERNAL_API_KEY_HEADER
from foundry_runtime import REQUEST_ID_HEADER
from foundry_runtime.tracing import Tracing

log = structlog.stdlib.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Completion:
    answer: str
    model: str
    latency_ms: int


class AiCallError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AiClient:
    def __init__(
        self, *, base_url: str, api_key: str, timeout_seconds: float, tracing: Tracing | None = None
    ) -> None:
        self._url = base_url.rstrip("/") + "/v1/complete"
        self._api_key = api_key
        self._deadline = timeout_seconds
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=min(2.0, timeout_seconds), pool=1.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            transport=httpx.AsyncHTTPTransport(retries=0),
            follow_redirects=False,
        )
        # A client span per call, and the trace context (traceparent) that ai continues.
        (tracing or Tracing.off()).instrument_httpx(self._http)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def complete(self, *, prompt: str, user: str, request_id: str | None = None) -> Completion:
        headers = {INTERNAL_API_KEY_HEADER: self._api_key}
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        started = time.perf_counter()
        try:
            # httpx timeouts are per socket operation; this bounds the whole exchange.
            async with asyncio.timeout(self._deadline):
                response = await self._http.post(
                    self._url, json={"prompt": prompt, "user": user}, headers=headers
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            log.warning("ai_timeout", deadline_s=self._deadline)
            raise AiCallError("AI_UNAVAILABLE", "The AI service did not answer in time.") from exc
        except httpx.HTTPError as exc:
            log.warning("ai_unreachable", error=str(exc))
            raise AiCallError("AI_UNAVAILABLE", "The AI service is unreachable.") from exc
        except (OSError, AttributeError) as exc:
            # A peer reset during connect can escape httpcore/anyio unwrapped (AttributeError from
            # getpeername on the dead socket, found by the fault suite): still just "unreachable".
            log.warning("ai_unreachable", error=repr(exc))
            raise AiCallError("AI_UNAVAILABLE", "The AI service is unreachable.") from exc
        if response.status_code >= 500:
            log.warning("ai_server_error", status=response.status_code)
            raise AiCallError("AI_UNAVAILABLE", "The AI service failed; try again shortly.")
        if response.status_code != 200:
            log.warning("ai_refused", status=response.status_code)
            raise AiCallError("AI_REJECTED", f"The AI service refused the request ({response.status_code}).")
        try:
            body = response.json()
            answer, model = body["answer"], body["model"]
            if not isinstance(answer, str) or not isinstance(model, str):
                raise TypeError("answer and model must be strings")
            latency = body.get("latency_ms")
            latency_ms = int(latency) if isinstance(latency, int | float) and latency >= 0 else None
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ai_bad_response", error=str(exc))
            raise AiCallError("AI_BAD_RESPONSE", "The AI service sent an unreadable answer.") from exc
        if latency_ms is None:
            latency_ms = round((time.perf_counter() - started) * 1000)
        return Completion(answer=answer, model=model, latency_ms=latency_ms)
