from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from foundry_api.core.db import Pool


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: UUID
    clerk_sub: str
    created_at: datetime


async def get_or_create_user(pool: Pool, *, clerk_sub: str) -> UserRecord:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT id, clerk_sub, created_at FROM users WHERE clerk_sub = %s", (clerk_sub,)
        )
        row = await cur.fetchone()
        if row is None:
            # Two first requests from one user may race; the unique constraint picks one winner.
            cur = await conn.execute(
                """
                INSERT INTO users (id, clerk_sub) VALUES (%s, %s)
                ON CONFLICT (clerk_sub) DO UPDATE SET clerk_sub = EXCLUDED.clerk_sub
                RETURNING id, clerk_sub, created_at
                """,
                (uuid.uuid4(), clerk_sub),
            )
            row = await cur.fetchone()
        assert row is not None
        return UserRecord(id=row["id"], clerk_sub=row["clerk_sub"], created_at=row["created_at"])
