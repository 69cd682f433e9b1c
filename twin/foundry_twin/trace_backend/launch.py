"""Runs Phoenix's server (`phoenix serve`) with its OTLP/gRPC receiver on loopback.

Run by Phoenix's own interpreter (.venv-phoenix/bin/python launch.py), never imported by the twin.
Phoenix binds its HTTP server to PHOENIX_HOST but its gRPC receiver to `[::]:PORT` whatever that says
(phoenix/server/grpc_server.py, 20.x), which would take spans from any host that reaches this machine.
The twin keeps every port on 127.0.0.1, so this one address is rewritten before the server starts.
"""

import importlib
import sys
from typing import Any

LOOPBACK = "127.0.0.1"


def loopback_address(address: str) -> str:
    """`[::]:4317` or `0.0.0.0:4317` → `127.0.0.1:4317`; anything else unchanged."""
    host, sep, port = address.rpartition(":")
    if sep and host in ("[::]", "0.0.0.0", ""):  # noqa: S104 - the wildcard addresses being replaced
        return f"{LOOPBACK}:{port}"
    return address


def bind_grpc_to_loopback() -> None:
    server_class: Any = importlib.import_module("grpc.aio._server").Server
    insecure = server_class.add_insecure_port
    secure = server_class.add_secure_port

    def add_insecure_port(self: Any, address: str) -> int:
        return int(insecure(self, loopback_address(address)))

    def add_secure_port(self: Any, address: str, credentials: Any) -> int:
        return int(secure(self, loopback_address(address), credentials))

    server_class.add_insecure_port = add_insecure_port
    server_class.add_secure_port = add_secure_port


def main() -> None:
    bind_grpc_to_loopback()
    sys.argv = ["phoenix", "serve"]
    importlib.import_module("phoenix.server.main").main()


if __name__ == "__main__":
    main()
