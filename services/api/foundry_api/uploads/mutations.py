from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

import strawberry
import structlog
from strawberry import relay

from foundry_api.context import Info
from foundry_api.core.types import UserError, mutation
from foundry_api.uploads.keys import build_object_key
from foundry_api.uploads.repository import insert_upload, mark_uploaded
from foundry_api.uploads.types import (
    CompleteUploadInput,
    CompleteUploadPayload,
    CompleteUploadResult,
    CreateUploadInput,
    CreateUploadPayload,
    CreateUploadResult,
    HttpHeader,
    Upload,
    UploadStatus,
)

log = structlog.stdlib.get_logger(__name__)

MAX_FILENAME_CHARS = 1024


def _not_found() -> UserError:
    # The same answer for "does not exist" and "belongs to someone else": ids leak nothing.
    return UserError(code="NOT_FOUND", message="No such upload.", field="id")


def _validate(
    input_: CreateUploadInput, *, max_bytes: int, allowed_types: frozenset[str]
) -> UserError | None:
    # Postgres text cannot hold NUL, so a NUL in the name is refused like any other bad name.
    if not input_.filename.strip() or len(input_.filename) > MAX_FILENAME_CHARS or "\x00" in input_.filename:
        return UserError(
            code="INVALID_FILENAME",
            message=f"The filename must be 1 to {MAX_FILENAME_CHARS} characters.",
            field="filename",
        )
    if input_.content_type.strip().lower() not in allowed_types:
        return UserError(
            code="UNSUPPORTED_CONTENT_TYPE",
            message="This file type is not accepted. Allowed: " + ", ".join(sorted(allowed_types)) + ".",
            field="contentType",
        )
    if input_.size < 1:
        return UserError(code="INVALID_SIZE", message="The size must be at least 1 byte.", field="size")
    if input_.size > max_bytes:
        return UserError(
            code="FILE_TOO_LARGE", message=f"Files may be at most {max_bytes} bytes.", field="size"
        )
    return None


@strawberry.type
class UploadMutations:
    @mutation(description="Reserve an upload and get a short-lived pre-signed PUT URL for it.")
    async def create_upload(
        self, *, info: Info, input_: Annotated[CreateUploadInput, strawberry.argument(name="input")]
    ) -> CreateUploadResult:
        services = info.context.services
        settings = services.settings
        error = _validate(
            input_, max_bytes=settings.upload_max_bytes, allowed_types=settings.allowed_upload_types
        )
        if error is not None:
            return error
        viewer = await info.context.viewer()
        upload_id = uuid.uuid4()
        content_type = input_.content_type.strip().lower()
        key = build_object_key(sub=viewer.clerk_sub, upload_id=upload_id, filename=input_.filename)
        row = await insert_upload(
            services.pool,
            upload_id=upload_id,
            owner_id=viewer.id,
            object_key=key,
            filename=input_.filename,
            content_type=content_type,
            size=input_.size,
        )
        presigned = services.store.presign_put(key=key, content_type=content_type, size=input_.size)
        return CreateUploadPayload(
            upload=Upload.from_row(row),
            upload_url=presigned.url,
            upload_headers=[HttpHeader(name=k, value=v) for k, v in presigned.headers.items()],
        )

    @mutation(description="Confirm the PUT finished; the server checks the object before accepting.")
    async def complete_upload(
        self, *, info: Info, input_: Annotated[CompleteUploadInput, strawberry.argument(name="input")]
    ) -> CompleteUploadResult:
        try:
            global_id = relay.GlobalID.from_id(input_.id)
            UUID(global_id.node_id)
        except (ValueError, TypeError):
            return _not_found()
        if global_id.type_name != "Upload":
            return _not_found()
        upload = await Upload.load_owned(info=info, node_id=global_id.node_id)
        if upload is None:
            return _not_found()
        if upload.status is UploadStatus.UPLOADED:
            return CompleteUploadPayload(upload=upload)
        stored = await info.context.services.store.head(key=upload.object_key)
        if stored is None:
            return UserError(code="UPLOAD_MISSING", message="The file has not been uploaded yet.", field="id")
        if stored.size != upload.size:
            log.info("upload_size_mismatch", expected=upload.size, actual=stored.size)
            return UserError(
                code="UPLOAD_SIZE_MISMATCH",
                message=f"The stored file has {stored.size} bytes; {upload.size} were declared.",
                field="id",
            )
        if stored.content_type.split(";")[0].strip().lower() != upload.content_type:
            return UserError(
                code="UPLOAD_TYPE_MISMATCH",
                message="The stored file's type differs from the declared one.",
                field="id",
            )
        viewer = await info.context.viewer()
        row = await mark_uploaded(info.context.services.pool, upload_id=UUID(upload.id), owner_id=viewer.id)
        if row is None:
            return _not_found()
        return CompleteUploadPayload(upload=Upload.from_row(row))
