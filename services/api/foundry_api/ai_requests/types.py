from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry import relay

from foundry_api.ai_requests.permissions import can_view_ai_request
from foundry_api.ai_requests.repository import get_owned_ai_request
from foundry_api.context import Info
from foundry_api.core.types import UserError


@strawberry.type
class AiRequest(relay.Node):
    id: relay.NodeID[str]
    prompt: str
    answer: str
    model: str
    latency_ms: int
    created_at: datetime
    owner_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(
            id=str(row["id"]),
            prompt=row["prompt"],
            answer=row["answer"],
            model=row["model"],
            latency_ms=row["latency_ms"],
            created_at=row["created_at"],
            owner_id=row["owner_id"],
        )

    @classmethod
    async def load_owned(cls, *, info: Info, node_id: str) -> Self | None:
        try:
            request_id = UUID(node_id)
        except ValueError:
            return None
        viewer = await info.context.viewer()
        row = await get_owned_ai_request(
            info.context.services.pool, request_id=request_id, owner_id=viewer.id
        )
        if row is None or not can_view_ai_request(viewer_id=viewer.id, owner_id=row["owner_id"]):
            return None
        return cls.from_row(row)


@strawberry.input
class AskAiInput:
    prompt: str


@strawberry.type
class AskAiPayload:
    ai_request: AiRequest


AskAiResult = Annotated[AskAiPayload | UserError, strawberry.union("AskAiResult")]
