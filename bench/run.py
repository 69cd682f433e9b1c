"""`make bench`: the api's throughput and latency on the local twin, next to a bare baseline.

Starts its own `foundry up` (stub upstream at 50 ms) on a free port with a temporary data folder,
seeds a user with 25 uploads, then drives each scenario with wrk (Debian's package) at each
concurrency for a bounded time, both through the edge (what users see) and straight at api with
the origin-verify header (so the edge's share shows):

- page:     the Relay query reading a page of 20 uploads from Postgres;
- page-id, page-text: the web app's own page of uploads (a trusted document), sent as the web app
            sends it (its `documentId`) and as the same query's text (the dev path);
- askai:    askAi against the stub upstream (50 ms);
- create:   createUpload (a row plus a pre-signed PUT);
- jwt:      the api's JWT verification alone (bench/baseline.py /verify);
- baseline: the same SQL as `page` from Starlette + the api's own pool, no GraphQL, no auth;
- stub, ai: the stub upstream alone, and the private ai service alone (its key, no api), so the
            share of each hop in askAi's latency shows.

After them, bench/inprocess.py's breakdown of page-id and page-text in microseconds per request by
stage (http, middleware, auth, plan, sql, serialization), printed and in the JSON.

The api (and the baseline) run pinned to CPU 0; wrk and every other part of the twin to CPU 1.
Results go to bench/results/bench-<time>.json with the machine's description.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import cpu
import httpx
import jwt
import tracing_cost
from foundry_contract import INTERNAL_API_KEY_HEADER
from foundry_twin.ai_stub import DEFAULT_MODEL
from foundry_twin.faults.queries import ASK, CREATE, PAGE
from foundry_twin.parts import STUB_API_KEY
from foundry_twin.state import UPLOADS_BUCKET, TwinPaths, TwinSecrets
from foundry_twin.testing import Client, RunningTwin, free_port, start_twin, twin_data_dir
from inprocess import page_bodies, print_breakdown, run_breakdown, with_http

BENCH = Path(__file__).resolve().parent
WRK_SCRIPT = BENCH / "wrk.lua"
STUB_LATENCY_MS = 50
SEED_UPLOADS = 25
API_CPU, LOAD_CPU = "0", "1"
WRK_TIMEOUT = "10s"
BASELINE_START_SECONDS = 30.0
TASKSET = shutil.which("taskset") or "/usr/bin/taskset"
WRK = shutil.which("wrk") or "/usr/bin/wrk"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str  # "api", "edge" or "baseline"
    url: str
    body: str
    user: str | None
    origin_verify: str | None = None
    header: tuple[str, str] | None = None


@dataclass(frozen=True)
class Result:
    scenario: str
    path: str
    concurrency: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_sample: str


def _taskset(cpu: str, pid: int) -> None:
    subprocess.run([TASKSET, "-a", "-cp", cpu, str(pid)], check=True, capture_output=True)  # noqa: S603


def _machine(pinning: str) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    mem = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    wrk = subprocess.run([WRK, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return {
        "cpu": model.group(1) if model else platform.processor(),
        "cpus": os.cpu_count(),
        "memory_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_generator": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "wrk",
        "pinning": pinning,
        "loadavg_at_start": os.getloadavg(),
    }


@contextlib.contextmanager
def _baseline(twin: RunningTwin, secrets: TwinSecrets) -> Iterator[str]:
    urls = twin.state["urls"]
    port = free_port()
    pg_port = urls["postgres"].rsplit(":", 1)[1]
    database_url = (
        f"postgresql://foundry:{quote(secrets.postgres_password, safe='')}@127.0.0.1:{pg_port}/foundry"
    )
    process = subprocess.Popen(  # noqa: S603 - our own script and values
        [
            TASKSET,
            "-c",
            API_CPU,
            sys.executable,
            str(BENCH / "baseline.py"),
            "--port",
            str(port),
            "--database-url",
            database_url,
            "--issuer",
            urls["issuer"],
            "--azp",
            twin.url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + BASELINE_START_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/page?sub=warmup", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("the baseline server did not start")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wrk(scenario: Scenario, *, token: str | None, concurrency: int, seconds: float) -> dict[str, Any]:
    env = {
        **os.environ,
        "BENCH_BODY": scenario.body,
        "BENCH_AUTHORIZATION": f"Bearer {token}" if token else "",
        "BENCH_ORIGIN_VERIFY": scenario.origin_verify or "",
        "BENCH_HEADER_NAME": scenario.header[0] if scenario.header else "",
        "BENCH_HEADER_VALUE": scenario.header[1] if scenario.header else "",
    }
    argv = [TASKSET, "-c", LOAD_CPU, WRK, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s"]
    argv += ["--timeout", WRK_TIMEOUT, "-s", str(WRK_SCRIPT), scenario.url]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False)  # noqa: S603
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout}\n{done.stderr}")
    parsed: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    return parsed


def _measure(scenario: Scenario, token: str | None, concurrency: int, seconds: float) -> Result:
    raw = _wrk(scenario, token=token, concurrency=concurrency, seconds=seconds)
    elapsed = raw["duration_us"] / 1e6
    return Result(
        scenario=scenario.name,
        path=scenario.path,
        concurrency=concurrency,
        requests=raw["requests"],
        seconds=round(elapsed, 2),
        rps=round(raw["requests"] / elapsed, 1),
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors=raw["bad_responses"] + raw["socket_errors"] + raw["timeouts"],
        error_sample=raw["sample"],
    )


def _scenarios(
    twin: RunningTwin, baseline: str, origin_verify: str, page_sub: str, internal_key: str
) -> list[Scenario]:
    urls = twin.state["urls"]
    api = urls["api"]
    create = {"input": {"filename": "bench.txt", "contentType": "text/plain", "size": 1024}}
    bodies = {
        "page": json.dumps({"query": PAGE}),
        "askai": json.dumps({"query": ASK, "variables": {"prompt": "How fast is Foundry?"}}),
        "create": json.dumps({"query": CREATE, "variables": create}),
    }
    users = {"page": "bench-page", "askai": "bench-ai", "create": "bench-create"}
    found: list[Scenario] = []
    # -- trusted documents: the web app's page by documentId, and as text (bench/inprocess.py)
    for name, body in page_bodies().items():
        bodies[name], users[name] = body, users["page"]
    # -- end trusted documents
    for name, body in bodies.items():
        found.append(Scenario(name, "api", f"{api}/graphql", body, users[name], origin_verify))
        found.append(Scenario(name, "edge", f"{twin.url}/graphql", body, users[name]))
    found.append(Scenario("jwt", "baseline", f"{baseline}/verify", "{}", "bench-jwt"))
    found.append(Scenario("baseline", "baseline", f"{baseline}/page?sub={quote(page_sub)}", "{}", None))
    chat = {"model": DEFAULT_MODEL, "messages": [{"role": "user", "content": "How fast is Foundry?"}]}
    found.append(
        Scenario(
            "stub",
            "stub",
            f"{urls['upstream']}/v1/chat/completions",
            json.dumps(chat),
            None,
            header=("Authorization", f"Bearer {STUB_API_KEY}"),
        )
    )
    found.append(
        Scenario(
            "ai",
            "ai",
            f"{urls['ai']}/v1/complete",
            json.dumps({"prompt": "How fast is Foundry?", "user": "bench-ai"}),
            None,
            header=(INTERNAL_API_KEY_HEADER, internal_key),
        )
    )
    return found


# The ratios the issues judge (page by id and as text against the baseline): measured again in
# rounds that alternate the three, so the machine's drift over minutes (tens of percent here) falls on
# all of them alike; the first round is the main run's own figure.
PAIRED = ("baseline", "page-id", "page-text")


def _paired_rounds(
    scenarios: list[Scenario],
    *,
    results: list[Result],
    concurrencies: list[int],
    rounds: int,
    seconds: float,
    only: set[str],
    token_for: Callable[[Scenario], str | None],
) -> dict[tuple[str, int], list[float]]:
    chosen = [s for s in scenarios if s.path in ("api", "baseline") and (not only or s.name in only)]
    if rounds <= 1 or {s.name for s in chosen} != set(PAIRED):
        return {}
    found: dict[tuple[str, int], list[float]] = {}
    measured = {(s.name, s.path) for s in chosen}
    for r in results:
        if (r.scenario, r.path) in measured:
            found.setdefault((r.scenario, r.concurrency), []).append(r.rps)
    tokens = {s.name: token_for(s) for s in chosen}
    for round_ in range(1, rounds):
        for c in concurrencies:
            # Each round starts one scenario later, so none always runs first.
            for scenario in chosen[round_ % len(chosen) :] + chosen[: round_ % len(chosen)]:
                result = _measure(scenario, tokens[scenario.name], c, seconds)
                found.setdefault((scenario.name, c), []).append(result.rps)
                print(
                    f"  round {round_ + 1} {scenario.name:<9} c={c:<3} {result.rps:>8.1f} req/s  "
                    f"errors {result.errors}",
                    flush=True,
                )
    return found


def _paired_ratios(paired: dict[tuple[str, int], list[float]]) -> dict[str, Any]:
    ratios: dict[str, Any] = {}
    for (name, c), rps in sorted(paired.items()):
        base = paired.get(("baseline", c))
        if name == "baseline" or not base:
            continue
        ratios[f"{name}_api/baseline@c{c}"] = {
            "throughput": round(statistics.median(rps) / statistics.median(base), 3),
            "rounds": [round(page / b, 3) for page, b in zip(rps, base, strict=False)],
        }
    return ratios


def _ratios(results: list[Result], concurrencies: list[int]) -> dict[str, Any]:
    def find(name: str, path: str, c: int) -> Result | None:
        return next((r for r in results if (r.scenario, r.path, r.concurrency) == (name, path, c)), None)

    ratios: dict[str, Any] = {}
    for path in ("api", "edge"):
        for c in concurrencies:
            for name in ("page", "page-id", "page-text"):
                page, base = find(name, path, c), find("baseline", "baseline", c)
                if page and base and base.rps and base.p99_ms:
                    ratios[f"{name}_{path}/baseline@c{c}"] = {
                        "throughput": round(page.rps / base.rps, 3),
                        "p99": round(page.p99_ms / base.p99_ms, 2),
                    }
        ask, stub = find("askai", path, 1), find("stub", "stub", 1)
        if ask:
            ratios[f"askai_{path}_p50_over_stub_ms@c1"] = round(ask.p50_ms - STUB_LATENCY_MS, 2)
        if ask and stub:
            # The stub's own HTTP handling is part of its answer time, not of what Foundry adds.
            ratios[f"askai_{path}_p50_over_measured_stub_ms@c1"] = round(ask.p50_ms - stub.p50_ms, 2)
    ai, stub = find("ai", "ai", 1), find("stub", "stub", 1)
    if ai and stub:
        ratios["ai_p50_over_measured_stub_ms@c1"] = round(ai.p50_ms - stub.p50_ms, 2)
    return ratios


def _breakdown(
    twin: RunningTwin, secrets: TwinSecrets, *, origin_verify: str, results: list[Result], requests: int
) -> dict[str, Any]:
    """bench/inprocess.py against this twin's Postgres, pinned like the api; http from wrk's c=1."""
    urls = twin.state["urls"]
    pg_port = urls["postgres"].rsplit(":", 1)[1]
    breakdown = run_breakdown(
        taskset=[TASKSET, "-c", API_CPU],
        database_url=(
            f"postgresql://foundry:{quote(secrets.postgres_password, safe='')}@127.0.0.1:{pg_port}/foundry"
        ),
        issuer=urls["issuer"],
        azp=twin.url,
        token=Client(twin.url, "bench-page").token,
        origin_verify=origin_verify,
        uploads_bucket=UPLOADS_BUCKET,
        s3_endpoint=urls["s3"],
        requests=requests,
    )
    p50 = {r.scenario: r.p50_ms for r in results if r.path == "api" and r.concurrency == 1}
    return with_http(breakdown, p50_ms=p50)


# -- per-process CPU and the cost of tracing (issue 17): bench/cpu.py, bench/tracing_cost.py
def _pin(twin: RunningTwin) -> None:
    """Every part's whole process tree: a child inherits its CPUs when forked, so Postgres's
    backends forked before the pinning (the api's first pool connection among them) are pinned
    here, and any forked after inherit the postmaster's."""
    for name, pid in twin.state["pids"].items():
        cpu_list = API_CPU if name == "api" else LOAD_CPU
        for process in cpu.descendants(pid):
            try:
                _taskset(cpu_list, process)
            except subprocess.CalledProcessError:
                if process == pid or Path(f"/proc/{process}").exists():
                    raise  # a child that has not just ended: a pinning that failed


def _measure_with_cpu(
    scenario: Scenario, token: str | None, concurrency: int, seconds: float, pids: dict[str, int]
) -> tuple[Result, dict[str, Any]]:
    """The run, and each part's CPU ms per request over it (its own /proc counters, before/after)."""
    before = cpu.snapshot(pids)
    result = _measure(scenario, token, concurrency, seconds)
    after = cpu.snapshot(pids)
    row = {
        "scenario": scenario.name,
        "path": scenario.path,
        "concurrency": concurrency,
        "requests": result.requests,
        "cpu_ms_per_request": cpu.per_request(before, after, requests=result.requests),
    }
    return result, row


def _edge_measure(
    twin: RunningTwin, name: str, token: str, concurrency: int, seconds: float
) -> tracing_cost.Run:
    scenario = next(s for s in _scenarios(twin, "", "", "", "") if (s.name, s.path) == (name, "edge"))
    r = _measure(scenario, token, concurrency, seconds)
    return tracing_cost.Run(requests=r.requests, rps=r.rps, p50_ms=r.p50_ms, p99_ms=r.p99_ms, errors=r.errors)


def _print_cpu(rows: list[dict[str, Any]]) -> None:
    parts = [name for name in cpu.PARTS if any(name in row["cpu_ms_per_request"] for row in rows)]
    print(
        f"\nCPU ms per request\n{'scenario':<9} {'path':<9} {'conc':>4} "
        + " ".join(f"{p:>11}" for p in parts)
    )
    for row in rows:
        values = row["cpu_ms_per_request"]
        cells = " ".join(f"{values[p]:>11.3f}" if p in values else f"{'-':>11}" for p in parts)
        print(f"{row['scenario']:<9} {row['path']:<9} {row['concurrency']:>4} {cells}")


def _print_tracing(cost: dict[str, Any]) -> None:
    print(
        f"\ntracing cost (edge; each setting's twin loaded beside a tracing-off twin, c="
        f"{cost['concurrency_per_twin']} each; prod samples {cost['prod_sample_ratio']:g}; mean over "
        f"{cost['rounds']} rounds, half with each twin started first, of each round's figure against off):"
    )
    for scenario, by_setting in cost["median_rps"].items():
        print(f"  {scenario:<7} " + "  ".join(f"{k} {v:>7.1f} req/s" for k, v in by_setting.items()))
    for scenario, lost in cost["overhead_percent"].items():
        cpu_more = cost["cpu_overhead_percent"].get(scenario, {})
        print(
            f"  {scenario}: throughput lost vs off: "
            + ", ".join(f"{k} {v:+.1f}%" for k, v in lost.items())
            + "; path CPU per request vs off: "
            + ", ".join(f"{k} {v:+.1f}%" for k, v in cpu_more.items())
        )
        rounds = cost["rounds_overhead_percent"].get(scenario, {})
        print(
            "    each round: "
            + "; ".join(f"{k} {', '.join(f'{v:+.1f}' for v in vs)}" for k, vs in rounds.items())
        )
    per_request = cost.get("spans_per_request") or {}
    print("  spans the collector got per request: " + ", ".join(f"{k} {v:g}" for k, v in per_request.items()))


def _print_table(results: list[Result]) -> None:
    print(
        f"\n{'scenario':<9} {'path':<9} {'conc':>4} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    for r in results:
        print(
            f"{r.scenario:<9} {r.path:<9} {r.concurrency:>4} {r.rps:>9.1f} {r.p50_ms:>8.2f} "
            f"{r.p95_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>7}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the api on the local twin (see bench/run.py).")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured time per run (default 8)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured run per scenario (default 1)")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated (default 1,16,64)")
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    parser.add_argument(
        "--breakdown-requests",
        type=int,
        default=1500,
        help="requests per path in the in-process breakdown (bench/inprocess.py; 0 skips it)",
    )
    parser.add_argument(
        "--tracing-concurrency",
        type=int,
        default=16,
        help="connections of the tracing-cost runs, shared by its twins (default 16)",
    )
    parser.add_argument(
        "--ratio-rounds",
        type=int,
        default=5,
        help="rounds of baseline, page-id and page-text at each concurrency for the ratios (default 5)",
    )
    args = parser.parse_args(argv)
    if not (Path(WRK).exists() and Path(TASKSET).exists()):
        print(
            "bench: wrk and taskset are needed (scripts/ensure-system-packages installs wrk)", file=sys.stderr
        )
        return 2
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    only = {s for s in args.only.split(",") if s}
    pinning = (
        f"api and baseline pinned to CPU {API_CPU}; wrk (1 thread) and every other twin part "
        f"(edge, postgres, ai, stub, issuer, s3, traces) on CPU {LOAD_CPU}"
    )
    started = time.time()
    with twin_data_dir() as data_dir:
        twin = start_twin(
            data_dir, extra=("--reset",), extra_env={"FOUNDRY_STUB_LATENCY_MS": str(STUB_LATENCY_MS)}
        )
        try:
            state = twin.state
            _pin(twin)
            secrets = TwinSecrets.load_or_create(TwinPaths(data_dir))
            origin_verify = (data_dir / "origin-verify").read_text().strip()
            seeder = Client(twin.url, "bench-page")
            for i in range(SEED_UPLOADS):
                seeder.graphql(
                    CREATE, input={"filename": f"seed-{i}.txt", "contentType": "text/plain", "size": 10}
                )
            page_sub = str(jwt.decode(seeder.token, options={"verify_signature": False})["sub"])
            machine = _machine(pinning)
            results: list[Result] = []
            cpu_rows: list[dict[str, Any]] = []
            with _baseline(twin, secrets) as baseline:
                for scenario in _scenarios(twin, baseline, origin_verify, page_sub, secrets.internal_api_key):
                    if only and scenario.name not in only:
                        continue
                    token = Client(twin.url, scenario.user).token if scenario.user else None
                    if args.warmup > 0:
                        _wrk(scenario, token=token, concurrency=16, seconds=args.warmup)
                    for c in concurrencies:
                        result, cpu_row = _measure_with_cpu(scenario, token, c, args.seconds, state["pids"])
                        results.append(result)
                        cpu_rows.append(cpu_row)
                        print(
                            f"  {result.scenario:<9} {result.path:<9} c={c:<3} {result.rps:>8.1f} req/s  "
                            f"p50 {result.p50_ms:.2f}  p99 {result.p99_ms:.2f} ms  errors {result.errors}",
                            flush=True,
                        )
                paired = _paired_rounds(
                    [s for s in _scenarios(twin, baseline, origin_verify, page_sub, "") if s.name in PAIRED],
                    results=results,
                    concurrencies=concurrencies,
                    rounds=args.ratio_rounds,
                    seconds=args.seconds,
                    only=only,
                    token_for=lambda s: Client(twin.url, s.user).token if s.user else None,
                )
            breakdown = (
                None
                if args.breakdown_requests <= 0 or (only and not only & {"page-id", "page-text"})
                else _breakdown(
                    twin,
                    secrets,
                    origin_verify=origin_verify,
                    results=results,
                    requests=args.breakdown_requests,
                )
            )
        finally:
            twin.stop()
    cost = None
    if not only or "tracing" in only:
        cost = tracing_cost.measure_tracing_cost(
            measure=_edge_measure,
            pin=_pin,
            pin_load=lambda pid: _taskset(LOAD_CPU, pid),
            extra_env={"FOUNDRY_STUB_LATENCY_MS": str(STUB_LATENCY_MS)},
            concurrency=args.tracing_concurrency,
            seconds=args.seconds,
            warmup=args.warmup,
        )
    machine["loadavg_at_end"] = os.getloadavg()
    ratios = _ratios(results, concurrencies)
    paired_ratios = _paired_ratios(paired)
    _print_table(results)
    _print_cpu(cpu_rows)
    if cost is not None:
        _print_tracing(cost)
    print(
        "\nratios (api/baseline: throughput, p99; askAi: p50 minus the stub's 50 ms, and minus its measured p50):"
    )
    for key, value in ratios.items():
        print(f"  {key}: {value}")
    if paired_ratios:
        print(
            f"\nratios to the baseline from {args.ratio_rounds} interleaved rounds (median throughput each):"
        )
        for key, value in paired_ratios.items():
            print(f"  {key}: {value['throughput']}  (rounds: {value['rounds']})")
    if breakdown is not None:
        print_breakdown(breakdown)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"bench-{time.strftime('%Y%m%d-%H%M%S', time.localtime(started))}.json"
    out.write_text(
        json.dumps(
            {
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
                "seconds_per_run": args.seconds,
                "stub_latency_ms": STUB_LATENCY_MS,
                "machine": machine,
                "results": [asdict(r) for r in results],
                "ratios": ratios,
                "paired_ratios": paired_ratios,
                "breakdown_us": breakdown,
                "cpu_ms_per_request": cpu_rows,
                "tracing_cost": cost,
            },
            indent=2,
        )
    )
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
