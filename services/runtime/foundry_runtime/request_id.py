"""The request id every service accepts, makes and echoes (spec §10): one name, one format."""

from __future__ import annotations

import re
import uuid

REQUEST_ID_HEADER = "X-Request-Id"
# Short and log-safe: an incoming id ends up in every log line, so no spaces, quotes or control bytes.
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def accept_request_id(value: str | None) -> str | None:
    """`value` if it is a well-formed request id, else None (the caller then makes or learns one)."""
    if value is not None and _WELL_FORMED.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex
