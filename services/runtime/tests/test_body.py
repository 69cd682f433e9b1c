"""The body cap: a declared or streamed body over the limit is a 413 in the service's shape, a body
within it reaches the app whole (however it was chunked), and a client that leaves gets no answer."""

from __future__ import annotations

import json

import pytest
from foundry_runtime import (
    BodySizeLimitMiddleware,
    ClientDisconnectedError,
    ErrorShape,
    RequestContext,
    read_body,
    replay_body,
)
from starlette.types import Message, Receive, Scope, Send

LIMIT = 10
ERRORS = ErrorShape(request_id_field="requestId", trace_id_field="traceId")


def _receiver(messages: list[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0)

    return receive


def _chunks(*bodies: bytes) -> list[Message]:
    return [
        {"type": "http.request", "body": body, "more_body": index < len(bodies) - 1}
        for index, body in enumerate(bodies)
    ]


class _App:
    """Reads its whole body the ordinary way and answers 200 with its length."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


async def _call(
    messages: list[Message], *, method: str = "POST", headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[_App, list[Message]]:
    app = _App()
    scope: Scope = {
        "type": "http",
        "method": method,
        "path": "/graphql",
        "headers": headers or [],
        "foundry.request": RequestContext(method=method, path="/graphql", request_id="req-b"),
    }
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await BodySizeLimitMiddleware(app, max_bytes=LIMIT, errors=ERRORS)(scope, _receiver(messages), send)
    return app, sent


def _status_and_body(sent: list[Message]) -> tuple[int, bytes]:
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    app, sent = await _call(_chunks(b"12345", b"", b"67890"))
    assert app.bodies == [b"1234567890"]
    assert _status_and_body(sent) == (200, b"10")


@pytest.mark.parametrize(
    ("headers", "messages"),
    [
        ([(b"content-length", b"11")], _chunks(b"x" * 11)),  # declared too long
        ([(b"content-length", b"ten")], _chunks(b"x")),  # declared nonsense
        ([], _chunks(b"123456", b"78901")),  # streamed (chunked) past the limit
    ],
)
async def test_a_body_over_the_limit_is_a_413_in_the_services_shape(
    headers: list[tuple[bytes, bytes]], messages: list[Message]
) -> None:
    app, sent = await _call(messages, headers=headers)
    assert app.bodies == []
    status, body = _status_and_body(sent)
    assert status == 413
    assert json.loads(body) == {
        "error": {
            "code": "PAYLOAD_TOO_LARGE",
            "message": "request body exceeds 10 bytes",
            "requestId": "req-b",
            "traceId": None,
        }
    }
    assert (b"cache-control", b"no-store") in sent[0]["headers"]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
async def test_bodyless_methods_are_not_read(method: str) -> None:
    app, sent = await _call(_chunks(b"x" * 50), method=method, headers=[(b"content-length", b"50")])
    assert app.bodies == [b"x" * 50]
    assert _status_and_body(sent)[0] == 200


async def test_a_client_that_leaves_mid_body_gets_no_answer() -> None:
    app, sent = await _call([*_chunks(b"123", b"4")[:1], {"type": "http.disconnect"}])
    assert (app.bodies, sent) == ([], [])


async def test_read_body_stops_at_the_limit_and_reports_a_disconnect() -> None:
    assert await read_body(_receiver(_chunks(b"1234567890")), limit=LIMIT) == b"1234567890"
    assert await read_body(_receiver(_chunks(b"12345678901")), limit=LIMIT) is None
    with pytest.raises(ClientDisconnectedError):
        await read_body(_receiver([{"type": "http.disconnect"}]), limit=LIMIT)


async def test_replay_hands_the_body_over_once_then_the_clients_stream() -> None:
    receive = replay_body(b"read already", _receiver([{"type": "http.disconnect"}]))
    assert await receive() == {"type": "http.request", "body": b"read already", "more_body": False}
    assert await receive() == {"type": "http.disconnect"}
