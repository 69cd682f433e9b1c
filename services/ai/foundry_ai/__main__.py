"""`foundry-ai` runs the service under uvicorn on $PORT (the container's exec-form CMD, PID 1)."""

from __future__ import annotations

import math
import sys
from types import FrameType

import uvicorn
from foundry_contract import SERVER_KEEP_ALIVE_SECONDS
from foundry_runtime import configure_logging

from foundry_ai.core.config import ConfigError, Settings, load_settings
from foundry_ai.main import Lifecycle, create_app

# App Runner documents no grace period; ECS defaults to 30 s. In-flight completions are bounded by
# AI_DEADLINE_SECONDS (default 25), so waiting a little longer lets them finish.
GRACEFUL_SHUTDOWN_MARGIN_SECONDS = 2
GRACEFUL_SHUTDOWN_MAX_SECONDS = 28


class DrainingServer(uvicorn.Server):
    """Flips /readyz to 503 the moment SIGTERM arrives, before uvicorn stops accepting and drains."""

    def __init__(self, config: uvicorn.Config, *, lifecycle: Lifecycle) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.lifecycle.draining = True
        super().handle_exit(sig, frame)


def uvicorn_config(settings: Settings, lifecycle: Lifecycle) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings, lifecycle=lifecycle),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=min(
            GRACEFUL_SHUTDOWN_MAX_SECONDS,
            math.ceil(settings.ai_deadline_seconds) + GRACEFUL_SHUTDOWN_MARGIN_SECONDS,
        ),
        # Longer than every ALB's idle timeout, or the ALB answers 502 on a connection we closed
        # (foundry_contract.timeouts cites AWS).
        timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
        lifespan="on",
    )


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        # One line, no traceback: this is what an operator reads in the service's log stream.
        print(f"foundry-ai: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level)
    lifecycle = Lifecycle()
    DrainingServer(uvicorn_config(settings, lifecycle), lifecycle=lifecycle).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
