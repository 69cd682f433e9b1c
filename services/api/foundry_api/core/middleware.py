"""Pure-ASGI middleware, outermost first: request id + access log, origin check, body limit, auth.

Pure ASGI (not BaseHTTPMiddleware) so streaming and cancellation on shutdown behave, and so each
layer can answer early with a small JSON error before the GraphQL machinery runs.
"""

from __future__ import annotations

import hmac
import re
import time
import uuid
from typing import Any

import structlog
from foundry_contract import HEALTH_PATH
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foundry_api.core.security import AuthError, AuthUnavailableError, TokenVerifier

log = structlog.stdlib.get_logger("foundry_api.access")

REQUEST_ID_HEADER = "X-Request-Id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# App Runner / ECS health checks hit the origin directly, without CloudFront's secret header, and
# they probe /healthz only. /readyz tells the database's state and the schema version, so it answers
# only requests that carry the header (operators read it through the edge or with the secret).
UNVERIFIED_PATHS = frozenset({HEALTH_PATH})


def _error(status: int, code: str, message: str, request_id: str | None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "requestId": request_id}},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def request_id_of(scope: Scope) -> str | None:
    rid = scope.get("state", {}).get("request_id")
    return rid if isinstance(rid, str) else None


class RequestContextMiddleware:
    """Accepts a well-formed X-Request-Id (or makes one), binds it to every log line, echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )


class OriginVerifyMiddleware:
    """Refuses requests that did not come through CloudFront (reference §0.3): the distribution
    adds a secret header, and calling the App Runner domain directly lacks it."""

    def __init__(self, app: ASGIApp, *, secret: str, header: str) -> None:
        self.app = app
        self._secret = secret.encode()
        self._header = header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNVERIFIED_PATHS:
            await self.app(scope, receive, send)
            return
        presented = Headers(scope=scope).get(self._header, "").encode()
        if not hmac.compare_digest(presented, self._secret):
            await _error(403, "FORBIDDEN", "request did not come through the edge", request_id_of(scope))(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)


class BodySizeLimitMiddleware:
    """Reads at most `max_bytes` of a request body (413 beyond), then replays it to the app."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Built only when needed, not on every POST.
        response = _error(
            413, "PAYLOAD_TOO_LARGE", f"request body exceeds {self.max_bytes} bytes", request_id_of(scope)
        )
        await response(scope, receive, send)


class AuthMiddleware:
    """Every GraphQL request needs a valid Clerk session token; refusals are HTTP 401 JSON, before any
    GraphQL parsing. The GraphQL IDE page itself (GET text/html, development only) is let through."""

    def __init__(self, app: ASGIApp, *, verifier: TokenVerifier, paths: frozenset[str], ide_enabled: bool):
        self.app = app
        self._verifier = verifier
        self._paths = paths
        self._ide_enabled = ide_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self._paths:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self._ide_enabled and scope["method"] == "GET" and "text/html" in headers.get("accept", ""):
            await self.app(scope, receive, send)
            return
        try:
            principal = await self._verifier.verify_header(headers.get("authorization"))
        except AuthError as exc:
            log.info("auth_rejected", reason=str(exc))
            response = _error(
                401, "UNAUTHENTICATED", "a valid session token is required", request_id_of(scope)
            )
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            await response(scope, receive, send)
            return
        except AuthUnavailableError:
            await _error(503, "AUTH_UNAVAILABLE", "cannot verify tokens right now", request_id_of(scope))(
                scope, receive, send
            )
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state["principal"] = principal
        with structlog.contextvars.bound_contextvars(user=principal.sub):
            await self.app(scope, receive, send)
