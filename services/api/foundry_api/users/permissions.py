"""Authentication happens before GraphQL (core/middleware.AuthMiddleware answers 401 without a valid
session token); this permission re-checks it on the root fields, so a routing mistake that skips
the middleware fails closed instead of running resolvers anonymously."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from foundry_api.context import Info


class IsAuthenticated(BasePermission):
    message = "Not signed in."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal is not None
