"""The single JSON error shape: {"error": {"code", "message", "request_id"}}; never a stack trace."""

from __future__ import annotations

import math

from starlette.responses import JSONResponse
from starlette.types import Scope


def request_id_of(scope: Scope) -> str | None:
    rid = scope.get("state", {}).get("request_id")
    return rid if isinstance(rid, str) else None


def error_response(
    status: int, code: str, message: str, request_id: str | None, *, retry_after: float | None = None
) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return JSONResponse(
        {"error": {"code": code, "message": message, "request_id": request_id}},
        status_code=status,
        headers=headers,
    )
