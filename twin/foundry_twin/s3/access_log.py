"""The emulator's access log: one line a request, with the credentials of pre-signed URLs redacted."""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_REDACTED_QUERY = frozenset({"x-amz-signature", "x-amz-credential", "x-amz-security-token", "signature"})


class AccessLog:
    """One line per request: time, client, method, path (credentials in the query redacted), status,
    bytes sent, duration."""

    def __init__(self, app: ASGIApp, sink: Callable[[str], None]) -> None:
        self.app = app
        self.sink = sink

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        outcome = {"status": 500, "bytes": 0}

        async def send_and_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = int(message["status"])
            elif message["type"] == "http.response.body":
                outcome["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_count)
        finally:
            query = "&".join(
                f"{name}=REDACTED" if name.lower() in _REDACTED_QUERY else part
                for part in scope.get("query_string", b"").decode("latin-1").split("&")
                if part
                for name in [unquote(part.partition("=")[0])]
            )
            path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            client = (scope.get("client") or ("-", 0))[0]
            self.sink(
                f"{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {client} "
                f'"{scope["method"]} {path}{"?" + query if query else ""}" {outcome["status"]} '
                f"{outcome['bytes']}B {(time.monotonic() - started) * 1000:.1f}ms"
            )


def print_line(line: str) -> None:
    print(line, flush=True)
