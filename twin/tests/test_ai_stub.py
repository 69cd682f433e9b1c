"""The deterministic OpenAI-compatible stub, exercised over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from foundry_twin.ai_stub import HANG, AiStub, StubBehaviour, answer_for

CHAT = "/chat/completions"


def _chat(client: httpx.Client, prompt: str = "hello", **extra: object) -> httpx.Response:
    return client.post(CHAT, json={"model": "m", "messages": [{"role": "user", "content": prompt}], **extra})


@pytest.fixture
def stub() -> Iterator[AiStub]:
    with AiStub() as running:
        yield running


@pytest.fixture
def client(stub: AiStub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stub.base_url, timeout=5) as c:
        yield c


def test_answers_are_deterministic_and_openai_shaped(client: httpx.Client, stub: AiStub) -> None:
    first, second = _chat(client, "same prompt").json(), _chat(client, "same prompt").json()
    assert first == second
    assert first["object"] == "chat.completion"
    assert first["choices"][0]["message"] == {"role": "assistant", "content": answer_for("same prompt")}
    assert (
        first["usage"]["total_tokens"]
        == first["usage"]["prompt_tokens"] + first["usage"]["completion_tokens"]
    )
    assert answer_for("same prompt") != answer_for("other prompt")
    assert stub.call_count == 2


def test_max_tokens_shortens_the_answer(client: httpx.Client) -> None:
    answer = _chat(client, "one two three four five six", max_tokens=3).json()["choices"][0]["message"]
    assert len(answer["content"].split()) == 3


def test_script_is_served_in_order_then_success(client: httpx.Client, stub: AiStub) -> None:
    stub.configure(script=[500, 503, 429, 200])
    assert [_chat(client).status_code for _ in range(5)] == [500, 503, 429, 200, 200]
    assert [call.outcome for call in stub.calls] == [500, 503, 429, 200, 200]


def test_429_carries_retry_after(client: httpx.Client, stub: AiStub) -> None:
    stub.configure(script=[429], retry_after="7")
    response = _chat(client)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["code"] == 429


def test_failure_rate_is_reproducible_for_a_seed(client: httpx.Client, stub: AiStub) -> None:
    stub.configure(failure_rate=0.5, seed=42, failure_status=502)
    first = [_chat(client).status_code for _ in range(20)]
    stub.reset()
    second = [_chat(client).status_code for _ in range(20)]
    assert first == second
    assert set(first) == {200, 502}


def test_failure_rate_extremes(client: httpx.Client, stub: AiStub) -> None:
    stub.configure(failure_rate=1.0)
    assert {_chat(client).status_code for _ in range(5)} == {500}
    stub.configure(failure_rate=0.0)
    assert {_chat(client).status_code for _ in range(5)} == {200}


def test_hang_holds_the_call_until_the_client_gives_up(stub: AiStub) -> None:
    stub.configure(hang=True, hang_seconds=10)
    with httpx.Client(base_url=stub.base_url, timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
        _chat(client)
    assert stub.call_count == 1


def test_scripted_hang_then_success(stub: AiStub) -> None:
    stub.configure(script=[HANG], hang_seconds=0.2)
    with httpx.Client(base_url=stub.base_url, timeout=5) as client:
        assert _chat(client).status_code == 504  # the stub gives up after hang_seconds
        assert _chat(client).status_code == 200


def test_latency_is_applied(client: httpx.Client, stub: AiStub) -> None:
    stub.configure(latency_ms=200)
    started = time.monotonic()
    _chat(client)
    assert time.monotonic() - started >= 0.2


def test_api_key_is_enforced_when_set() -> None:
    with AiStub(api_key="k1") as stub, httpx.Client(base_url=stub.base_url, timeout=5) as client:
        assert _chat(client).status_code == 401
        client.headers["Authorization"] = "Bearer k1"
        assert _chat(client).status_code == 200
        assert [c.authorization for c in stub.calls] == [None, "Bearer k1"]


def test_malformed_requests_are_400(client: httpx.Client) -> None:
    assert client.post(CHAT, json={"messages": "nope"}).status_code == 400
    assert client.post(CHAT, content=b"not json").status_code == 400


def test_models_health_and_inspection_endpoints(client: httpx.Client, stub: AiStub) -> None:
    assert client.get("/models").json()["data"][0]["id"] == StubBehaviour().model
    with httpx.Client(base_url=stub.url, timeout=5) as root:
        assert root.get("/healthz").json() == {"status": "ok"}
        _chat(client, "counted", **{"user": "u1"})
        calls = root.get("/__stub/calls").json()
        assert calls["count"] == 1
        assert calls["calls"][0]["body"]["user"] == "u1"
        assert root.post("/__stub/reset").status_code == 200
        assert root.get("/__stub/calls").json()["count"] == 0


def test_invalid_behaviour_is_refused() -> None:
    with pytest.raises(ValueError, match="failure_rate"):
        StubBehaviour(failure_rate=1.5)
    with pytest.raises(ValueError, match="script"):
        StubBehaviour(script=(42,))


def test_importing_the_stub_does_not_load_the_cdk() -> None:
    code = "import sys, foundry_twin.ai_stub; sys.exit('aws_cdk' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0


def test_command_line_serves_on_the_given_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "foundry_twin.ai_stub", "--port", str(port), "--script", "503,200"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", timeout=5) as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    client.get("/models")
                    break
                except httpx.ConnectError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            assert [_chat(client).status_code for _ in range(2)] == [503, 200]
    finally:
        process.terminate()
        process.wait(timeout=10)
