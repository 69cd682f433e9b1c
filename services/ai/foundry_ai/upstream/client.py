"""One attempt at an OpenAI-compatible chat completion over the shared httpx client.

Every failure leaves as a CompletionError that says whether it may be retried; retrying, the
deadline and the breaker live in gateway.py, so this file is only the wire protocol.

Each attempt is one span of OpenTelemetry's GenAI semantic conventions (a CLIENT span "chat MODEL":
provider, models, tokens, finish reasons), with the HTTP call under it; prompts and answers go on it
only when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is true.
https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import httpx
from foundry_runtime import REQUEST_ID_HEADER
from foundry_runtime.trace_context import recording
from foundry_runtime.tracing import Tracing
from opentelemetry import trace

from foundry_ai.upstream.errors import CompletionError, ErrorCode

# Longest Retry-After we take seriously; anything beyond exceeds any deadline we would allow anyway.
MAX_RETRY_AFTER_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    answer: str
    model: str
    usage: Usage
    finish_reason: str | None = None


# The GenAI conventions' names (semantic conventions 1.37). The upstream speaks OpenAI's protocol, so
# the provider is "openai" as the conventions name it (gen_ai.system is the older attribute's name).
GEN_AI_PROVIDER = "openai"
GEN_AI_OPERATION = "chat"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None when absent or unusable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        current = now if now is not None else time.time()
        seconds = when.timestamp() - current
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _usage_of(body: dict[str, Any]) -> Usage:
    raw = body.get("usage")
    raw = raw if isinstance(raw, dict) else {}

    def count(key: str) -> int:
        value = raw.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0

    prompt, completion = count("prompt_tokens"), count("completion_tokens")
    return Usage(prompt, completion, count("total_tokens") or prompt + completion)


def parse_chat_completion(body: Any, *, default_model: str) -> UpstreamAnswer:
    if not isinstance(body, dict):
        raise ValueError("body is not a JSON object")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError("no choices")
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise ValueError("choices[0].message.content is not a string")
    model = body.get("model")
    finish_reason = choices[0].get("finish_reason")
    return UpstreamAnswer(
        answer=content,
        model=model if isinstance(model, str) and model else default_model,
        usage=_usage_of(body),
        finish_reason=finish_reason if isinstance(finish_reason, str) else None,
    )


class UpstreamClient:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None,
        timeout: httpx.Timeout,
        max_connections: int,
        transport: httpx.AsyncBaseTransport | None = None,
        tracing: Tracing | None = None,
        capture_message_content: bool = False,
    ) -> None:
        self._url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        tracing = tracing or Tracing.off()
        # None when tracing is off: the call then skips the span machinery altogether.
        self._tracer = tracing.tracer(__name__) if tracing.enabled else None
        self._capture_content = capture_message_content
        upstream = httpx.URL(self._url)
        self._server_address = upstream.host
        self._server_port = upstream.port or (443 if upstream.scheme == "https" else 80)
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        # The pool limits belong on the transport: httpx ignores a client's `limits` once it is given a
        # transport, which left the pool at httpx's defaults (20 kept-alive connections, fewer than
        # AI_MAX_CONCURRENCY, so bursts closed and reopened connections).
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        # Retries happen at one layer only: the gateway's (reference §7).
        self._transport = transport or httpx.AsyncHTTPTransport(retries=0, limits=limits)
        # The client builds each request (base headers, timeouts) and owns the transport's lifetime.
        self._http = httpx.AsyncClient(
            headers=headers, timeout=timeout, limits=limits, transport=self._transport, follow_redirects=False
        )
        # The HTTP span under the GenAI one, and the traceparent the provider receives.
        tracing.instrument_httpx(self._http)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def chat(
        self, *, prompt: str, max_tokens: int, user: str | None, request_id: str | None
    ) -> UpstreamAnswer:
        # Inside a request the sampler dropped (foundry_runtime.head_sampling) the GenAI span would be
        # dropped too (every sampler offered decides by the parent or the trace id): skip making it.
        if self._tracer is None or not recording():
            return await self._chat(prompt=prompt, max_tokens=max_tokens, user=user, request_id=request_id)
        with self._tracer.start_as_current_span(
            f"{GEN_AI_OPERATION} {self.model}", kind=trace.SpanKind.CLIENT, record_exception=False
        ) as span:
            records = span.is_recording()
            if records:
                span.set_attributes(
                    {
                        "gen_ai.operation.name": GEN_AI_OPERATION,
                        "gen_ai.provider.name": GEN_AI_PROVIDER,
                        "gen_ai.system": GEN_AI_PROVIDER,
                        "gen_ai.request.model": self.model,
                        "gen_ai.request.max_tokens": max_tokens,
                        "server.address": self._server_address,
                        "server.port": self._server_port,
                    }
                )
                if self._capture_content:
                    span.set_attribute("gen_ai.input.messages", _messages("user", prompt))
            try:
                answer = await self._chat(
                    prompt=prompt, max_tokens=max_tokens, user=user, request_id=request_id
                )
            except CompletionError as exc:
                if records:
                    span.set_attribute("error.type", exc.code.value)
                    span.set_status(trace.StatusCode.ERROR, exc.message)
                raise
            if records:
                span.set_attributes(
                    {
                        "gen_ai.response.model": answer.model,
                        "gen_ai.usage.input_tokens": answer.usage.prompt_tokens,
                        "gen_ai.usage.output_tokens": answer.usage.completion_tokens,
                        "gen_ai.response.finish_reasons": [answer.finish_reason or "unknown"],
                    }
                )
                if self._capture_content:
                    span.set_attribute("gen_ai.output.messages", _messages("assistant", answer.answer))
            return answer

    async def _chat(
        self, *, prompt: str, max_tokens: int, user: str | None, request_id: str | None
    ) -> UpstreamAnswer:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
        }
        if user:
            payload["user"] = user
        headers = {REQUEST_ID_HEADER: request_id} if request_id else {}
        try:
            response = await self._send(payload, headers)
        except httpx.TimeoutException as exc:
            raise CompletionError(
                ErrorCode.UPSTREAM_TIMEOUT,
                f"the AI provider did not answer in time ({type(exc).__name__})",
                retryable=True,
            ) from exc
        except httpx.ConnectError as exc:
            raise CompletionError(
                ErrorCode.UPSTREAM_ERROR, "cannot connect to the AI provider", retryable=True
            ) from exc
        except httpx.HTTPError as exc:
            # The request may have reached the provider: not retried (not known to be idempotent).
            raise CompletionError(
                ErrorCode.UPSTREAM_ERROR, f"the AI provider connection failed ({type(exc).__name__})"
            ) from exc
        return self._answer_from(response)

    async def _send(self, payload: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        """One exchange straight over the transport, body read in full and the connection released.

        AsyncClient.send would add only what this client never uses (auth flows, redirects: they are
        off, event hooks) plus a cookie jar shared by every caller, which must not carry one user's
        upstream cookies into another's request; skipping it saves ~0.1 ms a call. The transport still
        maps httpcore errors to httpx's TimeoutException/ConnectError/..., as it does under send().
        """
        if self._http.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        request = self._http.build_request("POST", self._url, json=payload, headers=headers)
        response = await self._transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    def _answer_from(self, response: httpx.Response) -> UpstreamAnswer:
        status = response.status_code
        if status == 429:
            raise CompletionError(
                ErrorCode.UPSTREAM_RATE_LIMITED,
                "the AI provider is rate limiting us",
                upstream_status=status,
                retryable=True,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise CompletionError(
                ErrorCode.UPSTREAM_ERROR,
                f"the AI provider failed (HTTP {status})",
                upstream_status=status,
                retryable=True,
            )
        if status != 200:
            raise CompletionError(
                ErrorCode.UPSTREAM_REJECTED,
                f"the AI provider refused the request (HTTP {status})",
                upstream_status=status,
                counts_as_failure=False,
            )
        try:
            return parse_chat_completion(response.json(), default_model=self.model)
        except ValueError as exc:
            raise CompletionError(
                ErrorCode.UPSTREAM_ERROR,
                "the AI provider sent an unreadable answer",
                upstream_status=status,
            ) from exc


def _messages(role: str, text: str) -> str:
    """One message in the GenAI conventions' JSON form (gen_ai.input.messages / output.messages)."""
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}], ensure_ascii=False)
