"""The services' uvicorn options, written once: what the load balancers in front of them need."""

from __future__ import annotations

import asyncio
import signal

from foundry_contract import ALB_IDLE_TIMEOUT_SECONDS
from foundry_runtime.server import DrainingServer, uvicorn_config
from starlette.applications import Starlette


def test_keeps_idle_connections_longer_than_every_load_balancer() -> None:
    """uvicorn's default keep-alive (5 s) is below the ALB's idle timeout (60 s): the ALB then reuses
    a socket the service has closed and answers 502. infra/tests/test_compute.py checks the ALB side."""
    config = uvicorn_config(Starlette(), host="127.0.0.1", port=0, graceful_shutdown_seconds=25)
    assert config.timeout_keep_alive > ALB_IDLE_TIMEOUT_SECONDS
    assert config.timeout_graceful_shutdown == 25
    # The request-context middleware writes the access line; uvicorn's would be a second one.
    assert config.access_log is False
    assert config.proxy_headers is False


class _Lifecycle:
    draining = False


def test_sigterm_turns_readiness_off_before_uvicorn_drains() -> None:
    lifecycle = _Lifecycle()
    server = DrainingServer(
        uvicorn_config(Starlette(), host="127.0.0.1", port=0, graceful_shutdown_seconds=1),
        lifecycle=lifecycle,
    )
    server.handle_exit(signal.SIGTERM, None)
    assert lifecycle.draining is True
    assert server.should_exit is True


async def test_after_draining_the_last_spans_are_sent() -> None:
    flushed: list[bool] = []
    server = DrainingServer(
        uvicorn_config(Starlette(), host="127.0.0.1", port=0, graceful_shutdown_seconds=1),
        lifecycle=_Lifecycle(),
        after_drain=lambda: flushed.append(server.started),
    )
    serving = asyncio.create_task(server.serve())
    for _ in range(500):  # bounded: up to 5 s for uvicorn to bind
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert flushed == []
    server.should_exit = True
    await asyncio.wait_for(serving, timeout=10)
    assert flushed == [True]
