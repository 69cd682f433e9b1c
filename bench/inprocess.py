"""The in-process breakdown of one page request, in microseconds per request, by stage.

The api's ASGI app is built here (create_app, the real middleware stack, the twin's Postgres) and
called directly, with no HTTP in between, first one request at a time (so each stage's wall time is
its own), then at concurrency 16 for the CPU one request costs (twice as many requests). Stages:

- middleware: request id and access line, origin check, body cap, the JSON request body and the
  request's context: everything in-process that is not one of the stages below;
- auth: the session token's verification (TokenVerifier.verify_header; a cache hit after the first);
- plan: executing the document (the trusted document's plan; for query text, Strawberry: its parse and
  validation caches, graphql-core's executor and its HTTP view), its SQL excepted;
- sql: holding a pool connection: checkout, the statements and their rows;
- serialization: the response body's JSON (core/json_codec);
- http: what the client waits beyond the app's own work (uvicorn's parsing and writing, the event
  loop's socket work, the load generator): wrk's p50 at c=1 minus the in-process total, filled in by
  bench/run.py when both ran.

    python bench/inprocess.py --database-url postgresql://... --issuer http://... --azp http://... \
        --token TOKEN --origin-verify SECRET --out breakdown.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

STAGES = ("middleware", "auth", "plan", "sql", "serialization")
SEQUENTIAL_REQUESTS = 1500
CONCURRENCY = 16
PAGE_SIZE = 20


def page_document() -> tuple[str, str, dict[str, Any]]:
    """The web app's page of uploads among the trusted documents: (id, text, variables)."""
    from foundry_api.documents.manifest import load_manifest
    from graphql import OperationDefinitionNode, OperationType, parse

    for document_id, text in sorted(load_manifest().current().items()):
        operations = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
        is_query = len(operations) == 1 and operations[0].operation == OperationType.QUERY
        if is_query and "uploads(" in text and "aiRequests(" not in text:
            names = {v.variable.name.value for v in operations[0].variable_definitions or ()}
            return document_id, text, {n: PAGE_SIZE for n in names & {"first", "count"}}
    raise LookupError("no trusted document reads a page of uploads alone")


class Stages:
    """Wall time per stage, summed over the requests measured (perf_counter around each stage)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.depth: dict[str, int] = defaultdict(int)

    @contextlib.contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        # Re-entrant (a resolver inside a plan inside the view): only the outermost counts.
        self.depth[stage] += 1
        started = time.perf_counter()
        try:
            yield
        finally:
            self.depth[stage] -= 1
            if self.depth[stage] == 0:
                self.totals[stage] += time.perf_counter() - started


def instrument(stages: Stages) -> None:
    """Wrap each stage's entry point (the bench's process only; the api itself carries no timers)."""
    from foundry_api.core import json_codec
    from foundry_api.core.security import TokenVerifier
    from foundry_api.documents.prepared import PreparedDocument
    from foundry_api.main import FoundryGraphQL

    verify = TokenVerifier.verify_header

    async def timed_verify(self: TokenVerifier, authorization: str | None) -> Any:
        with stages.timing("auth"):
            return await verify(self, authorization)

    TokenVerifier.verify_header = timed_verify  # type: ignore[method-assign]

    dumps = json_codec.dumps

    def timed_dumps(value: object) -> bytes:
        with stages.timing("serialization"):
            return dumps(value)

    json_codec.dumps = timed_dumps

    plan_for = PreparedDocument.plan_for

    def timed_plan_for(self: PreparedDocument, operation_name: str | None) -> Any:
        plan = plan_for(self, operation_name)

        class Timed:
            async def execute(self, **kwargs: Any) -> Any:
                with stages.timing("plan"):
                    return await plan.execute(**kwargs)

        return Timed()

    PreparedDocument.plan_for = timed_plan_for  # type: ignore[method-assign]

    view = FoundryGraphQL.__call__

    async def timed_view(self: Any, scope: Any, receive: Any, send: Any) -> None:
        with stages.timing("plan"):
            await view(self, scope, receive, send)

    FoundryGraphQL.__call__ = timed_view  # type: ignore[method-assign]


def instrument_pool(pool: Any, stages: Stages) -> None:
    connection = pool.connection

    @contextlib.asynccontextmanager
    async def timed_connection(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        with stages.timing("sql"):
            async with connection(*args, **kwargs) as conn:
                yield conn

    pool.connection = timed_connection


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }


async def _request(app: Any, *, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    sent = False
    status: list[int] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        else:
            chunks.append(message.get("body", b""))

    await app(_scope(headers), receive, send)
    answer = b"".join(chunks)
    if status != [200] or b'"errors"' in answer:
        raise RuntimeError(f"the page request failed: {status} {answer[:300]!r}")


async def measure(
    app: Any,
    stages: Stages,
    *,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    text: bool,
    requests: int = SEQUENTIAL_REQUESTS,
) -> dict[str, float]:
    for _ in range(200):  # warm: caches, the pool's connections, the JIT-less interpreter's dicts
        await _request(app, headers=headers, body=body)
    stages.totals.clear()
    started = time.perf_counter()
    for _ in range(requests):
        await _request(app, headers=headers, body=body)
    total = (time.perf_counter() - started) / requests * 1e6
    per_stage = {s: stages.totals[s] / requests * 1e6 for s in STAGES}
    # The view writes its body inside its own time; the lean path after the plan.
    per_stage["plan"] -= per_stage["sql"] + (per_stage["serialization"] if text else 0)
    per_stage["middleware"] = total - sum(per_stage[s] for s in STAGES if s != "middleware")

    async def worker(count: int) -> None:
        for _ in range(count):
            await _request(app, headers=headers, body=body)

    each = max(1, 2 * requests // CONCURRENCY)
    cpu_started = time.process_time()
    await asyncio.gather(*(worker(each) for _ in range(CONCURRENCY)))
    cpu = (time.process_time() - cpu_started) / (each * CONCURRENCY) * 1e6
    return {
        **{f"{s}_us": round(v, 1) for s, v in per_stage.items()},
        "total_us": round(total, 1),
        f"cpu_us_at_c{CONCURRENCY}": round(cpu, 1),
    }


async def breakdown(args: argparse.Namespace) -> dict[str, Any]:
    from foundry_api.__main__ import tune_gc
    from foundry_api.core.config import Settings
    from foundry_api.main import create_app
    from foundry_runtime import configure_logging
    from pydantic import SecretStr

    configure_logging(level="INFO")
    settings = Settings(
        foundry_env="local",
        database_url=SecretStr(args.database_url),
        database_sslmode="disable",
        uploads_bucket=args.uploads_bucket,
        s3_endpoint_url=args.s3_endpoint,
        clerk_jwks_url=f"{args.issuer}/.well-known/jwks.json",
        clerk_issuer=args.issuer,
        clerk_authorized_parties=args.azp,
        ai_service_url="http://127.0.0.1:9",
        ai_internal_api_key=SecretStr("unused-by-the-page"),
        origin_verify_secret=SecretStr(args.origin_verify) if args.origin_verify else None,
        graphql_documents="any",
    )
    stages = Stages()
    instrument(stages)
    app = create_app(settings)
    document_id, text, variables = page_document()
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {args.token}".encode()),
    ]
    if args.origin_verify:
        headers.append((b"x-origin-verify", args.origin_verify.encode()))
    bodies = {
        "persisted": json.dumps({"documentId": document_id, "variables": variables}).encode(),
        "text": json.dumps({"query": text, "variables": variables}).encode(),
    }
    results: dict[str, Any] = {"document_id": document_id}
    async with app.router.lifespan_context(app):
        pool = _app_pool(app)
        instrument_pool(pool, stages)
        await pool.wait(timeout=10)
        tune_gc()
        for name, body in bodies.items():
            sized = [*headers, (b"content-length", str(len(body)).encode())]
            results[name] = await measure(
                app, stages, headers=sized, body=body, text=name == "text", requests=args.requests
            )
    return results


def _app_pool(app: Any) -> Any:
    """The pool create_app made: reached through the lean route's endpoint (its services)."""
    from foundry_api.documents.endpoint import DocumentsEndpoint

    seen: set[int] = set()
    stack: list[Any] = [*app._lean.values()]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, DocumentsEndpoint):
            return node._services.pool
        inner = getattr(node, "app", None)
        if inner is not None:
            stack.append(inner)
    raise LookupError("no documents endpoint in the app")


def print_breakdown(results: dict[str, Any], *, out: Callable[[str], None] = print) -> None:
    out("\nin-process breakdown, us per request (c=1 wall; cpu at c=16):")
    columns = [*(f"{s}_us" for s in STAGES), "http_us", "total_us", f"cpu_us_at_c{CONCURRENCY}"]
    out(f"  {'path':<10} " + " ".join(f"{c.removesuffix('_us'):>13}" for c in columns))
    for name in ("persisted", "text"):
        row = results.get(name) or {}
        cells = [f"{row[c]:>13.1f}" if isinstance(row.get(c), int | float) else f"{'-':>13}" for c in columns]
        out(f"  {name:<10} " + " ".join(cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--azp", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--origin-verify", default="")
    parser.add_argument("--uploads-bucket", default="foundry-local-uploads")
    parser.add_argument("--s3-endpoint", default=None)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=SEQUENTIAL_REQUESTS, help="measured one at a time")
    args = parser.parse_args()
    results = asyncio.run(breakdown(args))
    args.out.write_text(json.dumps(results, indent=2))
    print_breakdown(results, out=lambda line: print(line, file=sys.stderr))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# -- what bench/run.py calls: the persisted page scenarios and this breakdown as a subprocess


def page_bodies() -> dict[str, str]:
    """The page as the web app sends it (its trusted document's id) and as the same query's text."""
    document_id, text, variables = page_document()
    return {
        "page-id": json.dumps({"documentId": document_id, "variables": variables}),
        "page-text": json.dumps({"query": text, "variables": variables}),
    }


def run_breakdown(
    *,
    taskset: list[str],
    database_url: str,
    issuer: str,
    azp: str,
    token: str,
    origin_verify: str,
    uploads_bucket: str,
    s3_endpoint: str,
    requests: int = SEQUENTIAL_REQUESTS,
    timeout_seconds: float = 600,
) -> dict[str, Any]:
    """This module run as its own process (pinned like the api), its JSON read back."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "breakdown.json"
        argv = [*taskset, sys.executable, str(Path(__file__).resolve()), "--out", str(out)]
        argv += ["--database-url", database_url, "--issuer", issuer, "--azp", azp, "--token", token]
        argv += [
            "--requests",
            str(requests),
            "--origin-verify",
            origin_verify,
            "--uploads-bucket",
            uploads_bucket,
            "--s3-endpoint",
            s3_endpoint,
        ]
        done = subprocess.run(  # noqa: S603 - our own script and values
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout_seconds,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the in-process breakdown failed: {done.stderr[-2000:]}")
        results: dict[str, Any] = json.loads(out.read_text())
    return results


def with_http(results: dict[str, Any], *, p50_ms: dict[str, float]) -> dict[str, Any]:
    """http_us per path: the c=1 p50 wrk saw for that scenario minus the in-process total. Left out
    (None, with the reason) when the in-process total is the larger: the two ran minutes apart, and
    a machine that slowed down in between gives no figure for HTTP, not a negative one."""
    for path, scenario in (("persisted", "page-id"), ("text", "page-text")):
        row, p50 = results.get(path), p50_ms.get(scenario)
        if isinstance(row, dict) and p50 is not None:
            http = round(p50 * 1000 - row["total_us"], 1)
            row["http_us"] = http if http >= 0 else None
            if http < 0:
                row["http_note"] = (
                    f"in-process total {row['total_us']} us > wrk's c=1 p50 {p50 * 1000:.1f} us: "
                    "the machine was slower when the breakdown ran"
                )
    return results
