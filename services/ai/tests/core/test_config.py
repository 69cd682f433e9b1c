from __future__ import annotations

from collections.abc import Callable

import pytest
from foundry_ai.core.config import ConfigError, Settings, load_settings
from foundry_contract import Service, env_vars_for, settings_vars_for
from pydantic import SecretStr, TypeAdapter, ValidationError

PRODUCTION_READY = {
    "FOUNDRY_ENV": "prod",
    "AI_INTERNAL_API_KEY": "k" * 32,
    "AI_UPSTREAM_BASE_URL": "https://api.example.invalid/v1",
    "AI_UPSTREAM_MODEL": "gpt-4o-mini",
    "AI_UPSTREAM_API_KEY": "sk-" + "u" * 30,
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    for var in env_vars_for(Service.AI, include_local_only=True):
        monkeypatch.delenv(var.name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_fields_are_exactly_the_contract_names() -> None:
    contract = {var.name for var in settings_vars_for(Service.AI, include_local_only=True)}
    assert {name.upper() for name in Settings.model_fields} == contract


def test_contract_defaults_match_the_field_defaults() -> None:
    for var in settings_vars_for(Service.AI, include_local_only=True):
        field = Settings.model_fields[var.name.lower()]
        assert field.annotation is not None
        if var.default is not None:
            assert TypeAdapter[object](field.annotation).validate_python(var.default) == field.default, (
                var.name
            )


def test_secrets_are_secret_fields() -> None:
    for var in settings_vars_for(Service.AI):
        if var.secret:
            assert "SecretStr" in str(Settings.model_fields[var.name.lower()].annotation), var.name


def test_production_settings_load(env: Callable[..., None]) -> None:
    env(**PRODUCTION_READY)
    settings = load_settings()
    assert settings.foundry_env == "prod"
    assert not settings.exposes_docs
    assert settings.ai_max_attempts == 3


@pytest.mark.parametrize("value", ["changeme", "placeholder", "short-key"])
def test_placeholder_internal_key_is_refused_outside_development(
    env: Callable[..., None], value: str
) -> None:
    env(**{**PRODUCTION_READY, "AI_INTERNAL_API_KEY": value})
    with pytest.raises(ConfigError, match="AI_INTERNAL_API_KEY") as caught:
        load_settings()
    assert "\n" not in str(caught.value)


def test_missing_upstream_key_is_refused_outside_development(env: Callable[..., None]) -> None:
    env(**{k: v for k, v in PRODUCTION_READY.items() if k != "AI_UPSTREAM_API_KEY"})
    with pytest.raises(ConfigError, match="AI_UPSTREAM_API_KEY is missing or a placeholder"):
        load_settings()


def test_missing_required_values_are_one_line(env: Callable[..., None]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    for name in ("AI_INTERNAL_API_KEY", "AI_UPSTREAM_BASE_URL", "AI_UPSTREAM_MODEL"):
        assert name in message


def test_development_accepts_placeholders(env: Callable[..., None]) -> None:
    env(
        FOUNDRY_ENV="local",
        AI_INTERNAL_API_KEY="dev",
        AI_UPSTREAM_BASE_URL="http://127.0.0.1:8091/v1/",
        AI_UPSTREAM_MODEL="stub",
    )
    settings = load_settings()
    assert settings.exposes_docs
    assert settings.ai_upstream_base_url == "http://127.0.0.1:8091/v1"


def test_upstream_url_must_be_http() -> None:
    with pytest.raises(ValidationError):
        Settings(
            ai_internal_api_key=SecretStr("x"),
            ai_upstream_base_url="ftp://nope",
            ai_upstream_model="m",
        )
