"""Cursors: opaque to clients, stable across releases, and refused when not ours."""

from __future__ import annotations

import base64
import json
import random
import struct
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
def test_a_cursor_round_trips_and_a_released_one_still_decodes(moment: datetime) -> None:
    row_id = uuid.uuid4()
    cursor = encode_cursor(moment, row_id)
    assert cursor.startswith("k2") and cursor.isascii() and "=" not in cursor
    assert decode_cursor(cursor) == (moment, row_id)  # the same instant (aware datetimes compare so)
    # A k1 cursor, as earlier releases issued them (json.dumps of the list), leads to the same place.
    earlier = json.dumps(["k1", moment.isoformat(), str(row_id)], separators=(",", ":"))
    released = base64.urlsafe_b64encode(earlier.encode()).decode().rstrip("=")
    assert decode_cursor(released) == decode_cursor(cursor)


def test_a_k2_cursor_is_the_urlsafe_base64_of_its_time_and_id() -> None:
    # The format released cursors have, spelled with the standard library's encoder (the api writes
    # it with binascii directly): random ids hit every base64 digit, '-' and '_' included.
    rng = random.Random(17)
    digits: set[str] = set()
    for _ in range(2000):
        row_id = uuid.UUID(int=rng.getrandbits(128))
        micros = rng.randrange(-(2**40), 2**52)
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
        expected = "k2" + base64.urlsafe_b64encode(struct.pack(">q16s", micros, row_id.bytes)).decode()
        assert encode_cursor(moment, row_id) == expected
        digits.update(expected[2:])
    assert {"-", "_"} <= digits and len(digits) == 64


def test_cursors_keep_the_microsecond_and_times_before_the_epoch() -> None:
    row_id = uuid.uuid4()
    for moment in (
        datetime(1969, 7, 20, 20, 17, 40, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=UTC),
    ):
        assert decode_cursor(encode_cursor(moment, row_id)) == (moment, row_id)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not-base64!",
        base64.urlsafe_b64encode(b'["k0","2026-01-01T00:00:00","x"]').decode(),
        "e30",
        "k2" + "A" * 31,  # a k2 prefix, a byte short
        "k2" + "!" * 32,
    ],
)
def test_a_foreign_cursor_is_a_client_error(cursor: str) -> None:
    with pytest.raises(ClientError, match="not a cursor this API issued"):
        decode_cursor(cursor)
