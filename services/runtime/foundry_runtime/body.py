"""Reading a request body with a cap, and handing it on as if it had not been read yet."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foundry_runtime.errors import ErrorShape

_BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ClientDisconnectedError(Exception):
    """The client went away before its request body arrived."""


async def read_body(receive: Receive, *, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it exceeds `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:  # bounded: each chunk grows `size`, which is capped at `limit`
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnectedError
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """The body already read, handed to the app as if it arrived now; then the client's stream."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class BodySizeLimitMiddleware:
    """Reads at most `max_bytes` of a request body (413 in the service's `errors` shape beyond), then
    replays it to the app."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, errors: ErrorShape) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODYLESS_METHODS:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        try:
            body = await read_body(receive, limit=self.max_bytes)
        except ClientDisconnectedError:
            return  # nobody is left to answer
        if body is None:
            await self._too_large(scope, receive, send)
            return
        await self.app(scope, replay_body(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Built only when needed: the happy path (every POST) renders no unused 413.
        response = self.errors.response(
            scope=scope,
            status=413,
            code="PAYLOAD_TOO_LARGE",
            message=f"request body exceeds {self.max_bytes} bytes",
        )
        await response(scope, receive, send)
