"""What api and ai each do per request, written once: the request id, JSON logs, the access line,
the JSON error shape and the body cap. The twin's edge uses the same request context."""

from foundry_runtime.access_log import AccessLog, RequestContextMiddleware, StructlogAccessLog
from foundry_runtime.body import BodySizeLimitMiddleware, ClientDisconnectedError, read_body, replay_body
from foundry_runtime.context import RequestContext, request_context_of, request_id_of
from foundry_runtime.errors import ErrorShape
from foundry_runtime.logging import configure_logging
from foundry_runtime.request_id import REQUEST_ID_HEADER, accept_request_id, new_request_id

__all__ = [
    "REQUEST_ID_HEADER",
    "AccessLog",
    "BodySizeLimitMiddleware",
    "ClientDisconnectedError",
    "ErrorShape",
    "RequestContext",
    "RequestContextMiddleware",
    "StructlogAccessLog",
    "accept_request_id",
    "configure_logging",
    "new_request_id",
    "read_body",
    "replay_body",
    "request_context_of",
    "request_id_of",
]
