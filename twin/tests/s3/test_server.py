"""The emulator as a server: its access log, a port in use, its imports, the command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from foundry_twin.s3 import PortInUseError, S3Emulator

from .conftest import ACCESS_KEY, SECRET_KEY, s3_client

if TYPE_CHECKING:
    pass


def test_access_log_has_one_line_per_request_without_signatures(tmp_path: Path) -> None:
    lines: list[str] = []
    with S3Emulator(tmp_path / "store", ACCESS_KEY, SECRET_KEY, access_log=lines.append) as running:
        client = s3_client(running.endpoint_url)
        client.create_bucket(Bucket="logged")
        url = client.generate_presigned_url(
            "get_object", Params={"Bucket": "logged", "Key": "k"}, ExpiresIn=60
        )
        httpx.get(url, timeout=5)
    assert len(lines) == 2
    assert '"PUT /logged" 200' in lines[0]
    assert '"GET /logged/k?' in lines[1] and " 404 " in lines[1]
    assert "X-Amz-Signature=REDACTED" in lines[1]
    assert dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"] not in lines[1]


def test_a_port_in_use_is_a_clear_error(emulator: S3Emulator, tmp_path: Path) -> None:
    with pytest.raises(PortInUseError, match=f"port {emulator.port}"):
        S3Emulator(tmp_path, ACCESS_KEY, SECRET_KEY, port=emulator.port).start()


def test_importing_the_emulator_does_not_load_the_cdk() -> None:
    code = "import sys, foundry_twin.s3; sys.exit('aws_cdk' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0


def test_command_line_serves_until_sigterm_then_exits_zero(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "foundry_twin.s3",
        "--root",
        str(tmp_path / "store"),
        "--port",
        str(port),
    ]
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "FOUNDRY_S3_ACCESS_KEY": ACCESS_KEY,
        "FOUNDRY_S3_SECRET_KEY": SECRET_KEY,
    }
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/__health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.communicate(timeout=5)
            assert time.monotonic() < deadline, "the emulator never became healthy"
            time.sleep(0.05)
        s3_client(f"http://127.0.0.1:{port}").create_bucket(Bucket="from-cli")
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    assert process.returncode == 0, stderr
    assert f"s3 listening on http://127.0.0.1:{port}\n" in stdout
    assert '"PUT /from-cli" 200' in stdout
    assert (tmp_path / "store" / "from-cli" / "bucket.json").is_file()
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))
