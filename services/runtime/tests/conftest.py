"""The runtime's tests call its pieces as ASGI apps in-process (httpx's ASGITransport, or the ASGI
messages themselves where the order of messages is the point); each service's own tests send real
HTTP requests through its app on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from foundry_runtime import configure_logging


@pytest.fixture
def _restore_logging() -> Iterator[None]:
    root, httpx_logger = logging.getLogger(), logging.getLogger("httpx")
    access = logging.getLogger("uvicorn.access")
    handlers, level, httpx_level, access_disabled = (
        root.handlers[:],
        root.level,
        httpx_logger.level,
        access.disabled,
    )
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)
    httpx_logger.setLevel(httpx_level)
    access.disabled = access_disabled


class JsonLog:
    """The services' logging set up on the test's stdout. Started from the test itself: pytest gives
    each phase of a test (setup, call) its own stdout, and the handler keeps the one it was given."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def start(self) -> None:
        configure_logging(level="INFO")
        self._capsys.readouterr()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._capsys.readouterr().out.splitlines()]


@pytest.fixture
def json_log(_restore_logging: None, capsys: pytest.CaptureFixture[str]) -> JsonLog:
    return JsonLog(capsys)
