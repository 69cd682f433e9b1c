"""What tracing costs: the edge's throughput for page, askAi and create with the services' tracing
off, at prod's sampling setting, and with every request traced, in one `make bench` run.

Each setting is its own `foundry up` (FOUNDRY_TRACES=off, =RATIO, =on: the services read their
OTEL_* variables once, at start), pinned as the main run pins it, all three up at once and measured
in interleaved rounds (measure_tracing_cost says why). The spans go to bench/otlp_sink.py
(FOUNDRY_TRACES_ENDPOINT), a receiver in the collector's place, running on the load CPU in all three
settings so only the services' side differs; the twin's Phoenix, a store with a UI, is not what the
platform runs beside its services (otlp_sink.py says why). Prod samples a parent-based ratio of new
traces (OTEL_TRACES_SAMPLER=parentbased_traceidratio); wrk's requests carry no traceparent, so the
edge decides and api and ai follow (foundry_runtime.head_sampling: a dropped request skips the span
machinery on every hop). The overhead is the share of throughput lost against tracing off.
"""

from __future__ import annotations

import contextlib
import os
import statistics
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


ROUNDS = int(os.environ.get("BENCH_TRACING_ROUNDS", "5"))


def measure_tracing_cost(
    *,
    measure: Measure,
    pin: Callable[[RunningTwin], None],
    pin_load: Callable[[int], None],
    extra_env: dict[str, str],
    concurrency: int,
    rounds: int = ROUNDS,
    report: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The three settings' twins run side by side (an idle twin costs next to nothing), and each
    scenario is measured in `rounds` rounds that visit the settings in turn, each round starting one
    setting later: this machine's speed drifts by tens of percent within minutes (bench/README.md),
    so a setting measured once, minutes from the others, mostly measures the drift. The overhead
    compares each setting's median."""
    with contextlib.ExitStack() as stack:
        twins: dict[str, tuple[RunningTwin, dict[str, int], Sink, dict[str, str]]] = {}
        for setting, value in SETTINGS.items():
            data_dir = stack.enter_context(twin_data_dir())
            sink = stack.enter_context(running_sink(pin=pin_load))
            twin = start_twin(
                data_dir,
                extra=("--reset",),
                extra_env={**extra_env, "FOUNDRY_TRACES": value, "FOUNDRY_TRACES_ENDPOINT": sink.endpoint},
            )
            stack.callback(twin.stop)
            pin(twin)
            seeder = Client(twin.url, "bench-page")
            for i in range(SEED_UPLOADS):
                seeder.graphql(
                    CREATE, input={"filename": f"seed-{i}.txt", "contentType": "text/plain", "size": 10}
                )
            tokens = {"page": seeder.token}
            tokens |= {name: Client(twin.url, f"bench-{name}").token for name in SCENARIOS if name != "page"}
            twins[setting] = (twin, {**twin.state["pids"], "collector": sink.pid}, sink, tokens)
        rows: list[dict[str, Any]] = []
        order = list(SETTINGS)
        for scenario in SCENARIOS:
            for round_ in range(rounds):
                for setting in order[round_ % len(order) :] + order[: round_ % len(order)]:
                    twin, pids, _, tokens = twins[setting]
                    before = cpu.snapshot(pids)
                    run = measure(twin, scenario, tokens[scenario], concurrency)
                    after = cpu.snapshot(pids)
                    rows.append(
                        {
                            "setting": setting,
                            "FOUNDRY_TRACES": SETTINGS[setting],
                            "scenario": scenario,
                            "round": round_,
                            "concurrency": concurrency,
                            **run.__dict__,
                            "cpu_ms_per_request": cpu.per_request(before, after, requests=run.requests),
                        }
                    )
                    report(
                        f"  tracing {setting:<5} {scenario:<7} round {round_ + 1} c={concurrency:<3} "
                        f"{run.rps:>8.1f} req/s  p99 {run.p99_ms:.2f} ms  errors {run.errors}"
                    )
    spans = {setting: sink.spans for setting, (_, _, sink, _) in twins.items()}
    requests = {s: sum(r["requests"] for r in rows if r["setting"] == s) for s in SETTINGS}
    return {
        "prod_sample_ratio": PROD_SAMPLE_RATIO,
        "rounds": rounds,
        "runs": rows,
        "median_rps": _medians(rows, _rps),
        "overhead_percent": overhead(rows),
        "cpu_overhead_percent": cpu_overhead(rows),
        # Spans the collector got per request measured (the seeding's few included): the sampling at work.
        "spans_per_request": {
            s: round(n / requests[s], 3) for s, n in spans.items() if n is not None and requests[s]
        },
    }


def _medians(
    rows: list[dict[str, Any]], value: Callable[[dict[str, Any]], float]
) -> dict[str, dict[str, float]]:
    """Per scenario and setting, in the order the runs came: the median of `value` over the rounds."""
    grouped: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        grouped.setdefault(row["scenario"], {}).setdefault(row["setting"], []).append(value(row))
    return {
        scenario: {setting: statistics.median(values) for setting, values in by_setting.items()}
        for scenario, by_setting in grouped.items()
    }


def _against_off(
    medians: dict[str, dict[str, float]], percent: Callable[[float, float], float]
) -> dict[str, dict[str, float]]:
    """Per scenario: `percent(median, off's median)` at prod's setting and at 100%, to 0.1."""
    return {
        scenario: {
            setting: round(percent(by_setting[setting], by_setting["off"]), 1)
            for setting in ("prod", "all")
            if setting in by_setting
        }
        for scenario in SCENARIOS
        if (by_setting := medians.get(scenario, {})).get("off")
    }


def _rps(row: dict[str, Any]) -> float:
    return float(row["rps"])


def _path_cpu(row: dict[str, Any]) -> float:
    """CPU ms per request of every process on the path, the collector included."""
    return float(sum(row["cpu_ms_per_request"].values()))


def cpu_overhead(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per scenario: the CPU per request the path spends more at prod's setting and at 100%, in % of
    off (medians over the rounds): a second view, less sensitive to the machine's drift."""
    return _against_off(_medians(rows, _path_cpu), lambda cpu, off: (cpu / off - 1) * 100)


def overhead(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per scenario: the throughput lost at prod's setting and with everything traced, in % of off
    (each setting's median over the rounds)."""
    return _against_off(_medians(rows, _rps), lambda rps, off: (1 - rps / off) * 100)
