"""The real api and ai as processes, with their dependencies on 127.0.0.1, for fault suites.

Unlike `foundry up`, whose supervisor stops everything when one part dies, this stack lets a test
kill or restart one part and watch the others. It reuses the twin's pieces: PostgresServer (durable,
so a restart keeps committed rows), the S3 emulator, the LocalIssuer, the ai_stub upstream and the
Supervisor's process handling; the api and ai get the same variables as in the twin (foundry_twin.service_env).
`FaultProxy`s may sit between api and ai or api and Postgres.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import psycopg
from foundry_contract import API_DATABASE_USER, HEALTH_PATH, ORIGIN_VERIFY_HEADER, READY_PATH

from foundry_twin import service_env
from foundry_twin.ai_stub import DEFAULT_MODEL, AiStub
from foundry_twin.buckets import ensure_uploads_bucket
from foundry_twin.db_login import (
    drop_api_connections,
    migrate_as_owner,
    rotate_api_password,
)
from foundry_twin.faults.proxy import FaultProxy
from foundry_twin.issuer import LocalIssuer
from foundry_twin.postgres import PostgresServer, free_port
from foundry_twin.state import UPLOADS_BUCKET
from foundry_twin.supervisor import Part, Supervisor, http_probe

SITE = "http://127.0.0.1:8080"
INTERNAL_KEY = "fault-suite-internal-key"
ORIGIN_SECRET = "fault-suite-origin-verify"  # noqa: S105 - a throw-away local value
S3_KEYS = ("faultsuiteaccess", "faultsuitesecretkey")
# The api's key: object rights, no s3:ListBucket, as its role in AWS (a missing object is a 403).
S3_API_KEYS = ("faultsuiteapiaccess", "faultsuiteapisecretkey")
STUB_KEY = "stub-upstream-key"
DATABASE = "foundry"


def _venv_script(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@dataclass
class Stack:
    root: Path
    postgres: PostgresServer
    issuer: LocalIssuer
    stub: AiStub
    supervisor: Supervisor
    ai_proxy: FaultProxy
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return self.urls["api"]

    @property
    def database_url(self) -> str:
        return self.postgres.url(DATABASE)

    def part(self, name: str) -> Part:
        return next(p for p in self.supervisor.parts if p.name == name)

    def process(self, name: str) -> subprocess.Popen[bytes]:
        process = self.part(name).process
        assert process is not None
        return process

    def headers(self, user: str) -> dict[str, str]:
        """What the edge sends for a signed-in user: the origin-verify header and a session token."""
        token = self.issuer.mint(sub=f"user_{user}", azp=SITE, lifetime=3600)
        return {ORIGIN_VERIFY_HEADER: ORIGIN_SECRET, "Authorization": f"Bearer {token}"}

    @property
    def api_password_file(self) -> Path:
        return self.root / "secrets" / "db-api-password"

    def rotate_api_password(self) -> str:
        """The api role's new password in Postgres and in the twin's secret store (twin.db_login)."""
        return rotate_api_password(admin_url=self.database_url, password_file=self.api_password_file)

    def drop_api_connections(self) -> int:
        return drop_api_connections(admin_url=self.database_url)

    def restart_postgres(self, *, down_seconds: float = 0.0) -> None:
        self.postgres.stop()
        time.sleep(down_seconds)
        self.postgres.start()


@contextlib.contextmanager
def running_stack(
    root: Path,
    *,
    ai_env: dict[str, str] | None = None,
    api_env: dict[str, str] | None = None,
    stub_latency_ms: int = 0,
    api_login: Literal["password-file", "static"] = "password-file",
) -> Iterator[Stack]:
    """Postgres, S3, issuer, stub upstream, ai and api, all ready; everything stopped on exit.

    `api_login="static"` gives the api its role's password once, at start, in DATABASE_URL: how the
    api took DATABASE_SECRET before issue 19 (and how App Runner and ECS inject secrets), kept so the
    rotation fault test can show that behaviour failing.

    `root` must be world-searchable when running as root (see twin.testing.twin_data_dir).
    """
    postgres = PostgresServer(data_dir=root / "postgres", ephemeral=False).start()
    postgres.create_database(DATABASE)
    password_file = root / "secrets" / "db-api-password"
    migrate_as_owner(admin_url=postgres.url(DATABASE))
    password = rotate_api_password(admin_url=postgres.url(DATABASE), password_file=password_file)
    login_env = (
        {
            "DATABASE_AUTH": "secret",
            # dev, not local: a local api holding a URL would try to migrate, which its role may not.
            "FOUNDRY_ENV": "dev",
            "DATABASE_URL": f"postgresql://{API_DATABASE_USER}:{quote(password, safe='')}"
            f"@127.0.0.1:{postgres.port}/{DATABASE}",
        }
        if api_login == "static"
        else {}
    )
    issuer = LocalIssuer(default_azp=SITE).start()
    stub = AiStub(latency_ms=stub_latency_ms, api_key=STUB_KEY).start()
    ports = {name: free_port() for name in ("s3", "ai", "api")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    ai_proxy = FaultProxy(upstream_port=ports["ai"]).start()
    parts = [
        Part(
            name="s3",
            argv=[
                sys.executable,
                "-m",
                "foundry_twin.s3",
                "--root",
                str(root / "s3"),
                "--port",
                str(ports["s3"]),
            ],
            env={
                "FOUNDRY_S3_ACCESS_KEY": S3_KEYS[0],
                "FOUNDRY_S3_SECRET_KEY": S3_KEYS[1],
                "FOUNDRY_S3_NO_LIST_ACCESS_KEY": S3_API_KEYS[0],
                "FOUNDRY_S3_NO_LIST_SECRET_KEY": S3_API_KEYS[1],
            },
            ready=http_probe(f"{urls['s3']}/__health"),
            after_ready=lambda: ensure_uploads_bucket(
                endpoint=urls["s3"],
                access_key=S3_KEYS[0],
                secret_key=S3_KEYS[1],
                bucket=UPLOADS_BUCKET,
                site=SITE,
            ),
            detail="s3",
        ),
        Part(
            name="ai",
            argv=[_venv_script("foundry-ai")],
            env={
                **service_env.ai_env(
                    port=ports["ai"],
                    internal_api_key=INTERNAL_KEY,
                    upstream_base_url=stub.base_url,
                    upstream_model=DEFAULT_MODEL,
                    upstream_api_key=STUB_KEY,
                    log_level="WARNING",
                ),
                **(ai_env or {}),
            },
            ready=http_probe(f"{urls['ai']}{HEALTH_PATH}"),
            detail="ai",
        ),
        Part(
            name="api",
            argv=[_venv_script("foundry-api"), "serve"],
            env={
                **service_env.api_env(
                    port=ports["api"],
                    postgres_port=postgres.port,
                    database=DATABASE,
                    password_file=password_file,
                    s3_url=urls["s3"],
                    s3_api_keys=S3_API_KEYS,
                    issuer_url=issuer.issuer,
                    site=SITE,
                    origin_verify_secret=ORIGIN_SECRET,
                    ai_url=f"http://127.0.0.1:{ai_proxy.port}",
                    internal_api_key=INTERNAL_KEY,
                    log_level="WARNING",
                ),
                **login_env,
                **(api_env or {}),
            },
            ready=http_probe(f"{urls['api']}{READY_PATH}", headers={ORIGIN_VERIFY_HEADER: ORIGIN_SECRET}),
            detail="api",
        ),
    ]
    supervisor = Supervisor(parts=parts, log_dir=root / "logs", report=lambda _: None)
    try:
        supervisor.start_all()
        yield Stack(
            root=root,
            postgres=postgres,
            issuer=issuer,
            stub=stub,
            supervisor=supervisor,
            ai_proxy=ai_proxy,
            urls=urls,
        )
    finally:
        supervisor.stop_all()
        ai_proxy.stop()
        stub.stop()
        issuer.stop()
        postgres.stop()


def uploaded_ids(database_url: str) -> set[str]:
    """Upload ids (UUID text) the database holds as UPLOADED."""
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        rows = conn.execute("SELECT id::text FROM uploads WHERE status = 'UPLOADED'").fetchall()
    return {row[0] for row in rows}


def log_tail(stack: Stack, part: str) -> str:
    return stack.part(part).tail(30)
