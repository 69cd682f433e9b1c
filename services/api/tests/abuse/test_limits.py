"""Abuse that must be turned away cheaply: oversized bodies, deep queries, alias and token floods.

Each is sent 20 times to the real api over HTTP; the median time to reject is printed next to a
small valid query's, and only the rejection itself is asserted (timings vary by machine). Both
document modes: where only trusted documents run, every abusive text gets PERSISTED_QUERY_NOT_FOUND
before any parser sees it, and the valid reference is a trusted document sent by id.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, RunningApi

REPEATS = 20
VALID = "{ viewer { id } }"
DEEP = "{ viewer " + "{ uploads " * 40 + "{ id }" + " }" * 40 + " }"
ALIASES = "{ viewer { " + " ".join(f"a{i}: id" for i in range(100)) + " } }"
TOKENS = "{ viewer { " + "id " * 3000 + "} }"
OVERSIZED: dict[str, object] = {"query": VALID, "variables": {"pad": "x" * (256 * 1024)}}


def _median_ms(send: Callable[[], httpx.Response], check: Callable[[httpx.Response], None]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = send()
        times.append((time.perf_counter() - started) * 1000)
        check(response)
    return statistics.median(times)


def _rejected_with(*words: str) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        assert response.status_code in (200, 400), response.text
        body = response.json()
        assert body.get("data") is None, body
        message = " ".join(e["message"] for e in body["errors"]).lower()
        assert any(word in message for word in words), message

    return check


def _refused_unread(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize("mode", ["any", "trusted"])
def test_abuse_is_rejected_cheaply(
    mode: str,
    api: RunningApi,
    trusted_api: RunningApi,
    gql: GraphQLClient,
    trusted_documents: dict[str, str],
    sub: str,
) -> None:
    target = api if mode == "any" else trusted_api
    auth = {"Authorization": f"Bearer {gql.token(sub)}"}

    def post(payload: dict[str, Any]) -> httpx.Response:
        return gql.http.post(f"{target.url}/graphql", json=payload, headers=auth)

    def ok(response: httpx.Response) -> None:
        assert response.status_code == 200 and "errors" not in response.json(), response.text

    def too_large(response: httpx.Response) -> None:
        assert response.status_code == 413, response.status_code

    viewer_only = next(i for i, t in trusted_documents.items() if t.lstrip().startswith("query"))
    valid: dict[str, Any] = {"query": VALID} if mode == "any" else {"documentId": viewer_only, "variables": {"first": 1}}
    trusted = mode == "trusted"
    figures = {
        "valid query (reference)": _median_ms(lambda: post(valid), ok),
        "256 KiB body": _median_ms(lambda: post(OVERSIZED), too_large),
        "depth 42": _median_ms(lambda: post({"query": DEEP}), _refused_unread if trusted else _rejected_with("depth")),
        "100 aliases": _median_ms(
            lambda: post({"query": ALIASES}), _refused_unread if trusted else _rejected_with("alias")
        ),
        "3000 tokens": _median_ms(
            lambda: post({"query": TOKENS}), _refused_unread if trusted else _rejected_with("token")
        ),
    }
    print(f"\nrejecting abuse ({mode} documents), median of", REPEATS, "over HTTP:")
    for name, ms in figures.items():
        print(f"  {name:<24} {ms:6.2f} ms")
