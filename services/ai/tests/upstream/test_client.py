from __future__ import annotations

import email.utils
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from foundry_ai.upstream.client import (
    MAX_RETRY_AFTER_SECONDS,
    UpstreamClient,
    parse_chat_completion,
    parse_retry_after,
)
from foundry_ai.upstream.errors import CompletionError, ErrorCode


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("soon", None), ("nan", None)],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(30)


def test_retry_after_is_capped() -> None:
    assert parse_retry_after("99999999") == MAX_RETRY_AFTER_SECONDS


def test_chat_completion_is_parsed() -> None:
    body = {
        "model": "m1",
        "choices": [{"message": {"role": "assistant", "content": "hi"}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    parsed = parse_chat_completion(body, default_model="fallback")
    assert (parsed.answer, parsed.model, parsed.usage.total_tokens) == ("hi", "m1", 4)


def test_missing_usage_and_model_fall_back() -> None:
    parsed = parse_chat_completion({"choices": [{"message": {"content": "x"}}]}, default_model="fb")
    assert parsed.model == "fb"
    assert (parsed.usage.prompt_tokens, parsed.usage.total_tokens) == (0, 0)


@pytest.mark.parametrize(
    "body", [None, [], {}, {"choices": []}, {"choices": [{"message": {"content": 3}}]}, {"choices": ["x"]}]
)
def test_malformed_bodies_are_rejected(body: object) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_chat_completion(body, default_model="m")


def _client(handler: Callable[[httpx.Request], httpx.Response], **overrides: Any) -> UpstreamClient:
    values: dict[str, Any] = {
        "base_url": "http://upstream.test/v1",
        "model": "m",
        "api_key": "k",
        "timeout": httpx.Timeout(1.0),
        "max_connections": 4,
        "transport": httpx.MockTransport(handler),
    }
    return UpstreamClient(**{**values, **overrides})


_OK = {"model": "m", "choices": [{"message": {"content": "hi"}}]}


async def test_chat_sends_headers_and_reads_the_answer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_OK, headers={"Set-Cookie": "session=upstream-user-a"})

    client = _client(handler)
    for _ in range(2):
        answer = await client.chat(prompt="p", max_tokens=5, user=None, request_id="rid-1")
        assert answer.answer == "hi"
    await client.aclose()
    first, second = seen
    assert first.url == "http://upstream.test/v1/chat/completions"
    assert (first.headers["authorization"], first.headers["x-request-id"]) == ("Bearer k", "rid-1")
    assert first.extensions["timeout"] == httpx.Timeout(1.0).as_dict()
    # One caller's upstream cookies are never replayed on another caller's request.
    assert "cookie" not in second.headers


async def test_transport_errors_become_completion_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = _client(handler)
    with pytest.raises(CompletionError) as caught:
        await client.chat(prompt="p", max_tokens=5, user=None, request_id=None)
    assert (caught.value.code, caught.value.retryable) == (ErrorCode.UPSTREAM_ERROR, True)
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.chat(prompt="p", max_tokens=5, user=None, request_id=None)


async def test_pool_limits_reach_the_default_transport() -> None:
    client = UpstreamClient(
        base_url="http://upstream.test/v1",
        model="m",
        api_key=None,
        timeout=httpx.Timeout(1.0),
        max_connections=7,
    )
    pool = client._transport._pool  # type: ignore[attr-defined]  # httpcore internals, pinned version
    assert (pool._max_connections, pool._max_keepalive_connections) == (7, 7)
    await client.aclose()
