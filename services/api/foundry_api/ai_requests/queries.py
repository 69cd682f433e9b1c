from __future__ import annotations

from strawberry import relay

from foundry_api.ai_requests.repository import page_ai_requests
from foundry_api.ai_requests.types import AiRequest
from foundry_api.context import Info
from foundry_api.core.pagination import build_connection, page_request


async def viewer_ai_requests(
    *, info: Info, first: int | None, after: str | None
) -> relay.Connection[AiRequest]:
    page = page_request(first=first, after=after)
    viewer = await info.context.viewer()
    rows = await page_ai_requests(info.context.services.pool, owner_id=viewer.id, page=page)
    return build_connection(rows, page=page, to_node=AiRequest.from_row)
