"""The one place the api gets its database login: asked again for every new pooled connection.

- `iam` (AWS): the api's own role (DATABASE_USER, created by the migrations) with an RDS IAM
  authentication token. botocore signs it locally (no network call); it is valid for 15 minutes and
  only for opening a connection, so each new connection takes a fresh one and an open connection
  outlives its token. https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html
  and https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Connecting.Python.html
  The same token works through RDS Proxy (end-to-end IAM, DefaultAuthScheme IAM_AUTH), whose endpoint
  is then DATABASE_HOST: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connecting.html
- `password-file` (the local twin): the role's current password, re-read from the twin's secret store
  on every connection, so a rotation is picked up by the next connection instead of never.
- `secret`: DATABASE_SECRET or DATABASE_URL as given at start. The migration runner logs in this way
  with the master secret; in the api server it is local/dev only (config refuses it elsewhere).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from types_boto3_rds import RDSClient

    from foundry_api.core.config import DatabaseSettings


class CredentialError(Exception):
    """The login could not be produced (unreadable password file); the message says which."""


class CredentialProvider:
    def __init__(self, *, settings: DatabaseSettings) -> None:
        self.settings = settings
        self._rds: RDSClient | None = None

    def login(self) -> dict[str, Any]:
        """psycopg keywords (conninfo or host/port/dbname/user/password, sslmode) for one connection."""
        settings = self.settings
        if settings.database_auth == "secret":
            return settings.database_params()
        assert settings.database_host is not None and settings.database_user is not None
        params: dict[str, Any] = {
            "host": settings.database_host,
            "port": settings.database_port,
            "dbname": settings.database_name,
            "user": settings.database_user,
            "sslmode": settings.database_sslmode,
            "password": self._iam_token() if settings.database_auth == "iam" else self._password_from_file(),
        }
        if settings.database_sslrootcert:
            params["sslrootcert"] = settings.database_sslrootcert
        return params

    def _iam_token(self) -> str:
        settings = self.settings
        if self._rds is None:
            # Credentials come from the task or instance role and botocore refreshes them itself.
            self._rds = boto3.client("rds", region_name=settings.database_region)
        assert settings.database_host is not None and settings.database_user is not None
        return self._rds.generate_db_auth_token(
            DBHostname=settings.database_host,
            Port=settings.database_port,
            DBUsername=settings.database_user,
            Region=settings.database_region,
        )

    def _password_from_file(self) -> str:
        path = Path(str(self.settings.database_password_file))
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CredentialError(f"cannot read DATABASE_PASSWORD_FILE {path}: {exc.strerror}") from None
