"""The connection pool against a real Postgres: autocommit statements, and a liveness check only for
connections that sat idle, so a busy pool does not pay a round trip per checkout."""

from __future__ import annotations

import pytest
from foundry_api.core import db
from foundry_api.core.config import Settings
from foundry_api.core.db import create_pool
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool
from pydantic import SecretStr


def _settings(database_url: str, *, proxy: bool = False) -> Settings:
    """Only the database is real here; the other services are addresses nothing answers on."""
    return Settings(
        foundry_env="local",
        database_url=SecretStr(database_url),
        database_sslmode="disable",
        database_proxy=proxy,
        uploads_bucket="unused",
        clerk_jwks_url="http://127.0.0.1:9/.well-known/jwks.json",
        clerk_issuer="http://127.0.0.1:9",
        clerk_authorized_parties="http://127.0.0.1:5173",
        ai_service_url="http://127.0.0.1:9",
        ai_internal_api_key=SecretStr("unused-by-this-test"),
    )


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The liveness round trips the pool makes, by backend pid."""
    made: list[int] = []
    real = AsyncConnectionPool.check_connection

    async def counting(conn: AsyncConnection[DictRow]) -> None:
        made.append(conn.info.backend_pid)
        await real(conn)

    monkeypatch.setattr(AsyncConnectionPool, "check_connection", staticmethod(counting))
    return made


async def test_recently_returned_connections_skip_the_check_and_idle_ones_get_it(
    fresh_database_url: str, checks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # One connection at most, so every checkout below is of the same one. With a `reset` hook the pool
    # returns a connection from its worker task, not at the end of `async with`; on a loaded machine
    # the next checkout could find none ready, and the pool opened a second connection for it, whose
    # first checkout is checked (psycopg_pool's putconn). This test is about when a checkout checks.
    settings = _settings(fresh_database_url).model_copy(update={"db_pool_max_size": 1})
    pool = create_pool(settings)
    await pool.open(wait=True, timeout=10)
    try:
        async with pool.connection() as conn:
            pid = conn.info.backend_pid
            assert conn.autocommit
            await conn.execute("CREATE TABLE t (x int)")
            await conn.execute("INSERT INTO t VALUES (1)")
        # The first checkout of a fresh connection is checked; a second one right after is not.
        assert checks == [pid]
        async with pool.connection() as conn:
            assert conn.info.backend_pid == pid
            # Autocommit: the insert above is visible without a COMMIT, and no transaction is open.
            assert (await (await conn.execute("SELECT count(*) AS n FROM t")).fetchone()) == {"n": 1}
            assert conn.info.transaction_status.name == "IDLE"
        assert checks == [pid]
        # Once it has sat idle past the threshold, the next checkout checks it again.
        monkeypatch.setattr(db, "CHECK_AFTER_IDLE_SECONDS", 0.0)
        async with pool.connection():
            pass
        assert checks == [pid, pid]
    finally:
        await pool.close(timeout=5)


@pytest.mark.parametrize(("proxy", "prepared_after_ten_runs"), [(False, 1), (True, 0)])
async def test_behind_rds_proxy_no_statement_is_ever_prepared(
    fresh_database_url: str, proxy: bool, prepared_after_ten_runs: int
) -> None:
    """A prepared statement pins the client to one RDS Proxy connection (rds-proxy-pinning.html);
    psycopg prepares a query after 5 runs unless prepare_threshold is None."""
    settings = _settings(fresh_database_url, proxy=proxy)
    pool = create_pool(settings)
    await pool.open(wait=True, timeout=10)
    try:
        async with pool.connection() as conn:
            for i in range(10):
                await conn.execute("SELECT %s::int AS n", (i,))
            cur = await conn.execute("SELECT count(*) AS n FROM pg_prepared_statements")
            assert await cur.fetchone() == {"n": prepared_after_ten_runs}
    finally:
        await pool.close()


async def test_statements_are_spans_only_inside_a_recorded_span(fresh_database_url: str) -> None:
    """A request the sampler dropped sends its statements through psycopg's own cursor, so they start
    no span at all; a recorded one's are spans, with their placeholders and not their values."""
    from foundry_runtime.tracing import Tracing, TracingConfig
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    spans = InMemorySpanExporter()
    config = TracingConfig.from_environ({}, service_name="api", environment="local", version="test")
    tracing = Tracing.start(config, exporter=spans)
    tracer = tracing.tracer("test")
    pool = create_pool(_settings(fresh_database_url), tracing=tracing)
    await pool.open(wait=True, timeout=10)
    try:
        async with pool.connection() as conn:
            await conn.execute("SELECT %s::int AS outside", (1,))
            dropped = trace.NonRecordingSpan(
                trace.SpanContext(trace_id=7, span_id=7, is_remote=False, trace_flags=trace.TraceFlags(0))
            )
            with trace.use_span(dropped):
                await conn.execute("SELECT %s::int AS dropped", (2,))
            with tracer.start_as_current_span("request"):
                await conn.execute("SELECT %s::int AS recorded", (3,))
    finally:
        await pool.close(timeout=5)
    statements = [
        str((s.attributes or {}).get("db.statement"))
        for s in spans.get_finished_spans()
        if s.name != "request"
    ]
    assert statements == ["SELECT %s::int AS recorded"]
