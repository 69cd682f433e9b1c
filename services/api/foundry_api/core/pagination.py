"""Forward-only keyset pagination for the viewer's connections (`first`/`after`).

Cursors encode the last row's (created_at, id); pages are fetched with a row comparison on the
(owner_id, created_at DESC, id DESC) indexes, so deep pages cost the same as the first one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from strawberry import relay

from foundry_api.core.errors import ClientError

MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20
_CURSOR_VERSION = "k1"

NodeT = TypeVar("NodeT", bound=relay.Node)


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    after: tuple[datetime, UUID] | None


def page_request(*, first: int | None, after: str | None) -> PageRequest:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0 or size > MAX_PAGE_SIZE:
        raise ClientError(f"`first` must be between 0 and {MAX_PAGE_SIZE}; got {size}")
    return PageRequest(limit=size, after=decode_cursor(after) if after else None)


def encode_cursor(created_at: datetime, row_id: UUID) -> str:
    # The same bytes as json.dumps([...], separators=(",", ":")) (an ISO timestamp and a UUID hold
    # nothing JSON escapes), without its cost: a page encodes one cursor per edge.
    raw = f'["{_CURSOR_VERSION}","{created_at.isoformat()}","{row_id}"]'
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        version, created_at, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if version != _CURSOR_VERSION:
            raise ValueError(version)
        return datetime.fromisoformat(created_at), UUID(row_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise ClientError("`after` is not a cursor this API issued") from exc


def build_connection(
    rows: Sequence[dict[str, Any]], *, page: PageRequest, to_node: Callable[[dict[str, Any]], NodeT]
) -> relay.Connection[NodeT]:
    """`rows` holds up to limit + 1 rows; the extra one only tells whether another page exists."""
    visible = rows[: page.limit]
    edges = [relay.Edge(cursor=encode_cursor(r["created_at"], r["id"]), node=to_node(r)) for r in visible]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > page.limit,
            has_previous_page=page.after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
