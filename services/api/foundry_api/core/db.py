"""Postgres access: one bounded async pool per process (spec §4, reference §7)."""

from __future__ import annotations

import time
from typing import Any, cast

from foundry_runtime.tracing import Tracing
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from foundry_api.core.config import DatabaseSettings, Settings
from foundry_api.core.credentials import CredentialProvider

Pool = AsyncConnectionPool[AsyncConnection[DictRow]]

# Bounds chosen so a Multi-AZ failover (tens of seconds) drains bad connections via `check` and
# `max_lifetime`, while a request never waits on the pool longer than the client would wait on us.
POOL_TIMEOUT_SECONDS = 5.0
POOL_MAX_LIFETIME_SECONDS = 1800.0
POOL_MAX_IDLE_SECONDS = 300.0
CONNECT_TIMEOUT_SECONDS = 5
IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000
# A connection back in the pool for less than this is handed out without a round trip to check it:
# under load every checkout would otherwise pay one. One that failed in between is closed by psycopg
# and never returned, and a server restart shows up as errors for at most this long.
CHECK_AFTER_IDLE_SECONDS = 2.0
_RETURNED_AT = "_foundry_returned_at"


async def _mark_returned(conn: AsyncConnection[DictRow]) -> None:
    setattr(conn, _RETURNED_AT, time.monotonic())


async def _check_if_idle(conn: AsyncConnection[DictRow]) -> None:
    returned_at: float | None = getattr(conn, _RETURNED_AT, None)
    if returned_at is None or time.monotonic() - returned_at >= CHECK_AFTER_IDLE_SECONDS:
        await AsyncConnectionPool.check_connection(conn)


def connection_kwargs(
    settings: DatabaseSettings, *, credentials: CredentialProvider | None = None
) -> dict[str, Any]:
    """Keywords for psycopg.connect: the current login plus per-session guards sent on connect."""
    params = (credentials or CredentialProvider(settings=settings)).login()
    params["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    params["application_name"] = "foundry-api"
    params["options"] = (
        f"-c statement_timeout={settings.db_statement_timeout_ms} "
        f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
    )
    if settings.database_proxy:
        # psycopg prepares a query server-side after 5 runs (prepare_threshold), and a prepared
        # statement pins the client to one RDS Proxy connection until it disconnects, which undoes
        # the proxy's multiplexing. None never prepares. What else pins (SET, advisory locks, temp
        # tables, cursors WITH HOLD, LISTEN): docs/runbooks.md, and
        # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html
        # https://www.psycopg.org/psycopg3/docs/advanced/prepare.html
        params["prepare_threshold"] = None
    return params


def _statement_spans(tracing: Tracing) -> Any:
    """The pool's `configure` hook: a span per statement on each new connection (when tracing), for
    the statements of a recorded request only."""
    if tracing.provider is None:
        return None
    from foundry_runtime.trace_context import recording
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    provider = tracing.provider

    async def instrument(conn: AsyncConnection[DictRow]) -> None:
        # Statements are recorded with their placeholders, never their parameters (user data).
        # The instrumentation types the connection without its row type (AsyncConnection[Any]).
        plain = conn.cursor_factory
        PsycopgInstrumentor.instrument_connection(
            cast("AsyncConnection[Any]", conn), tracer_provider=provider
        )
        traced = conn.cursor_factory

        # A request the sampler dropped would still start a (non-recording) span per statement, with
        # its name parsed from the SQL; at prod's 5% that is most statements (bench/README.md).
        def cursor(connection: AsyncConnection[DictRow], **kwargs: Any) -> Any:
            chosen = traced if recording() else plain
            return chosen(connection, **kwargs)

        conn.cursor_factory = cast("type[AsyncCursor[DictRow]]", cursor)

    return instrument


def create_pool(settings: Settings, *, tracing: Tracing | None = None) -> Pool:
    credentials = CredentialProvider(settings=settings)
    # DATABASE_URL, when that is the login; the other logins are keywords made per connection.
    conninfo = (
        str(settings.database_params().get("conninfo", "")) if settings.database_auth == "secret" else ""
    )

    def login() -> dict[str, Any]:
        # Called by the pool for every connection it opens: a fresh IAM token, or the password the
        # secret store holds now, so a rotation reaches the next connection (core/credentials.py).
        kwargs = connection_kwargs(settings, credentials=credentials)
        kwargs.pop("conninfo", None)
        # Every repository call is one statement (or an idempotent upsert after a read): autocommit
        # spares each checkout the BEGIN and COMMIT round trips. Work that must be atomic opens
        # `conn.transaction()` explicitly.
        return {**kwargs, "row_factory": dict_row, "autocommit": True}

    return AsyncConnectionPool(
        conninfo,
        kwargs=login,
        connection_class=AsyncConnection[DictRow],
        min_size=1,
        max_size=settings.db_pool_max_size,
        timeout=POOL_TIMEOUT_SECONDS,
        max_lifetime=POOL_MAX_LIFETIME_SECONDS,
        max_idle=POOL_MAX_IDLE_SECONDS,
        check=_check_if_idle,
        reset=_mark_returned,
        configure=_statement_spans(tracing or Tracing.off()),
        open=False,
        name="foundry-api",
    )
