"""Postgres restarted under load: api answers with errors instead of hanging, recovers without a
restart of its own, and no upload that was reported complete is lost."""

import asyncio
import base64
import time

import httpx
import pytest
from foundry_twin.faults.load import Outcome, percentile, run_load
from foundry_twin.faults.queries import COMPLETE, CREATE, PAGE, page_outcome, post
from foundry_twin.faults.stack import uploaded_ids

from .conftest import StackFactory

RESTART_AT = 3.0
DOWN_SECONDS = 2.0
AFTER_SECONDS = 14.0
P99_BOUND = 6.0
RECOVERY_BOUND = 10.0

pytestmark = pytest.mark.faults


def _uuid_of(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def test_postgres_restart_under_load(start_stack: StackFactory) -> None:
    stack = start_stack()
    headers = stack.headers("pg-restart")
    completed: list[str] = []
    restart: dict[str, float] = {}

    async def page(client: httpx.AsyncClient) -> Outcome:
        return page_outcome(*await post(client, stack, headers, PAGE))

    async def upload(client: httpx.AsyncClient) -> Outcome:
        payload = b"durable bytes\n"
        _, body = await post(
            client,
            stack,
            headers,
            CREATE,
            input={"filename": "d.txt", "contentType": "text/plain", "size": len(payload)},
        )
        created = (body.get("data") or {}).get("createUpload") or {}
        if created.get("__typename") != "CreateUploadPayload":
            return Outcome(ok=False, detail="create failed")
        put_headers = {h["name"]: h["value"] for h in created["uploadHeaders"]}
        put = await client.put(created["uploadUrl"], content=payload, headers=put_headers)
        if put.status_code != 200:
            return Outcome(ok=False, detail=f"put {put.status_code}")
        _, body = await post(client, stack, headers, COMPLETE, id=created["upload"]["id"])
        done = (body.get("data") or {}).get("completeUpload") or {}
        if done.get("__typename") == "CompleteUploadPayload" and done["upload"]["status"] == "UPLOADED":
            completed.append(_uuid_of(done["upload"]["id"]))
            return Outcome(ok=True)
        return Outcome(ok=False, detail="complete failed")

    async def restart_postgres() -> None:
        await asyncio.sleep(RESTART_AT)
        began = time.perf_counter()
        await asyncio.to_thread(stack.restart_postgres, down_seconds=DOWN_SECONDS)
        restart["back"] = time.perf_counter() - began + RESTART_AT

    duration = RESTART_AT + DOWN_SECONDS + AFTER_SECONDS
    pages, uploads, _ = await asyncio.gather(
        run_load(page, workers=4, duration=duration, request_timeout=15, pause=0.01),
        run_load(upload, workers=2, duration=duration, request_timeout=15, pause=0.01),
        restart_postgres(),
    )
    samples = pages.samples + uploads.samples
    during = [s for s in samples if s.started >= RESTART_AT - 0.5]
    p99 = percentile([s.elapsed for s in during], 99)
    assert p99 < P99_BOUND, f"p99 during the restart {p99:.2f}s"
    assert max(s.elapsed for s in samples) < 15, "no request hung"
    # While Postgres is down requests either wait for the pool (up to its 5 s timeout) or fail.
    affected = [s for s in samples if not s.outcome.ok or s.elapsed > 1.0]
    assert affected, "the restart was noticed (otherwise this test tests nothing)"
    failed = [s for s in samples if not s.outcome.ok]
    last_affected = max(s.started + s.elapsed for s in affected)
    recovered_after = last_affected - restart["back"]
    assert recovered_after < RECOVERY_BOUND, f"errors went on {recovered_after:.1f}s after Postgres was back"
    assert [s for s in pages.samples if s.started > last_affected and s.outcome.ok], "queries work again"

    assert completed, "uploads completed during the run"
    lost = set(completed) - uploaded_ids(stack.database_url)
    assert not lost, f"{len(lost)} uploads reported complete were lost"
    print(
        f"\npostgres restart: p99 {p99 * 1000:.0f}ms (max {max(s.elapsed for s in during):.2f}s) while it was down "
        f"{restart['back'] - RESTART_AT:.1f}s; {len(affected)} requests slowed or failed ({len(failed)} errors), "
        f"the last {recovered_after:.1f}s after Postgres was back; {len(completed)} uploads reported complete, 0 lost"
    )
