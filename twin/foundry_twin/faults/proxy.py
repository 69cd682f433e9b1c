"""A small asyncio TCP fault proxy (reference §8): put it between a client and a server on 127.0.0.1
and switch faults while traffic flows.

Modes, changeable at any time from any thread:

- `pass`: bytes flow unchanged (plus `latency_ms` before each chunk when set);
- `blackhole`: connections are accepted and held, nothing is forwarded either way (a partition);
- `reset`: every open connection is reset and new ones are reset on accept (a killed peer);
- `slow`: bytes trickle through at `drip_bytes_per_s` (a congested link).

`with FaultProxy(upstream_port=5432) as proxy:` gives `proxy.port`; `proxy.set_mode("blackhole")`.
It runs its own event loop in a daemon thread, so it works under sync and async tests alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from typing import Literal, Self

from foundry_twin.serving import BackgroundService

Mode = Literal["pass", "blackhole", "reset", "slow"]
HOST = "127.0.0.1"
_CHUNK = 64 * 1024
_START_TIMEOUT_SECONDS = 10.0
_POLL_SECONDS = 0.05


class FaultProxy(BackgroundService):
    def __init__(
        self,
        *,
        upstream_port: int,
        upstream_host: str = HOST,
        mode: Mode = "pass",
        latency_ms: int = 0,
        drip_bytes_per_s: int = 1024,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode: Mode = mode
        self.latency_ms = latency_ms
        self.drip_bytes_per_s = drip_bytes_per_s
        self.accepted = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FaultProxy is not started")
        return self._port

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        if mode == "reset" and self._loop is not None:
            self._loop.call_soon_threadsafe(self._reset_all)

    # -- lifecycle

    def start(self) -> Self:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="fault-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(_START_TIMEOUT_SECONDS) or self._port is None:
            raise RuntimeError("FaultProxy did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(self._reset_all)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._server = loop.run_until_complete(asyncio.start_server(self._handle, HOST, 0))
        self._port = int(self._server.sockets[0].getsockname()[1])
        ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    # -- connections

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode == "reset":
            _abort(client_writer)
            return
        self._writers.add(client_writer)
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            while self.mode == "blackhole":
                if client_reader.at_eof():
                    return
                await asyncio.sleep(_POLL_SECONDS)
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                _abort(client_writer)
                return
            self._writers.add(upstream_writer)
            await asyncio.gather(
                self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer)
            )
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    self._writers.discard(writer)
                    writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    break
                # Modes change from other threads, so poll rather than wait on a loop-bound Event.
                while self.mode == "blackhole":  # noqa: ASYNC110
                    await asyncio.sleep(_POLL_SECONDS)
                if self.mode == "reset":
                    break
                if self.latency_ms:
                    await asyncio.sleep(self.latency_ms / 1000)
                if self.mode == "slow":
                    for start in range(0, len(data), 64):
                        writer.write(data[start : start + 64])
                        await writer.drain()
                        await asyncio.sleep(64 / max(1, self.drip_bytes_per_s))
                else:
                    writer.write(data)
                    await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            # A reset on one side is passed on to the other, as a crashed peer's RST would be;
            # otherwise the other side would wait on a keep-alive connection that can never answer.
            _abort(writer)
        finally:
            if self.mode == "reset":
                _abort(writer)

    def _reset_all(self) -> None:
        for writer in list(self._writers):
            _abort(writer)
        self._writers.clear()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), as a crashed peer's kernel would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
