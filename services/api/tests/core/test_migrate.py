"""The migration runner against a real Postgres: plan, apply, locking, failure, readiness."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from foundry_api.core import migrate
from foundry_api.core.migrate import Migration, MigrationError, discover, split_statements


def _write(directory: Path, files: dict[str, str]) -> list[Migration]:
    directory.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return discover(directory)


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def _versions(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


SAMPLE = {
    "0001_a.sql": "CREATE TABLE a (id int);",
    "0002_b.sql": "CREATE TABLE b (id int);\n-- a comment; with a semicolon\nINSERT INTO b VALUES (1);",
    "0003_c.sql": "CREATE TABLE c (note text DEFAULT 'x;y');",
}


def test_plan_lists_exactly_the_pending_migrations_and_changes_nothing(
    fresh_database_url: str, tmp_path: Path
) -> None:
    migrations = _write(tmp_path, SAMPLE)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        assert [m.label for m in migrate.plan(conn, migrations)] == ["0001_a", "0002_b", "0003_c"]
        assert _tables(fresh_database_url) == set()
        migrate.apply(conn, migrations[:2])
        pending = migrate.plan(conn, migrations)
    assert [(m.label, m.sql) for m in pending] == [("0003_c", SAMPLE["0003_c.sql"])]


def test_apply_is_idempotent(fresh_database_url: str, tmp_path: Path) -> None:
    migrations = _write(tmp_path, SAMPLE)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        assert len(migrate.apply(conn, migrations)) == 3
        assert migrate.apply(conn, migrations) == []
    assert _versions(fresh_database_url) == [1, 2, 3]
    assert _tables(fresh_database_url) == {"a", "b", "c", "schema_migrations"}


def test_concurrent_runners_serialize(fresh_database_url: str, tmp_path: Path) -> None:
    migrations = _write(
        tmp_path,
        {
            "0001_slow.sql": "SELECT pg_sleep(0.3); CREATE TABLE slow (id int);",
            "0002_next.sql": "CREATE TABLE next_one (id int);",
        },
    )
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(fresh_database_url, autocommit=True) as conn:
                results.append([m.label for m in migrate.apply(conn, migrations)])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results, key=len) == [[], ["0001_slow", "0002_next"]]
    assert _versions(fresh_database_url) == [1, 2]


def test_failure_keeps_earlier_migrations_and_names_the_statement(
    fresh_database_url: str, tmp_path: Path
) -> None:
    migrations = _write(
        tmp_path,
        {
            "0001_ok.sql": "CREATE TABLE ok (id int);",
            "0002_broken.sql": "CREATE TABLE half (id int);\nALTER TABLE missing_table ADD COLUMN x int;",
            "0003_never.sql": "CREATE TABLE never (id int);",
        },
    )
    with (
        psycopg.connect(fresh_database_url, autocommit=True) as conn,
        pytest.raises(MigrationError) as caught,
    ):
        migrate.apply(conn, migrations)
    assert caught.value.statement == "ALTER TABLE missing_table ADD COLUMN x int"
    assert "0002_broken" in str(caught.value)
    assert "missing_table" in str(caught.value)
    assert _versions(fresh_database_url) == [1]
    assert _tables(fresh_database_url) == {"ok", "schema_migrations"}


def test_statement_splitting_respects_quotes_comments_and_dollar_bodies() -> None:
    sql = """
    CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;
    INSERT INTO t VALUES ('a;b', "c;d"); /* block; comment */
    -- trailing; comment
    """
    statements = split_statements(sql)
    assert len(statements) == 2
    assert statements[0].endswith("LANGUAGE plpgsql")


def test_shipped_migrations_are_well_formed() -> None:
    shipped = discover()
    assert [m.version for m in shipped] == list(range(1, len(shipped) + 1))
    assert migrate.required_version() == shipped[-1].version


def _cli(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    # Only the database: the AWS migration runner gets the database secret and nothing else.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLERK_", "AI_", "UPLOADS_", "ORIGIN_"))},
        "DATABASE_URL": database_url,
        "FOUNDRY_ENV": "dev",
        "DATABASE_SSLMODE": "disable",
    }
    return subprocess.run(
        [sys.executable, "-m", "foundry_api", "migrate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_cli_plan_then_apply(fresh_database_url: str) -> None:
    plan = _cli(["plan"], fresh_database_url)
    assert plan.returncode == 0, plan.stderr
    assert "-- pending: 0001_users" in plan.stdout
    assert "CREATE TABLE users" in plan.stdout
    assert _tables(fresh_database_url) == set()
    applied = _cli(["apply"], fresh_database_url)
    assert applied.returncode == 0, applied.stderr
    assert "0003_ai_requests" in applied.stdout
    assert "nothing to apply" in _cli(["plan"], fresh_database_url).stdout


def test_cli_outside_development_needs_the_secret_and_tls(fresh_database_url: str) -> None:
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": fresh_database_url, "FOUNDRY_ENV": "prod"}
    result = subprocess.run(
        [sys.executable, "-m", "foundry_api", "migrate", "plan"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "DATABASE_SECRET is required outside local/dev" in result.stderr
    assert "Traceback" not in result.stderr


def test_api_refuses_an_older_schema(fresh_database_url: str, start_api_with: Callable[..., Any]) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        migrate.apply(conn, discover()[:-1])
    api = start_api_with(database_url=fresh_database_url, foundry_env="dev")
    response = httpx.get(api.url + "/readyz", timeout=10)
    assert response.status_code == 503
    assert response.json()["status"] == "schema too old"
    assert httpx.get(api.url + "/healthz", timeout=10).status_code == 200
    # The deploy's gate through CloudFront: the same verdict, without the database's versions.
    public = httpx.get(api.url + "/api/readyz", timeout=10)
    assert (public.status_code, public.json()) == (503, {"status": "not ready"})


def test_api_accepts_a_newer_schema(fresh_database_url: str, start_api_with: Callable[..., Any]) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        migrate.apply(conn)
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')")
    api = start_api_with(database_url=fresh_database_url, foundry_env="dev")
    response = httpx.get(api.url + "/readyz", timeout=10)
    assert response.status_code == 200, response.text


def test_readyz_turns_503_while_draining(api: Any, api_http: httpx.Client) -> None:
    assert api_http.get("/readyz").status_code == 200
    assert api_http.get("/api/readyz").json() == {"status": "ready"}
    api.lifecycle.draining = True
    try:
        assert api_http.get("/readyz").status_code == 503
        assert api_http.get("/api/readyz").status_code == 503
    finally:
        api.lifecycle.draining = False
