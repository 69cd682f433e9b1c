"""An ASGI middleware Phoenix loads (PHOENIX_FASTAPI_MIDDLEWARE_PATHS, its documented extension point)
that copies each OTLP resource's `service.name` onto its spans as a span attribute.

Phoenix keeps span attributes only: a resource's attributes decide the project and are then dropped
(phoenix/server/api/routers/v1/traces.py, 20.x). A trace crosses edge, api and ai, so without this the
waterfall could not say which service each span came from. Spans that already carry a `service.name`
attribute keep theirs. Runs inside Phoenix's venv: it imports nothing of the repository's.
"""

import gzip
from typing import Any

# These run in Phoenix's venv; the twin's venv type-checks this file without them (or their stubs).
from google.protobuf.message import DecodeError  # type: ignore[import-untyped, import-not-found, unused-ignore]
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SERVICE_NAME = "service.name"
TRACES_PATH = "/v1/traces"
# OTLP/HTTP bodies are a few hundred kB at most; anything larger goes to Phoenix untouched.
MAX_BODY_BYTES = 32 * 1024 * 1024


def stamp_service_names(body: bytes) -> bytes:
    """The ExportTraceServiceRequest `body` with each span given its resource's service.name."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # type: ignore[import-not-found, unused-ignore]
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import (  # type: ignore[import-not-found, unused-ignore]
        AnyValue,
        KeyValue,
    )

    request: Any = ExportTraceServiceRequest()
    request.ParseFromString(body)
    for resource_spans in request.resource_spans:
        names = [kv.value.string_value for kv in resource_spans.resource.attributes if kv.key == SERVICE_NAME]
        if not names:
            continue
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                if not any(kv.key == SERVICE_NAME for kv in span.attributes):
                    span.attributes.append(KeyValue(key=SERVICE_NAME, value=AnyValue(string_value=names[0])))
    return bytes(request.SerializeToString())


class ServiceNameMiddleware(BaseHTTPMiddleware):
    """A plain ASGI wrapper; it subclasses BaseHTTPMiddleware only because Phoenix requires that."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self.inner = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") != TRACES_PATH:
            await self.inner(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.inner(scope, _replay([message], then=receive), send)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if not message.get("more_body", False) or size > MAX_BODY_BYTES:
                break
        body = b"".join(chunks)
        headers = [(key, value) for key, value in scope["headers"]]
        encoding = next((value for key, value in headers if key == b"content-encoding"), b"").lower()
        content_type = next((value for key, value in headers if key == b"content-type"), b"")
        if size <= MAX_BODY_BYTES and content_type.startswith(b"application/x-protobuf"):
            rewritten = _rewritten(body, gzipped=encoding == b"gzip")
            if rewritten is not None:
                body = rewritten
                headers = [
                    (key, value)
                    for key, value in headers
                    if key not in (b"content-encoding", b"content-length")
                ]
                headers.append((b"content-length", str(len(body)).encode()))
        more = size > MAX_BODY_BYTES
        first: Message = {"type": "http.request", "body": body, "more_body": more}
        await self.inner({**scope, "headers": headers}, _replay([first], then=receive), send)


def _rewritten(body: bytes, *, gzipped: bool) -> bytes | None:
    """None for a body that is not OTLP protobuf: Phoenix gets it unchanged and answers it itself."""
    try:
        return stamp_service_names(gzip.decompress(body) if gzipped else body)
    except (DecodeError, OSError, EOFError):
        return None


def _replay(messages: list[Message], *, then: Receive) -> Receive:
    """`messages` first, then the client's own (the rest of a large body, or its disconnect)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return replayed
