"""The fault proxy itself: passes bytes, holds them (blackhole), resets, trickles."""

import contextlib
import socket
import socketserver
import time
from collections.abc import Iterator

import pytest
from foundry_twin.faults.proxy import FaultProxy
from foundry_twin.serving import BackgroundSocketServer


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        with contextlib.suppress(OSError):
            while data := self.request.recv(4096):
                self.request.sendall(data)


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    with BackgroundSocketServer(_Echo, name="echo", server_class=socketserver.ThreadingTCPServer) as server:
        yield server.port


def _roundtrip(port: int, payload: bytes, timeout: float = 2.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        received = b""
        while len(received) < len(payload):
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        return received


def test_pass_then_blackhole_then_reset_then_pass(echo_port: int) -> None:
    with FaultProxy(upstream_port=echo_port) as proxy:
        assert _roundtrip(proxy.port, b"hello") == b"hello"
        proxy.set_mode("blackhole")
        with pytest.raises(TimeoutError):
            _roundtrip(proxy.port, b"lost", timeout=0.3)
        proxy.set_mode("reset")
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            _roundtrip(proxy.port, b"x" * 10)
        proxy.set_mode("pass")
        assert _roundtrip(proxy.port, b"back") == b"back"
        assert proxy.accepted >= 4


def test_slow_mode_trickles(echo_port: int) -> None:
    with FaultProxy(upstream_port=echo_port, mode="slow", drip_bytes_per_s=2048) as proxy:
        started = time.monotonic()
        assert _roundtrip(proxy.port, b"y" * 512) == b"y" * 512
        # 512 bytes at 2 KiB/s take a quarter of a second at least (both directions overlap).
        assert time.monotonic() - started >= 0.2


def test_a_dead_upstream_is_a_reset_not_a_hang() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with FaultProxy(upstream_port=port) as proxy, pytest.raises((ConnectionResetError, ConnectionError)):
        _roundtrip(proxy.port, b"anyone?")
