"""One way to run a server of the twin, or of a test, on loopback in the background.

`BackgroundService` is the lifecycle they share: start() returns the running service, stop() is
bounded and safe to repeat, and `with Service(...) as running:` always stops it. `BackgroundServer`
runs an ASGI app (the edge, the S3 emulator, the AI stub, the services under test) with uvicorn in a
thread; `BackgroundSocketServer` runs a standard-library socketserver (the issuer's http.server, a
test's TCP echo).
"""

import errno
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import uvicorn
from starlette.types import ASGIApp

HOST = "127.0.0.1"


class PortInUseError(RuntimeError):
    pass


class BackgroundService:
    """start() and stop() as a context manager; subclasses say how to start and stop."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class BackgroundServer(BackgroundService):
    """uvicorn in a daemon thread on a socket bound here (port 0 picks a free one); bounded waits."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        name: str,
        host: str = HOST,
        port: int = 0,
        in_use_message: str = "{name}: {host}:{port} is already in use",
        startup_timeout: float = 10.0,
        shutdown_timeout: float = 10.0,
        **uvicorn_options: Any,
    ) -> None:
        self.app = app
        self.name = name
        self.host = host
        self.requested_port = port
        self.in_use_message = in_use_message
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self.uvicorn_options = {
            "log_level": "warning",
            "access_log": False,
            "lifespan": "off",
            "loop": "asyncio",
            "timeout_graceful_shutdown": 1,
            **uvicorn_options,
        }
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"{self.name} is already started")
        sock = self._socket = self._bind()
        self._port = int(sock.getsockname()[1])
        self._server = uvicorn.Server(uvicorn.Config(self.app, **self.uvicorn_options))
        self._thread = threading.Thread(
            target=self._serve, args=(self._server, sock), name=self.name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"{self.name}: did not start on {self.host}:{self._port}")
            time.sleep(0.01)
        return self

    def _bind(self) -> socket.socket:
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
        # without it every keep-alive response stalled ~40 ms on Nagle + delayed ACK (found by bench/).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.requested_port))
        except OSError as error:
            sock.close()
            if error.errno == errno.EADDRINUSE:
                message = self.in_use_message.format(name=self.name, host=self.host, port=self.requested_port)
                raise PortInUseError(message) from None
            raise
        return sock

    @staticmethod
    def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
        with sock:
            server.run(sockets=[sock])

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=self.shutdown_timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout=2)
        self._server = None
        self._thread = None


class BackgroundSocketServer(BackgroundService):
    """A standard-library socketserver (by default http.server's threading one) in a daemon thread."""

    def __init__(
        self,
        handler: Callable[..., socketserver.BaseRequestHandler],
        *,
        name: str,
        host: str = HOST,
        port: int = 0,
        server_class: type[socketserver.TCPServer] = ThreadingHTTPServer,
        shutdown_timeout: float = 5.0,
    ) -> None:
        self.handler = handler
        self.name = name
        self.host = host
        self.requested_port = port
        self.server_class = server_class
        self.shutdown_timeout = shutdown_timeout
        self._server: socketserver.TCPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.name} is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"{self.name} is already started")
        server = self.server_class((self.host, self.requested_port), self.handler)
        # Handler threads never keep the process alive (ThreadingMixIn's attribute).
        server.daemon_threads = True  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=self.shutdown_timeout)
            self._thread = None
