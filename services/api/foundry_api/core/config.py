"""The api's settings: one field per contract variable (foundry_contract.env, Service.API).

Field names are the contract names lower-cased; pydantic-settings matches them case-insensitively,
and tests/core/test_config.py compares this class to the contract so neither side can drift.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any, Literal, TypeVar, overload

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["local", "dev", "staging", "prod"]
SettingsT = TypeVar("SettingsT", bound="DatabaseSettings")

# Values people paste while wiring things up; seen outside local/dev they mean "not configured".
_PLACEHOLDERS = frozenset(
    {"", "changeme", "change-me", "placeholder", "secret", "todo", "xxx", "dev", "test"}
)
MAX_URL_TTL_SECONDS = 300


class ConfigError(Exception):
    """The environment does not describe a runnable api; the message is one line for the operator."""


class DatabaseSettings(BaseSettings):
    """What the migration runner needs: the database and nothing else (it runs with only that secret)."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    foundry_env: Environment = "dev"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    database_secret: SecretStr | None = None
    database_host: str | None = None
    database_proxy: bool = False
    database_url: SecretStr | None = None
    database_sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = "prefer"
    database_sslrootcert: str | None = None
    # How the api logs in (core/credentials.py): the master secret or URL read once, a fresh RDS IAM
    # token per connection, or the twin's password file re-read per connection.
    database_auth: Literal["secret", "iam", "password-file"] = "secret"
    database_user: str | None = None
    database_name: str = "foundry"
    database_port: int = Field(default=5432, ge=1, le=65535)
    database_region: str | None = None
    database_password_file: str | None = None
    db_pool_max_size: int = Field(default=10, ge=1, le=100)
    db_statement_timeout_ms: int = Field(default=5000, ge=100)

    @model_validator(mode="after")
    def _database_is_configured(self) -> DatabaseSettings:
        if self.database_auth != "secret":
            return self._login_is_configured()
        if self.database_secret is None and self.database_url is None:
            raise ValueError("set DATABASE_SECRET (JSON) or, locally, DATABASE_URL")
        if not self.is_development:
            if self.database_secret is None:
                raise ValueError("DATABASE_SECRET is required outside local/dev (DATABASE_URL is local-only)")
            if self.database_sslmode in ("disable", "allow", "prefer"):
                raise ValueError(
                    "DATABASE_SSLMODE must be require, verify-ca or verify-full outside local/dev"
                )
        try:
            self.database_params()
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return self

    def _login_is_configured(self) -> DatabaseSettings:
        needed = {"DATABASE_HOST": self.database_host, "DATABASE_USER": self.database_user}
        if self.database_auth == "iam":
            needed["DATABASE_REGION"] = self.database_region
        else:
            needed["DATABASE_PASSWORD_FILE"] = self.database_password_file
            if not self.is_development:
                raise ValueError(
                    "DATABASE_AUTH=password-file is for the local twin; use iam outside local/dev"
                )
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise ValueError(f"DATABASE_AUTH={self.database_auth} needs {', '.join(missing)}")
        if not self.is_development and self.database_sslmode in ("disable", "allow", "prefer"):
            raise ValueError("DATABASE_SSLMODE must be require, verify-ca or verify-full outside local/dev")
        return self

    @property
    def is_development(self) -> bool:
        return self.foundry_env in ("local", "dev")

    def database_params(self) -> dict[str, Any]:
        """psycopg connection keywords: the RDS JSON secret wins over DATABASE_URL."""
        params: dict[str, Any] = {}
        if self.database_secret is not None:
            try:
                secret = json.loads(self.database_secret.get_secret_value())
                params.update(
                    user=str(secret["username"]),
                    password=str(secret["password"]),
                    host=str(self.database_host or secret["host"]),
                    port=int(secret.get("port", 5432)),
                    dbname=str(secret.get("dbname", "postgres")),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(
                    "DATABASE_SECRET must be JSON with username, password, host, port, dbname"
                ) from exc
        else:
            assert self.database_url is not None
            params["conninfo"] = self.database_url.get_secret_value()
            if self.database_host:
                params["host"] = self.database_host
        params["sslmode"] = self.database_sslmode
        if self.database_sslrootcert:
            params["sslrootcert"] = self.database_sslrootcert
        return params


class Settings(DatabaseSettings):
    port: int = Field(default=8080, ge=1, le=65535)
    host: str = "0.0.0.0"  # noqa: S104 - a container's only interface; the local twin binds 127.0.0.1

    uploads_bucket: str = Field(min_length=3)
    uploads_bucket_region: str = "us-east-1"
    s3_endpoint_url: str | None = None
    upload_max_bytes: int = Field(default=26_214_400, ge=1, le=2**31 - 1)
    upload_allowed_types: str = (
        "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,application/json"
    )
    upload_url_ttl_seconds: int = Field(default=300, ge=1, le=MAX_URL_TTL_SECONDS)

    clerk_jwks_url: str = Field(min_length=1)
    clerk_issuer: str = Field(min_length=1)
    clerk_authorized_parties: str = Field(min_length=1)
    clerk_secret_key: SecretStr | None = None
    origin_verify_secret: SecretStr | None = None

    ai_service_url: str = Field(min_length=1)
    ai_internal_api_key: SecretStr
    ai_request_timeout_seconds: float = Field(default=30, gt=0, le=120)

    # Which GraphQL documents run (foundry_api/documents): "trusted", only the manifest's, sent by
    # documentId; "any" also accepts query text (GraphiQL, curl), in local and dev only.
    graphql_documents: Literal["trusted", "any"] = "trusted"

    @field_validator("clerk_jwks_url", "ai_service_url", "clerk_issuer")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if not value.endswith("/.well-known/jwks.json") else value

    @model_validator(mode="after")
    def _secrets_are_real_outside_development(self) -> Settings:
        if self.is_development:
            return self
        if self.database_auth != "iam":
            # The master secret belongs to the migration runner only (issue 19): a server holding it
            # could run DDL, and it rotates away from a long-running process every 30 days.
            raise ValueError("DATABASE_AUTH must be iam for the api server outside local/dev")
        for name in ("ai_internal_api_key", "origin_verify_secret"):
            value: SecretStr | None = getattr(self, name)
            if value is None or value.get_secret_value().strip().lower() in _PLACEHOLDERS:
                raise ValueError(f"{name.upper()} is missing or a placeholder")
        return self

    @model_validator(mode="after")
    def _only_trusted_documents_outside_development(self) -> Settings:
        if not self.is_development and self.graphql_documents != "trusted":
            raise ValueError(
                "GRAPHQL_DOCUMENTS must be trusted outside local/dev: there only the web app's own "
                "documents run (any accepts arbitrary queries, for GraphiQL and curl in development)"
            )
        return self

    @property
    def trusted_documents_only(self) -> bool:
        return self.graphql_documents == "trusted"

    @property
    def exposes_schema(self) -> bool:
        """Introspection and the GraphQL IDE stay off where real users are (spec §1, WAF note)."""
        return self.foundry_env not in ("staging", "prod")

    @cached_property
    def authorized_parties(self) -> frozenset[str]:
        return frozenset(p.strip().rstrip("/") for p in self.clerk_authorized_parties.split(",") if p.strip())

    @cached_property
    def allowed_upload_types(self) -> frozenset[str]:
        return frozenset(t.strip().lower() for t in self.upload_allowed_types.split(",") if t.strip())


@overload
def load_settings() -> Settings: ...
@overload
def load_settings(kind: type[SettingsT]) -> SettingsT: ...
def load_settings(kind: type[DatabaseSettings] = Settings) -> DatabaseSettings:
    """Settings from the environment, or a ConfigError whose message fits on one log line."""
    try:
        return kind()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
