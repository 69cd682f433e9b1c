"""`foundry up` end to end, as a user and a browser see it: only the edge is spoken to.

The module starts the real command once, runs the flow, stops it with SIGTERM and checks nothing is
left behind, then starts it again on the same data to find the earlier upload still there.
"""

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from foundry_twin.testing import FOUNDRY, Client, RunningTwin, free_port, start_twin, twin_data_dir

CREATE = """mutation($input: CreateUploadInput!) { createUpload(input: $input) {
  __typename ... on CreateUploadPayload { upload { id status } uploadUrl uploadHeaders { name value } }
  ... on UserError { code message } } }"""
COMPLETE = """mutation($id: ID!) { completeUpload(input: {id: $id}) {
  __typename ... on CompleteUploadPayload { upload { id status downloadUrl } } ... on UserError { code message } } }"""
UPLOADS = "{ viewer { uploads(first: 10) { edges { node { id filename size status downloadUrl } } } } }"
ASK = """mutation($prompt: String!) { askAi(input: {prompt: $prompt}) {
  __typename ... on AskAiPayload { aiRequest { id answer model latencyMs } } ... on UserError { code message } } }"""
AI_REQUESTS = "{ viewer { aiRequests(first: 10) { edges { node { id prompt answer } } } } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    with twin_data_dir() as path:
        yield path


@pytest.fixture(scope="module")
def twin(data_dir: Path) -> Iterator[RunningTwin]:
    running = start_twin(data_dir, extra=("--reset",))
    yield running
    if running.process.poll() is None:
        running.stop()


def test_the_whole_flow_through_the_edge(twin: RunningTwin) -> None:
    alice = Client(twin.url, "alice")
    payload = b"hello from the twin\n" * 50
    created = alice.graphql(
        CREATE, input={"filename": "notes/../hello.txt", "contentType": "text/plain", "size": len(payload)}
    )["createUpload"]
    assert created["__typename"] == "CreateUploadPayload", created
    # Before the PUT: the api's S3 key may not list, so S3 (and the twin's) answers HEAD with 403.
    early = alice.graphql(COMPLETE, id=created["upload"]["id"])["completeUpload"]
    assert (early["__typename"], early["code"]) == ("UserError", "UPLOAD_MISSING"), early
    s3_log = (twin.data_dir / "logs" / "s3.log").read_text()
    assert '"HEAD /foundry-local-uploads/uploads/' in s3_log and '" 403 ' in s3_log, s3_log[-2000:]
    headers = {h["name"]: h["value"] for h in created["uploadHeaders"]}
    put = httpx.put(created["uploadUrl"], content=payload, headers=headers, timeout=10)
    assert put.status_code == 200, put.text
    upload_id = created["upload"]["id"]
    completed = alice.graphql(COMPLETE, id=upload_id)["completeUpload"]
    assert completed["__typename"] == "CompleteUploadPayload", completed
    assert completed["upload"]["status"] == "UPLOADED"

    (edge,) = alice.graphql(UPLOADS)["viewer"]["uploads"]["edges"]
    assert edge["node"]["id"] == upload_id
    assert edge["node"]["size"] == len(payload)
    assert httpx.get(edge["node"]["downloadUrl"], timeout=10).content == payload

    asked = alice.graphql(ASK, prompt="What is Foundry?")["askAi"]
    assert asked["__typename"] == "AskAiPayload", asked
    assert asked["aiRequest"]["answer"]
    stored = alice.graphql(AI_REQUESTS)["viewer"]["aiRequests"]["edges"]
    assert [e["node"]["prompt"] for e in stored] == ["What is Foundry?"]
    assert stored[0]["node"]["answer"] == asked["aiRequest"]["answer"]

    bob = Client(twin.url, "bob")
    assert bob.graphql(UPLOADS)["viewer"]["uploads"]["edges"] == []
    assert bob.graphql(AI_REQUESTS)["viewer"]["aiRequests"]["edges"] == []
    assert bob.graphql(NODE, id=upload_id)["node"] is None
    stolen = bob.graphql(COMPLETE, id=upload_id)["completeUpload"]
    assert stolen["__typename"] == "UserError"


def test_api_and_ai_refuse_anyone_but_the_edge_and_api(twin: RunningTwin) -> None:
    urls = twin.state["urls"]
    token = Client(twin.url, "carol").token
    direct = httpx.post(
        f"{urls['api']}/graphql",
        json={"query": "{ viewer { id } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert direct.status_code == 403
    assert httpx.post(f"{urls['ai']}/v1/complete", json={"prompt": "hi"}, timeout=10).status_code == 401
    # No edge path reaches ai: its route and its health answer come from web (the SPA) or api instead.
    for path in ("/v1/complete", "/ai/v1/complete", "/api/v1/complete", "/api/ai/v1/complete"):
        response = httpx.post(f"{twin.url}{path}", json={"prompt": "hi"}, timeout=10)
        assert "answer" not in response.text, path
        assert response.status_code != 401, f"{path} reached something that asks for the internal key"


def test_the_edge_behaves_like_cloudfront(twin: RunningTwin) -> None:
    index = httpx.get(f"{twin.url}/some/client/route", timeout=10)
    assert index.status_code == 200
    assert "<div id=" in index.text
    assert index.headers["strict-transport-security"].startswith("max-age=")
    assert index.headers["x-frame-options"] == "DENY"
    health = httpx.get(f"{twin.url}/api/healthz", timeout=10)
    assert health.status_code == 200
    assert health.headers["x-content-type-options"] == "nosniff"


def test_with_tracing_off_the_trace_backend_stays_down(twin: RunningTwin) -> None:
    # start_twin runs FOUNDRY_TRACES=off unless asked (tools/tests/cli/test_trace.py runs it on).
    assert "traces" not in twin.state["pids"]
    assert "traces" not in twin.state["urls"]


def test_sigterm_stops_every_part_and_frees_every_port(twin: RunningTwin) -> None:
    state = twin.state
    ports = [int(url.rsplit(":", 1)[1]) for url in state["urls"].values()] + [int(twin.url.rsplit(":", 1)[1])]
    assert twin.stop() == 0
    for port in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
    for name, pid in state["pids"].items():
        assert not _alive(pid), f"{name} (pid {pid}) outlived foundry up"
    assert not (twin.data_dir / "state.json").exists()


def test_restart_keeps_uploads_and_rows(data_dir: Path, twin: RunningTwin) -> None:
    assert twin.process.poll() is not None, "runs after the SIGTERM test"
    again = start_twin(data_dir)
    try:
        alice = Client(again.url, "alice")
        (edge,) = alice.graphql(UPLOADS)["viewer"]["uploads"]["edges"]
        assert edge["node"]["status"] == "UPLOADED"
        assert httpx.get(edge["node"]["downloadUrl"], timeout=10).content.startswith(b"hello from the twin")
    finally:
        assert again.stop() == 0


def test_a_second_up_on_the_same_data_is_refused(data_dir: Path) -> None:
    first = start_twin(data_dir)
    try:
        result = subprocess.run(
            [FOUNDRY, "up", "--port", str(free_port()), "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2
        assert "already running" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        first.stop()


def test_a_part_that_dies_stops_the_twin_with_its_last_log_lines(data_dir: Path) -> None:
    running = start_twin(data_dir)
    api_pid = running.state["pids"]["api"]
    os.kill(api_pid, signal.SIGKILL)
    rest, _ = running.process.communicate(timeout=60)
    assert running.process.returncode == 1
    assert "error: api: exited with code -9" in rest
    assert "its last log lines" in rest
    assert "stopped: every part is down" in rest
    for name, pid in running.state_at_start["pids"].items():
        assert not _alive(pid), f"{name} (pid {pid}) outlived the failure"


def test_port_in_use_is_one_line_with_the_fix(data_dir: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [FOUNDRY, "up", "--port", str(port), "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "--port" in result.stderr


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    # A zombie has exited; only the machine's init has yet to reap it.
    return "\nState:\tZ" not in status
