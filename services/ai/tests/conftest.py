"""Real servers on 127.0.0.1 for the ai tests: the deterministic upstream stub
(foundry_twin.ai_stub) and the ai app itself under uvicorn in a thread (the twin's BackgroundServer),
called with httpx.

Timeouts and backoffs are tiny here (settings, not monkeypatching) so the suite stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import structlog
from foundry_ai.core.config import Settings
from foundry_ai.main import Lifecycle, create_app
from foundry_ai.upstream.gateway import CompletionGateway
from foundry_contract import INTERNAL_API_KEY_HEADER
from foundry_runtime.tracing import Tracing
from foundry_twin.ai_stub import AiStub, StubBehaviour
from foundry_twin.serving import BackgroundServer
from pydantic import SecretStr

INTERNAL_KEY = "test-internal-key-0123456789"
UPSTREAM_KEY = "test-upstream-key"
MODEL = "stub-model"
START_TIMEOUT_SECONDS = 10.0

FAST_SETTINGS: dict[str, Any] = {
    "foundry_env": "local",
    "ai_connect_timeout_seconds": 1.0,
    "ai_read_timeout_seconds": 2.0,
    "ai_write_timeout_seconds": 1.0,
    "ai_pool_timeout_seconds": 0.5,
    "ai_deadline_seconds": 3.0,
    "ai_max_attempts": 3,
    "ai_retry_backoff_initial_seconds": 0.01,
    "ai_retry_backoff_max_seconds": 0.05,
    "ai_retry_jitter_seconds": 0.01,
    "ai_max_concurrency": 8,
    "ai_queue_timeout_seconds": 0.2,
    "ai_breaker_failure_threshold": 5,
    "ai_breaker_reset_seconds": 30.0,
}


def make_settings(upstream_base_url: str = "http://127.0.0.1:9/v1", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        **FAST_SETTINGS,
        "ai_internal_api_key": SecretStr(INTERNAL_KEY),
        "ai_upstream_base_url": upstream_base_url,
        "ai_upstream_model": MODEL,
        "ai_upstream_api_key": SecretStr(UPSTREAM_KEY),
        **overrides,
    }
    return Settings(**values)


@dataclass
class RunningAi:
    url: str
    settings: Settings
    gateway: CompletionGateway
    lifecycle: Lifecycle

    def client(self, *, key: str | None = INTERNAL_KEY, timeout: float = 15.0) -> httpx.Client:
        headers = {INTERNAL_API_KEY_HEADER: key} if key is not None else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def async_client(self, *, timeout: float = 15.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, headers={INTERNAL_API_KEY_HEADER: INTERNAL_KEY}, timeout=timeout
        )

    def complete(self, prompt: str = "hello there", **headers: str) -> httpx.Response:
        with self.client() as client:
            return client.post("/v1/complete", json={"prompt": prompt}, headers=headers)


@pytest.fixture(autouse=True)
def _plain_structlog() -> Iterator[None]:
    # Another package's tests may have configured structlog with logger caching, which would make
    # structlog.testing.capture_logs miss our events; each test starts from the defaults.
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def _stub_server() -> Iterator[AiStub]:
    with AiStub(api_key=UPSTREAM_KEY, model=MODEL) as running:
        yield running


@pytest.fixture
def stub(_stub_server: AiStub) -> AiStub:
    """The shared upstream stub, back to plain 200s with no recorded calls."""
    _stub_server.reset(StubBehaviour(api_key=UPSTREAM_KEY, model=MODEL))
    return _stub_server


@pytest.fixture
def start_ai(stub: AiStub) -> Iterator[Callable[..., RunningAi]]:
    servers: list[BackgroundServer] = []

    def start(*, tracing: Tracing | None = None, **overrides: Any) -> RunningAi:
        settings = make_settings(stub.base_url, **overrides)
        lifecycle = Lifecycle()
        app = create_app(settings, lifecycle=lifecycle, tracing=tracing)
        server = BackgroundServer(
            app,
            name="ai",
            startup_timeout=START_TIMEOUT_SECONDS,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=2,
        ).start()
        servers.append(server)
        return RunningAi(url=server.url, settings=settings, gateway=app.state.gateway, lifecycle=lifecycle)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def ai(start_ai: Callable[..., RunningAi]) -> RunningAi:
    return start_ai()


@pytest.fixture
def settings_factory() -> Callable[..., Settings]:
    return make_settings
