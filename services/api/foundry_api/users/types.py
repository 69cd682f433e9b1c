from __future__ import annotations

from typing import Self
from uuid import UUID

import strawberry
from strawberry import relay

from foundry_api.ai_requests.queries import viewer_ai_requests
from foundry_api.ai_requests.types import AiRequest
from foundry_api.context import Info
from foundry_api.core.pagination import DEFAULT_PAGE_SIZE
from foundry_api.uploads.queries import viewer_uploads
from foundry_api.uploads.types import Upload


@strawberry.type(description="The signed-in user.")
class Viewer(relay.Node):
    id: relay.NodeID[str]

    @strawberry.field
    async def uploads(
        self, *, info: Info, first: int | None = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> relay.Connection[Upload]:
        return await viewer_uploads(info=info, first=first, after=after)

    @strawberry.field
    async def ai_requests(
        self, *, info: Info, first: int | None = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> relay.Connection[AiRequest]:
        return await viewer_ai_requests(info=info, first=first, after=after)

    @classmethod
    async def load_owned(cls, *, info: Info, node_id: str) -> Self | None:
        viewer = await info.context.viewer()
        try:
            same = UUID(node_id) == viewer.id
        except ValueError:
            return None
        return cls(id=str(viewer.id)) if same else None
