"""The api's own pure-ASGI middleware: the origin check and auth. The stack, outermost first, is
request id + access log, origin check, body limit, auth (foundry_runtime gives the first and the third).

Pure ASGI (not BaseHTTPMiddleware) so streaming and cancellation on shutdown behave, and so each
layer can answer early with a small JSON error before the GraphQL machinery runs.
"""

from __future__ import annotations

import hmac
from typing import Any

import structlog
from foundry_contract import HEALTH_PATH
from foundry_runtime import ErrorShape, StructlogAccessLog
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from foundry_api.core.security import AuthError, AuthUnavailableError, TokenVerifier

ACCESS_LOGGER = "foundry_api.access"
log = structlog.stdlib.get_logger(ACCESS_LOGGER)
access_log = StructlogAccessLog(logger_name=ACCESS_LOGGER)
# camelCase `requestId` and `traceId`, as the GraphQL errors' extensions spell it for the same browser clients.
ERRORS = ErrorShape(request_id_field="requestId", trace_id_field="traceId")
# App Runner / ECS health checks hit the origin directly, without CloudFront's secret header, and
# they probe /healthz only. /readyz tells the database's state and the schema version, so it answers
# only requests that carry the header (operators read it through the edge or with the secret).
UNVERIFIED_PATHS = frozenset({HEALTH_PATH})


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
            response = ERRORS.response(
                scope=scope, status=403, code="FORBIDDEN", message="request did not come through the edge"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


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
            response = ERRORS.response(
                scope=scope, status=401, code="UNAUTHENTICATED", message="a valid session token is required"
            )
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            await response(scope, receive, send)
            return
        except AuthUnavailableError:
            response = ERRORS.response(
                scope=scope, status=503, code="AUTH_UNAVAILABLE", message="cannot verify tokens right now"
            )
            await response(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state["principal"] = principal
        with structlog.contextvars.bound_contextvars(user=principal.sub):
            await self.app(scope, receive, send)
