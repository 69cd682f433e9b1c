"""One request's facts while it travels through an app: what its access line will say.

The context lives in the ASGI scope, so every layer of the app (a middleware, a route, an error
handler) reads the same request id and can add fields to the access line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from starlette.types import Scope

SCOPE_KEY = "foundry.request"


@dataclass(slots=True, kw_only=True)
class RequestContext:
    method: str
    path: str
    # None only where the app may not make one (a proxy that passes requests on unchanged).
    request_id: str | None
    started: float = field(default_factory=time.perf_counter)
    # The response's status once it started; None if none was sent (the app raised, the client left).
    status: int | None = None
    # Fields the app adds to this request's access line as it learns them (the edge's origin).
    log_fields: dict[str, object] = field(default_factory=dict)

    def duration_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 1)


def request_context_of(scope: Scope) -> RequestContext | None:
    context = scope.get(SCOPE_KEY)
    return context if isinstance(context, RequestContext) else None


def request_id_of(scope: Scope) -> str | None:
    context = request_context_of(scope)
    return context.request_id if context is not None else None
