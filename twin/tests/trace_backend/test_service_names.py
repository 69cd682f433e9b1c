"""The middleware Phoenix loads copies each resource's service.name onto its spans; the twin's test
venv has the same OpenTelemetry protobufs, so a real exporter's body is rewritten here as in Phoenix."""

import asyncio
import gzip
from typing import Any

from foundry_twin.trace_backend.service_names import ServiceNameMiddleware, stamp_service_names
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.types import Message, Receive, Scope, Send


def _spans(service: str, *names: str, own: dict[str, str] | None = None) -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    for name in names:
        with provider.get_tracer("test").start_as_current_span(name, attributes=own or {}):
            pass
    return list(exporter.get_finished_spans())


def _export_body(*spans: ReadableSpan) -> bytes:
    return bytes(encode_spans(list(spans)).SerializeToString())


def _span_services(body: bytes) -> dict[str, str | None]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    found: dict[str, str | None] = {}
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                values = [kv.value.string_value for kv in span.attributes if kv.key == "service.name"]
                found[span.name] = values[0] if values else None
    return found


def test_each_span_gets_its_resources_service_name() -> None:
    body = _export_body(*_spans("api", "POST /graphql", "SELECT"), *_spans("ai", "chat m"))
    assert _span_services(body) == {"POST /graphql": None, "SELECT": None, "chat m": None}
    assert _span_services(stamp_service_names(body)) == {
        "POST /graphql": "api",
        "SELECT": "api",
        "chat m": "ai",
    }


def test_a_span_that_names_its_service_keeps_it() -> None:
    body = _export_body(*_spans("api", "odd", own={"service.name": "its-own"}))
    assert _span_services(stamp_service_names(body)) == {"odd": "its-own"}


class _Recorder:
    """The app behind the middleware: what Phoenix's route would receive."""

    def __init__(self) -> None:
        self.body = b""
        self.headers: dict[bytes, bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.headers = dict(scope["headers"])
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _post(path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> _Recorder:
    recorder = _Recorder()
    middleware = ServiceNameMiddleware(recorder)
    chunks: list[Message] = [
        {"type": "http.request", "body": body[:10], "more_body": True},
        {"type": "http.request", "body": body[10:], "more_body": False},
    ]

    async def receive() -> Message:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(_: Message) -> None:
        return None

    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": path, "headers": headers}
    asyncio.run(middleware(scope, receive, send))
    return recorder


def test_the_middleware_rewrites_otlp_posts_plain_or_gzipped() -> None:
    body = _export_body(*_spans("edge", "POST /graphql"))
    protobuf = (b"content-type", b"application/x-protobuf")
    plain = _post("/v1/traces", body, [protobuf, (b"content-length", str(len(body)).encode())])
    assert _span_services(plain.body) == {"POST /graphql": "edge"}
    assert plain.headers[b"content-length"] == str(len(plain.body)).encode()
    zipped = _post("/v1/traces", gzip.compress(body), [protobuf, (b"content-encoding", b"gzip")])
    assert _span_services(zipped.body) == {"POST /graphql": "edge"}
    assert b"content-encoding" not in zipped.headers


def test_anything_else_passes_unchanged() -> None:
    body = _export_body(*_spans("edge", "POST /graphql"))
    protobuf = (b"content-type", b"application/x-protobuf")
    assert _post("/v1/projects", body, [protobuf]).body == body
    assert _post("/v1/traces", body, [(b"content-type", b"application/json")]).body == body
    # Not protobuf at all: Phoenix gets the bytes as sent and answers them itself.
    assert _post("/v1/traces", b"\xff\xffnot protobuf", [protobuf]).body == b"\xff\xffnot protobuf"
