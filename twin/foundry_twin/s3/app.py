"""The S3 HTTP surface over a DiskStore, as a Starlette application: routing, buckets, listing and
objects (ranges, conditional reads, storage classes)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
import time
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from foundry_twin.s3.access_log import AccessLog
from foundry_twin.s3.cors import (
    cors_configuration_xml,
    matching_rule,
    parse_cors_configuration,
    parse_preflight,
    preflight_headers,
)
from foundry_twin.s3.dates import http_date
from foundry_twin.s3.errors import S3_XMLNS, S3Error, not_implemented, xml_bytes
from foundry_twin.s3.integrity import verify_digests, verify_payload
from foundry_twin.s3.listing import list_buckets, list_objects
from foundry_twin.s3.signatures import SignedRequest, SigV4Verifier, query_pairs
from foundry_twin.s3.storage import ARCHIVED_STORAGE_CLASSES, STORAGE_CLASSES, DiskStore, ObjectMeta

MAX_OBJECT_BYTES = 5 * 1024**3  # S3's single-PUT limit
MAX_CONFIG_BODY_BYTES = 1024 * 1024
MAX_KEY_BYTES = 1024
_CHUNK_BYTES = 64 * 1024
_STORED_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    "x-amz-storage-class",  # GET and HEAD return it for every class but STANDARD
)
_RESPONSE_OVERRIDES = {
    "response-content-type": "content-type",
    "response-content-disposition": "content-disposition",
    "response-content-encoding": "content-encoding",
    "response-content-language": "content-language",
    "response-cache-control": "cache-control",
    "response-expires": "expires",
}
_BUCKET_SUBRESOURCES_NOT_EMULATED = frozenset(
    {"acl", "policy", "versioning", "lifecycle", "website", "tagging", "logging", "notification"}
    | {"replication", "encryption", "ownershipControls", "publicAccessBlock", "uploads", "delete"}
    | {"versions", "object-lock", "accelerate", "requestPayment", "analytics", "metrics", "inventory"}
)
_OBJECT_SUBRESOURCES_NOT_EMULATED = frozenset(
    {"uploads", "uploadId", "partNumber", "tagging", "acl", "retention", "legal-hold", "torrent"}
    | {"restore", "select", "attributes", "versionId"}
)


@dataclass(frozen=True, slots=True)
class _Target:
    bucket: str | None
    key: str | None
    path: str
    query: list[tuple[str, str]]

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)

    @property
    def resource(self) -> str:
        return self.path


class S3App:
    """The S3 HTTP surface over a DiskStore, as a Starlette application (`.app`)."""

    def __init__(
        self,
        store: DiskStore,
        *,
        access_key: str,
        secret_key: str,
        no_list_credentials: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        access_log: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self._signatures = SigV4Verifier(
            access_key=access_key, secret_key=secret_key, no_list_credentials=no_list_credentials, clock=clock
        )
        self._clock = clock
        starlette = Starlette(
            routes=[
                Route("/__health", self._health, methods=["GET"]),
                Route(
                    "/{path:path}",
                    self._handle,
                    methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"],
                ),
            ]
        )
        self.app: ASGIApp = AccessLog(starlette, access_log) if access_log else starlette

    async def _health(self, _: Request) -> Response:
        return Response("ok\n", media_type="text/plain")

    async def _handle(self, request: Request) -> Response:
        request_id = secrets.token_hex(8).upper()
        target = self._target(request)
        try:
            if request.method == "OPTIONS":
                response = self._preflight(request, target)
            else:
                authenticated = self._signatures.authenticate(
                    SignedRequest(
                        method=request.method, path=target.path, query=target.query, headers=request.headers
                    )
                )
                request.state.may_list = authenticated.may_list
                claimed_sha256 = authenticated.claimed_sha256
                response = await self._route(request, target, claimed_sha256)
        except S3Error as error:
            response = self._error_response(request, target, error, request_id)
        except Exception as error:  # every failure is answered in S3's shape
            print(
                f"s3: internal error on {request.method} {target.path}: {error!r}",
                file=sys.stderr,
                flush=True,
            )
            response = self._error_response(
                request,
                target,
                S3Error(500, "InternalError", "We encountered an internal error."),
                request_id,
            )
        response.headers["x-amz-request-id"] = request_id
        response.headers["Server"] = "FoundryTwinS3"
        if request.method != "OPTIONS" and target.bucket and "origin" in request.headers:
            self._add_cors_headers(request, target.bucket, response)
        return response

    @staticmethod
    def _target(request: Request) -> _Target:
        raw_path = request.scope.get("raw_path") or quote(request.url.path).encode()
        path = unquote(raw_path.decode("latin-1"), errors="surrogateescape")
        query = query_pairs(request.scope.get("query_string", b"").decode("latin-1"))
        bucket, _, key = path.lstrip("/").partition("/")
        return _Target(bucket=bucket or None, key=key or None, path=path, query=query)

    @staticmethod
    def _error_response(request: Request, target: _Target, error: S3Error, request_id: str) -> Response:
        headers = {"x-amz-error-code": error.code}
        if request.method == "HEAD" or error.status == 304:
            return Response(status_code=error.status, headers=headers)
        document = ET.Element("Error")
        for tag, text in (("Code", error.code), ("Message", error.message), *error.fields.items()):
            ET.SubElement(document, tag).text = text
        ET.SubElement(document, "Resource").text = target.path
        ET.SubElement(document, "RequestId").text = request_id
        return Response(
            xml_bytes(document), status_code=error.status, media_type="application/xml", headers=headers
        )

    # -- authentication

    @staticmethod
    def _require_list_right(request: Request) -> None:
        """HeadBucket and ListObjects need s3:ListBucket; a caller without it gets AccessDenied.

        https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
        """
        if not getattr(request.state, "may_list", True):
            raise S3Error(403, "AccessDenied", "Access Denied")

    # -- CORS

    def _preflight(self, request: Request, target: _Target) -> Response:
        preflight = parse_preflight(
            origin=request.headers.get("origin"),
            method=request.headers.get("access-control-request-method"),
            requested_headers=request.headers.get("access-control-request-headers", ""),
        )
        found = target.bucket is not None and self.store.bucket_exists(target.bucket)
        rules = self.store.get_cors(target.bucket) if found and target.bucket is not None else None
        headers = preflight_headers(
            preflight, bucket_found=found, rules=rules, on_object=target.key is not None
        )
        return Response(status_code=200, headers=headers)

    def _add_cors_headers(self, request: Request, bucket: str, response: Response) -> None:
        origin = request.headers["origin"]
        try:
            rules = self.store.get_cors(bucket)
        except S3Error:
            return
        rule = matching_rule(rules, origin=origin, method=request.method)
        if rule is not None:
            for name, value in rule.response_headers(origin).items():
                response.headers[name] = value

    # -- routing

    async def _route(self, request: Request, target: _Target, claimed_sha256: str | None) -> Response:
        method = request.method
        if (
            target.key is not None
            and method == "PUT"
            and not (target.params.keys() & _OBJECT_SUBRESOURCES_NOT_EMULATED)
        ):
            if "x-amz-copy-source" in request.headers:
                raise not_implemented("CopyObject")
            return await self._put_object(request, target, claimed_sha256)
        body = await self._small_body(request)
        verify_payload(body, claimed_sha256, request)
        if target.bucket is None:
            if method == "GET":
                return list_buckets(self.store)
            raise S3Error(
                405, "MethodNotAllowed", "The specified method is not allowed against this resource."
            )
        if target.key is None:
            return self._bucket_operation(request, target, body)
        unsupported = target.params.keys() & _OBJECT_SUBRESOURCES_NOT_EMULATED
        if unsupported:
            raise not_implemented(f"The object subresource {sorted(unsupported)[0]!r}")
        if method in {"GET", "HEAD"}:
            return self._get_object(request, target.bucket, target.key, target.params)
        if method == "DELETE":
            self.store.require_bucket(target.bucket)
            self.store.delete(target.bucket, target.key)
            return Response(status_code=204)
        raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")

    @staticmethod
    async def _small_body(request: Request) -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_CONFIG_BODY_BYTES:
                raise S3Error(400, "MaxMessageLengthExceeded", "Your request was too big.")
            chunks.append(chunk)
        return b"".join(chunks)

    def _bucket_operation(self, request: Request, target: _Target, body: bytes) -> Response:
        assert target.bucket is not None
        bucket, params, method = target.bucket, target.params, request.method
        if "cors" in params:
            if method == "PUT":
                rules = parse_cors_configuration(body)
                self.store.put_cors(bucket, rules)
                return Response(status_code=200)
            if method == "GET":
                rules_or_none = self.store.get_cors(bucket)
                if rules_or_none is None:
                    raise S3Error(
                        404,
                        "NoSuchCORSConfiguration",
                        "The CORS configuration does not exist",
                        BucketName=bucket,
                    )
                return Response(cors_configuration_xml(rules_or_none), media_type="application/xml")
            if method == "DELETE":
                self.store.delete_cors(bucket)
                return Response(status_code=204)
        if "location" in params and method == "GET":
            self.store.require_bucket(bucket)
            return Response(
                xml_bytes(ET.Element("LocationConstraint", xmlns=S3_XMLNS)), media_type="application/xml"
            )
        unsupported = params.keys() & (_BUCKET_SUBRESOURCES_NOT_EMULATED | {"cors", "location"})
        if unsupported:
            raise not_implemented(f"The bucket subresource {sorted(unsupported)[0]!r} with {method}")
        if method == "PUT":
            if not self.store.create_bucket(bucket, now=self._clock()):
                raise S3Error(
                    409,
                    "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.",
                    BucketName=bucket,
                )
            return Response(status_code=200, headers={"Location": f"/{bucket}"})
        if method == "HEAD":
            self._require_list_right(request)
            self.store.require_bucket(bucket)
            return Response(status_code=200, headers={"x-amz-bucket-region": "us-east-1"})
        if method == "DELETE":
            self.store.delete_bucket(bucket)
            return Response(status_code=204)
        if method == "GET":
            self._require_list_right(request)
            return list_objects(self.store, bucket=bucket, params=params)
        raise not_implemented(f"{method} on a bucket (POST policy uploads, DeleteObjects)")

    # -- objects

    async def _put_object(self, request: Request, target: _Target, claimed_sha256: str | None) -> Response:
        assert target.bucket is not None and target.key is not None
        bucket, key = target.bucket, target.key
        self.store.require_bucket(bucket)
        if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
            raise S3Error(400, "KeyTooLongError", "Your key is too long")
        declared = request.headers.get("content-length")
        if declared is None:
            raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        if not declared.isdigit() or int(declared) > MAX_OBJECT_BYTES:
            raise S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        storage_class = request.headers.get("x-amz-storage-class", "STANDARD")
        if storage_class not in STORAGE_CLASSES:
            raise S3Error(400, "InvalidStorageClass", "The storage class you specified is not valid")
        handle, temporary = self.store.new_upload(bucket, key)
        try:
            md5, sha256, sha1, crc32, size = (
                hashlib.md5(usedforsecurity=False),
                hashlib.sha256(),
                hashlib.sha1(usedforsecurity=False),
                0,
                0,
            )
            with handle:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > MAX_OBJECT_BYTES:
                        raise S3Error(
                            400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
                        )
                    handle.write(chunk)
                    md5.update(chunk)
                    sha256.update(chunk)
                    sha1.update(chunk)
                    crc32 = zlib.crc32(chunk, crc32)
                handle.flush()
                os.fsync(handle.fileno())
            verify_digests(
                request,
                claimed_sha256=claimed_sha256,
                sha256=sha256.digest(),
                md5=md5.digest(),
                sha1=sha1.digest(),
                crc32=crc32.to_bytes(4, "big"),
            )
            meta = ObjectMeta(
                key=key,
                size=size,
                etag=f'"{md5.hexdigest()}"',
                last_modified=self._clock(),
                content_type=request.headers.get("content-type") or "binary/octet-stream",
                data_file=self.store.data_file_name(key),
                metadata={
                    name[len("x-amz-meta-") :]: value
                    for name, value in request.headers.items()
                    if name.startswith("x-amz-meta-")
                },
                headers={name: request.headers[name] for name in _STORED_HEADERS if name in request.headers},
            )
            self.store.commit(bucket, temporary, meta)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        return Response(status_code=200, headers={"ETag": meta.etag})

    def _get_object(self, request: Request, bucket: str, key: str, params: dict[str, str]) -> Response:
        self.store.require_bucket(bucket)
        opened = self.store.open(bucket, key)
        if opened is None:
            # Without s3:ListBucket, S3 answers a missing key with 403, not 404, so a caller cannot
            # probe which keys exist: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
            # and https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html ("Permissions").
            if not getattr(request.state, "may_list", True):
                raise S3Error(403, "AccessDenied", "Access Denied")
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
        meta, handle = opened
        try:
            storage_class = meta.headers.get("x-amz-storage-class", "STANDARD")
            if request.method == "GET" and storage_class in ARCHIVED_STORAGE_CLASSES:
                raise S3Error(
                    403,
                    "InvalidObjectState",
                    "The operation is not valid for the object's storage class",
                    StorageClass=storage_class,
                )
            headers = {
                "ETag": meta.etag,
                "Last-Modified": http_date(meta.last_modified),
                "Content-Type": meta.content_type,
                "Accept-Ranges": "bytes",
                **meta.headers,
                **{f"x-amz-meta-{name}": value for name, value in meta.metadata.items()},
            }
            for parameter, header in _RESPONSE_OVERRIDES.items():
                if parameter in params:
                    headers[header] = params[parameter]
            if_match, if_none_match = request.headers.get("if-match"), request.headers.get("if-none-match")
            if if_match is not None and not _etag_matches(if_match, meta.etag):
                raise S3Error(
                    412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
                )
            if if_none_match is not None and _etag_matches(if_none_match, meta.etag):
                handle.close()
                return Response(
                    status_code=304, headers={"ETag": meta.etag, "Last-Modified": headers["Last-Modified"]}
                )
            start, end, status = 0, meta.size - 1, 200
            byte_range = _parse_range(request.headers.get("range"), meta.size)
            if byte_range is not None:
                start, end, status = byte_range[0], byte_range[1], 206
                headers["Content-Range"] = f"bytes {start}-{end}/{meta.size}"
            headers["Content-Length"] = str(max(0, end - start + 1))
            if request.method == "HEAD":
                handle.close()
                return Response(status_code=status, headers=headers)
            handle.seek(start)
            return StreamingResponse(
                _read_range(handle, end - start + 1), status_code=status, headers=headers
            )
        except BaseException:
            handle.close()
            raise


def _read_range(handle: IO[bytes], length: int) -> Iterator[bytes]:
    with handle:
        while length > 0:
            chunk = handle.read(min(_CHUNK_BYTES, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def _parse_range(value: str | None, size: int) -> tuple[int, int] | None:
    """One `bytes=` range, as S3 serves them; malformed or multi-range headers are ignored like S3 does."""
    if value is None or not value.startswith("bytes=") or "," in value:
        return None
    first, _, last = value[len("bytes=") :].strip().partition("-")
    if (
        not (first.isdigit() or last.isdigit())
        or (first and not first.isdigit())
        or (last and not last.isdigit())
    ):
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise S3Error(416, "InvalidRange", "The requested range is not satisfiable")
        return max(0, size - suffix), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise S3Error(416, "InvalidRange", "The requested range is not satisfiable")
    return start, end


def _etag_matches(condition: str, etag: str) -> bool:
    candidates = [candidate.strip() for candidate in condition.split(",")]
    return "*" in candidates or etag in candidates or etag.strip('"') in candidates
