from __future__ import annotations

from typing import Any
from uuid import UUID

from foundry_api.core.db import Pool
from foundry_api.core.pagination import PageRequest

_INSERT = """
INSERT INTO ai_requests (id, owner_id, prompt, answer, model, latency_ms)
VALUES (%s, %s, %s, %s, %s, %s)
RETURNING id, owner_id, prompt, answer, model, latency_ms, created_at
"""
_GET = """
SELECT id, owner_id, prompt, answer, model, latency_ms, created_at
FROM ai_requests WHERE id = %s AND owner_id = %s
"""
_FIRST_PAGE = """
SELECT id, owner_id, prompt, answer, model, latency_ms, created_at
FROM ai_requests WHERE owner_id = %s
ORDER BY created_at DESC, id DESC LIMIT %s
"""
_NEXT_PAGE = """
SELECT id, owner_id, prompt, answer, model, latency_ms, created_at
FROM ai_requests WHERE owner_id = %s AND (created_at, id) < (%s, %s)
ORDER BY created_at DESC, id DESC LIMIT %s
"""


async def insert_ai_request(
    pool: Pool, *, request_id: UUID, owner_id: UUID, prompt: str, answer: str, model: str, latency_ms: int
) -> dict[str, Any]:
    async with pool.connection() as conn:
        cur = await conn.execute(_INSERT, (request_id, owner_id, prompt, answer, model, latency_ms))
        row = await cur.fetchone()
    assert row is not None
    return row


async def get_owned_ai_request(pool: Pool, *, request_id: UUID, owner_id: UUID) -> dict[str, Any] | None:
    async with pool.connection() as conn:
        cur = await conn.execute(_GET, (request_id, owner_id))
        return await cur.fetchone()


async def page_ai_requests(pool: Pool, *, owner_id: UUID, page: PageRequest) -> list[dict[str, Any]]:
    """Up to page.limit + 1 rows, newest first; the extra row signals a next page."""
    async with pool.connection() as conn:
        if page.after is None:
            cur = await conn.execute(_FIRST_PAGE, (owner_id, page.limit + 1))
        else:
            cur = await conn.execute(_NEXT_PAGE, (owner_id, *page.after, page.limit + 1))
        return await cur.fetchall()
