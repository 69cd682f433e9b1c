"""ai's single JSON error shape: {"error": {"code", "message", "request_id"}}; never a stack trace."""

from __future__ import annotations

from foundry_runtime import ErrorShape

ERRORS = ErrorShape(request_id_field="request_id", trace_id_field="trace_id")
