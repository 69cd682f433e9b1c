"""Spans from Arize Phoenix's REST API (https://arize.com/docs/phoenix/sdk-api-reference/rest-api):
`GET /v1/projects/{project}/spans?trace_id=...` for one trace, `GET /v1/projects/{project}/traces` for
the latest ones. The twin sends every part's spans to Phoenix's default project."""

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace
from datetime import datetime
from typing import Any

from foundry_tools.traces.spans import TraceSpan, flatten

PROJECT = "default"
PAGE_SIZE = 1000
REQUEST_TIMEOUT_SECONDS = 10.0
SERVICE_NAME = "service.name"
TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


class TraceReadError(RuntimeError):
    """The backend cannot be read, or has no such trace; the message says what to do."""


def normalize_trace_id(raw: str) -> str:
    """A W3C trace id: 32 hex digits (a whole `traceparent` header is accepted too)."""
    value = raw.strip().lower()
    parts = value.split("-")
    if len(parts) == 4 and TRACE_ID.match(parts[1]):
        value = parts[1]
    if not TRACE_ID.match(value) or value == "0" * 32:
        raise ValueError(
            f"{raw!r} is not a trace id: give the 32 hex digits of the trace (the middle part of a "
            "traceparent header, or `trace_id` in a log line)"
        )
    return value


class PhoenixReader:
    def __init__(self, *, base_url: str, project: str = PROJECT) -> None:
        self.base_url = base_url.rstrip("/")
        self.project = project

    def ui_url(self, trace_id: str) -> str:
        """The trace in Phoenix's UI (its /redirects/traces/ route opens the trace's own page)."""
        return f"{self.base_url}/redirects/traces/{trace_id}"

    def spans(self, trace_id: str) -> list[TraceSpan]:
        """Every span of the trace stored so far (none: an empty list)."""
        found: list[TraceSpan] = []
        cursor: str | None = None
        while True:
            query: dict[str, str | int] = {"trace_id": trace_id, "limit": PAGE_SIZE}
            if cursor:
                query["cursor"] = cursor
            page = self._get(f"/v1/projects/{self.project}/spans", query)
            if page is None:
                return []
            found.extend(_span(raw) for raw in page.get("data", []))
            cursor = page.get("next_cursor")
            if not cursor:
                break
        ids = {span.span_id for span in found}
        # The root's parent is the caller's span (a traceparent from a browser or a script), never
        # stored here: the root is the span whose parent the trace does not hold.
        return [
            span if span.parent_id in ids else replace(span, parent_id=None)
            for span in sorted(found, key=lambda s: (s.start, s.span_id))
        ]

    def last_trace_ids(self, count: int) -> list[str]:
        """The `count` latest traces' ids, the latest last."""
        page = self._get(
            f"/v1/projects/{self.project}/traces", {"limit": count, "sort": "start_time", "order": "desc"}
        )
        if page is None:
            return []
        return [str(item["trace_id"]) for item in reversed(page.get("data", []))]

    def wait_for(
        self,
        trace_id: str,
        *,
        timeout: float,
        settle: float = 1.5,
        poll: float = 0.5,
    ) -> list[TraceSpan]:
        """The trace's spans once they stop arriving: each service sends its spans in its own batch,
        so a trace that just ended fills up over a second or so. Waits at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        spans: list[TraceSpan] = []
        changed = time.monotonic()
        while True:
            latest = self.spans(trace_id)
            now = time.monotonic()
            if len(latest) != len(spans):
                spans, changed = latest, now
            elif spans and now - changed >= settle:
                return spans
            if now >= deadline:
                if spans:
                    return spans
                raise TraceReadError(
                    f"no trace {trace_id} in the trace backend ({self.base_url}) after {timeout:g} s; "
                    "check the id (`foundry trace --last 5` lists the latest) or that the request went "
                    "through this twin"
                )
            time.sleep(poll)

    def _get(self, path: str, query: dict[str, str | int]) -> dict[str, Any] | None:
        """The JSON answer; None when the project does not exist yet (no span ever arrived)."""
        url = f"{self.base_url}{urllib.parse.quote(path)}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers={"accept": "application/json"})  # noqa: S310 - the twin's loopback URL
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
                loaded: dict[str, Any] = json.load(response)
                return loaded
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise TraceReadError(
                f"the trace backend ({self.base_url}) answered {error.code} to {path}: "
                f"{error.read(300).decode(errors='replace')}"
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TraceReadError(
                f"the twin's trace backend at {self.base_url} does not answer ({reason}); is the twin still "
                "up? (`make up`, then `foundry logs traces`)"
            ) from None
        except ValueError:
            raise TraceReadError(
                f"the trace backend ({self.base_url}) answered {path} with no JSON"
            ) from None


def _span(raw: dict[str, Any]) -> TraceSpan:
    attributes = flatten(raw.get("attributes") or {})
    service = attributes.pop(SERVICE_NAME, None)
    start = datetime.fromisoformat(raw["start_time"])
    end = datetime.fromisoformat(raw["end_time"])
    return TraceSpan(
        service=str(service) if service is not None else "unknown",
        name=str(raw["name"]),
        trace_id=str(raw["context"]["trace_id"]),
        span_id=str(raw["context"]["span_id"]),
        parent_id=raw.get("parent_id") or None,
        start=start,
        duration_ms=round((end - start).total_seconds() * 1000, 3),
        attributes=attributes,
    )
