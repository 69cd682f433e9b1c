"""Drive a real `foundry up` from tests, benchmarks and fault suites: start it, sign in, query it.

Importable (unlike a conftest) so the twin's tests, the browser test and `bench/` share one way of
starting and stopping the system.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from foundry_twin.postgres import free_port as free_port  # for the tests that start a twin

FOUNDRY = str(Path(sys.executable).with_name("foundry"))
WEB_ROOT = Path(__file__).resolve().parents[2] / "services" / "web" / "dist"
# Phoenix (the part `traces`) alone needs about 30 s of CPU to start; more on a busy machine.
START_TIMEOUT = 420.0


@dataclass
class RunningTwin:
    process: subprocess.Popen[str]
    url: str
    data_dir: Path
    output: list[str]
    _state_at_start: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((self.data_dir / "state.json").read_text())
        return loaded

    @property
    def state_at_start(self) -> dict[str, Any]:
        """The state as published when the twin came up (state.json is removed when it stops)."""
        return self._state_at_start

    def stop(self, timeout: float = 60.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        rest, _ = self.process.communicate(timeout=timeout)
        self.output.append(rest)
        return self.process.returncode


def start_twin(
    data_dir: Path,
    *,
    extra: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
    traces: bool = False,
) -> RunningTwin:
    """`foundry up` on `data_dir`. Tracing (and its backend, the slowest part to start) only where the
    test reads traces: `traces=True`, or FOUNDRY_TRACES in `extra_env`."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FOUNDRY_AI_", "FOUNDRY_TRACE"))}
    if not traces:
        env["FOUNDRY_TRACES"] = "off"
    env.update(extra_env or {})
    process = subprocess.Popen(  # noqa: S603 - our own command with our own arguments
        [
            FOUNDRY,
            "up",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--web-root",
            str(WEB_ROOT),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    output: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Foundry is up" in line:
            running = RunningTwin(
                process=process, url=f"http://127.0.0.1:{port}", data_dir=data_dir, output=output
            )
            running._state_at_start = running.state
            return running
    process.kill()
    rest, _ = process.communicate(timeout=30)
    raise RuntimeError("foundry up did not come up:\n" + "".join(output) + rest)


class Client:
    def __init__(self, base: str, user: str) -> None:
        self.base = base
        response = httpx.post(f"{base}/__dev/token", json={"user": user}, timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"dev sign-in failed: {response.status_code} {response.text}")
        self.token: str = response.json()["token"]

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        body: dict[str, Any] = response.json()
        if response.status_code != 200 or "errors" in body:
            raise RuntimeError(f"GraphQL failed: {response.status_code} {body}")
        data: dict[str, Any] = body["data"]
        return data


@contextlib.contextmanager
def twin_data_dir() -> Iterator[Path]:
    """A temporary data folder Postgres can reach: as root it runs as 'postgres', and pytest's and
    mkdtemp's folders are 0700."""
    path = Path(tempfile.mkdtemp(prefix="foundry-twin-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
