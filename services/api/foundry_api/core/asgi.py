"""The api's ASGI application: Starlette, plus lean routes that skip its routing.

A lean route is one (method, path) answered by a plain ASGI stack built from the very middleware
list the Starlette app wraps its routes in, behind the same outermost error handler, so a client sees
the same request id, access line, origin check, body cap and auth, and a crash is the same 500. What
it skips is Starlette's per-request routing (a regex per route) and its exception middleware, which
the lean endpoints do not need: they raise no HTTPException.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


def lean_stack(middleware: Sequence[Middleware], *, endpoint: ASGIApp) -> ASGIApp:
    """`endpoint` wrapped as Starlette wraps its router: the list outermost first, the error handler
    around them all."""
    app = endpoint
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return ServerErrorMiddleware(app)


class FoundryApp(Starlette):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lean: dict[tuple[str, str], ASGIApp] = {}

    def lean_route(self, *, method: str, path: str, app: ASGIApp) -> None:
        self._lean[(method, path)] = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            lean = self._lean.get((scope["method"], scope["path"]))
            if lean is not None:
                scope["app"] = self
                await lean(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
