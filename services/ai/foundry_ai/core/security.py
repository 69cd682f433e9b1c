"""The internal API key check (spec §3.3, §13): `ai` trusts only callers holding the shared key.

Pure ASGI, outermost after the request id, so a request without the key never reaches body parsing
or routing. The comparison is constant-time (hmac.compare_digest) on bytes.
"""

from __future__ import annotations

import hmac

import structlog
from foundry_contract import INTERNAL_API_KEY_HEADER
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from foundry_ai.core.errors import ERRORS

log = structlog.stdlib.get_logger(__name__)


def key_matches(presented: str | None, expected: str) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


class InternalApiKeyMiddleware:
    def __init__(self, app: ASGIApp, *, api_key: str, open_paths: frozenset[str]) -> None:
        self.app = app
        self._api_key = api_key
        self._open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._open_paths:
            await self.app(scope, receive, send)
            return
        if not key_matches(Headers(scope=scope).get(INTERNAL_API_KEY_HEADER), self._api_key):
            log.info("auth_rejected", path=scope["path"])
            response = ERRORS.response(
                scope=scope,
                status=401,
                code="UNAUTHENTICATED",
                message=f"a valid {INTERNAL_API_KEY_HEADER} header is required",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
