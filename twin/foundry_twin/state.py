"""Where the local twin keeps its data, and the values that must stay the same across restarts."""

import json
import os
import secrets
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

LOCAL_REGION = "us-east-1"
UPLOADS_BUCKET = "foundry-local-uploads"


@dataclass(frozen=True)
class TwinPaths:
    root: Path

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def postgres(self) -> Path:
        return self.root / "postgres"

    @property
    def s3(self) -> Path:
        return self.root / "s3"

    @property
    def traces(self) -> Path:
        """The trace backend's (Phoenix's) database and working files."""
        return self.root / "traces"

    @property
    def issuer_key(self) -> Path:
        return self.root / "issuer" / "signing-key.pem"

    @property
    def origin_verify_file(self) -> Path:
        return self.root / "origin-verify"

    @property
    def api_db_password_file(self) -> Path:
        """The twin's secret store for the api's database role (core/credentials.py re-reads it)."""
        return self.root / "secrets" / "db-api-password"

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.json"

    @property
    def state_file(self) -> Path:
        """What a running twin publishes for `foundry token`, `foundry logs` and tests."""
        return self.root / "state.json"

    @property
    def lock_file(self) -> Path:
        return self.root / "up.lock"

    def log(self, part: str) -> Path:
        return self.logs / f"{part}.log"

    def reset(self) -> None:
        """Forget every piece of data (database, objects, keys) but keep nothing half-deleted."""
        for path in (
            self.postgres,
            self.s3,
            self.traces,
            self.issuer_key.parent,
            self.logs,
            self.api_db_password_file.parent,
        ):
            shutil.rmtree(path, ignore_errors=True)
        for path in (self.secrets_file, self.origin_verify_file, self.state_file):
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class TwinSecrets:
    """Generated once per data folder: the database keeps its password, S3 its keys."""

    postgres_password: str
    s3_access_key: str
    s3_secret_key: str
    internal_api_key: str
    origin_verify: str
    # The api's own S3 key: object rights without s3:ListBucket, like its role in AWS. Empty in a
    # data folder from before it existed; load_or_create then adds one.
    s3_api_access_key: str = ""
    s3_api_secret_key: str = ""

    @classmethod
    def load_or_create(cls, paths: TwinPaths) -> "TwinSecrets":
        if paths.secrets_file.exists():
            loaded = cls(**json.loads(paths.secrets_file.read_text()))
            if loaded.s3_api_access_key:
                return loaded
            created = replace(loaded, **_api_s3_keys())
        else:
            created = cls(
                postgres_password=secrets.token_urlsafe(24),
                s3_access_key="LOCAL" + secrets.token_hex(8).upper(),
                s3_secret_key=secrets.token_urlsafe(30),
                internal_api_key=secrets.token_urlsafe(32),
                origin_verify=secrets.token_urlsafe(32),
                **_api_s3_keys(),
            )
        paths.root.mkdir(parents=True, exist_ok=True)
        _write_private(paths.secrets_file, json.dumps(asdict(created), indent=2))
        return created


def _api_s3_keys() -> dict[str, str]:
    return {
        "s3_api_access_key": "LOCALAPI" + secrets.token_hex(6).upper(),
        "s3_api_secret_key": secrets.token_urlsafe(30),
    }


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_private(path, text)


def read_state(paths: TwinPaths) -> dict[str, Any] | None:
    if not paths.state_file.exists():
        return None
    loaded: dict[str, Any] = json.loads(paths.state_file.read_text())
    return loaded
