"""The private uploads bucket: pre-signed PUT/GET URLs and the post-upload HEAD check (spec §5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio.to_thread
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client


@dataclass(frozen=True, slots=True)
class PresignedPut:
    url: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class StoredObject:
    size: int
    content_type: str


class ObjectStore:
    def __init__(self, *, bucket: str, region: str, url_ttl_seconds: int, endpoint_url: str | None = None):
        self.bucket = bucket
        self.url_ttl_seconds = url_ttl_seconds
        config = Config(
            signature_version="s3v4",
            connect_timeout=2,
            read_timeout=5,
            retries={"max_attempts": 2, "mode": "standard"},
            # Emulators on 127.0.0.1 have no per-bucket DNS names.
            s3={"addressing_style": "path" if endpoint_url else "virtual"},
        )
        self._client: S3Client = boto3.client(
            "s3", region_name=region, endpoint_url=endpoint_url, config=config
        )

    def presign_put(self, *, key: str, content_type: str, size: int) -> PresignedPut:
        # ContentType and ContentLength become signed headers: S3 refuses a PUT whose body size or
        # declared type differs from what createUpload accepted (reference §6).
        url = self._client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type, "ContentLength": size},
            ExpiresIn=self.url_ttl_seconds,
            HttpMethod="PUT",
        )
        return PresignedPut(url=url, headers={"Content-Type": content_type, "Content-Length": str(size)})

    def presign_get(self, *, key: str, filename: str) -> str:
        # attachment: a browser must never render an uploaded file inline on our origin.
        disposition = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": disposition},
            ExpiresIn=self.url_ttl_seconds,
        )

    async def head(self, *, key: str) -> StoredObject | None:
        try:
            response: Any = await anyio.to_thread.run_sync(
                lambda: self._client.head_object(Bucket=self.bucket, Key=key)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return StoredObject(
            size=int(response["ContentLength"]), content_type=str(response.get("ContentType", ""))
        )
