"""Shared test fixtures: each synthesized scenario, built once per session through the real `foundry synth`.

All scenarios start together (one process each) so the session pays for the slowest synth, not for
their sum; tests then read the written templates as plain JSON.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from foundry_infra.synthesized import SynthesizedEnvironment as Synth

# name -> (environment, --set overrides)
SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dev": ("dev", ()),
    "staging": ("staging", ()),
    "prod": ("prod", ()),
    # The "complete" example: every optional part switched on, in a region other than us-east-1.
    "complete": (
        "prod",
        (
            "region=eu-west-1",
            "edge.domain_name=app.example.com",
            "edge.hosted_zone_id=Z0123456789ABCDEFGHIJ",
            "edge.hosted_zone_name=example.com",
            'edge.geo_allowlist=["DE","FR","US"]',
            "database.proxy=true",
            "database.allow_from_ai=true",
            'auth.authorized_parties=["https://app.example.com"]',
        ),
    ),
    # The "minimal" example: web from the assets bucket, no interface endpoints.
    "minimal": ("dev", ("edge.web_origin=s3", "network.interface_endpoints=[]")),
}

# Issue 6's matrix: {all App Runner, all ECS, mixed} × {GPU off, on} × {dev, prod}. "dev" and "prod"
# above are all-App-Runner without GPU; these are the other ten. They are synthesized in ONE extra
# process (infra/tests/synth_many.py, the same `synthesize` and cdk-nag gate as `foundry synth`): after
# the first app, each further one costs about 2 s instead of a new process's 10 s.
ALL_ECS = ("services.web.compute=ecs", "services.api.compute=ecs", "services.ai.compute=ecs")
# dev mixes api on ECS with web and ai on App Runner; prod mixes web and ai on ECS with api on App
# Runner (its VPC connector then calls ai through the internal load balancer).
DEV_MIXED = ("services.api.compute=ecs",)
PROD_MIXED = ("services.web.compute=ecs", "services.ai.compute=ecs")
# dev's GPU path takes every option (Spot, NLB); prod's the defaults (on-demand, no NLB).
DEV_GPU = ("gpu.enabled=true", "gpu.spot=true", "gpu.nlb=true")
PROD_GPU = ("gpu.enabled=true",)
MATRIX: dict[str, tuple[str, tuple[str, ...]]] = {
    "dev-gpu": ("dev", DEV_GPU),
    "dev-ecs": ("dev", ALL_ECS),
    "dev-ecs-gpu": ("dev", ALL_ECS + DEV_GPU),
    "dev-mixed": ("dev", DEV_MIXED),
    "dev-mixed-gpu": ("dev", DEV_MIXED + DEV_GPU),
    "prod-gpu": ("prod", PROD_GPU),
    "prod-ecs": ("prod", ALL_ECS),
    "prod-ecs-gpu": ("prod", ALL_ECS + PROD_GPU),
    "prod-mixed": ("prod", PROD_MIXED),
    "prod-mixed-gpu": ("prod", PROD_MIXED + PROD_GPU),
}
# The matrix by backend, for tests that state one invariant on every backend.
BACKENDS: dict[str, tuple[str, ...]] = {
    "apprunner": ("dev", "prod", "dev-gpu", "prod-gpu"),
    "ecs": ("dev-ecs", "prod-ecs", "dev-ecs-gpu", "prod-ecs-gpu"),
    "mixed": ("dev-mixed", "prod-mixed", "dev-mixed-gpu", "prod-mixed-gpu"),
}

FOUNDRY = Path(sys.executable).with_name("foundry")
SYNTH_MANY = Path(__file__).parent / "infra" / "tests" / "synth_many.py"


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
def synths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synth]:
    root = tmp_path_factory.mktemp("synth")
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
        [sys.executable, str(SYNTH_MANY), matrix],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=offline_env(),
    )
    results = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, f"synth {name} failed:\n{stdout}\n{stderr}"
        assert "end-of-life" not in stdout + stderr, "the Node 20 banner leaked into normal output"
        if name != "matrix":
            results[name] = Synth(root / name)
    results.update({name: Synth(root / name) for name in MATRIX})
    return results


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
