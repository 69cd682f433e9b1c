"""`foundry-ai` through its real entry point: one-line config errors, serving on $PORT, SIGTERM drain."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
from foundry_contract import Service, env_vars_for

START_TIMEOUT_SECONDS = 20.0


def _clean_env(**values: str) -> dict[str, str]:
    names = {var.name for var in env_vars_for(Service.AI, include_local_only=True)}
    env = {k: v for k, v in os.environ.items() if k not in names}
    return {**env, **values}


def test_missing_configuration_exits_2_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "foundry_ai"],
        env=_clean_env(FOUNDRY_ENV="prod"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("foundry-ai: invalid configuration:")
    assert "Traceback" not in result.stderr


def test_serves_on_port_and_drains_on_sigterm() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _clean_env(
        PORT=str(port),
        FOUNDRY_ENV="local",
        AI_INTERNAL_API_KEY="local-key",
        AI_UPSTREAM_BASE_URL="http://127.0.0.1:9/v1",
        AI_UPSTREAM_MODEL="stub",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "foundry_ai"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
                break
            except httpx.TransportError:
                assert process.poll() is None, "foundry-ai exited early"
                assert time.monotonic() < deadline, "foundry-ai did not start"
                time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    # uvicorn finishes its graceful shutdown, then re-raises the signal it caught (so exit by SIGTERM).
    assert process.returncode in (0, -signal.SIGTERM)
    lines = [line for line in output.splitlines() if line.startswith("{")]
    assert any('"event": "ai_started"' in line for line in lines), lines
    assert any('"event": "ai_stopped"' in line for line in lines), lines
