from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry import relay

from foundry_api.context import Info
from foundry_api.core.types import UserError, field
from foundry_api.uploads.permissions import can_access_upload
from foundry_api.uploads.repository import get_owned_upload


@strawberry.enum
class UploadStatus(Enum):
    PENDING = "PENDING"
    UPLOADED = "UPLOADED"


# A row's status by its value: the Enum call (a metaclass __call__) costs more than the rest of a
# row's conversion; an unknown value still raises UploadStatus's ValueError.
_STATUSES = {status.value: status for status in UploadStatus}


@strawberry.type(description="A header the client must send, exactly, with the pre-signed request.")
class HttpHeader:
    name: str
    value: str


@strawberry.type
class Upload(relay.Node):
    id: relay.NodeID[str]
    filename: str
    content_type: str
    size: int
    status: UploadStatus
    created_at: datetime
    owner_id: strawberry.Private[UUID]
    object_key: strawberry.Private[str]

    @field(description="Pre-signed GET URL (short-lived); null until the upload is complete.")
    async def download_url(self, *, info: Info) -> str | None:
        if self.status is not UploadStatus.UPLOADED:
            return None
        viewer = await info.context.viewer()
        if not can_access_upload(
            viewer_id=viewer.id,
            viewer_sub=viewer.clerk_sub,
            owner_id=self.owner_id,
            object_key=self.object_key,
        ):
            return None
        return info.context.services.store.presign_get(key=self.object_key, filename=self.filename)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(
            id=str(row["id"]),
            filename=row["filename"],
            content_type=row["content_type"],
            size=row["size"],
            status=_STATUSES.get(row["status"]) or UploadStatus(row["status"]),
            created_at=row["created_at"],
            owner_id=row["owner_id"],
            object_key=row["object_key"],
        )

    @classmethod
    async def load_owned(cls, *, info: Info, node_id: str) -> Self | None:
        try:
            upload_id = UUID(node_id)
        except ValueError:
            return None
        viewer = await info.context.viewer()
        row = await get_owned_upload(info.context.services.pool, upload_id=upload_id, owner_id=viewer.id)
        if row is None or not can_access_upload(
            viewer_id=viewer.id,
            viewer_sub=viewer.clerk_sub,
            owner_id=row["owner_id"],
            object_key=row["object_key"],
        ):
            return None
        return cls.from_row(row)


@strawberry.input
class CreateUploadInput:
    filename: str
    content_type: str
    size: int


@strawberry.type
class CreateUploadPayload:
    upload: Upload
    upload_url: str
    upload_headers: list[HttpHeader]


@strawberry.input
class CompleteUploadInput:
    id: strawberry.ID


@strawberry.type
class CompleteUploadPayload:
    upload: Upload


CreateUploadResult = Annotated[CreateUploadPayload | UserError, strawberry.union("CreateUploadResult")]
CompleteUploadResult = Annotated[CompleteUploadPayload | UserError, strawberry.union("CompleteUploadResult")]
