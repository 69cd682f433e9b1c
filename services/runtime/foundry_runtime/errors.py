"""The services' single JSON error shape, {"error": {"code", "message", <request id>, <trace id>}}; never
a stack trace. The trace id (null when tracing is off) finds the request's spans in the trace backend."""

from __future__ import annotations

import math
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import Scope

from foundry_runtime.context import request_id_of
from foundry_runtime.trace_context import current_trace_id


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorShape:
    """One service's error body. The ids' keys are that service's clients' spelling (the api's
    browser clients read camelCase `requestId` and `traceId`, as in its GraphQL errors; ai's
    `request_id` and `trace_id`)."""

    request_id_field: str
    trace_id_field: str

    def response(
        self, *, scope: Scope, status: int, code: str, message: str, retry_after: float | None = None
    ) -> JSONResponse:
        headers = {"Cache-Control": "no-store"}
        if retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        return JSONResponse(
            {
                "error": {
                    "code": code,
                    "message": message,
                    self.request_id_field: request_id_of(scope),
                    self.trace_id_field: current_trace_id(),
                }
            },
            status_code=status,
            headers=headers,
        )
