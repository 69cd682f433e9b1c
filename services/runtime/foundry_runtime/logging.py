"""Structured JSON logs on stdout, one object per line, carrying the request id and, inside a traced
request, its trace id (spec §10)."""

from __future__ import annotations

import logging
import sys

import structlog

from foundry_runtime.trace_context import add_trace_context

_shared_processors: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    add_trace_context,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(*, level: str = "INFO") -> None:
    structlog.configure(
        processors=[*_shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # uvicorn, stamina and other libraries log through stdlib; the same formatter makes their records
    # JSON too.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_shared_processors,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
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
