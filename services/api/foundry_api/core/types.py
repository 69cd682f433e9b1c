"""GraphQL types shared by every domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry


@strawberry.type(description="An expected failure, returned as data: the client can act on `code`.")
class UserError:
    code: str
    message: str
    field: str | None = None


_Resolver = TypeVar("_Resolver", bound=Callable[..., Any])


def field(**options: Any) -> Callable[[_Resolver], _Resolver]:
    """`strawberry.field(...)` as a typed decorator (Strawberry types that call form as returning Any)."""
    return cast("Callable[[_Resolver], _Resolver]", strawberry.field(**options))


def mutation(**options: Any) -> Callable[[_Resolver], _Resolver]:
    """`strawberry.mutation(...)` as a typed decorator, for the same reason as `field`."""
    return cast("Callable[[_Resolver], _Resolver]", strawberry.mutation(**options))
