"""Per-request GraphQL context and the Info alias every resolver uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request
from starlette.responses import Response

from foundry_api.ai_requests.client import AiClient
from foundry_api.core.config import Settings
from foundry_api.core.db import Pool
from foundry_api.core.security import Principal
from foundry_api.core.storage import ObjectStore
from foundry_api.users.repository import UserRecord, get_or_create_user


@dataclass(slots=True, kw_only=True)
class Services:
    """Process-wide dependencies, created once in the app's lifespan."""

    settings: Settings
    pool: Pool
    store: ObjectStore
    ai: AiClient


@dataclass(slots=True, kw_only=True)
class Context:
    request: Request
    response: Response
    services: Services
    # None only for the GraphQL IDE page in development, which AuthMiddleware lets through.
    principal: Principal | None
    request_id: str
    _viewer: UserRecord | None = field(default=None, repr=False)

    async def viewer(self) -> UserRecord:
        """The signed-in user's row, created on first sight of their `sub` and cached per request."""
        if self.principal is None:
            raise PermissionError("not signed in")
        if self._viewer is None:
            self._viewer = await get_or_create_user(self.services.pool, clerk_sub=self.principal.sub)
        return self._viewer


Info = strawberry.Info[Context, None]

__all__ = ["Context", "Info", "Services"]
