"""`foundry up`: the whole system on one machine, shaped like production."""

import contextlib
import fcntl
import json
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import IO

from foundry_twin.parts import TracingChoice, UpstreamChoice, build_parts
from foundry_twin.postgres import PostgresError
from foundry_twin.state import TwinPaths, TwinSecrets, write_private
from foundry_twin.supervisor import PartFailedError, Supervisor
from foundry_twin.trace_backend.part import TraceBackendMissingError


class TwinError(RuntimeError):
    """Something the user can fix, said in one line with the fix."""


def check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Like the servers themselves: connections lingering in TIME_WAIT do not make a port busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise TwinError(
                f"port {port} on 127.0.0.1 is in use; stop what holds it or pick another with --port {port + 1}"
            ) from None


@contextlib.contextmanager
def exclusive(paths: TwinPaths) -> Iterator[None]:
    """One `foundry up` per data folder: a second one would corrupt the first one's database."""
    paths.root.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = paths.lock_file.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise TwinError(
            f"another `foundry up` (pid {holder}) is already running on {paths.root}; stop it "
            f"(Ctrl-C in its terminal, or kill {holder}) or use another --data-dir"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def run_twin(
    *,
    paths: TwinPaths,
    port: int,
    web_root: Path,
    reset: bool,
    report: Callable[[str], None],
    web_acl_template: Path | None = None,
) -> int:
    if not (web_root / "index.html").exists():
        raise TwinError(f"the web build is missing ({web_root}/index.html); run `make setup` first")
    try:
        upstream = UpstreamChoice.from_environment()
        tracing = TracingChoice.from_environment()
    except ValueError as error:
        raise TwinError(str(error)) from None
    check_port_free(port)
    with exclusive(paths):
        if reset:
            paths.reset()
            report(f"reset: removed the database, objects and keys under {paths.root}")
        secrets = TwinSecrets.load_or_create(paths)
        try:
            plan = build_parts(
                paths=paths,
                secrets=secrets,
                port=port,
                web_root=web_root,
                upstream=upstream,
                web_acl_template=web_acl_template,
                tracing=tracing,
            )
        except (PostgresError, TraceBackendMissingError) as error:
            raise TwinError(str(error)) from None
        parts = plan.parts
        supervisor = Supervisor(parts=parts, log_dir=paths.logs, report=report)

        def request_stop(signum: int, _: FrameType | None) -> None:
            supervisor.stopping.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        started = time.monotonic()
        report(f"starting the local twin (data in {paths.root}/, logs in {paths.logs}/)")
        try:
            supervisor.start_all()
            if supervisor.stopping.is_set():
                report("stopping before everything started ...")
                return 0
            write_private(
                paths.state_file,
                json.dumps(
                    {
                        "url": plan.site,
                        "pid": os.getpid(),
                        "urls": plan.urls,
                        "pids": {part.name: part.process.pid for part in parts if part.process},
                    },
                    indent=2,
                ),
            )
            if "traces" in plan.urls:
                report(
                    f"traces: {plan.urls['traces']}   (the trace UI; `foundry trace --last 5` in a terminal)"
                )
            elif tracing.endpoint is not None and tracing.enabled:
                report(f"traces: sent to {tracing.endpoint} (FOUNDRY_TRACES_ENDPOINT; no trace UI here)")
            else:
                report("traces: off (FOUNDRY_TRACES=off)")
            report(f"Foundry is up in {time.monotonic() - started:.1f} s: {plan.site}   (Ctrl-C to stop)")
            supervisor.watch()
            report("stopping ...")
            return 0
        except PartFailedError as failure:
            part = next(p for p in parts if p.name == failure.part)
            report(f"error: {failure}; its last log lines ({part.log_path}):\n{part.tail()}")
            return 1
        finally:
            supervisor.stop_all()
            paths.state_file.unlink(missing_ok=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            report("stopped: every part is down")
