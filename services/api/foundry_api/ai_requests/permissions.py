"""Who may see an AI request: only the user who asked. Enforced in SQL (owner_id in every WHERE)
and checked again here on every object handed to GraphQL."""

from __future__ import annotations

from uuid import UUID


def can_view_ai_request(*, viewer_id: UUID, owner_id: UUID) -> bool:
    return viewer_id == owner_id
