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
        """The stored object's size and type, or None when no object sits at `key` (yet)."""
        try:
            response: Any = await anyio.to_thread.run_sync(
                lambda: self._client.head_object(Bucket=self.bucket, Key=key)
            )
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                return None
            if _status(exc) == 403:
                return await self._confirm_forbidden(key=key)
            raise
        return StoredObject(
            size=int(response["ContentLength"]), content_type=str(response.get("ContentType", ""))
        )

    async def _confirm_forbidden(self, *, key: str) -> StoredObject | None:
        """Tell a missing object from a real refusal after HEAD answered 403.

        The api's role holds s3:GetObject (and kms:Decrypt via S3) under its prefix but no
        s3:ListBucket, and then S3 answers a missing key with 403 instead of 404:
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html ("Permissions"). A HEAD
        response has no body, so its 403 could also be a bad or expired credential or a denied KMS key.
        A one-byte GET carries S3's error document: plain AccessDenied is the missing object; any
        other code (InvalidAccessKeyId, ExpiredToken, SignatureDoesNotMatch, a KMS denial, which names
        kms:) is raised and surfaces as an internal error, as it should. Only the failure path pays.

        Chosen over granting s3:ListBucket with an s3:prefix condition: that grant would let the api
        enumerate every user's keys under uploads/, more than completeUpload needs, and AWS does not
        document whether HeadObject's implicit ListBucket check evaluates the s3:prefix condition.
        """
        try:
            response: Any = await anyio.to_thread.run_sync(
                lambda: self._client.get_object(Bucket=self.bucket, Key=key, Range="bytes=0-0")
            )
        except ClientError as exc:
            code = _error_code(exc)
            message = str(exc.response.get("Error", {}).get("Message", ""))
            if code in _MISSING_CODES or (code == "AccessDenied" and "kms" not in message.lower()):
                return None
            raise
        body = response["Body"]
        body.close()
        # "bytes 0-0/TOTAL": the total is the object's size (the object arrived between the calls).
        total = str(response.get("ContentRange", "")).rpartition("/")[2]
        size = int(total) if total.isdigit() else int(response["ContentLength"])
        return StoredObject(size=size, content_type=str(response.get("ContentType", "")))


_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
