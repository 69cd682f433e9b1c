"""Builds the ai app: settings in, FastAPI out. Nothing here reads the environment."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import structlog
from fastapi import FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from foundry_contract import HEALTH_PATH, INTERNAL_API_KEY_HEADER, READY_PATH
from foundry_runtime import BodySizeLimitMiddleware, RequestContextMiddleware, StructlogAccessLog
from foundry_runtime.tracing import Tracing
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware

from foundry_ai.core.config import Settings
from foundry_ai.core.errors import ERRORS
from foundry_ai.core.metrics import Metrics
from foundry_ai.core.security import InternalApiKeyMiddleware
from foundry_ai.routes import complete, health
from foundry_ai.upstream.breaker import CircuitBreaker
from foundry_ai.upstream.client import UpstreamClient
from foundry_ai.upstream.errors import CompletionError
from foundry_ai.upstream.gateway import CompletionGateway, RetrySettings

log = structlog.stdlib.get_logger(__name__)

DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/openapi.json"})
# JSON escapes a character in at most 6 bytes (\uXXXX); the rest of the body is small.
_BODY_OVERHEAD_BYTES = 4096

# Only documents the header in OpenAPI (the Authorize button); InternalApiKeyMiddleware enforces it.
_documented_key = APIKeyHeader(name=INTERNAL_API_KEY_HEADER, auto_error=False)


@dataclass(slots=True)
class Lifecycle:
    """Shared between the app and the server: `draining` flips on SIGTERM (see __main__)."""

    draining: bool = False


def build_gateway(
    settings: Settings,
    *,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None = None,
    tracing: Tracing | None = None,
) -> CompletionGateway:
    client = UpstreamClient(
        base_url=settings.ai_upstream_base_url,
        model=settings.ai_upstream_model,
        api_key=settings.ai_upstream_api_key.get_secret_value() if settings.ai_upstream_api_key else None,
        timeout=httpx.Timeout(
            connect=settings.ai_connect_timeout_seconds,
            read=settings.ai_read_timeout_seconds,
            write=settings.ai_write_timeout_seconds,
            pool=settings.ai_pool_timeout_seconds,
        ),
        max_connections=settings.ai_max_concurrency,
        transport=transport,
        tracing=tracing,
        capture_message_content=settings.otel_instrumentation_genai_capture_message_content,
    )
    return CompletionGateway(
        client=client,
        breaker=CircuitBreaker(
            failure_threshold=settings.ai_breaker_failure_threshold,
            reset_seconds=settings.ai_breaker_reset_seconds,
        ),
        metrics=metrics,
        retry=RetrySettings(
            max_attempts=settings.ai_max_attempts,
            backoff_initial=settings.ai_retry_backoff_initial_seconds,
            backoff_max=settings.ai_retry_backoff_max_seconds,
            jitter=settings.ai_retry_jitter_seconds,
        ),
        deadline_seconds=settings.ai_deadline_seconds,
        max_concurrency=settings.ai_max_concurrency,
        queue_timeout_seconds=settings.ai_queue_timeout_seconds,
    )


def create_app(
    settings: Settings,
    *,
    lifecycle: Lifecycle | None = None,
    metrics: Metrics | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    tracing: Tracing | None = None,
) -> FastAPI:
    lifecycle = lifecycle or Lifecycle()
    metrics = metrics or Metrics(environment=settings.foundry_env)
    tracing = tracing or Tracing.off()
    gateway = build_gateway(settings, metrics=metrics, transport=transport, tracing=tracing)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info(
            "ai_started",
            env=settings.foundry_env,
            upstream=settings.ai_upstream_base_url,
            model=settings.ai_upstream_model,
        )
        try:
            yield
        finally:
            lifecycle.draining = True
            await gateway.aclose()
            log.info("ai_stopped")

    open_paths = {HEALTH_PATH, READY_PATH}
    if settings.exposes_docs:
        # Browsers cannot send the key when loading the docs page; the docs exist only in local/dev.
        open_paths |= DOCS_PATHS
    docs = settings.exposes_docs
    app = FastAPI(
        title="Foundry ai",
        version="0.1.0",
        description="Private completion service in front of an OpenAI-compatible upstream.",
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        lifespan=lifespan,
        # FastAPI (0.163+) traces on its own once a tracer provider is set: a second server span beside
        # the runtime's (foundry_runtime.tracing, the one instrumentation api and ai share), spans for its
        # dependencies and serialization, and log records holding exception text (which may quote a
        # prompt). Off, all of it: the runtime's spans are the contract.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        middleware=[
            Middleware(
                RequestContextMiddleware, access_log=StructlogAccessLog(logger_name="foundry_ai.access")
            ),
            Middleware(
                InternalApiKeyMiddleware,
                api_key=settings.ai_internal_api_key.get_secret_value(),
                open_paths=frozenset(open_paths),
            ),
            Middleware(
                BodySizeLimitMiddleware,
                max_bytes=6 * settings.ai_prompt_max_chars + _BODY_OVERHEAD_BYTES,
                errors=ERRORS,
            ),
        ],
    )
    app.state.settings = settings
    app.state.lifecycle = lifecycle
    app.state.gateway = gateway
    app.include_router(health.router)
    app.include_router(complete.router, dependencies=[Security(_documented_key)])
    _install_error_handlers(app)
    # The server span is the app's outermost layer: the error handlers' bodies are inside it.
    tracing.instrument_app(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CompletionError)
    async def completion_failed(request: Request, exc: CompletionError) -> JSONResponse:
        return ERRORS.response(
            scope=request.scope,
            status=exc.http_status,
            code=exc.code.value,
            message=exc.message,
            retry_after=exc.retry_after,
        )

    @app.exception_handler(complete.PromptLimitError)
    async def over_limit(request: Request, exc: complete.PromptLimitError) -> JSONResponse:
        return ERRORS.response(scope=request.scope, status=422, code="INVALID_REQUEST", message=exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Field paths and reasons only: the submitted values (the prompt) are never echoed back.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'invalid')}"
            for err in exc.errors()
        )
        return ERRORS.response(
            scope=request.scope, status=422, code="INVALID_REQUEST", message=problems or "invalid request"
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
        return ERRORS.response(
            scope=request.scope,
            status=exc.status_code,
            code=codes.get(exc.status_code, f"HTTP_{exc.status_code}"),
            message=str(exc.detail),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", error_type=type(exc).__name__)
        return ERRORS.response(
            scope=request.scope, status=500, code="INTERNAL_ERROR", message="internal error"
        )
