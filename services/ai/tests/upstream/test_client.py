from __future__ import annotations

import email.utils

import pytest
from foundry_ai.upstream.client import MAX_RETRY_AFTER_SECONDS, parse_chat_completion, parse_retry_after


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
