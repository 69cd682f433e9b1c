"""Real dependencies for the api tests, started once per session on 127.0.0.1:

Postgres (twin/foundry_twin/postgres.py), the local Clerk-style issuer and its JWKS
(twin/foundry_twin/issuer.py), the twin's S3 emulator (twin/foundry_twin/s3/: SigV4, pre-signed
URLs and CORS checked as S3 checks them), a stub of the private `ai` service, and the api itself
under uvicorn in a thread (the twin's BackgroundServer), called over HTTP with httpx.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import boto3
import httpx
import psycopg
import pytest
from foundry_api.core import migrate
from foundry_api.core.config import Settings
from foundry_api.main import Lifecycle, create_app
from foundry_runtime.tracing import Tracing
from foundry_twin.buckets import ensure_uploads_bucket
from foundry_twin.issuer import LocalIssuer
from foundry_twin.postgres import PostgresServer
from foundry_twin.s3 import S3Emulator
from foundry_twin.serving import BackgroundServer, BackgroundSocketServer
from pydantic import SecretStr

WEB_ORIGIN = "http://127.0.0.1:5173"
BUCKET = "foundry-test-uploads"
AI_KEY = "test-internal-key"
SERVER_START_SECONDS = 20.0
# The emulator's keys: one with every right (the tests' own set-up), one like the api's role in AWS,
# with object rights but no s3:ListBucket.
S3_ADMIN_KEYS = ("AKIAAPITESTSADMIN", "api-tests-admin-secret")
S3_API_KEYS = ("AKIAAPITESTSAPI", "api-tests-api-secret")


# -- the private ai service, stubbed: behaviour is picked by the prompt so tests share one server


@dataclass
class AiStub:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    api_key: str = AI_KEY


def _ai_handler(stub_requests: list[dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            stub_requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
            prompt = str(body.get("prompt", ""))
            if self.headers.get("X-Internal-Api-Key") != AI_KEY:
                self._reply(401, b'{"detail":"bad key"}')
            elif "[fail-500]" in prompt:
                self._reply(503, b'{"detail":"upstream down"}')
            elif "[slow]" in prompt:
                time.sleep(3)
                self._reply(200, b'{"answer":"late","model":"m","usage":{},"latency_ms":3000}')
            elif "[garbage]" in prompt:
                self._reply(200, b"not json")
            else:
                answer = json.dumps(
                    {
                        "answer": f"echo: {prompt}",
                        "model": "stub-model",
                        "usage": {"total_tokens": 3},
                        "latency_ms": 42,
                    }
                ).encode()
                self._reply(200, answer)

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture(scope="session")
def ai_stub() -> Iterator[AiStub]:
    requests: list[dict[str, Any]] = []
    with BackgroundSocketServer(_ai_handler(requests), name="ai-stub") as server:
        yield AiStub(url=server.url, requests=requests)


# -- Postgres, issuer, S3


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def fresh_database_url(postgres: PostgresServer) -> str:
    return postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def issuer() -> Iterator[LocalIssuer]:
    with LocalIssuer(default_azp=WEB_ORIGIN) as running:
        yield running


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The uploads bucket on the twin's S3 emulator. The api (in this process, and the `serve`
    subprocess that inherits the environment) finds the api's keys where boto3 looks for them."""
    with (
        pytest.MonkeyPatch.context() as env,
        S3Emulator(
            tmp_path_factory.mktemp("s3"),
            *S3_ADMIN_KEYS,
            access_log=None,
            no_list_credentials=dict([S3_API_KEYS]),
        ) as s3,
    ):
        env.setenv("AWS_ACCESS_KEY_ID", S3_API_KEYS[0])
        env.setenv("AWS_SECRET_ACCESS_KEY", S3_API_KEYS[1])
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        # boto3's default session keeps the credentials it first resolved: a fresh one reads these.
        env.setattr(boto3, "DEFAULT_SESSION", None)
        ensure_uploads_bucket(
            endpoint=s3.endpoint_url,
            access_key=S3_ADMIN_KEYS[0],
            secret_key=S3_ADMIN_KEYS[1],
            bucket=BUCKET,
            site=WEB_ORIGIN,
        )
        yield s3.endpoint_url


# -- the api


def make_settings(
    *,
    database_url: str,
    issuer: LocalIssuer,
    s3_endpoint: str,
    ai_url: str,
    **overrides: Any,
) -> Settings:
    values: dict[str, Any] = {
        "foundry_env": "local",
        "database_url": SecretStr(database_url),
        "database_sslmode": "disable",
        "db_pool_max_size": 5,
        "uploads_bucket": BUCKET,
        "s3_endpoint_url": s3_endpoint,
        "upload_max_bytes": 1024 * 1024,
        "upload_url_ttl_seconds": 120,
        "clerk_jwks_url": issuer.jwks_url,
        "clerk_issuer": issuer.issuer,
        "clerk_authorized_parties": WEB_ORIGIN,
        "ai_service_url": ai_url,
        "ai_internal_api_key": SecretStr(AI_KEY),
        "ai_request_timeout_seconds": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class RunningApi:
    url: str
    settings: Settings
    lifecycle: Lifecycle
    server: BackgroundServer

    def stop(self) -> None:
        self.server.stop()


def start_api(settings: Settings, *, tracing: Tracing | None = None) -> RunningApi:
    lifecycle = Lifecycle()
    server = BackgroundServer(
        create_app(settings, lifecycle=lifecycle, tracing=tracing),
        name="api",
        startup_timeout=SERVER_START_SECONDS,
        shutdown_timeout=15,
        log_config=None,
        lifespan="on",
    ).start()
    return RunningApi(url=server.url, settings=settings, lifecycle=lifecycle, server=server)


@pytest.fixture(scope="session")
def api_database_url(postgres: PostgresServer) -> str:
    return postgres.create_database("api")


@pytest.fixture(scope="session")
def api(
    api_database_url: str, issuer: LocalIssuer, s3_endpoint: str, ai_stub: AiStub
) -> Iterator[RunningApi]:
    """The shared dev-mode api (FOUNDRY_ENV=local: migrations applied at start-up)."""
    running = start_api(
        make_settings(
            database_url=api_database_url, issuer=issuer, s3_endpoint=s3_endpoint, ai_url=ai_stub.url
        )
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def start_api_with(
    issuer: LocalIssuer, s3_endpoint: str, ai_stub: AiStub
) -> Iterator[Callable[..., RunningApi]]:
    """Start extra api instances with other settings; stopped at the end of the session."""
    started: list[RunningApi] = []

    def start(*, database_url: str, tracing: Tracing | None = None, **overrides: Any) -> RunningApi:
        running = start_api(
            make_settings(
                database_url=database_url,
                issuer=issuer,
                s3_endpoint=s3_endpoint,
                **{"ai_url": ai_stub.url, **overrides},
            ),
            tracing=tracing,
        )
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


# -- calling it


class GraphQLClient:
    def __init__(self, *, base_url: str, issuer: LocalIssuer, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.issuer = issuer
        self.http = httpx.Client(base_url=base_url, timeout=10, headers=headers or {})

    def __enter__(self) -> GraphQLClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.http.close()

    def token(self, sub: str) -> str:
        return self.issuer.mint(sub=sub, azp=WEB_ORIGIN)

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        sub: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if sub is not None:
            all_headers["Authorization"] = f"Bearer {self.token(sub)}"
        return self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )

    def data(self, query: str, variables: dict[str, Any] | None = None, *, sub: str) -> dict[str, Any]:
        response = self.post(query, variables, sub=sub)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def errors(
        self, query: str, variables: dict[str, Any] | None = None, *, sub: str
    ) -> list[dict[str, Any]]:
        response = self.post(query, variables, sub=sub)
        body = response.json()
        assert body.get("errors"), body
        errors: list[dict[str, Any]] = body["errors"]
        return errors


@pytest.fixture(scope="session")
def gql(api: RunningApi, issuer: LocalIssuer) -> Iterator[GraphQLClient]:
    client = GraphQLClient(base_url=api.url, issuer=issuer)
    yield client
    client.http.close()


@pytest.fixture(scope="session")
def uploads_bucket() -> str:
    return BUCKET


@pytest.fixture(scope="session")
def graphql_client_class() -> type[GraphQLClient]:
    """The client class itself, for tests that talk to extra api instances.

    Test modules never import this conftest: with --import-mode=importlib every service's
    tests/conftest.py is a module named `tests.conftest`, so such imports would collide.
    """
    return GraphQLClient


@pytest.fixture
def sub() -> str:
    """A fresh Clerk-style user id per test, so tests never see each other's rows."""
    return f"user_{uuid.uuid4().hex[:16]}"


@pytest.fixture
def other_sub() -> str:
    return f"user_{uuid.uuid4().hex[:16]}"


def connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True)


__all__ = ["GraphQLClient", "RunningApi", "connect", "make_settings", "migrate", "start_api"]


@pytest.fixture(scope="session")
def api_http(api: RunningApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api.url, timeout=10) as client:
        yield client
