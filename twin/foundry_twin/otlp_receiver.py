"""An OTLP trace receiver on 127.0.0.1 that keeps what it is sent, for tests that run a service by its
real entry point and need to see the spans its exporter really sent (the twin's own backend, the
`traces` part, is a full trace store with a UI; this is the few lines a test can start in a second).

Both of OTLP's transports, as the OpenTelemetry Protocol specification defines them:
`http/protobuf` (POST /v1/traces, an ExportTraceServiceRequest body) and `grpc` (the TraceService
Export call). https://opentelemetry.io/docs/specs/otlp/
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal, Self

import grpc  # type: ignore[import-untyped]  # grpcio ships no type hints
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from foundry_twin.serving import HOST, BackgroundService, BackgroundSocketServer

Protocol = Literal["http/protobuf", "grpc"]
TRACES_PATH = "/v1/traces"


@dataclass(frozen=True, slots=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str | None
    attributes: dict[str, Any]
    resource: dict[str, Any]


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return tuple(_value(item) for item in value.array_value.values)
    if kind == "kvlist_value":
        return _flat(value.kvlist_value.values)
    return getattr(value, kind) if kind else None


def _flat(pairs: Any) -> dict[str, Any]:
    items: list[KeyValue] = list(pairs)
    return {pair.key: _value(pair.value) for pair in items}


def spans_of(request: trace_service_pb2.ExportTraceServiceRequest) -> list[ReceivedSpan]:
    received = []
    for resource_spans in request.resource_spans:
        resource = _flat(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                received.append(
                    ReceivedSpan(
                        service=str(resource.get("service.name", "")),
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex() or None,
                        attributes=_flat(span.attributes),
                        resource=resource,
                    )
                )
    return received


class OtlpReceiver(BackgroundService):
    """`with OtlpReceiver(protocol="grpc") as collector:` then OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint."""

    def __init__(self, *, protocol: Protocol = "http/protobuf", host: str = HOST) -> None:
        self.protocol = protocol
        self.host = host
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        self._http: BackgroundSocketServer | None = None
        self._grpc: grpc.Server | None = None
        self._port: int | None = None

    def _keep(self, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        with self._lock:
            self._spans.extend(spans_of(request))

    def start(self) -> Self:
        if self.protocol == "grpc":
            receiver = self

            class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
                def Export(  # noqa: N802 - the service's method name, as the .proto spells it
                    self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
                ) -> trace_service_pb2.ExportTraceServiceResponse:
                    receiver._keep(request)
                    return trace_service_pb2.ExportTraceServiceResponse()

            server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
            # The generated gRPC module is untyped (protoc's grpc plugin writes no hints).
            trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(), server)  # type: ignore[no-untyped-call]
            self._port = server.add_insecure_port(f"{self.host}:0")
            server.start()
            self._grpc = server
            return self
        self._http = BackgroundSocketServer(
            self._http_handler(), name="otlp-receiver", host=self.host
        ).start()
        self._port = self._http.port
        return self

    def _http_handler(self) -> type[BaseHTTPRequestHandler]:
        keep = self._keep

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as a collector serves its exporters: with HTTP/1.0 every batch would open a
            # new connection, a cost in the sending service that no real collector puts there.
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != TRACES_PATH:
                    self._reply(404, b"")
                    return
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                keep(request)
                self._reply(200, trace_service_pb2.ExportTraceServiceResponse().SerializeToString())

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    @property
    def endpoint(self) -> str:
        if self._port is None:
            raise RuntimeError("otlp-receiver is not started")
        return f"http://{self.host}:{self._port}"

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self._spans)

    def wait_for(
        self, found: Callable[[list[ReceivedSpan]], bool], *, timeout: float = 10.0
    ) -> list[ReceivedSpan]:
        """The spans once `found` holds for them, or as they are when `timeout` runs out (bounded)."""
        deadline = time.monotonic() + timeout
        while not found(spans := self.spans) and time.monotonic() < deadline:
            time.sleep(0.02)
        return spans

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._grpc is not None:
            self._grpc.stop(grace=1).wait(timeout=5)
            self._grpc = None
