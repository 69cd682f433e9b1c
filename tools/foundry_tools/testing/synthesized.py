"""The pytest fixtures of the synthesized scenarios: each built once per run through the real `foundry synth`.

A pytest plugin (the `pytest11` entry point in tools/pyproject.toml), not a root conftest.py: the api's
and ai's tests run in a venv without the CDK, infra or this package (.venv-services), and a root
conftest would have to import them there.

All scenarios start together (one process each) so the session pays for the slowest synth, not for
their sum; tests then read the written templates as plain JSON.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment as Synth

FOUNDRY = Path(sys.executable).with_name("foundry")
SUMMARY_FILE = "synth.stdout"


def offline_env() -> dict[str, str]:
    """No credentials and no instance metadata: synth must need neither (and must not try)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    )
    return env


@pytest.fixture(scope="session")
def synths(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, Synth]:
    """Every scenario, synthesized once per run. Under xdist (`make test` runs two workers) the first
    worker that needs them synthesizes while the others wait on a file lock, then all read the same
    directories: the pattern pytest-xdist documents for a session fixture that must run once
    (https://pytest-xdist.readthedocs.io/en/stable/how-to.html#making-session-scoped-fixtures-execute-only-once)."""
    if worker_id == "master":  # not under xdist
        return _synthesize_all(tmp_path_factory.mktemp("synth"))
    shared = tmp_path_factory.getbasetemp().parent / "synth"
    with FileLock(f"{shared}.lock"):
        if (shared / "done").is_file():
            return _read_all(shared)
        results = _synthesize_all(shared)
        (shared / "done").touch()
        return results


def _read_all(root: Path) -> dict[str, Synth]:
    return {name: Synth(root / name) for name in [*SCENARIOS, *MATRIX]}


def _synthesize_all(root: Path) -> dict[str, Synth]:
    root.mkdir(parents=True, exist_ok=True)
    running = {}
    for name, (env, overrides) in SCENARIOS.items():
        argv = [str(FOUNDRY), "synth", "--env", env, "--out", str(root / name)]
        for item in overrides:
            argv += ["--set", item]
        running[name] = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=offline_env()
        )
    matrix = json.dumps([[name, env, list(sets), str(root / name)] for name, (env, sets) in MATRIX.items()])
    running["matrix"] = subprocess.Popen(
        [sys.executable, "-m", "foundry_tools.testing.synth_many", matrix],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=offline_env(),
    )
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, f"synth {name} failed:\n{stdout}\n{stderr}"
        assert "end-of-life" not in stdout + stderr, "the Node 20 banner leaked into normal output"
        if name in SCENARIOS:  # what `foundry synth` printed, for the tests of its summary
            (root / name / SUMMARY_FILE).write_text(stdout)
    return _read_all(root)


@pytest.fixture(scope="session")
def dev(synths: dict[str, Synth]) -> Synth:
    return synths["dev"]


@pytest.fixture(scope="session")
def prod(synths: dict[str, Synth]) -> Synth:
    return synths["prod"]


@pytest.fixture(scope="session")
def staging(synths: dict[str, Synth]) -> Synth:
    return synths["staging"]


@pytest.fixture(scope="session")
def complete(synths: dict[str, Synth]) -> Synth:
    return synths["complete"]


@pytest.fixture(scope="session")
def minimal(synths: dict[str, Synth]) -> Synth:
    return synths["minimal"]


@pytest.fixture(params=["dev", "staging", "prod"])
def each_env(request: pytest.FixtureRequest, synths: dict[str, Synth]) -> Synth:
    return synths[request.param]
