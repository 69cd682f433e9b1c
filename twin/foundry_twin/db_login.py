"""The api's database login in the twin: migrations as the owner, then the api's own role with a
password kept in the twin's secret store (a 0600 file the api re-reads for every new connection).

In AWS the api's role logs in with RDS IAM tokens instead; the twin has no IAM, so a password that
can rotate plays that part, and `rotate_api_password` is what a rotation does to it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
from foundry_contract import API_DATABASE_USER
from psycopg import sql

CONNECT_TIMEOUT_SECONDS = 5
MIGRATE_TIMEOUT_SECONDS = 120


def migrate_as_owner(*, admin_url: str) -> str:
    """Apply the api's migrations with the owner's login: the migration runner's part, run as in AWS
    (`foundry-api migrate apply`, the database and nothing else in its environment)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "FOUNDRY_ENV": "local",
        "DATABASE_URL": admin_url,
        "DATABASE_SSLMODE": "disable",
    }
    result = subprocess.run(  # noqa: S603 - fixed argv from this venv, no shell
        [str(Path(sys.executable).with_name("foundry-api")), "migrate", "apply"],
        capture_output=True,
        text=True,
        env=env,
        timeout=MIGRATE_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrations failed: {(result.stderr or result.stdout).strip()}")
    return result.stdout.strip()


def rotate_api_password(*, admin_url: str, password_file: Path) -> str:
    """Give the api's role a new password: first in Postgres, then in the secret store.

    Postgres first, as Secrets Manager's single-user rotation does (setSecret before finishSecret):
    in between, a new connection fails once and the pool retries it with the new file.
    """
    password = secrets.token_urlsafe(24)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(API_DATABASE_USER), sql.Literal(password)
            )
        )
    _replace_private(password_file, password + "\n")
    return password


def drop_api_connections(*, admin_url: str) -> int:
    """End every session of the api's role: what max_lifetime does to each pooled connection, at once."""
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()",
            (API_DATABASE_USER,),
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)


def api_login_env(*, host: str, port: int, database: str, password_file: Path) -> dict[str, str]:
    """The api's database variables in the twin: its own role, the password re-read per connection."""
    return {
        "DATABASE_AUTH": "password-file",
        "DATABASE_HOST": host,
        "DATABASE_PORT": str(port),
        "DATABASE_NAME": database,
        "DATABASE_USER": API_DATABASE_USER,
        "DATABASE_PASSWORD_FILE": str(password_file),
        "DATABASE_SSLMODE": "disable",
    }


def _replace_private(path: Path, text: str) -> None:
    """Write-then-rename: a reader sees the old password or the new one, never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w") as handle:  # mkstemp creates it 0600
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
