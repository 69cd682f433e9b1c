"""A throw-away Postgres server on 127.0.0.1, driven by the stock server binaries.

Used by the api tests (one server per session) and by the local twin. It needs only the Debian
`postgresql` package: no Docker, no Python driver (databases are created with `createdb`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Self
from urllib.parse import quote

from foundry_twin.serving import BackgroundService

_INSTALL_HINT = "Postgres binaries missing: apt-get install -y postgresql"
# initdb refuses to run as root, so under root (CI containers) the server runs as this account.
_ROOT_FALLBACK_USER = "postgres"


class PostgresError(RuntimeError):
    """Postgres could not be found, initialised, started or reached."""


def find_bin_dir() -> Path:
    """The directory holding initdb/pg_ctl: PATH first, then the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise PostgresError(_INSTALL_HINT)
    return Path(candidates[-1]).parent


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int, *, avoid: frozenset[int] = frozenset()) -> list[int]:
    """`count` distinct free ports on 127.0.0.1, none of them in `avoid`. Every socket stays bound
    until all are chosen: the kernel may hand a port out again as soon as its socket closes, so
    choosing them one at a time once gave two of a twin's parts the same port."""
    with contextlib.ExitStack() as held:
        ports: list[int] = []
        # Bounded: each try holds its port, so a port of `avoid` comes up at most once.
        for _ in range(count + len(avoid)):
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            if port not in avoid:
                ports.append(port)
            if len(ports) == count:
                return ports
    raise OSError(f"could not find {count} free ports on 127.0.0.1 outside {sorted(avoid)}")


class PostgresServer(BackgroundService):
    """One Postgres cluster in its own directory, listening only on 127.0.0.1 (TCP, no Unix socket).

    `ephemeral=True` turns off fsync and friends: fine for tests and the twin's scratch data, where
    durability buys nothing and costs seconds.
    """

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        port: int | None = None,
        superuser: str = "foundry",
        password: str | None = None,
        ephemeral: bool = True,
        start_timeout: float = 30.0,
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        self.bin_dir = find_bin_dir()
        self._owns_dir = data_dir is None
        self.base_dir = Path(tempfile.mkdtemp(prefix="foundry-pg-")) if data_dir is None else data_dir
        self.data_dir = self.base_dir / "data"
        self.log_file = self.base_dir / "postgres.log"
        self.port = port or free_port()
        self.superuser = superuser
        self.password = password or secrets.token_urlsafe(18)
        self.ephemeral = ephemeral
        self.start_timeout = start_timeout
        # Server settings such as an environment's parameter group (foundry_contract.postgres).
        self.parameters = dict(parameters or {})
        self._run_as = _ROOT_FALLBACK_USER if os.geteuid() == 0 else None
        self._started = False

    # -- lifecycle

    def prepare(self) -> None:
        """Create the cluster on first use; later starts reuse it (the twin's data survive)."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self._check_reachable()
        self._hand_over(self.base_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()

    def _check_reachable(self) -> None:
        """As root, the server runs as another account: every parent folder must let it through."""
        if self._run_as is None:
            return
        for parent in self.base_dir.resolve().parents:
            if not parent.stat().st_mode & 0o001:
                raise PostgresError(
                    f"Postgres runs as '{self._run_as}' (never as root) and cannot enter {parent}; "
                    f"use a data folder whose parents are world-searchable (chmod o+x {parent})"
                )

    def server_options(self) -> list[str]:
        options = [
            "listen_addresses=127.0.0.1",
            f"port={self.port}",
            "unix_socket_directories=",
            "max_connections=100",
        ]
        if self.ephemeral:
            options += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        options += [f"{name}={value}" for name, value in sorted(self.parameters.items())]
        return options

    def foreground_argv(self) -> list[str]:
        """The server as a foreground process, for a supervisor that owns its lifetime."""
        argv = [self._bin("postgres"), "-D", str(self.data_dir)]
        for option in self.server_options():
            argv += ["-c", option]
        return argv

    @property
    def run_as(self) -> str | None:
        """The account the server runs as (Postgres refuses to run as root)."""
        return self._run_as

    def start(self) -> Self:
        self.prepare()
        # pg_ctl hands -o to a shell-like splitter, so an empty value needs explicit quotes.
        options = [
            f"-c {option}''" if option.endswith("=") else f"-c {option}" for option in self.server_options()
        ]
        result = self._run(
            self._bin("pg_ctl"),
            "start",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(int(self.start_timeout)),
            "-o",
            " ".join(options),
            timeout=self.start_timeout + 10,
        )
        if result.returncode != 0:
            raise PostgresError(f"pg_ctl start failed: {result.stderr.strip()}\n{self._log_tail()}")
        self._started = True
        self.wait_ready(timeout=self.start_timeout)
        return self

    def wait_ready(self, *, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            result = self._run(
                self._bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-t", "2", timeout=10
            )
            if result.returncode == 0:
                return
            if time.monotonic() >= deadline:
                raise PostgresError(
                    f"Postgres on 127.0.0.1:{self.port} not ready after {timeout:.0f}s\n{self._log_tail()}"
                )
            time.sleep(0.1)

    def stop(self, *, timeout: float = 30.0) -> None:
        if self._started:
            self._run(
                self._bin("pg_ctl"),
                "stop",
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-t",
                str(int(timeout)),
                timeout=timeout + 10,
            )
            self._started = False
        if self._owns_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    # -- databases

    def url(self, dbname: str = "postgres") -> str:
        return (
            f"postgresql://{quote(self.superuser)}:{quote(self.password, safe='')}"
            f"@127.0.0.1:{self.port}/{quote(dbname)}"
        )

    def create_database(self, name: str) -> str:
        """Create `name` (owned by the superuser) and return its connection URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name must be alphanumeric/underscore: {name!r}")
        result = self._run(
            self._bin("createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            self.superuser,
            name,
            timeout=30,
            env={"PGPASSWORD": self.password},
        )
        if result.returncode != 0:
            raise PostgresError(f"createdb {name} failed: {result.stderr.strip()}")
        return self.url(name)

    # -- internals

    def _initdb(self) -> None:
        pwfile = self.base_dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        self._hand_over(pwfile)
        try:
            result = self._run(
                self._bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                self.superuser,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                timeout=120,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise PostgresError(f"initdb failed: {result.stderr.strip()}")

    def _bin(self, name: str) -> str:
        path = self.bin_dir / name
        if not path.exists():
            raise PostgresError(f"{_INSTALL_HINT} ({path} not found)")
        return str(path)

    def _hand_over(self, path: Path) -> None:
        if self._run_as is None:
            return
        try:
            account = pwd.getpwnam(self._run_as)
        except KeyError as exc:
            raise PostgresError(
                f"running as root needs the '{self._run_as}' account: {_INSTALL_HINT}"
            ) from exc
        os.chown(path, account.pw_uid, account.pw_gid)

    def _run(
        self, *argv: str, timeout: float, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "LC_ALL": "C", **(env or {})}
        try:
            return subprocess.run(  # noqa: S603 - argv built from fixed binaries and our own values
                argv,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=full_env,
                user=self._run_as,
                group=self._run_as,
                extra_groups=[] if self._run_as else None,
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresError(f"{Path(argv[0]).name} did not finish within {timeout:.0f}s") from exc

    def _log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        return "(no server log)"
