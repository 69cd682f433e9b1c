"""How api and ai serve: uvicorn's options, written once, and the server that drains on SIGTERM."""

from __future__ import annotations

import socket
from collections.abc import Callable
from types import FrameType
from typing import Protocol

import uvicorn
from foundry_contract import SERVER_KEEP_ALIVE_SECONDS
from starlette.types import ASGIApp


class Drains(Protocol):
    """A service's lifecycle: `draining` turns its /readyz to 503."""

    draining: bool


def uvicorn_config(app: ASGIApp, *, host: str, port: int, graceful_shutdown_seconds: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        # The runtime's logging (configure_logging) formats uvicorn's records; its access line is
        # replaced by the request-context middleware's.
        log_config=None,
        access_log=False,
        # Neither service trusts a forwarded client address: the edge appends to X-Forwarded-For.
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=graceful_shutdown_seconds,
        # Longer than every ALB's idle timeout, or the ALB answers 502 on a connection we closed
        # (foundry_contract.timeouts cites AWS).
        timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
        lifespan="on",
    )


class DrainingServer(uvicorn.Server):
    """Flips /readyz to 503 the moment SIGTERM arrives, before uvicorn stops accepting and drains;
    once drained, `after_drain` runs (the tracer's flush of its last spans)."""

    def __init__(
        self, config: uvicorn.Config, *, lifecycle: Drains, after_drain: Callable[[], None] | None = None
    ) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle
        self.after_drain = after_drain

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.lifecycle.draining = True
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=sockets)
        # Here, not after run(): uvicorn re-raises the SIGTERM it caught once serving ends, which ends
        # the process before any code after run() (a `finally`) could send what is still buffered.
        if self.after_drain is not None:
            self.after_drain()
