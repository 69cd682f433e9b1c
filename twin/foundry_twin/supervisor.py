"""Start, watch and stop the twin's processes: in dependency order, each gated by a readiness probe.

Every child gets a parent-death signal, so even a `kill -9` of the supervisor leaves no server
running; a normal stop sends each part its own stop signal in reverse order, waits, then kills.
"""

import contextlib
import ctypes
import os
import pwd
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 12.0


class PartFailedError(RuntimeError):
    def __init__(self, part: str, message: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part = part


def http_probe(url: str, *, expect: int = 200, headers: dict[str, str] | None = None) -> Callable[[], bool]:
    def probe() -> bool:
        request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback URL we built
        try:
            with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310 - loopback URL we built
                return int(response.status) == expect
        except (urllib.error.URLError, OSError, ValueError):
            return False

    return probe


@dataclass(kw_only=True)
class Part:
    name: str
    argv: list[str]
    ready: Callable[[], bool]
    detail: str
    env: dict[str, str] = field(default_factory=dict)
    run_as: str | None = None
    stop_signal: int = signal.SIGTERM
    ready_timeout: float = 60.0
    # False: the next parts start while this one gets ready; it must be ready before the twin is up.
    ready_before_next: bool = True
    after_ready: Callable[[], None] | None = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def tail(self, lines: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(f"    {line}" for line in text) or "    (log is empty)"


def _child_setup(run_as: str | None) -> Callable[[], None]:
    account = pwd.getpwnam(run_as) if run_as else None

    def setup() -> None:
        if account is not None:
            # Switch user here rather than through Popen(user=...): the kernel clears the parent-death
            # signal on a credential change, so it must be set after the switch.
            os.setgroups([])
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return setup


class Supervisor:
    def __init__(self, *, parts: list[Part], log_dir: Path, report: Callable[[str], None]) -> None:
        self.parts = parts
        self.log_dir = log_dir
        self.report = report
        self.stopping = threading.Event()
        self._logs: list[IO[bytes]] = []

    def start_all(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        getting_ready: list[tuple[Part, float]] = []
        for part in self.parts:
            if self.stopping.is_set():
                return
            started = time.monotonic()
            self._spawn(part)
            if not part.ready_before_next:
                getting_ready.append((part, started))
                continue
            self._ready(part, started=started)
        for part, started in getting_ready:
            if self.stopping.is_set():
                return
            self._ready(part, started=started)

    def _ready(self, part: Part, *, started: float) -> None:
        self._wait_ready(part, started=started)
        if part.after_ready is not None:
            part.after_ready()
        self.report(f"  {part.name:<12} ready  {part.detail}  ({time.monotonic() - started:.1f} s)")

    def watch(self, *, interval: float = 0.5) -> None:
        """Return when asked to stop; raise PartFailedError when a part exits on its own."""
        while not self.stopping.wait(interval):
            for part in self.parts:
                if part.process is not None and part.process.poll() is not None:
                    raise PartFailedError(part.name, f"exited with code {part.process.returncode}")

    def stop_all(self) -> None:
        for part in reversed(self.parts):
            process = part.process
            if process is None or process.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(part.stop_signal)
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        for handle in self._logs:
            handle.close()
        self._logs.clear()

    def _spawn(self, part: Part) -> None:
        part.log_path = self.log_dir / f"{part.name}.log"
        log = part.log_path.open("ab")
        self._logs.append(log)
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {part.name}\n".encode())
        log.flush()
        part.process = subprocess.Popen(  # noqa: S603 - argv assembled from our own binaries and values
            part.argv,
            env={**_base_env(), **part.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_child_setup(part.run_as),
        )

    def _wait_ready(self, part: Part, *, started: float) -> None:
        assert part.process is not None
        deadline = started + part.ready_timeout
        while not self.stopping.is_set():
            if part.process.poll() is not None:
                raise PartFailedError(part.name, f"exited with code {part.process.returncode} while starting")
            if part.ready():
                return
            if time.monotonic() > deadline:
                raise PartFailedError(part.name, f"not ready after {part.ready_timeout:.0f} s")
            time.sleep(0.1)


def _base_env() -> dict[str, str]:
    # Children inherit a minimal environment: nothing of the developer's AWS setup leaks in.
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")
    return {key: os.environ[key] for key in keep if key in os.environ}
