"""What tracing costs: the edge's throughput for page, askAi and create with the services' tracing
off, at prod's sampling setting, and with every request traced, in one `make bench` run.

Each setting is its own `foundry up` (FOUNDRY_TRACES=off, =RATIO, =on: the services read their
OTEL_* variables once, at start), pinned as the main run pins it, each loaded at the same time as
a tracing-off twin (measure_tracing_cost says why); a second tracing-off twin, the control, shows
what the method cannot tell apart. The spans go to bench/otlp_sink.py
(FOUNDRY_TRACES_ENDPOINT), a receiver in the collector's place, on the load CPU; the twin's Phoenix, a
store with a UI, is not what the platform runs beside its services (otlp_sink.py says why). Prod
samples a parent-based ratio of new traces (OTEL_TRACES_SAMPLER=parentbased_traceidratio); wrk's
requests carry no traceparent, so the edge decides and api and ai follow
(foundry_runtime.head_sampling: a dropped request skips the span machinery on every hop). The
overhead is the share of throughput lost against tracing off in the same seconds.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cpu
from foundry_twin.faults.queries import CREATE
from foundry_twin.testing import Client, RunningTwin, start_twin, twin_data_dir

# Prod's tracing.sample_ratio (infra's prod profile, issue 17: parent-based, 5% of new traces).
PROD_SAMPLE_RATIO = 0.05
# Each compared setting is loaded beside "off". "control" is tracing off again: an A/A pair with
# "off", whose gap (printed beside the others) is the resolution of the run.
SETTINGS = {
    "off": "off",
    "control": "off",
    "prod": str(PROD_SAMPLE_RATIO),
    "all": "on",
    "dropped": "0",  # every request dropped: what the head-sampling gate alone costs
}
# BENCH_TRACING_SETTINGS / BENCH_TRACING_SCENARIOS narrow a run (e.g. prod and page alone, to try a
# change in two minutes); the defaults are what `make bench` reports.
COMPARED = tuple(
    name for name in os.environ.get("BENCH_TRACING_SETTINGS", "control,dropped,prod,all").split(",") if name
)
SCENARIOS = tuple(
    name for name in os.environ.get("BENCH_TRACING_SCENARIOS", "page,askai,create").split(",") if name
)
SEED_UPLOADS = 25


@dataclass(frozen=True, kw_only=True)
class Run:
    """What one wrk run gave: the caller's measure() turns a scenario into this."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


# (twin, scenario name, user token, concurrency, seconds) -> one run through the edge, from wrk.
Measure = Callable[[RunningTwin, str, str, int, float], Run]


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


# Rounds per scenario in each generation: a fresh pair of twins, off and one compared setting, each
# pair started twice, off first and then second (why: measure_tracing_cost).
ROUNDS = int(os.environ.get("BENCH_TRACING_ROUNDS", "2"))
GENERATIONS: tuple[tuple[str, str], ...] = tuple(
    order for setting in COMPARED for order in (("off", setting), (setting, "off"))
)


@dataclass(frozen=True, kw_only=True)
class _Twin:
    twin: RunningTwin
    pids: dict[str, int]  # the path's parts and its collector, for bench/cpu.py
    sink: Sink
    tokens: dict[str, str]  # a user per scenario


@contextmanager
def _started(
    order: list[str],
    *,
    pin: Callable[[RunningTwin], None],
    pin_load: Callable[[int], None],
    extra_env: dict[str, str],
) -> Iterator[dict[str, _Twin]]:
    """A twin per setting, started one after the other in `order`, seeded, pinned; stopped on exit."""
    with contextlib.ExitStack() as stack:
        twins: dict[str, _Twin] = {}
        for setting in order:
            data_dir = stack.enter_context(twin_data_dir())
            sink = stack.enter_context(running_sink(pin=pin_load))
            twin = start_twin(
                data_dir,
                extra=("--reset",),
                extra_env={
                    **extra_env,
                    "FOUNDRY_TRACES": SETTINGS[setting],
                    "FOUNDRY_TRACES_ENDPOINT": sink.endpoint,
                },
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
            twins[setting] = _Twin(
                twin=twin, pids={**twin.state["pids"], "collector": sink.pid}, sink=sink, tokens=tokens
            )
        yield twins


def measure_tracing_cost(
    *,
    measure: Measure,
    pin: Callable[[RunningTwin], None],
    pin_load: Callable[[int], None],
    extra_env: dict[str, str],
    concurrency: int,
    seconds: float,
    warmup: float,
    rounds: int = ROUNDS,
    report: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Each compared setting is measured beside tracing off: two twins loaded at the same time, each
    by its own wrk, `concurrency` connections in all (so the machine carries the load one twin at
    `concurrency` would). Each round compares their throughput in those same seconds; the figure is
    the mean over the rounds of both generations of the pair.

    Why side by side: this machine's speed drifts by tens of percent within minutes (bench/README.md),
    so settings measured one after the other mostly measure the drift, even interleaved. Loaded at
    once, the twins share the same CPUs at every moment (each part pinned as the main run pins it,
    the kernel's scheduler sharing each CPU between the runnable processes), so a slow window slows
    both alike, and the setting whose requests cost more CPU gets fewer of them through: its
    throughput falls by the share it would lose alone on a CPU-bound machine.

    Why pairs, each started twice: a set of twins is not a fair draw on its own. With all four
    settings loaded at once, the twin started first served 5-9% less than the others in every round,
    tracing off in both (the control beside off; bench/README.md); the cause is not found. Started
    anew with the order swapped, each setting takes each place once, so that bias cancels in the mean,
    and the control (tracing off again) shows what is left of it. Two twins, not four, also keep each
    process's share of the machine nearer to what it has alone.

    Why half the connections each: wrk counts the requests completed in its window, so the ones
    still in flight at its end (up to one per connection) are a counting error, which fewer
    connections per twin keep small against an askAi round's requests."""
    unknown = [name for name in COMPARED if name not in SETTINGS or name == "off"]
    if unknown:
        raise ValueError(
            f"BENCH_TRACING_SETTINGS: {', '.join(unknown)} unknown; choose from "
            + ", ".join(name for name in SETTINGS if name != "off")
        )
    rows: list[dict[str, Any]] = []
    spans = dict.fromkeys(SETTINGS, 0)
    with ThreadPoolExecutor(max_workers=2) as pool:

        def at_once(
            twins: dict[str, _Twin], scenario: str, order: list[str], each: int, duration: float
        ) -> dict[str, Run]:
            # wrk runs as a subprocess: a thread per twin only waits for its own.
            futures = {
                s: pool.submit(measure, twins[s].twin, scenario, twins[s].tokens[scenario], each, duration)
                for s in order
            }
            return {s: future.result() for s, future in futures.items()}

        for generation, started in enumerate(GENERATIONS):
            each = max(1, concurrency // len(started))
            report(
                f"  tracing generation {generation + 1}/{len(GENERATIONS)}: twins {', '.join(started)} "
                f"(started in that order), c={each} each"
            )
            with _started(list(started), pin=pin, pin_load=pin_load, extra_env=extra_env) as twins:
                for scenario in SCENARIOS:
                    for round_ in range(rounds):
                        number = generation * rounds + round_
                        # wrk started in turn one setting later each round, so neither is always first.
                        order = list(started[round_ % 2 :] + started[: round_ % 2])
                        if warmup > 0:
                            at_once(twins, scenario, order, each, warmup)
                        before = {s: cpu.snapshot(twins[s].pids) for s in order}
                        runs = at_once(twins, scenario, order, each, seconds)
                        after = {s: cpu.snapshot(twins[s].pids) for s in order}
                        for setting in started:
                            run = runs[setting]
                            rows.append(
                                {
                                    "setting": setting,
                                    "FOUNDRY_TRACES": SETTINGS[setting],
                                    "scenario": scenario,
                                    "generation": generation,
                                    "started_position": started.index(setting),
                                    "round": number,
                                    "concurrency": each,
                                    **run.__dict__,
                                    "cpu_ms_per_request": cpu.per_request(
                                        before[setting], after[setting], requests=run.requests
                                    ),
                                }
                            )
                        report(
                            f"  tracing {scenario:<7} round {number + 1}: "
                            + "  ".join(f"{s} {runs[s].rps:>6.1f}" for s in started)
                            + " req/s  errors "
                            + str(sum(r.errors for r in runs.values()))
                        )
            for setting, twin in twins.items():
                spans[setting] += twin.sink.spans or 0  # counted as each sink stops, with its twins
    requests = {s: sum(r["requests"] for r in rows if r["setting"] == s) for s in SETTINGS}
    return {
        "prod_sample_ratio": PROD_SAMPLE_RATIO,
        "generations": [list(g) for g in GENERATIONS],
        "rounds": rounds * 2,
        "concurrency_per_twin": max(1, concurrency // 2),
        "runs": rows,
        "median_rps": _medians(rows, _rps),
        "overhead_percent": overhead(rows),
        "cpu_overhead_percent": cpu_overhead(rows),
        "rounds_overhead_percent": per_round(rows, _rps, _lost),
        # Spans the collector got per request measured (the seeding's few included): the sampling at work.
        "spans_per_request": {s: round(n / requests[s], 3) for s, n in spans.items() if requests[s]},
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


def per_round(
    rows: list[dict[str, Any]],
    value: Callable[[dict[str, Any]], float],
    percent: Callable[[float, float], float],
) -> dict[str, dict[str, list[float]]]:
    """Per scenario and compared setting, round by round: `percent(value, off's value)` in the same
    round (the same seconds), to 0.1."""
    by_round: dict[tuple[str, int], dict[str, float]] = {}
    for row in rows:
        by_round.setdefault((row["scenario"], row["round"]), {})[row["setting"]] = value(row)
    out: dict[str, dict[str, list[float]]] = {}
    for (scenario, _), settings in sorted(by_round.items(), key=lambda item: item[0][1]):
        off = settings.get("off")
        if not off:
            continue
        for setting in COMPARED:
            if setting in settings:
                out.setdefault(scenario, {}).setdefault(setting, []).append(
                    round(percent(settings[setting], off), 1)
                )
    return {scenario: out[scenario] for scenario in SCENARIOS if scenario in out}


def _mean_of_rounds(
    rows: list[dict[str, Any]],
    value: Callable[[dict[str, Any]], float],
    percent: Callable[[float, float], float],
) -> dict[str, dict[str, float]]:
    """Per scenario: the mean over the rounds of each round's `percent` against off, to 0.1 (the mean,
    not the median: it is what cancels a bias that each generation's start order carries)."""
    return {
        scenario: {setting: round(statistics.fmean(values), 1) for setting, values in by_setting.items()}
        for scenario, by_setting in per_round(rows, value, percent).items()
    }


def _lost(rps: float, off: float) -> float:
    return (1 - rps / off) * 100


def _more(cpu_ms: float, off: float) -> float:
    return (cpu_ms / off - 1) * 100


def _rps(row: dict[str, Any]) -> float:
    return float(row["rps"])


def _path_cpu(row: dict[str, Any]) -> float:
    """CPU ms per request of every process on the path, the collector included."""
    return float(sum(row["cpu_ms_per_request"].values()))


def cpu_overhead(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per scenario: the CPU per request the path spends more than off's in the same round, in % of
    off's (the control's, prod's setting's and 100%'s; mean over the rounds)."""
    return _mean_of_rounds(rows, _path_cpu, _more)


def overhead(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per scenario: the throughput lost against off in the same round, in % of off's (the control's,
    prod's setting's and 100%'s; mean over the rounds)."""
    return _mean_of_rounds(rows, _rps, _lost)
