"""The emulator as a server: `S3Emulator` in a background thread for Python callers, `main` for
`python -m foundry_twin.s3`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType

from foundry_twin.s3.access_log import print_line
from foundry_twin.s3.app import S3App
from foundry_twin.s3.storage import DiskStore
from foundry_twin.serving import BackgroundServer
from foundry_twin.serving import PortInUseError as PortInUseError  # re-exported: callers catch it here

HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_TIMEOUT_SECONDS = 10.0


class S3Emulator(BackgroundServer):
    """Runs the S3 app with uvicorn in a background thread on 127.0.0.1."""

    def __init__(
        self,
        root: Path,
        access_key: str,
        secret_key: str,
        host: str = HOST,
        port: int = 0,
        *,
        clock: Callable[[], float] = time.time,
        access_log: Callable[[str], None] | None = print_line,
        no_list_credentials: Mapping[str, str] | None = None,
    ) -> None:
        if host != HOST:
            raise ValueError(f"the twin's S3 listens on {HOST} only, not {host!r}")
        self.root = Path(root)
        self.s3 = S3App(
            DiskStore(self.root),
            access_key=access_key,
            secret_key=secret_key,
            no_list_credentials=no_list_credentials,
            clock=clock,
            access_log=access_log,
        )
        super().__init__(
            self.s3.app,
            name="twin-s3",
            host=host,
            port=port,
            in_use_message="port {port} on {host} is already in use",
            startup_timeout=STARTUP_TIMEOUT_SECONDS,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        )

    @property
    def endpoint_url(self) -> str:
        return self.url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m foundry_twin.s3",
        description="A disk-backed S3 emulator for the local twin (SigV4, pre-signed URLs, CORS).",
    )
    parser.add_argument("--root", type=Path, required=True, help="directory holding the buckets")
    parser.add_argument(
        "--port", type=int, default=9000, help="port on 127.0.0.1 (default 9000, 0 picks one)"
    )
    parser.add_argument(
        "--access-key", default=os.environ.get("FOUNDRY_S3_ACCESS_KEY"), help="default $FOUNDRY_S3_ACCESS_KEY"
    )
    parser.add_argument(
        "--secret-key",
        default=os.environ.get("FOUNDRY_S3_SECRET_KEY"),
        help="default $FOUNDRY_S3_SECRET_KEY (the environment keeps it out of `ps`)",
    )
    parser.add_argument(
        "--no-list-access-key",
        default=os.environ.get("FOUNDRY_S3_NO_LIST_ACCESS_KEY"),
        help="a second key with object rights but no s3:ListBucket, as the api's role has in AWS "
        "(default $FOUNDRY_S3_NO_LIST_ACCESS_KEY; its secret only from $FOUNDRY_S3_NO_LIST_SECRET_KEY)",
    )
    args = parser.parse_args(argv)
    if not args.access_key or not args.secret_key:
        parser.error("--access-key and --secret-key (or their environment variables) are required")
    no_list_credentials: dict[str, str] = {}
    if args.no_list_access_key:
        no_list_secret = os.environ.get("FOUNDRY_S3_NO_LIST_SECRET_KEY")
        if not no_list_secret:
            parser.error("--no-list-access-key needs its secret in $FOUNDRY_S3_NO_LIST_SECRET_KEY")
        no_list_credentials[args.no_list_access_key] = no_list_secret

    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    emulator = S3Emulator(
        args.root, args.access_key, args.secret_key, port=args.port, no_list_credentials=no_list_credentials
    )
    try:
        emulator.start()
    except (PortInUseError, RuntimeError) as error:
        print(f"s3: {error}", file=sys.stderr, flush=True)
        return 1
    print(f"s3 listening on {emulator.endpoint_url}", flush=True)
    try:
        while not stopping.wait(timeout=0.5):
            if not emulator.running:
                print("s3: the server stopped unexpectedly", file=sys.stderr, flush=True)
                return 1
    finally:
        emulator.stop()
    print("s3 stopped", flush=True)
    return 0
