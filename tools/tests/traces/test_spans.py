"""The waterfall's order and the JSON span's shape, from spans as Phoenix's REST API returns them."""

import re

import pytest
from foundry_tools.traces.phoenix import _span, normalize_trace_id
from foundry_tools.traces.spans import flatten, in_tree_order
from foundry_tools.traces.waterfall import waterfall

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _raw(
    span_id: str, parent: str | None, name: str, start_ms: int, end_ms: int, service: str
) -> dict[str, object]:
    return {
        "name": name,
        "context": {"trace_id": TRACE, "span_id": span_id},
        "parent_id": parent,
        "start_time": f"2026-12-01T10:00:00.{start_ms:03d}000+00:00",
        "end_time": f"2026-12-01T10:00:00.{end_ms:03d}000+00:00",
        "attributes": {"service.name": service, "http": {"method": "POST"}, "tags": ["a", "b"]},
    }


SPANS = [
    _span(_raw("b" * 16, "a" * 16, "POST /graphql", 10, 90, "api")),
    _span(_raw("c" * 16, "b" * 16, "INSERT", 60, 70, "api")),
    _span(_raw("d" * 16, "b" * 16, "SELECT", 20, 25, "api")),
    _span(_raw("a" * 16, None, "POST /graphql", 0, 100, "edge")),
]


def test_a_phoenix_span_becomes_the_json_shape() -> None:
    api = SPANS[0].as_json()
    assert set(api) == {
        "service",
        "name",
        "trace_id",
        "span_id",
        "parent_id",
        "start",
        "duration_ms",
        "attributes",
    }
    assert (api["service"], api["parent_id"], api["duration_ms"]) == ("api", "a" * 16, 80.0)
    assert api["start"] == "2026-12-01T10:00:00.010000+00:00"
    # Flat: nested objects as dotted keys; service.name is the `service` key, not an attribute.
    assert api["attributes"] == {"http.method": "POST", "tags": ["a", "b"]}


def test_tree_order_puts_children_under_parents_by_start() -> None:
    order = [(depth, span.name) for depth, span in in_tree_order(SPANS)]
    assert order == [(0, "POST /graphql"), (1, "POST /graphql"), (2, "SELECT"), (2, "INSERT")]


def test_the_waterfall_indents_by_parentage_with_offsets() -> None:
    lines = waterfall(SPANS).splitlines()
    assert lines[0] == f"trace {TRACE}: 4 spans, 100.0 ms, services api, edge"
    rows = [re.match(r"(\S+)\s.*?\s([\d.]+)\s+([\d.]+)\s+\|", line) for line in lines[2:]]
    assert [row.groups() if row else None for row in rows] == [
        ("edge", "0.0", "100.0"),
        ("api", "10.0", "80.0"),
        ("api", "20.0", "5.0"),
        ("api", "60.0", "10.0"),
    ]
    assert lines[4].index("SELECT") > lines[3].index("POST") > lines[2].index("POST")


def test_flatten_keeps_scalars_and_lists() -> None:
    assert flatten({"a": {"b": {"c": 1}}, "d": [1, {"e": 2}], "f": None}) == {
        "a.b.c": 1,
        "d": [1, "{'e': 2}"],
        "f": None,
    }


def test_trace_ids_are_32_hex_digits() -> None:
    assert normalize_trace_id(TRACE.upper()) == TRACE
    assert normalize_trace_id(f"00-{TRACE}-00f067aa0ba902b7-01") == TRACE


@pytest.mark.parametrize("bad", ["xyz", TRACE[:-1], "0" * 32])
def test_anything_else_is_refused_with_what_a_trace_id_is(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a trace id: give the 32 hex digits"):
        normalize_trace_id(bad)
