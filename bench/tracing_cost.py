"""What tracing costs: the edge's throughput for page, askAi and create with the services' tracing
off, at prod's sampling setting, and with every request traced, in one `make bench` run.

Each setting is its own `foundry up` (FOUNDRY_TRACES=off, =RATIO, =on: the services read their
OTEL_* variables once, at start), pinned as the main run pins it. The spans go to bench/otlp_sink.py
(FOUNDRY_TRACES_ENDPOINT), a receiver in the collector's place, running on the load CPU in all three
settings so only the services' side differs; the twin's Phoenix, a store with a UI, is not what the
platform runs beside its services (otlp_sink.py says why). Prod samples a parent-based ratio of new
traces (OTEL_TRACES_SAMPLER=parentbased_traceidratio); wrk's requests carry no traceparent, so the
edge decides and api and ai follow (foundry_runtime.head_sampling: a dropped request skips the span
machinery on every hop). The overhead is the share of throughput lost against tracing off.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cpu
from foundry_twin.faults.queries import CREATE
from foundry_twin.testing import Client, RunningTwin, start_twin, twin_data_dir

# Prod's tracing.sample_ratio (infra's prod profile, issue 17: parent-based, 5% of new traces).
PROD_SAMPLE_RATIO = 0.05
SETTINGS = {"off": "off", "prod": str(PROD_SAMPLE_RATIO), "all": "on"}
SCENARIOS = ("page", "askai", "create")
SEED_UPLOADS = 25


@dataclass(frozen=True, kw_only=True)
class Run:
    """What one wrk run gave: the caller's measure() turns a scenario into this."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


# (twin, scenario name, user token, concurrency) -> one measured run through the edge.
Measure = Callable[[RunningTwin, str, str, int], Run]


SINK = Path(__file__).resolve().parent / "otlp_sink.py"
SINK_START_SECONDS = 30


@dataclass
class Sink:
    """bench/otlp_sink.py running: its endpoint and pid, and the span count it printed when stopped."""

    endpoint: str
    pid: int
    spans: int | None = None


@contextmanager
def running_sink(*, pin: Callable[[int], None]) -> Iterator[Sink]:
    process = subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, str(SINK)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().strip()  # its first line, printed once it listens
        if not endpoint.startswith("http://"):
            raise RuntimeError(f"bench/otlp_sink.py did not start: {endpoint!r}")
        pin(process.pid)
        sink = Sink(endpoint=endpoint, pid=process.pid)
        yield sink
    finally:
        process.terminate()
        try:
            out, _ = process.communicate(timeout=SINK_START_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate(timeout=SINK_START_SECONDS)
    count = out.strip().rsplit(" ", 2)
    if len(count) == 3 and count[1].isdigit():
        sink.spans = int(count[1])


def measure_tracing_cost(
    *,
    measure: Measure,
    pin: Callable[[RunningTwin], None],
    pin_load: Callable[[int], None],
    extra_env: dict[str, str],
    concurrency: int,
    report: Callable[[str], None] = print,
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    spans: dict[str, int | None] = {}
    for setting, value in SETTINGS.items():
        with twin_data_dir() as data_dir, running_sink(pin=pin_load) as sink:
            twin = start_twin(
                data_dir,
                extra=("--reset",),
                extra_env={**extra_env, "FOUNDRY_TRACES": value, "FOUNDRY_TRACES_ENDPOINT": sink.endpoint},
            )
            pids = {**twin.state["pids"], "collector": sink.pid}
            try:
                pin(twin)
                seeder = Client(twin.url, "bench-page")
                for i in range(SEED_UPLOADS):
                    seeder.graphql(
                        CREATE, input={"filename": f"seed-{i}.txt", "contentType": "text/plain", "size": 10}
                    )
                users = {"page": seeder.token}
                for scenario in SCENARIOS:
                    token = users.get(scenario) or Client(twin.url, f"bench-{scenario}").token
                    before = cpu.snapshot(pids)
                    run = measure(twin, scenario, token, concurrency)
                    after = cpu.snapshot(pids)
                    row = {
                        "setting": setting,
                        "FOUNDRY_TRACES": value,
                        "scenario": scenario,
                        "concurrency": concurrency,
                        **run.__dict__,
                        "cpu_ms_per_request": cpu.per_request(before, after, requests=run.requests),
                    }
                    rows.append(row)
                    report(
                        f"  tracing {setting:<5} {scenario:<7} c={concurrency:<3} {run.rps:>8.1f} req/s  "
                        f"p99 {run.p99_ms:.2f} ms  errors {run.errors}"
                    )
            finally:
                twin.stop()
        spans[setting] = sink.spans
    requests = {s: sum(r["requests"] for r in rows if r["setting"] == s) for s in SETTINGS}
    return {
        "prod_sample_ratio": PROD_SAMPLE_RATIO,
        "runs": rows,
        "overhead_percent": overhead(rows),
        # Spans the collector got per request measured (the seeding's few included): the sampling at work.
        "spans_per_request": {
            s: round(n / requests[s], 3) for s, n in spans.items() if n is not None and requests[s]
        },
    }


def overhead(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per scenario: the throughput lost at prod's setting and with everything traced, in % of off."""
    found: dict[str, dict[str, float]] = {}
    for scenario in SCENARIOS:
        rps = {row["setting"]: row["rps"] for row in rows if row["scenario"] == scenario}
        if rps.get("off"):
            found[scenario] = {
                setting: round((1 - rps[setting] / rps["off"]) * 100, 1)
                for setting in ("prod", "all")
                if setting in rps
            }
    return found
