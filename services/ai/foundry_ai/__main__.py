"""`foundry-ai` runs the service under uvicorn on $PORT (the container's exec-form CMD, PID 1)."""

from __future__ import annotations

import math
import sys

from foundry_runtime import configure_logging
from foundry_runtime.server import DrainingServer, uvicorn_config
from foundry_runtime.tracing import TracingConfigError, configure_tracing, package_version

from foundry_ai.core.config import ConfigError, Settings, load_settings

# App Runner documents no grace period; ECS defaults to 30 s. In-flight completions are bounded by
# AI_DEADLINE_SECONDS (default 25), so waiting a little longer lets them finish.
GRACEFUL_SHUTDOWN_MARGIN_SECONDS = 2
GRACEFUL_SHUTDOWN_MAX_SECONDS = 28


def graceful_shutdown_seconds(settings: Settings) -> int:
    return min(
        GRACEFUL_SHUTDOWN_MAX_SECONDS,
        math.ceil(settings.ai_deadline_seconds) + GRACEFUL_SHUTDOWN_MARGIN_SECONDS,
    )


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        # One line, no traceback: this is what an operator reads in the service's log stream.
        print(f"foundry-ai: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level)
    try:
        tracing = configure_tracing(
            service_name="ai", environment=settings.foundry_env, version=package_version("foundry-ai")
        )
    except TracingConfigError as exc:
        print(f"foundry-ai: invalid configuration: {exc}", file=sys.stderr)
        return 2
    # Imported once tracing is configured: FastAPI imports opentelemetry.propagate, which reads
    # OTEL_PROPAGATORS as it loads (foundry_runtime.tracing).
    from foundry_ai.main import Lifecycle, create_app

    lifecycle = Lifecycle()
    app = create_app(settings, lifecycle=lifecycle, tracing=tracing)
    config = uvicorn_config(
        app,
        host=settings.host,
        port=settings.port,
        graceful_shutdown_seconds=graceful_shutdown_seconds(settings),
    )
    DrainingServer(config, lifecycle=lifecycle, after_drain=tracing.shutdown).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
