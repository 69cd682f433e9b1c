"""`foundry trace`'s errors without a running twin: each one line with the fix, never a traceback."""

import json
import subprocess
from pathlib import Path

from foundry_twin.testing import FOUNDRY, free_port

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FOUNDRY, "trace", *args], capture_output=True, text=True, timeout=60, check=False)


def _state(data_dir: Path, urls: dict[str, str]) -> None:
    (data_dir / "state.json").write_text(json.dumps({"url": "http://127.0.0.1:1", "urls": urls, "pids": {}}))


def test_no_twin_running(tmp_path: Path) -> None:
    done = run(TRACE, "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert (
        done.stderr.strip() == f"error: the local twin is not running on {tmp_path}; start it with `make up`"
    )


def test_a_trace_backend_that_does_not_answer(tmp_path: Path) -> None:
    _state(tmp_path, {"traces": f"http://127.0.0.1:{free_port()}"})
    done = run(TRACE, "--data-dir", str(tmp_path))
    assert done.returncode == 2 and "does not answer" in done.stderr and "foundry logs traces" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_twin_from_before_the_trace_backend(tmp_path: Path) -> None:
    _state(tmp_path, {"api": "http://127.0.0.1:1"})
    done = run("--last", "1", "--data-dir", str(tmp_path))
    assert done.returncode == 2 and "has no trace backend" in done.stderr


def test_a_trace_id_or_last_but_not_both(tmp_path: Path) -> None:
    for args in ([], [TRACE, "--last", "2"]):
        done = run(*args, "--data-dir", str(tmp_path))
        assert done.returncode == 2 and "give a trace id or --last N" in done.stderr, done.stderr
