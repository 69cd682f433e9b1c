"""The JSON error shape: the service's key for the request id, no caching, Retry-After in seconds."""

from __future__ import annotations

import json

import pytest
from foundry_runtime import ErrorShape, RequestContext
from starlette.types import Scope

SCOPE: Scope = {
    "type": "http",
    "foundry.request": RequestContext(method="GET", path="/", request_id="req-1"),
}


@pytest.mark.parametrize("field", ["requestId", "request_id"])
def test_the_body_names_the_request_id_as_the_service_does(field: str) -> None:
    response = ErrorShape(request_id_field=field).response(
        scope=SCOPE, status=401, code="UNAUTHENTICATED", message="no"
    )
    assert response.status_code == 401
    assert json.loads(bytes(response.body)) == {
        "error": {"code": "UNAUTHENTICATED", "message": "no", field: "req-1"}
    }
    assert response.headers["cache-control"] == "no-store"
    assert "retry-after" not in response.headers


def test_a_request_outside_the_context_has_a_null_id() -> None:
    response = ErrorShape(request_id_field="request_id").response(
        scope={"type": "http"}, status=500, code="INTERNAL_ERROR", message="internal error"
    )
    assert json.loads(bytes(response.body))["error"]["request_id"] is None


@pytest.mark.parametrize(("after", "header"), [(0.0, "1"), (0.2, "1"), (1.0, "1"), (1.01, "2"), (30, "30")])
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(after: float, header: str) -> None:
    response = ErrorShape(request_id_field="request_id").response(
        scope=SCOPE, status=503, code="OVERLOADED", message="busy", retry_after=after
    )
    assert response.headers["retry-after"] == header
