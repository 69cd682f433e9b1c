"""The services' logging setup: one JSON object per line on stdout, structlog's and the libraries'
alike, carrying the request id; httpx's per-call INFO line stays off unless debugging."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
import structlog
from foundry_runtime import configure_logging

if TYPE_CHECKING:
    from tests.conftest import JsonLog


@pytest.mark.usefixtures("_restore_logging")
@pytest.mark.parametrize(
    ("level", "info", "warning"), [("INFO", False, True), ("ERROR", False, False), ("DEBUG", True, True)]
)
def test_httpx_per_call_info_line_is_off_unless_debugging(level: str, info: bool, warning: bool) -> None:
    configure_logging(level=level)
    httpx_logger = logging.getLogger("httpx")
    assert httpx_logger.isEnabledFor(logging.INFO) is info
    assert httpx_logger.isEnabledFor(logging.WARNING) is warning


def test_structlog_and_stdlib_records_are_json_lines_with_the_bound_request_id(json_log: JsonLog) -> None:
    json_log.start()
    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        structlog.stdlib.get_logger("foundry_test.app").info("did_something", items=2)
        logging.getLogger("some.library").warning("plain %s", "text")
    logging.getLogger("uvicorn.access").info("GET / 200")  # the access line is the middleware's
    logging.getLogger("some.library").debug("below the level")
    lines = json_log.lines()
    for line in lines:
        assert line.pop("timestamp").endswith("Z")
    assert lines == [
        {
            "event": "did_something",
            "items": 2,
            "request_id": "req-1",
            "level": "info",
            "logger": "foundry_test.app",
        },
        {"event": "plain text", "request_id": "req-1", "level": "warning", "logger": "some.library"},
    ]
