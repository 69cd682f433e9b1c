"""The ai's settings: one field per contract variable (foundry_contract.env, Service.AI).

Field names are the contract names lower-cased; pydantic-settings matches them case-insensitively,
and tests/core/test_config.py compares this class to the contract so neither side can drift.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["local", "dev", "staging", "prod"]

# Values people paste while wiring things up; seen outside local/dev they mean "not configured".
_PLACEHOLDERS = frozenset(
    {"", "changeme", "change-me", "placeholder", "secret", "todo", "xxx", "dev", "test", "none", "sk-..."}
)
# A shared key shorter than this is guessable; the platform generates 32+ characters.
MIN_INTERNAL_KEY_LENGTH = 16
# Hard ceilings the request schema enforces whatever the settings say.
PROMPT_HARD_LIMIT = 100_000
OUTPUT_TOKENS_HARD_LIMIT = 32_768


class ConfigError(Exception):
    """The environment does not describe a runnable ai; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    port: int = Field(default=8080, ge=1, le=65535)
    host: str = "0.0.0.0"  # noqa: S104 - a container's only interface; the local twin binds 127.0.0.1
    foundry_env: Environment = "dev"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    ai_internal_api_key: SecretStr

    ai_upstream_base_url: str = Field(min_length=1)
    ai_upstream_model: str = Field(min_length=1)
    ai_upstream_api_key: SecretStr | None = None

    ai_connect_timeout_seconds: float = Field(default=2, gt=0, le=60)
    ai_read_timeout_seconds: float = Field(default=20, gt=0, le=600)
    ai_write_timeout_seconds: float = Field(default=5, gt=0, le=60)
    ai_pool_timeout_seconds: float = Field(default=1, gt=0, le=60)
    ai_deadline_seconds: float = Field(default=25, gt=0, le=600)

    ai_max_attempts: int = Field(default=3, ge=1, le=10)
    ai_retry_backoff_initial_seconds: float = Field(default=0.25, ge=0, le=60)
    ai_retry_backoff_max_seconds: float = Field(default=4, ge=0, le=300)
    ai_retry_jitter_seconds: float = Field(default=0.25, ge=0, le=60)

    ai_max_concurrency: int = Field(default=32, ge=1, le=10_000)
    ai_queue_timeout_seconds: float = Field(default=0.5, ge=0, le=60)

    ai_breaker_failure_threshold: int = Field(default=5, ge=1, le=1000)
    ai_breaker_reset_seconds: float = Field(default=30, gt=0, le=3600)

    ai_prompt_max_chars: int = Field(default=8000, ge=1, le=PROMPT_HARD_LIMIT)
    ai_max_output_tokens: int = Field(default=1024, ge=1, le=OUTPUT_TOKENS_HARD_LIMIT)

    # OpenTelemetry's GenAI name for it: prompts and answers on the provider call's span (issue 17).
    otel_instrumentation_genai_capture_message_content: bool = False

    @field_validator("ai_upstream_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _secrets_are_real_outside_development(self) -> Settings:
        if self.is_development:
            return self
        internal = self.ai_internal_api_key.get_secret_value().strip()
        if internal.lower() in _PLACEHOLDERS or len(internal) < MIN_INTERNAL_KEY_LENGTH:
            raise ValueError(
                f"AI_INTERNAL_API_KEY is a placeholder or shorter than {MIN_INTERNAL_KEY_LENGTH} characters"
            )
        upstream = self.ai_upstream_api_key
        if upstream is None or upstream.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("AI_UPSTREAM_API_KEY is missing or a placeholder")
        return self

    @property
    def is_development(self) -> bool:
        return self.foundry_env in ("local", "dev")

    @property
    def exposes_docs(self) -> bool:
        """/docs and /openapi.json stay off where real traffic is."""
        return self.foundry_env not in ("staging", "prod")


def load_settings() -> Settings:
    """Settings from the environment, or a ConfigError whose message fits on one log line."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
