"""The JSON error shape: the service's keys for the request and trace ids, no caching, Retry-After in
seconds."""

from __future__ import annotations

import json

import pytest
from foundry_runtime import ErrorShape, RequestContext
from opentelemetry.sdk.trace import TracerProvider
from starlette.types import Scope

SCOPE: Scope = {
    "type": "http",
    "foundry.request": RequestContext(method="GET", path="/", request_id="req-1"),
}


@pytest.mark.parametrize(("field", "trace_field"), [("requestId", "traceId"), ("request_id", "trace_id")])
def test_the_body_names_the_ids_as_the_service_does(field: str, trace_field: str) -> None:
    response = ErrorShape(request_id_field=field, trace_id_field=trace_field).response(
        scope=SCOPE, status=401, code="UNAUTHENTICATED", message="no"
    )
    assert response.status_code == 401
    assert json.loads(bytes(response.body)) == {
        "error": {"code": "UNAUTHENTICATED", "message": "no", field: "req-1", trace_field: None}
    }
    assert response.headers["cache-control"] == "no-store"
    assert "retry-after" not in response.headers


def test_inside_a_span_the_body_carries_its_trace_id() -> None:
    with TracerProvider().get_tracer("test").start_as_current_span("request") as span:
        response = ErrorShape(request_id_field="request_id", trace_id_field="trace_id").response(
            scope=SCOPE, status=500, code="INTERNAL_ERROR", message="internal error"
        )
    trace_id = json.loads(bytes(response.body))["error"]["trace_id"]
    assert trace_id == format(span.get_span_context().trace_id, "032x")
    assert len(trace_id) == 32


def test_a_request_outside_the_context_has_a_null_id() -> None:
    response = ErrorShape(request_id_field="request_id", trace_id_field="trace_id").response(
        scope={"type": "http"}, status=500, code="INTERNAL_ERROR", message="internal error"
    )
    assert json.loads(bytes(response.body))["error"]["request_id"] is None


@pytest.mark.parametrize(("after", "header"), [(0.0, "1"), (0.2, "1"), (1.0, "1"), (1.01, "2"), (30, "30")])
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(after: float, header: str) -> None:
    response = ErrorShape(request_id_field="request_id", trace_id_field="trace_id").response(
        scope=SCOPE, status=503, code="OVERLOADED", message="busy", retry_after=after
    )
    assert response.headers["retry-after"] == header
