"""µs per execution of the page documents: graphql-core (through the Strawberry schema, as the api
runs it today) against the compiled plan, with canned resolver data and with the real database.

    .venv-services/bin/python services/api/tests/plans/measure.py [--rounds N]

Not a test (nothing here asserts a time): figures for the report and the bench note. Canned data
replaces the two repository calls (the viewer's row, a page of 20 uploads and one of 20 AI requests) so only execution
remains; the database run seeds a user with 25 uploads (no AI requests) on a throw-away twin Postgres.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import time
import uuid
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import psycopg
from foundry_api.ai_requests import queries as ai_queries
from foundry_api.context import Context, Services
from foundry_api.core import migrate
from foundry_api.core.config import Settings
from foundry_api.core.db import create_pool
from foundry_api.core.security import Principal
from foundry_api.documents.manifest import load_manifest
from foundry_api.plans import compile_document
from foundry_api.schema import build_schema
from foundry_api.uploads import queries as upload_queries
from foundry_api.users.repository import UserRecord
from foundry_twin.faults.queries import PAGE
from foundry_twin.postgres import PostgresServer
from graphql import parse
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import process_result

RELAY_PAGE = """query UploadsPageQuery {
  viewer { ...UploadList_viewer id }
}
fragment UploadList_viewer on Viewer {
  uploads(first: 20) { edges { node { ...UploadRow_upload id __typename } cursor } pageInfo { endCursor hasNextPage } }
  id
}
fragment UploadRow_upload on Upload { id filename contentType size status createdAt }"""
SUB = "user_measure"
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _settings(database_url: str) -> Settings:
    return Settings(
        foundry_env="local",
        database_url=SecretStr(database_url),
        database_sslmode="disable",
        uploads_bucket="measure-bucket",
        s3_endpoint_url="http://127.0.0.1:9",
        clerk_jwks_url="http://127.0.0.1:9/jwks",
        clerk_issuer="http://127.0.0.1:9",
        clerk_authorized_parties="http://127.0.0.1:5173",
        ai_service_url="http://127.0.0.1:9",
        ai_internal_api_key=SecretStr("measure"),
    )


def _context(services: Any) -> Context:
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": [], "query_string": b""}
    return Context(
        request=Request(scope),
        response=Response(),
        services=services,
        principal=Principal(sub=SUB, sid="s"),
        request_id="measure",
    )


async def _per_call_us(call: Callable[[], Awaitable[Any]], rounds: int) -> float:
    for _ in range(max(20, rounds // 10)):
        await call()
    gc.collect()
    best = float("inf")
    for _ in range(3):  # the best of three batches: the machine is shared
        started = time.perf_counter()
        for _ in range(rounds):
            await call()
        best = min(best, (time.perf_counter() - started) / rounds * 1e6)
    return best


async def _measure(label: str, services: Any, rounds: int) -> None:
    schema = build_schema()
    workspace = next(t for t in load_manifest().trusted().values() if t.startswith("query WorkspaceQuery"))
    documents = (("page (bench)", PAGE), ("page (relay shape)", RELAY_PAGE), ("WorkspaceQuery", workspace))
    for name, text in documents:
        plan = compile_document(schema=schema, document=parse(text), operation_name=None)

        async def via_graphql_core(text: str = text) -> Any:
            return process_result(await schema.execute(text, context_value=_context(services)))

        async def via_plan(plan: Any = plan) -> Any:
            return await plan.execute(context=_context(services), variables=None)

        assert await via_graphql_core() == await via_plan()
        core = await _per_call_us(via_graphql_core, rounds)
        planned = await _per_call_us(via_plan, rounds)
        print(
            f"{label:9} {name:19} graphql-core {core:8.1f} us   plan {planned:8.1f} us   x{core / planned:4.1f}"
        )


async def _canned(rounds: int) -> None:
    user = UserRecord(id=uuid.uuid4(), clerk_sub=SUB, created_at=NOW)
    rows = [
        {
            "id": uuid.uuid4(),
            "owner_id": user.id,
            "object_key": f"uploads/{SUB}/{i}/f.txt",
            "filename": f"file-{i}.txt",
            "content_type": "text/plain",
            "size": 100 + i,
            "status": "PENDING",
            "created_at": NOW - dt.timedelta(minutes=i),
        }
        for i in range(25)
    ]

    ai_rows = [
        {
            "id": uuid.uuid4(),
            "owner_id": user.id,
            "prompt": f"question {i}",
            "answer": f"answer {i}",
            "model": "stub-model",
            "latency_ms": 40 + i,
            "created_at": NOW - dt.timedelta(minutes=i),
        }
        for i in range(25)
    ]

    async def page_uploads(_pool: Any, *, owner_id: Any, page: Any) -> list[dict[str, Any]]:
        return rows[: page.limit + 1]

    async def page_ai_requests(_pool: Any, *, owner_id: Any, page: Any) -> list[dict[str, Any]]:
        return ai_rows[: page.limit + 1]

    async def viewer(_self: Any) -> UserRecord:
        return user

    setattr(upload_queries, "page_uploads", page_uploads)  # noqa: B010 - canned rows
    setattr(ai_queries, "page_ai_requests", page_ai_requests)  # noqa: B010
    original_viewer = Context.viewer
    setattr(Context, "viewer", viewer)  # noqa: B010 - the canned user
    try:
        await _measure("canned", SimpleNamespace(pool=None), rounds)
    finally:
        setattr(Context, "viewer", original_viewer)  # noqa: B010
        setattr(upload_queries, "page_uploads", _ORIGINAL_PAGE_UPLOADS)  # noqa: B010
        setattr(ai_queries, "page_ai_requests", _ORIGINAL_PAGE_AI)  # noqa: B010


async def _database(url: str, rounds: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        migrate.apply(conn)
        user_id = uuid.uuid4()
        conn.execute("INSERT INTO users (id, clerk_sub) VALUES (%s, %s)", (user_id, SUB))
        for i in range(25):
            upload_id = uuid.uuid4()
            conn.execute(
                "INSERT INTO uploads (id, owner_id, object_key, filename, content_type, size) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    upload_id,
                    user_id,
                    f"uploads/{SUB}/{upload_id}/f.txt",
                    f"file-{i}.txt",
                    "text/plain",
                    100 + i,
                ),
            )
    settings = _settings(url)
    pool = create_pool(settings)
    await pool.open(wait=True)
    try:
        services = Services(settings=settings, pool=pool, store=None, ai=None)  # type: ignore[arg-type]
        await _measure("database", services, rounds)
    finally:
        await pool.close()


_ORIGINAL_PAGE_UPLOADS = getattr(upload_queries, "page_uploads")  # noqa: B009 - not re-exported
_ORIGINAL_PAGE_AI = getattr(ai_queries, "page_ai_requests")  # noqa: B009


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(_canned(args.rounds))
    server = PostgresServer().start()
    try:
        url = server.create_database(f"measure_{uuid.uuid4().hex[:8]}")
        asyncio.run(_database(url, max(50, args.rounds // 3)))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
