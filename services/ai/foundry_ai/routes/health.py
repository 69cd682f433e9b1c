"""Liveness and readiness, both without the internal key (App Runner/ECS probes carry none)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from foundry_contract import HEALTH_PATH, READY_PATH

router = APIRouter(tags=["health"])


@router.get(HEALTH_PATH)
async def healthz() -> dict[str, str]:
    """200 while the process serves HTTP; says nothing about the upstream."""
    return {"status": "ok"}


@router.get(READY_PATH, response_model=None)
async def readyz(request: Request) -> JSONResponse | dict[str, str]:
    """503 once SIGTERM arrived, so the load balancer stops sending new work while we drain.

    Upstream health is deliberately left out: a failing provider is the breaker's business, and
    taking every instance out of rotation would turn a degraded provider into a full outage.
    """
    if request.app.state.lifecycle.draining:
        return JSONResponse({"status": "draining"}, status_code=503)
    return {"status": "ready"}
