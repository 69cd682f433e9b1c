from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from foundry_api.core.config import ConfigError, DatabaseSettings, Settings, load_settings
from foundry_contract import Service, env_vars_for, settings_vars_for

SERVICE_ROOT = Path(__file__).resolve().parents[2]

BASE_ENV = {
    "UPLOADS_BUCKET": "bucket",
    "CLERK_JWKS_URL": "https://clerk.example/.well-known/jwks.json",
    "CLERK_ISSUER": "https://clerk.example",
    "CLERK_AUTHORIZED_PARTIES": "https://app.example",
    "AI_SERVICE_URL": "http://ai.internal",
    "AI_INTERNAL_API_KEY": "k" * 32,
    "DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/db",
}
PROD_ENV = {
    **{k: v for k, v in BASE_ENV.items() if k != "DATABASE_URL"},
    "FOUNDRY_ENV": "prod",
    "DATABASE_AUTH": "iam",
    "DATABASE_HOST": "db",
    "DATABASE_USER": "foundry_api",
    "DATABASE_REGION": "us-east-1",
    "DATABASE_SSLMODE": "verify-full",
    "DATABASE_SSLROOTCERT": "/etc/ssl/rds/global-bundle.pem",
    "ORIGIN_VERIFY_SECRET": "o" * 32,
}
# The migration runner in AWS: the master secret and nothing else.
MIGRATOR_ENV = {
    "FOUNDRY_ENV": "prod",
    "DATABASE_SECRET": '{"username":"u","password":"p","host":"db","port":5432,"dbname":"app"}',
    "DATABASE_SSLMODE": "verify-full",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in os.environ:
        if name in {var.name for var in env_vars_for(Service.API, include_local_only=True)}:
            monkeypatch.delenv(name)


def _set(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_fields_are_exactly_the_contract_names() -> None:
    contract = {var.name for var in settings_vars_for(Service.API, include_local_only=True)}
    fields = {(info.alias or name).upper() for name, info in Settings.model_fields.items()}
    assert fields == contract


def test_contract_defaults_match_the_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, BASE_ENV)
    settings = load_settings()
    for var in settings_vars_for(Service.API, include_local_only=True):
        if var.default is not None:
            value = getattr(settings, var.name.lower())
            expected = float(var.default) if isinstance(value, float) else var.default
            # Booleans as the environment spells them: "false", "true".
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            assert (value if isinstance(value, float) else shown) == expected, var.name


def test_prod_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, PROD_ENV)
    settings = load_settings()
    assert (settings.database_auth, settings.database_host, settings.database_user) == (
        "iam",
        "db",
        "foundry_api",
    )
    assert not settings.exposes_schema


def test_database_host_overrides_the_secret_host(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, {**MIGRATOR_ENV, "DATABASE_HOST": "proxy.internal"})
    assert load_settings(DatabaseSettings).database_params()["host"] == "proxy.internal"


def test_the_migration_runner_needs_a_json_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, {**MIGRATOR_ENV, "DATABASE_SECRET": "not json"})
    with pytest.raises(ConfigError, match="DATABASE_SECRET must be JSON"):
        load_settings(DatabaseSettings)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"AI_INTERNAL_API_KEY": "changeme"}, "AI_INTERNAL_API_KEY is missing or a placeholder"),
        ({"ORIGIN_VERIFY_SECRET": ""}, "ORIGIN_VERIFY_SECRET is missing or a placeholder"),
        ({"DATABASE_SSLMODE": "prefer"}, "DATABASE_SSLMODE must be require"),
        (
            {"DATABASE_AUTH": "secret", "DATABASE_SECRET": MIGRATOR_ENV["DATABASE_SECRET"]},
            "DATABASE_AUTH must be iam",
        ),
        ({"UPLOAD_URL_TTL_SECONDS": "3600"}, "UPLOAD_URL_TTL_SECONDS"),
    ],
)
def test_outside_development_placeholders_are_refused(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, str], message: str
) -> None:
    _set(monkeypatch, {**PROD_ENV, **change})
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings()
    assert "\n" not in str(caught.value)


def test_missing_required_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, {k: v for k, v in BASE_ENV.items() if k != "CLERK_ISSUER"})
    with pytest.raises(ConfigError, match="CLERK_ISSUER"):
        load_settings()


def test_cli_start_up_failure_is_one_line_without_traceback() -> None:
    env = {k: v for k, v in os.environ.items() if k not in BASE_ENV} | {
        **PROD_ENV,
        "AI_INTERNAL_API_KEY": "changeme",
    }
    result = subprocess.run(
        [sys.executable, "-m", "foundry_api", "serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "AI_INTERNAL_API_KEY is missing or a placeholder" in result.stderr
