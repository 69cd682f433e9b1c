"""Migrations against a Postgres configured like the RDS parameter group (the twin's Postgres, with
the parameters foundry_contract.postgres gives both): the group's 15 s statement_timeout is every
session's default, and a migration statement longer than that still succeeds (issue 21)."""

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from foundry_api.core import migrate
from foundry_twin.parts import twin_server_parameters
from foundry_twin.postgres import PostgresServer


@pytest.fixture(scope="module")
def rds_like() -> Iterator[PostgresServer]:
    server = PostgresServer(parameters=twin_server_parameters())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_every_session_gets_the_parameter_group_s_timeouts(rds_like: PostgresServer) -> None:
    with psycopg.connect(rds_like.url()) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("15s",)
        assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone() == ("1min",)
        conn.execute("SET statement_timeout = '100ms'")  # what the server default does, faster
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(1)")


@pytest.mark.slow
def test_a_20_second_migration_statement_succeeds(rds_like: PostgresServer, tmp_path: Path) -> None:
    """Under the parameter group's 15 s statement_timeout; before the migration session set its own
    settings, the statement was cancelled at 15 s (QueryCanceled)."""
    (tmp_path / "0001_slow.sql").write_text("CREATE TABLE slow (id int);\nSELECT pg_sleep(20);\n")
    url = rds_like.create_database("slow_migration")
    with psycopg.connect(url, autocommit=True) as conn:
        applied = migrate.apply(conn, migrate.discover(tmp_path))
        assert [m.label for m in applied] == ["0001_slow"]
        assert conn.execute("SHOW lock_timeout").fetchone() == ("10s",)
