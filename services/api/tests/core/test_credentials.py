"""The api's own database role (migration 0004) and the credential provider that logs it in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pytest
from foundry_api.core import migrate
from foundry_api.core.config import DatabaseSettings
from foundry_api.core.credentials import CredentialError, CredentialProvider
from foundry_contract import API_DATABASE_USER
from foundry_twin.db_login import drop_api_connections, rotate_api_password
from psycopg import errors
from pydantic import SecretStr


@pytest.fixture
def migrated(fresh_database_url: str, tmp_path: Path) -> tuple[str, Path]:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        migrate.apply(conn)
    password_file = tmp_path / "db-api-password"
    rotate_api_password(admin_url=fresh_database_url, password_file=password_file)
    return fresh_database_url, password_file


def _as_api(admin_url: str, password_file: Path) -> psycopg.Connection[Any]:
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    return psycopg.connect(
        host=info["host"],
        port=info["port"],
        dbname=info["dbname"],
        user=API_DATABASE_USER,
        password=password_file.read_text().strip(),
        autocommit=True,
    )


def test_the_api_role_has_dml_on_its_tables_and_nothing_more(migrated: tuple[str, Path]) -> None:
    admin_url, password_file = migrated
    with _as_api(admin_url, password_file) as conn:
        flags = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles "
            "WHERE rolname = current_user"
        ).fetchone()
        assert flags == (False, False, False, False, False)
        conn.execute("INSERT INTO users (id, clerk_sub) VALUES (gen_random_uuid(), 'user_dml')")
        conn.execute("UPDATE users SET clerk_sub = 'user_dml2' WHERE clerk_sub = 'user_dml'")
        assert conn.execute("SELECT count(*) FROM users WHERE clerk_sub = 'user_dml2'").fetchone() == (1,)
        conn.execute("DELETE FROM users WHERE clerk_sub = 'user_dml2'")
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() != (0,)
        for ddl in (
            "CREATE TABLE sneaky (id int)",
            "DROP TABLE uploads",
            "ALTER TABLE users ADD COLUMN admin boolean",
            "TRUNCATE ai_requests",
            "CREATE ROLE another LOGIN",
            "INSERT INTO schema_migrations (version, name) VALUES (999, 'forged')",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(ddl)


def test_the_password_file_is_read_for_every_connection(migrated: tuple[str, Path]) -> None:
    admin_url, password_file = migrated
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    settings = DatabaseSettings(
        foundry_env="local",
        database_auth="password-file",
        database_host=str(info["host"]),
        database_port=int(str(info["port"])),
        database_name=str(info["dbname"]),
        database_user=API_DATABASE_USER,
        database_password_file=str(password_file),
        database_sslmode="disable",
    )
    provider = CredentialProvider(settings=settings)
    with psycopg.connect(**provider.login()) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (API_DATABASE_USER,)
    rotate_api_password(admin_url=admin_url, password_file=password_file)
    with psycopg.connect(**provider.login()) as conn:  # the new password, without a restart
        assert conn.execute("SELECT current_user").fetchone() == (API_DATABASE_USER,)
    password_file.unlink()
    with pytest.raises(CredentialError, match="DATABASE_PASSWORD_FILE"):
        provider.login()


def test_iam_login_is_a_fresh_locally_signed_token_per_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEAPIROLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    host = "foundry-prod-postgres.abc123.us-east-1.rds.amazonaws.com"
    settings = DatabaseSettings(
        foundry_env="prod",
        database_auth="iam",
        database_host=host,
        database_user=API_DATABASE_USER,
        database_region="us-east-1",
        database_sslmode="verify-full",
        database_sslrootcert="/etc/ssl/rds/global-bundle.pem",
    )
    provider = CredentialProvider(settings=settings)
    first, second = provider.login(), provider.login()
    assert {k: v for k, v in first.items() if k != "password"} == {
        "host": host,
        "port": 5432,
        "dbname": "foundry",
        "user": API_DATABASE_USER,
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ssl/rds/global-bundle.pem",
    }
    token = urlsplit("https://" + first["password"])
    query = parse_qs(token.query)
    assert token.netloc == f"{host}:5432"
    assert query["Action"] == ["connect"] and query["DBUser"] == [API_DATABASE_USER]
    assert query["X-Amz-Expires"] == ["900"]  # 15 minutes, AWS's fixed lifetime for these tokens
    assert query["X-Amz-Credential"][0].endswith("/us-east-1/rds-db/aws4_request")
    assert parse_qs(urlsplit("https://" + second["password"]).query)["DBUser"] == [API_DATABASE_USER]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"database_auth": "iam", "database_host": "h", "database_user": "u"}, "DATABASE_REGION"),
        (
            {
                "database_auth": "iam",
                "database_host": "h",
                "database_user": "u",
                "database_region": "us-east-1",
            },
            "DATABASE_SSLMODE must be require",
        ),
        ({"database_auth": "password-file", "database_host": "h", "database_user": "u"}, "local twin"),
    ],
)
def test_settings_name_what_a_login_lacks(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DatabaseSettings(foundry_env="prod", **values)


def test_the_api_server_refuses_the_master_secret_outside_development() -> None:
    from foundry_api.core.config import Settings

    secret = '{"username":"foundry_admin","password":"p","host":"h","port":5432,"dbname":"foundry"}'
    with pytest.raises(ValueError, match="DATABASE_AUTH must be iam"):
        Settings(
            foundry_env="prod",
            database_secret=SecretStr(secret),
            database_sslmode="verify-full",
            uploads_bucket="b-uploads",
            clerk_jwks_url="https://clerk.acme-corp.com/.well-known/jwks.json",
            clerk_issuer="https://clerk.acme-corp.com",
            clerk_authorized_parties="https://app.acme-corp.com",
            ai_service_url="https://ai.internal",
            ai_internal_api_key=SecretStr("k" * 32),
            origin_verify_secret=SecretStr("o" * 32),
        )


def test_an_api_on_its_own_role_serves_and_survives_a_rotation(
    migrated: tuple[str, Path], start_api_with: Callable[..., Any], issuer: Any
) -> None:
    admin_url, password_file = migrated
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    api = start_api_with(
        database_url=admin_url,
        database_auth="password-file",
        database_host=str(info["host"]),
        database_port=int(str(info["port"])),
        database_name=str(info["dbname"]),
        database_user=API_DATABASE_USER,
        database_password_file=str(password_file),
    )
    token = issuer.mint(sub="user_rotation", azp="http://127.0.0.1:5173", lifetime=600)
    query = {"query": "{ viewer { uploads(first: 5) { edges { node { id } } } } }"}

    def page() -> bool:
        response = httpx.post(
            api.url + "/graphql", json=query, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        return response.status_code == 200 and "errors" not in response.json()

    assert page()
    rotate_api_password(admin_url=admin_url, password_file=password_file)
    assert drop_api_connections(admin_url=admin_url) >= 1
    # Requests that held a dropped connection may fail; within a bounded number the pool reconnects
    # with the new password and every request after that succeeds.
    outcomes = [page() for _ in range(10)]
    assert outcomes[-3:] == [True, True, True], outcomes
