"""The request-context middleware: the request id in, the id back out, one access line per request."""

from __future__ import annotations

import contextvars
from typing import Protocol

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foundry_runtime.context import SCOPE_KEY, RequestContext
from foundry_runtime.request_id import REQUEST_ID_HEADER, accept_request_id, new_request_id


class AccessLog(Protocol):
    """Writes one request's access line."""

    def __call__(self, *, scope: Scope, context: RequestContext) -> None: ...


class StructlogAccessLog:
    """The services' access line: event "request" on `logger_name`, with the request id bound."""

    def __init__(self, *, logger_name: str) -> None:
        self._log = structlog.stdlib.get_logger(logger_name)

    def __call__(self, *, scope: Scope, context: RequestContext) -> None:
        self._log.info(
            "request",
            method=context.method,
            path=context.path,
            # No response started: the app raised, and Starlette's outermost error handler answers 500.
            status=500 if context.status is None else context.status,
            duration_ms=context.duration_ms(),
            **context.log_fields,
        )


def _body_length(*, method: str, status: int, headers: MutableHeaders) -> int | None:
    """How many body bytes the client waits for after these headers (RFC 9110 §6.4.1), if known."""
    if method == "HEAD" or status in (204, 304) or status < 200:
        return 0
    declared = headers.get("content-length", "")
    return int(declared) if declared.isdigit() else None


class RequestContextMiddleware:
    """Opens each HTTP request's `RequestContext` and writes its access line once, as the response ends.

    The request id is a well-formed incoming X-Request-Id, else a new one, bound to every structlog
    line of the request and echoed in the response. With `assign_request_id=False` (a proxy, which
    must pass requests on unchanged: the twin's edge) no id is made or added; the context then takes
    the one the response carries, so the proxy's line names the id its origin logged.
    """

    def __init__(self, app: ASGIApp, *, access_log: AccessLog, assign_request_id: bool = True) -> None:
        self.app = app
        self.access_log = access_log
        self.assign_request_id = assign_request_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        if request_id is None and self.assign_request_id:
            request_id = new_request_id()
        context = RequestContext(method=scope["method"], path=scope["path"], request_id=request_id)
        scope[SCOPE_KEY] = context
        logged = False
        # Bytes of the body still to go, when known: a client has the response once they arrived,
        # which may be before the app's closing (empty) body message.
        remaining: int | None = None

        def write_access_line() -> None:
            nonlocal logged
            if not logged:
                logged = True
                # In the context this middleware bound, not the inner layer's that calls send: the line
                # carries the request's fields only, whatever an inner middleware bound meanwhile.
                own_context.run(self.access_log, scope=scope, context=context)

        async def send_in_context(message: Message) -> None:
            nonlocal remaining
            if message["type"] == "http.response.start":
                context.status = message["status"]
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                if self.assign_request_id:
                    headers[REQUEST_ID_HEADER] = str(context.request_id)
                elif context.request_id is None:
                    context.request_id = accept_request_id(headers.get(REQUEST_ID_HEADER))
                remaining = _body_length(method=scope["method"], status=context.status, headers=headers)
                if remaining == 0:
                    write_access_line()
            elif message["type"] == "http.response.body":
                if remaining is not None:
                    remaining -= len(message.get("body", b""))
                if not message.get("more_body", False) or (remaining is not None and remaining <= 0):
                    # Written before the last byte leaves, so a client that saw the response finds its line.
                    write_access_line()
            await send(message)

        bound = {"request_id": request_id} if request_id is not None else {}
        with structlog.contextvars.bound_contextvars(**bound):
            own_context = contextvars.copy_context()
            try:
                await self.app(scope, receive, send_in_context)
            finally:
                write_access_line()
