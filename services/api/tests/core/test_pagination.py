"""Cursors: opaque to clients, stable across releases, and refused when not ours."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from foundry_api.core.errors import ClientError
from foundry_api.core.pagination import decode_cursor, encode_cursor

MOMENTS = [
    datetime(2026, 11, 27, 4, 5, 6, 789012, tzinfo=UTC),
    datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_cursor_round_trips_and_keeps_the_released_format(moment: datetime) -> None:
    row_id = uuid.uuid4()
    cursor = encode_cursor(moment, row_id)
    assert decode_cursor(cursor) == (moment, row_id)
    # Cursors issued by earlier releases (json.dumps of the same list) stay valid, and are the same text.
    earlier = json.dumps(["k1", moment.isoformat(), str(row_id)], separators=(",", ":"))
    assert cursor == base64.urlsafe_b64encode(earlier.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["", "not-base64!", base64.urlsafe_b64encode(b'["k0","2026-01-01T00:00:00","x"]').decode(), "e30"],
)
def test_a_foreign_cursor_is_a_client_error(cursor: str) -> None:
    with pytest.raises(ClientError, match="not a cursor this API issued"):
        decode_cursor(cursor)
