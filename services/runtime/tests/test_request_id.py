"""Which incoming request ids are taken as they are, and what a new one looks like."""

from __future__ import annotations

import re

import pytest
from foundry_runtime import accept_request_id, new_request_id


@pytest.mark.parametrize(
    "value", ["req-12345", "a", "A.b_c:d-1", "x" * 128, "0af7651916cd43dd8448eb211c80319c"]
)
def test_a_well_formed_id_is_accepted_as_it_is(value: str) -> None:
    assert accept_request_id(value) == value


@pytest.mark.parametrize(
    "value", [None, "", "bad id with spaces", "x" * 129, 'quote"d', "new\nline", "trailing\n", "é", "a/b"]
)
def test_anything_else_is_refused(value: str | None) -> None:
    assert accept_request_id(value) is None


def test_a_new_id_is_well_formed_and_unique() -> None:
    made = {new_request_id() for _ in range(100)}
    assert len(made) == 100
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) and accept_request_id(rid) == rid for rid in made)
