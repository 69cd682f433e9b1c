"""The api's logging setup: httpx's per-call INFO line stays off unless debugging."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog
from foundry_api.core.logging import configure_logging


@pytest.fixture
def _restore_logging() -> Iterator[None]:
    root, httpx_logger = logging.getLogger(), logging.getLogger("httpx")
    handlers, level, httpx_level = root.handlers[:], root.level, httpx_logger.level
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)
    httpx_logger.setLevel(httpx_level)


@pytest.mark.usefixtures("_restore_logging")
@pytest.mark.parametrize(
    ("level", "info", "warning"), [("INFO", False, True), ("ERROR", False, False), ("DEBUG", True, True)]
)
def test_httpx_per_call_info_line_is_off_unless_debugging(level: str, info: bool, warning: bool) -> None:
    configure_logging(level=level)
    httpx_logger = logging.getLogger("httpx")
    assert httpx_logger.isEnabledFor(logging.INFO) is info
    assert httpx_logger.isEnabledFor(logging.WARNING) is warning
