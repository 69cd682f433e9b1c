from __future__ import annotations

from strawberry import relay

from foundry_api.context import Info
from foundry_api.core.pagination import build_connection, page_request
from foundry_api.uploads.repository import page_uploads
from foundry_api.uploads.types import Upload


async def viewer_uploads(*, info: Info, first: int | None, after: str | None) -> relay.Connection[Upload]:
    page = page_request(first=first, after=after)
    viewer = await info.context.viewer()
    rows = await page_uploads(info.context.services.pool, owner_id=viewer.id, page=page)
    return build_connection(rows, page=page, to_node=Upload.from_row)
