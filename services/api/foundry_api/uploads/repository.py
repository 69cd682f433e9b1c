from __future__ import annotations

from typing import Any
from uuid import UUID

from foundry_api.core.db import Pool
from foundry_api.core.pagination import PageRequest

# Every statement names owner_id: ownership is part of the query, not an afterthought (spec §13).
_INSERT = """
INSERT INTO uploads (id, owner_id, object_key, filename, content_type, size)
VALUES (%s, %s, %s, %s, %s, %s)
RETURNING id, owner_id, object_key, filename, content_type, size, status, created_at
"""
_GET = """
SELECT id, owner_id, object_key, filename, content_type, size, status, created_at
FROM uploads WHERE id = %s AND owner_id = %s
"""
_MARK_UPLOADED = """
UPDATE uploads SET status = 'UPLOADED', uploaded_at = now()
WHERE id = %s AND owner_id = %s
RETURNING id, owner_id, object_key, filename, content_type, size, status, created_at
"""
_FIRST_PAGE = """
SELECT id, owner_id, object_key, filename, content_type, size, status, created_at
FROM uploads WHERE owner_id = %s
ORDER BY created_at DESC, id DESC LIMIT %s
"""
_NEXT_PAGE = """
SELECT id, owner_id, object_key, filename, content_type, size, status, created_at
FROM uploads WHERE owner_id = %s AND (created_at, id) < (%s, %s)
ORDER BY created_at DESC, id DESC LIMIT %s
"""


async def insert_upload(
    pool: Pool,
    *,
    upload_id: UUID,
    owner_id: UUID,
    object_key: str,
    filename: str,
    content_type: str,
    size: int,
) -> dict[str, Any]:
    async with pool.connection() as conn:
        cur = await conn.execute(_INSERT, (upload_id, owner_id, object_key, filename, content_type, size))
        row = await cur.fetchone()
    assert row is not None
    return row


async def get_owned_upload(pool: Pool, *, upload_id: UUID, owner_id: UUID) -> dict[str, Any] | None:
    async with pool.connection() as conn:
        cur = await conn.execute(_GET, (upload_id, owner_id))
        return await cur.fetchone()


async def mark_uploaded(pool: Pool, *, upload_id: UUID, owner_id: UUID) -> dict[str, Any] | None:
    async with pool.connection() as conn:
        cur = await conn.execute(_MARK_UPLOADED, (upload_id, owner_id))
        return await cur.fetchone()


async def page_uploads(pool: Pool, *, owner_id: UUID, page: PageRequest) -> list[dict[str, Any]]:
    """Up to page.limit + 1 rows, newest first; the extra row signals a next page."""
    async with pool.connection() as conn:
        if page.after is None:
            cur = await conn.execute(_FIRST_PAGE, (owner_id, page.limit + 1))
        else:
            cur = await conn.execute(_NEXT_PAGE, (owner_id, *page.after, page.limit + 1))
        return await cur.fetchall()
