"""Structured JSON logs on stdout, one object per line, carrying the request id and, inside a traced
request, its trace id (spec §10)."""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import TextIO

import structlog

from foundry_runtime.trace_context import add_trace_context

_shared_processors: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    add_trace_context,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
_rendering: list[structlog.types.Processor] = [
    structlog.processors.format_exc_info,
    structlog.processors.JSONRenderer(),
]


class _JsonLines:
    """structlog's logger: each rendered line goes to the stream the stdlib handler writes, under that
    handler's lock, so the two kinds of line never interleave mid-line. The handler is the one the
    latest configure_logging made, also for a logger structlog cached before it."""

    handler: logging.StreamHandler[TextIO] | None = None

    def __init__(self, *, name: str) -> None:
        self.name = name  # what structlog.stdlib.add_logger_name reads

    def msg(self, line: str) -> None:
        handler = _JsonLines.handler
        if handler is None:  # pragma: no cover - only configure_logging makes these loggers
            return
        with handler.lock or contextlib.nullcontext():
            try:
                handler.stream.write(line + "\n")
                handler.stream.flush()
            except Exception:  # as stdlib's handlers do: a log line that cannot be written never
                # fails the request that wrote it (handleError reports it on stderr)
                handler.handleError(logging.makeLogRecord({"msg": line}))

    debug = info = warning = error = critical = msg


def configure_logging(*, level: str = "INFO") -> None:
    # uvicorn, stamina and other libraries log through stdlib; the same processors make their records
    # JSON too, through this handler.
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_shared_processors,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *_rendering,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    _JsonLines.handler = handler
    # Our own lines are rendered by structlog itself and written straight to the handler's stream,
    # not handed to stdlib logging as records: the access line cost 66 us that way against 25 us
    # (bench/README.md), once per request in every service.
    structlog.configure(
        processors=[*_shared_processors, *_rendering],
        logger_factory=lambda *names: _JsonLines(name=str(names[0]) if names else ""),
        wrapper_class=structlog.make_filtering_bound_logger(root.getEffectiveLevel()),
        cache_logger_on_first_use=True,
    )
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # The request-context middleware writes one access line per request with the request id;
    # uvicorn's would duplicate it without one.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every call at INFO ("HTTP Request: POST ..."): another line per request that the
    # access line and the callee's own log already cover (ai's UpstreamRequests metric line repeats
    # its status and request id), at ~40 us on the request's path. Its warnings and errors still come
    # through; DEBUG brings it all back.
    logging.getLogger("httpx").setLevel(
        logging.NOTSET if level == "DEBUG" else max(root.level, logging.WARNING)
    )
