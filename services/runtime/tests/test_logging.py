"""The services' logging setup: one JSON object per line on stdout, structlog's and the libraries'
alike, carrying the request id; httpx's per-call INFO line stays off unless debugging."""

from __future__ import annotations

import json
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


@pytest.mark.usefixtures("_restore_logging")
def test_structlog_lines_honour_the_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(level="WARNING")
    log = structlog.stdlib.get_logger("foundry_test.levels")
    log.info("below the level")
    log.warning("kept")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["event"], line["level"]) for line in lines] == [("kept", "warning")]


def test_a_logger_used_before_a_new_configuration_writes_to_the_new_stream(json_log: JsonLog) -> None:
    early = structlog.stdlib.get_logger("foundry_test.early")
    configure_logging(level="INFO")
    early.info("before")  # cached now, with the handler of that configuration
    json_log.start()  # configures again, onto the stream the test now captures
    early.info("after")
    assert [(line["event"], line["logger"]) for line in json_log.lines()] == [("after", "foundry_test.early")]


def test_a_line_that_cannot_be_written_does_not_fail_its_caller(
    json_log: JsonLog, capsys: pytest.CaptureFixture[str]
) -> None:
    json_log.start()

    class Broken:
        def write(self, _text: str) -> int:
            raise OSError("disk full")

        def flush(self) -> None: ...

    (handler,) = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(Broken())
    structlog.stdlib.get_logger("foundry_test.app").info("lost")  # must not raise
    assert "Logging error" in capsys.readouterr().err
