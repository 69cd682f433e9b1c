"""Builds the ASGI app: health endpoints, the hardened GraphQL endpoint and the middleware stack."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import httpx
import psycopg
import structlog
from foundry_contract import HEALTH_PATH, ORIGIN_VERIFY_HEADER, READY_PATH
from foundry_runtime import BodySizeLimitMiddleware, RequestContextMiddleware, request_id_of
from foundry_runtime.tracing import Tracing
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from foundry_api.ai_requests.client import AiClient
from foundry_api.context import Context, Services
from foundry_api.core import migrate
from foundry_api.core.config import Settings
from foundry_api.core.db import Pool, connection_kwargs, create_pool
from foundry_api.core.middleware import ERRORS, AuthMiddleware, OriginVerifyMiddleware, access_log
from foundry_api.core.security import JwksCache, TokenVerifier
from foundry_api.core.storage import ObjectStore
from foundry_api.schema import build_schema

log = structlog.stdlib.get_logger(__name__)

GRAPHQL_PATH = "/graphql"
MAX_BODY_BYTES = 64 * 1024
READINESS_TIMEOUT_SECONDS = 2.0
JWKS_FETCH_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


@dataclass(slots=True)
class Lifecycle:
    """Shared between the app and the server: `draining` flips on SIGTERM (see __main__.serve)."""

    draining: bool = False
    schema_ok: bool | None = field(default=None)


class FoundryGraphQL(GraphQL[Context, None]):
    def __init__(self, *, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._services = services

    async def get_context(self, request: Request | Any, response: Response | Any) -> Context:
        state = request.scope.get("state", {})
        return Context(
            request=request,
            response=response,
            services=self._services,
            principal=state.get("principal"),
            request_id=request_id_of(request.scope) or "",
        )


def run_migrations_sync(settings: Settings) -> list[str]:
    kwargs = connection_kwargs(settings)
    kwargs.pop("options", None)  # migrations may legitimately outlast the request statement_timeout
    conninfo = str(kwargs.pop("conninfo", ""))
    with psycopg.connect(conninfo, autocommit=True, **kwargs) as conn:
        return [m.label for m in migrate.apply(conn)]


def create_app(
    settings: Settings, *, lifecycle: Lifecycle | None = None, tracing: Tracing | None = None
) -> Starlette:
    lifecycle = lifecycle or Lifecycle()
    # -- traces (issue 17): off unless the caller (the entry point, a test) hands one in
    tracing = tracing or Tracing.off()
    # --
    required_version = migrate.required_version()
    pool: Pool = create_pool(settings, tracing=tracing)
    store = ObjectStore(
        bucket=settings.uploads_bucket,
        region=settings.uploads_bucket_region,
        url_ttl_seconds=settings.upload_url_ttl_seconds,
        endpoint_url=settings.s3_endpoint_url,
    )
    ai = AiClient(
        base_url=settings.ai_service_url,
        api_key=settings.ai_internal_api_key.get_secret_value(),
        timeout_seconds=settings.ai_request_timeout_seconds,
        tracing=tracing,
    )
    jwks_http = httpx.AsyncClient(timeout=JWKS_FETCH_TIMEOUT, follow_redirects=False)
    tracing.instrument_httpx(jwks_http)
    verifier = TokenVerifier(
        jwks=JwksCache(url=settings.clerk_jwks_url, client=jwks_http),
        issuer=settings.clerk_issuer,
        authorized_parties=settings.authorized_parties,
    )
    services = Services(settings=settings, pool=pool, store=store, ai=ai)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Only a local api holding the owner's login migrates; its own role may not run DDL.
        if settings.foundry_env == "local" and settings.database_auth == "secret":
            applied = await anyio.to_thread.run_sync(run_migrations_sync, settings)
            log.info("migrations_applied", applied=applied)
        # Not waiting: a database that is down at boot shows up as /readyz 503, not a crash loop.
        await pool.open(wait=False)
        log.info("api_started", env=settings.foundry_env, required_schema_version=required_version)
        try:
            yield
        finally:
            lifecycle.draining = True
            await pool.close(timeout=5)
            await ai.aclose()
            await jwks_http.aclose()
            log.info("api_stopped")

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        if lifecycle.draining:
            return JSONResponse({"status": "draining"}, status_code=503)
        try:
            async with pool.connection(timeout=READINESS_TIMEOUT_SECONDS) as conn:
                version = await migrate.current_version(conn)
        except Exception as exc:  # any failure here means "not ready", never a crash
            log.warning("readiness_database_unreachable", error=type(exc).__name__)
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        ok = version >= required_version
        if ok != lifecycle.schema_ok:  # log transitions, not every probe
            lifecycle.schema_ok = ok
            if ok:
                log.info("schema_ready", database_version=version, required_version=required_version)
            else:
                log.error(
                    "schema_too_old: database schema is older than this code needs; "
                    "run `foundry-api migrate apply`",
                    database_version=version,
                    required_version=required_version,
                )
        if not ok:
            return JSONResponse(
                {"status": "schema too old", "database": version, "required": required_version},
                status_code=503,
            )
        return JSONResponse({"status": "ready", "schemaVersion": version})

    async def public_readyz(request: Request) -> Response:
        """The deploy's readiness gate through CloudFront (/api/readyz): the same verdict as /readyz,
        but only "ready" or "not ready"; why (database, schema versions) stays in /readyz and the logs."""
        verdict = await readyz(request)
        ready = verdict.status_code == 200
        return JSONResponse({"status": "ready" if ready else "not ready"}, status_code=verdict.status_code)

    graphql_app = FoundryGraphQL(
        services=services,
        schema=build_schema(allow_introspection=settings.exposes_schema),
        graphql_ide="graphiql" if settings.exposes_schema else None,
        allow_queries_via_get=False,
        multipart_uploads_enabled=False,
    )
    middleware = [Middleware(RequestContextMiddleware, access_log=access_log)]
    if settings.origin_verify_secret is not None:
        middleware.append(
            Middleware(
                OriginVerifyMiddleware,
                secret=settings.origin_verify_secret.get_secret_value(),
                header=ORIGIN_VERIFY_HEADER,
            )
        )
    middleware += [
        Middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY_BYTES, errors=ERRORS),
        Middleware(
            AuthMiddleware,
            verifier=verifier,
            paths=frozenset({GRAPHQL_PATH}),
            ide_enabled=settings.exposes_schema,
        ),
    ]
    app = Starlette(
        routes=[
            Route(HEALTH_PATH, healthz, methods=["GET"]),
            Route(READY_PATH, readyz, methods=["GET"]),
            # CloudFront forwards /api/* here; the external health check goes through the edge.
            Route("/api" + HEALTH_PATH, healthz, methods=["GET"]),
            Route("/api" + READY_PATH, public_readyz, methods=["GET"]),
            Route(GRAPHQL_PATH, graphql_app, methods=["GET", "POST"]),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.lifecycle = lifecycle
    # -- traces (issue 17): the server span is the app's outermost layer, around every route and
    # middleware (and Starlette's own 500), so whatever path a request takes is inside it.
    tracing.instrument_app(app)
    # --
    return app
