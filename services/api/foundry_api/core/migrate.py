"""Numbered SQL migrations (migrations/NNNN_name.sql): `plan` shows what is pending, `apply` runs it.

`apply` runs with its own session settings (MIGRATION_SESSION_SETTINGS: no statement timeout, a
bounded lock wait) and holds a Postgres advisory lock, so runners started together (two instances booting, a deploy
job and a developer) serialize instead of racing. Each file runs in its own transaction and is
recorded in schema_migrations in that same transaction: a failure rolls back only that file, leaves
the earlier ones applied, and names the failing statement.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors
from psycopg import AsyncConnection, Connection
from psycopg.rows import tuple_row

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant bigint works; this one spells "foundry" so it is recognisable in pg_locks.
ADVISORY_LOCK_KEY = 0x666F756E647279
LOCK_WAIT_SECONDS = 120.0
# The migration session's own settings. The RDS parameter group's statement_timeout (15 s,
# foundry_contract.postgres) is the server default for every session, migrations included, and
# dropping the api's `options` does not lift it: a parameter group value applies unless the session
# overrides it (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.html).
# So a migration sets no statement limit (rewriting a large table takes what it takes) but a bounded
# lock wait: an ALTER queued behind a long transaction would otherwise block every query queued
# behind it (https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT).
# These SETs would pin an RDS Proxy connection, so the runner connects to the instance directly.
MIGRATION_SESSION_SETTINGS: dict[str, str] = {"statement_timeout": "0", "lock_timeout": "10s"}
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
_DOLLAR_TAG = re.compile(r"\$[A-Za-z_]?[A-Za-z0-9_]*\$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(Exception):
    """A migration could not be applied; the message names the file and the failing statement."""

    def __init__(self, message: str, *, migration: Migration | None = None, statement: str | None = None):
        super().__init__(message)
        self.migration = migration
        self.statement = statement


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"

    @cached_property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def statements(self) -> list[str]:
        return split_statements(self.sql)


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake.sql")
        version = int(match["version"])
        if version in migrations:
            raise MigrationError(f"{path.name}: version {version} is used twice")
        migrations[version] = Migration(version=version, name=match["name"], path=path)
    return [migrations[v] for v in sorted(migrations)]


def required_version(directory: Path = MIGRATIONS_DIR) -> int:
    """The schema version this code needs: the newest migration it ships."""
    found = discover(directory)
    return found[-1].version if found else 0


def split_statements(sql: str) -> list[str]:
    """Split on `;` outside quotes, dollar-quoted bodies and comments, so a failure names one statement."""
    statements: list[str] = []
    start = i = 0
    n = len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end == -1 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end == -1 else end + 2
        elif ch in ("'", '"'):
            i += 1
            while i < n:
                if sql[i] == ch:
                    if i + 1 < n and sql[i + 1] == ch:  # doubled quote escapes itself
                        i += 2
                        continue
                    break
                i += 1
            i += 1
        elif ch == "$" and (tag := _DOLLAR_TAG.match(sql, i)) is not None:
            end = sql.find(tag.group(), tag.end())
            i = n if end == -1 else end + len(tag.group())
        elif ch == ";":
            statements.append(sql[start:i])
            i += 1
            start = i
        else:
            i += 1
    statements.append(sql[start:])
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.DOTALL)
    return bool(without_comments.strip())


def applied_versions(conn: Connection[Any]) -> set[int]:
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}


def plan(conn: Connection[Any], migrations: list[Migration] | None = None) -> list[Migration]:
    """Pending migrations in order. Reads only: no lock, no table is created."""
    done = applied_versions(conn)
    return [m for m in (discover() if migrations is None else migrations) if m.version not in done]


def apply(
    conn: Connection[Any],
    migrations: list[Migration] | None = None,
    *,
    lock_wait_seconds: float = LOCK_WAIT_SECONDS,
) -> list[Migration]:
    """Apply pending migrations in order; returns those this call applied (empty when up to date)."""
    if not conn.autocommit:
        raise MigrationError(
            "apply needs an autocommit connection (each migration opens its own transaction)"
        )
    wanted = discover() if migrations is None else migrations
    for name, value in MIGRATION_SESSION_SETTINGS.items():
        conn.execute("SELECT set_config(%s, %s, false)", (name, value))
    _acquire_lock(conn, lock_wait_seconds)
    try:
        conn.execute(_CREATE_TABLE)
        applied: list[Migration] = []
        # Recomputed under the lock: a runner we waited for may have applied some already.
        for migration in plan(conn, wanted):
            _apply_one(conn, migration)
            applied.append(migration)
        return applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def _acquire_lock(conn: Connection[Any], wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
        if row and row[0]:
            return
        if time.monotonic() >= deadline:
            raise MigrationError(f"another migration runner held the lock for more than {wait_seconds:.0f}s")
        time.sleep(0.05)


def _apply_one(conn: Connection[Any], migration: Migration) -> None:
    with conn.transaction():
        for statement in migration.statements:
            try:
                conn.execute(statement.encode())  # bytes: the SQL is ours and may contain literal %
            except psycopg.errors.LockNotAvailable as exc:
                raise MigrationError(
                    f"migration {migration.label} waited longer than lock_timeout "
                    f"({MIGRATION_SESSION_SETTINGS['lock_timeout']}) for a lock that another session "
                    "holds (a long transaction?); nothing of this file was applied, run it again once "
                    f"that session ends\nfailing statement:\n{statement}",
                    migration=migration,
                    statement=statement,
                ) from exc
            except psycopg.Error as exc:
                raise MigrationError(
                    f"migration {migration.label} failed: {exc.__class__.__name__}: "
                    f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}\n"
                    f"failing statement:\n{statement}",
                    migration=migration,
                    statement=statement,
                ) from exc
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
            (migration.version, migration.name),
        )


async def current_version(conn: AsyncConnection[Any]) -> int:
    """The newest applied version, 0 for an empty database; used by /readyz."""
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
    exists = await cur.fetchone()
    if not exists or not exists[0]:
        return 0
    await cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
    row = await cur.fetchone()
    return int(row[0]) if row else 0
