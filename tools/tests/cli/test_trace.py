"""`foundry trace` against a real `foundry up`: one askAi request through the edge, carrying a
`traceparent`, is one trace in the twin's Phoenix with spans from the edge, the api, its Postgres
statements, ai and the upstream call; the api's and ai's log lines carry trace ids it finds."""

import json
import secrets
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from foundry_twin.faults.queries import ASK
from foundry_twin.testing import FOUNDRY, Client, RunningTwin, start_twin, twin_data_dir

KEYS = {"service", "name", "trace_id", "span_id", "parent_id", "start", "duration_ms", "attributes"}
GEN_AI = {
    "gen_ai.request.model",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.provider.name",
}


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    with twin_data_dir() as data_dir:
        running = start_twin(data_dir, extra=("--reset",), traces=True)
        try:
            yield running
        finally:
            running.stop()


def foundry_trace(twin: RunningTwin, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FOUNDRY, "trace", *args, "--data-dir", str(twin.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def spans_of(twin: RunningTwin, trace_id: str) -> list[dict[str, Any]]:
    done = foundry_trace(twin, trace_id, "--format", "json")
    assert done.returncode == 0, done.stderr
    spans: list[dict[str, Any]] = json.loads(done.stdout)
    return spans


def ask(twin: RunningTwin, client: Client, prompt: str, headers: dict[str, str]) -> httpx.Response:
    response = httpx.post(
        f"{twin.url}/graphql",
        json={"query": ASK, "variables": {"prompt": prompt}},
        headers={"Authorization": f"Bearer {client.token}", **headers},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["askAi"]["__typename"] == "AskAiPayload", response.text
    return response


def test_one_askai_request_is_one_trace_across_every_hop(twin: RunningTwin) -> None:
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    ask(
        twin,
        Client(twin.url, "alice"),
        "Where did the time go?",
        {"traceparent": f"00-{trace_id}-{caller_span}-01"},
    )

    spans = spans_of(twin, trace_id)
    assert spans and all(set(span) == KEYS for span in spans), spans
    assert {span["trace_id"] for span in spans} == {trace_id}
    by_id = {span["span_id"]: span for span in spans}
    assert len(by_id) == len(spans), "span ids are unique"
    roots = [span for span in spans if span["parent_id"] is None]
    # The caller's span is not stored: the edge's server span, its child, is the one root.
    assert [(root["service"], root["name"]) for root in roots] == [("edge", "POST /graphql")], roots
    assert all(span["parent_id"] in by_id for span in spans if span is not roots[0]), "no orphan span"

    def parent(span: dict[str, Any]) -> dict[str, Any]:
        return by_id[span["parent_id"]]

    def ancestors(span: dict[str, Any]) -> list[dict[str, Any]]:
        """From the root down to `span`'s parent."""
        path = []
        while span["parent_id"] is not None:
            span = parent(span)
            path.append(span)
        return list(reversed(path))

    def services_down_to(span: dict[str, Any]) -> list[str]:
        """Each hop's service once, from the root down to `span` (spans inside one service collapse)."""
        hops = [hop["service"] for hop in [*ancestors(span), span]]
        return [service for i, service in enumerate(hops) if i == 0 or hops[i - 1] != service]

    api_servers = [s for s in spans if s["service"] == "api" and s["name"] == "POST /graphql"]
    assert len(api_servers) == 1, f"api has one server span per request, not {len(api_servers)}"
    (api_server,) = api_servers
    assert parent(api_server)["service"] == "edge", "the edge forwarded its context to api"
    statements = [s for s in spans if s["attributes"].get("db.system") == "postgresql" and s["name"]]
    assert {s["name"] for s in statements} >= {"SELECT", "INSERT"}, statements
    assert all(s["service"] == "api" and api_server in ancestors(s) for s in statements)
    assert any("INSERT INTO ai_requests" in str(s["attributes"].get("db.statement")) for s in statements)

    ai_servers = [s for s in spans if s["service"] == "ai" and s["name"] == "POST /v1/complete"]
    assert len(ai_servers) == 1, f"ai has one server span per request, not {len(ai_servers)}"
    (ai_server,) = ai_servers
    assert services_down_to(ai_server) == ["edge", "api", "ai"], services_down_to(ai_server)
    assert [hop["name"] for hop in ancestors(ai_server)][-1] == "POST", "api's client span calls ai"
    generation = next(s for s in spans if s["service"] == "ai" and set(s["attributes"]) >= GEN_AI)
    assert ai_server in ancestors(generation) and services_down_to(generation) == ["edge", "api", "ai"]
    assert generation["attributes"]["gen_ai.usage.input_tokens"] > 0
    upstream = [s for s in spans if s["parent_id"] == generation["span_id"]]
    assert [s["attributes"].get("http.url", "").endswith("/v1/chat/completions") for s in upstream] == [True]
    assert all(s["duration_ms"] >= 0 for s in spans)
    # Each child starts inside its parent's span (the clocks are one machine's).
    assert all(_start(parent(s)) <= _start(s) for s in spans if s["parent_id"] is not None)

    table = foundry_trace(twin, trace_id)
    assert table.returncode == 0, table.stderr
    assert f"trace {trace_id}: {len(spans)} spans" in table.stdout
    assert generation["name"] in table.stdout and "edge" in table.stdout.splitlines()[2], table.stdout


def _start(span: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(span["start"])


def _log_lines(twin: RunningTwin, part: str) -> list[dict[str, Any]]:
    lines = []
    for raw in (twin.data_dir / "logs" / f"{part}.log").read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_the_api_and_ai_log_lines_carry_trace_ids_foundry_trace_finds(twin: RunningTwin) -> None:
    # No traceparent this time: the edge starts the trace, and the logs are the only place to learn it.
    response = ask(twin, Client(twin.url, "bob"), "Which trace am I?", {})
    request_id = response.headers["x-request-id"]
    api_lines = [line for line in _log_lines(twin, "api") if line.get("request_id") == request_id]
    assert api_lines and all(line.get("trace_id") for line in api_lines), api_lines
    trace_id = api_lines[-1]["trace_id"]
    spans = spans_of(twin, trace_id)
    ids = {span["span_id"] for span in spans}
    assert {line["span_id"] for line in api_lines} <= ids
    ai_lines = [line for line in _log_lines(twin, "ai") if line.get("trace_id") == trace_id]
    assert ai_lines, "ai logged this request under the same trace id"
    assert {line["span_id"] for line in ai_lines} <= ids
    assert {span["service"] for span in spans} >= {"edge", "api", "ai"}


def test_the_latest_traces_and_the_clear_errors(twin: RunningTwin) -> None:
    # Two traces of its own, stored before it reads the latest two: with the module's tests spread
    # over xdist's workers, each with its own twin, the others' traces may be on another twin.
    client = Client(twin.url, "carol")
    for _ in range(2):
        trace_id = secrets.token_hex(16)
        ask(
            twin,
            client,
            "Which trace is newest?",
            {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
        )
        assert spans_of(twin, trace_id)
    latest = foundry_trace(twin, "--last", "2", "--format", "json")
    assert latest.returncode == 0, latest.stderr
    assert len({span["trace_id"] for span in json.loads(latest.stdout)}) == 2

    unknown = foundry_trace(twin, secrets.token_hex(16), "--wait", "1")
    assert unknown.returncode == 2 and "no trace" in unknown.stderr and "Traceback" not in unknown.stderr
    malformed = foundry_trace(twin, "not-a-trace")
    assert malformed.returncode == 2 and "is not a trace id" in malformed.stderr


def test_the_trace_backend_listens_on_loopback_only(twin: RunningTwin) -> None:
    urls = twin.state["urls"]
    ports = {int(urls[name].rsplit(":", 1)[1]) for name in ("traces", "traces-grpc")}
    listening = _listening_addresses()
    for port in ports:
        assert listening.get(port), f"nothing listens on {port}"
        assert all(address in ("127.0.0.1", "::ffff:127.0.0.1", "::1") for address in listening[port]), (
            port,
            listening[port],
        )


def _listening_addresses() -> dict[int, set[str]]:
    """Port → local addresses of the machine's listening TCP sockets (/proc/net/tcp and tcp6)."""
    import ipaddress

    found: dict[int, set[str]] = {}
    for table, width in ((Path("/proc/net/tcp"), 8), (Path("/proc/net/tcp6"), 32)):
        for row in table.read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] != "0A":  # LISTEN
                continue
            address, port = fields[1].split(":")
            raw = bytes.fromhex(address)
            # The kernel prints each 32-bit word in host (little-endian) order.
            packed = b"".join(raw[i : i + 4][::-1] for i in range(0, width // 2, 4))
            ip = ipaddress.ip_address(packed)
            text = (
                str(ip.ipv4_mapped) if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else str(ip)
            )
            found.setdefault(int(port, 16), set()).add(text)
    return found
