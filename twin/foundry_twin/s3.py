"""A disk-backed S3 emulator for the local twin: uploads survive a restart, and browser uploads meet
S3's real rules (SigV4 header and pre-signed query signatures, expiry, CORS).

Path-style only (`http://127.0.0.1:PORT/BUCKET/KEY`). One access key holds every right; further keys
(`no_list_credentials`, `--no-list-access-key`) may read and write objects but hold no s3:ListBucket,
like the api's role in AWS: a missing key then answers 403 AccessDenied, not 404 NoSuchKey, and
listing or HEAD on the bucket is refused. boto3 works against it
unchanged with `endpoint_url=emulator.endpoint_url`, `signature_version="s3v4"` and
`s3={"addressing_style": "path"}`.

Layout under the root directory, one folder per bucket:

    <bucket>/bucket.json                     name and creation time
    <bucket>/cors.json                       the bucket's CORS rules, when set
    <bucket>/objects/ab/<sha256(key)>.json   sidecar: key, size, ETag, Last-Modified, metadata
    <bucket>/objects/ab/<sha256(key)>.<token>.data   the bytes

A file name never contains the key, so no key (`../`, unicode, NUL) can reach outside the root. The
sidecar is the commit point: the bytes land under a fresh name, then the sidecar is replaced
atomically, so a reader sees the old object or the new one, never a mix.

From Python: `with S3Emulator(root, "AKIA…", "secret") as s3: s3.endpoint_url`. From a shell:
`python -m foundry_twin.s3 --root .foundry/s3 --port 9000 --access-key K --secret-key S`,
which prints `s3 listening on http://127.0.0.1:9000` when ready and exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any, Self
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foundry_twin.serving import BackgroundServer
from foundry_twin.serving import PortInUseError as PortInUseError  # re-exported: callers catch it here

HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_TIMEOUT_SECONDS = 10.0
S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
MAX_OBJECT_BYTES = 5 * 1024**3  # S3's single-PUT limit
MAX_CONFIG_BODY_BYTES = 1024 * 1024
MAX_KEY_BYTES = 1024
MAX_PRESIGN_EXPIRES_SECONDS = 7 * 24 * 3600
MAX_CLOCK_SKEW_SECONDS = 15 * 60
MAX_LIST_KEYS = 1000
CORS_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "HEAD"})
_CHUNK_BYTES = 64 * 1024
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DATA_FILE = re.compile(r"^[0-9a-f]{64}\.[0-9a-f]{32}\.data$")
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_STORED_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    "x-amz-storage-class",  # GET and HEAD return it for every class but STANDARD
)
# Storage classes: a PUT may name one (x-amz-storage-class), as a lifecycle transition would move an
# object there. Glacier Flexible Retrieval and Deep Archive objects answer GET with 403
# InvalidObjectState until restored; HEAD still works. Glacier Instant Retrieval, Standard-IA and
# Intelligent-Tiering's frequent and infrequent tiers read at once.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-class-intro.html
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (InvalidObjectState)
STORAGE_CLASSES = frozenset(
    {
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER_IR",
        "GLACIER",
        "DEEP_ARCHIVE",
    }
)
ARCHIVED_STORAGE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})
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
_REDACTED_QUERY = frozenset({"x-amz-signature", "x-amz-credential", "x-amz-security-token", "signature"})


class S3Error(Exception):
    """An S3 error: rendered as S3's XML error document (no body for HEAD)."""

    def __init__(self, status: int, code: str, message: str, **fields: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields


def _no_such_bucket(bucket: str) -> S3Error:
    return S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)


def _not_implemented(what: str) -> S3Error:
    return S3Error(501, "NotImplemented", f"{what} is not emulated by the local twin's S3")


# -- time


def _http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


def _iso_date(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_amz_date(value: str) -> float:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise S3Error(
            400, "AuthorizationHeaderMalformed", f"X-Amz-Date {value!r} is not YYYYMMDD'T'HHMMSS'Z'"
        ) from None


# -- CORS


def _wildcard_match(pattern: str, value: str) -> bool:
    """S3's CORS patterns: at most one `*`, matching any run of characters."""
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


@dataclass(frozen=True, slots=True)
class CorsRule:
    allowed_origins: tuple[str, ...]
    allowed_methods: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None
    id: str | None = None

    def matches(self, origin: str, method: str, request_headers: Sequence[str] = ()) -> bool:
        return (
            any(_wildcard_match(allowed, origin) for allowed in self.allowed_origins)
            and method in self.allowed_methods
            and all(
                any(_wildcard_match(allowed.lower(), header) for allowed in self.allowed_headers)
                for header in request_headers
            )
        )

    def response_headers(self, origin: str) -> dict[str, str]:
        headers = {
            "Access-Control-Allow-Methods": ", ".join(self.allowed_methods),
            "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        }
        if "*" in self.allowed_origins:
            headers["Access-Control-Allow-Origin"] = "*"
        else:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Credentials"] = "true"
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ", ".join(self.expose_headers)
        if self.max_age_seconds is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age_seconds)
        return headers

    def to_json(self) -> dict[str, Any]:
        return {
            "AllowedOrigins": list(self.allowed_origins),
            "AllowedMethods": list(self.allowed_methods),
            "AllowedHeaders": list(self.allowed_headers),
            "ExposeHeaders": list(self.expose_headers),
            "MaxAgeSeconds": self.max_age_seconds,
            "ID": self.id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CorsRule:
        return cls(
            allowed_origins=tuple(data["AllowedOrigins"]),
            allowed_methods=tuple(data["AllowedMethods"]),
            allowed_headers=tuple(data.get("AllowedHeaders") or ()),
            expose_headers=tuple(data.get("ExposeHeaders") or ()),
            max_age_seconds=data.get("MaxAgeSeconds"),
            id=data.get("ID"),
        )


def _local_name(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def parse_cors_configuration(body: bytes) -> list[CorsRule]:
    """Parses and validates a PutBucketCors document the way S3 does (MalformedXML, InvalidRequest)."""
    try:
        # The caller is authenticated, and Python's expat (>= 2.4.1) bounds entity expansion.
        document = ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed") from None
    if _local_name(document) != "CORSConfiguration":
        raise S3Error(400, "MalformedXML", "The root element must be CORSConfiguration")
    rules: list[CorsRule] = []
    for element in document:
        if _local_name(element) != "CORSRule":
            raise S3Error(400, "MalformedXML", f"Unexpected element {_local_name(element)}")
        values: dict[str, list[str]] = {}
        for child in element:
            values.setdefault(_local_name(child), []).append((child.text or "").strip())
        origins, methods = tuple(values.get("AllowedOrigin", ())), tuple(values.get("AllowedMethod", ()))
        if not origins or not methods:
            raise S3Error(400, "MalformedXML", "Each CORSRule needs an AllowedOrigin and an AllowedMethod")
        for method in methods:
            if method not in CORS_METHODS:
                raise S3Error(
                    400, "InvalidRequest", f"Found unsupported HTTP method in CORS config: {method}"
                )
        for pattern in (*origins, *values.get("AllowedHeader", ())):
            if pattern.count("*") > 1:
                raise S3Error(400, "InvalidRequest", f'"{pattern}" can not have more than one wildcard.')
        max_age = values.get("MaxAgeSeconds")
        try:
            max_age_seconds = int(max_age[0]) if max_age else None
        except ValueError:
            raise S3Error(400, "MalformedXML", "MaxAgeSeconds must be an integer") from None
        rules.append(
            CorsRule(
                allowed_origins=origins,
                allowed_methods=methods,
                allowed_headers=tuple(values.get("AllowedHeader", ())),
                expose_headers=tuple(values.get("ExposeHeader", ())),
                max_age_seconds=max_age_seconds,
                id=values["ID"][0] if values.get("ID") else None,
            )
        )
    if not rules or len(rules) > 100:
        raise S3Error(400, "MalformedXML", "A CORS configuration holds 1 to 100 rules")
    return rules


def cors_configuration_xml(rules: Sequence[CorsRule]) -> bytes:
    document = ET.Element("CORSConfiguration", xmlns=S3_XMLNS)
    for rule in rules:
        element = ET.SubElement(document, "CORSRule")
        if rule.id:
            ET.SubElement(element, "ID").text = rule.id
        for tag, values in (
            ("AllowedHeader", rule.allowed_headers),
            ("AllowedMethod", rule.allowed_methods),
            ("AllowedOrigin", rule.allowed_origins),
            ("ExposeHeader", rule.expose_headers),
        ):
            for value in values:
                ET.SubElement(element, tag).text = value
        if rule.max_age_seconds is not None:
            ET.SubElement(element, "MaxAgeSeconds").text = str(rule.max_age_seconds)
    return _xml(document)


def _xml(document: ET.Element) -> bytes:
    return bytes(ET.tostring(document, encoding="utf-8", xml_declaration=True))


# -- storage


@dataclass(frozen=True, slots=True)
class ObjectMeta:
    key: str
    size: int
    etag: str
    last_modified: float
    content_type: str
    data_file: str
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "Key": self.key,
            "ContentLength": self.size,
            "ETag": self.etag,
            "LastModified": self.last_modified,
            "ContentType": self.content_type,
            "DataFile": self.data_file,
            "Metadata": self.metadata,
            "Headers": self.headers,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ObjectMeta:
        data_file = str(data["DataFile"])
        if not _DATA_FILE.match(data_file):
            raise ValueError(f"sidecar names an unexpected data file {data_file!r}")
        return cls(
            key=str(data["Key"]),
            size=int(data["ContentLength"]),
            etag=str(data["ETag"]),
            last_modified=float(data["LastModified"]),
            content_type=str(data["ContentType"]),
            data_file=data_file,
            metadata={str(k): str(v) for k, v in data.get("Metadata", {}).items()},
            headers={str(k): str(v) for k, v in data.get("Headers", {}).items()},
        )


def _write_atomically(path: Path, content: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class DiskStore:
    """Buckets and objects under one root directory; see the module docstring for the layout."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def bucket_dir(self, bucket: str) -> Path:
        if not _BUCKET_NAME.match(bucket) or ".." in bucket:
            raise S3Error(400, "InvalidBucketName", "The specified bucket is not valid.", BucketName=bucket)
        return self.root / bucket

    def bucket_exists(self, bucket: str) -> bool:
        return (self.bucket_dir(bucket) / "bucket.json").is_file()

    def require_bucket(self, bucket: str) -> Path:
        if not self.bucket_exists(bucket):
            raise _no_such_bucket(bucket)
        return self.bucket_dir(bucket)

    def create_bucket(self, bucket: str, *, now: float) -> bool:
        directory = self.bucket_dir(bucket)
        if self.bucket_exists(bucket):
            return False
        (directory / "objects").mkdir(parents=True, exist_ok=True)
        _write_atomically(
            directory / "bucket.json", json.dumps({"Name": bucket, "CreationDate": now}).encode()
        )
        return True

    def delete_bucket(self, bucket: str) -> None:
        directory = self.require_bucket(bucket)
        if any(True for _ in self.iter_sidecars(bucket)):
            raise S3Error(
                409, "BucketNotEmpty", "The bucket you tried to delete is not empty", BucketName=bucket
            )
        for path in sorted(directory.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
        directory.rmdir()

    def list_buckets(self) -> list[tuple[str, float]]:
        buckets = []
        for marker in sorted(self.root.glob("*/bucket.json")):
            with contextlib.suppress(OSError, ValueError, KeyError):
                buckets.append((marker.parent.name, float(json.loads(marker.read_text())["CreationDate"])))
        return buckets

    def get_cors(self, bucket: str) -> list[CorsRule] | None:
        path = self.require_bucket(bucket) / "cors.json"
        try:
            return [CorsRule.from_json(rule) for rule in json.loads(path.read_text())]
        except FileNotFoundError:
            return None

    def put_cors(self, bucket: str, rules: Sequence[CorsRule]) -> None:
        path = self.require_bucket(bucket) / "cors.json"
        _write_atomically(path, json.dumps([rule.to_json() for rule in rules], indent=2).encode())

    def delete_cors(self, bucket: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.require_bucket(bucket) / "cors.json").unlink()

    def _object_dir(self, bucket: str, key: str) -> tuple[Path, str]:
        key_hash = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.bucket_dir(bucket) / "objects" / key_hash[:2], key_hash

    def head(self, bucket: str, key: str) -> ObjectMeta | None:
        directory, key_hash = self._object_dir(bucket, key)
        try:
            meta = ObjectMeta.from_json(json.loads((directory / f"{key_hash}.json").read_text()))
        except FileNotFoundError:
            return None
        return meta if meta.key == key else None

    def open(self, bucket: str, key: str) -> tuple[ObjectMeta, IO[bytes]] | None:
        # A concurrent overwrite may remove the data file between reading the sidecar and opening it;
        # the second attempt then sees the new sidecar.
        for _ in range(3):
            meta = self.head(bucket, key)
            if meta is None:
                return None
            directory, _ = self._object_dir(bucket, key)
            try:
                return meta, (directory / meta.data_file).open("rb")
            except FileNotFoundError:
                continue
        return None

    def new_upload(self, bucket: str, key: str) -> tuple[IO[bytes], Path]:
        directory, _ = self._object_dir(bucket, key)
        directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
        return os.fdopen(descriptor, "wb"), Path(temporary)

    def commit(self, bucket: str, temporary: Path, meta: ObjectMeta) -> None:
        """Moves an upload in place: the bytes first, then the sidecar that makes them visible."""
        directory, key_hash = self._object_dir(bucket, meta.key)
        previous = self.head(bucket, meta.key)
        os.replace(temporary, directory / meta.data_file)
        _write_atomically(directory / f"{key_hash}.json", json.dumps(meta.to_json()).encode())
        if previous is not None and previous.data_file != meta.data_file:
            with contextlib.suppress(FileNotFoundError):
                (directory / previous.data_file).unlink()

    def data_file_name(self, key: str) -> str:
        return (
            f"{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}.{secrets.token_hex(16)}.data"
        )

    def delete(self, bucket: str, key: str) -> None:
        meta = self.head(bucket, key)
        if meta is None:
            return
        directory, key_hash = self._object_dir(bucket, key)
        with contextlib.suppress(FileNotFoundError):
            (directory / f"{key_hash}.json").unlink()
        with contextlib.suppress(FileNotFoundError):
            (directory / meta.data_file).unlink()

    def iter_sidecars(self, bucket: str) -> Iterator[Path]:
        return (self.require_bucket(bucket) / "objects").glob("*/*.json")

    def list_objects(self, bucket: str) -> list[ObjectMeta]:
        objects = []
        for sidecar in self.iter_sidecars(bucket):
            with contextlib.suppress(OSError, ValueError, KeyError):
                objects.append(ObjectMeta.from_json(json.loads(sidecar.read_text())))
        return sorted(objects, key=lambda meta: meta.key.encode("utf-8", "surrogatepass"))


# -- Signature Version 4


def _uri_encode(value: str, *, keep_slash: bool) -> str:
    return quote(value, safe="/~" if keep_slash else "-_.~", errors="surrogateescape")


def _query_pairs(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def canonical_request(
    *,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Sequence[tuple[str, str]],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    """SigV4's canonical request, with S3's rule for the path: URI-encoded once, never normalized."""
    encoded_query = sorted(
        (_uri_encode(k, keep_slash=False), _uri_encode(v, keep_slash=False)) for k, v in query
    )
    header_lines = []
    for name in signed_headers:
        values = [" ".join(value.split()) for header, value in headers if header.lower() == name]
        header_lines.append(f"{name}:{','.join(values)}")
    return "\n".join(
        [
            method.upper(),
            _uri_encode(path, keep_slash=True),
            "&".join(f"{k}={v}" for k, v in encoded_query),
            "\n".join(header_lines) + "\n",
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def _signature(secret_key: str, scope: Sequence[str], amz_date: str, canonical: str) -> tuple[str, str]:
    string_to_sign = "\n".join(
        [SIGV4_ALGORITHM, amz_date, "/".join(scope), hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{secret_key}".encode()
    for part in scope:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest(), string_to_sign


@dataclass(frozen=True, slots=True)
class _Credentials:
    access_key: str
    date: str
    region: str
    service: str

    @classmethod
    def parse(cls, value: str, *, error_code: str) -> _Credentials:
        parts = value.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or parts[3] != "s3":
            raise S3Error(
                400, error_code, f"The credential {value!r} is not <key>/<date>/<region>/s3/aws4_request"
            )
        return cls(*parts[:4])

    @property
    def scope(self) -> tuple[str, str, str, str]:
        return (self.date, self.region, self.service, "aws4_request")


# -- the ASGI application


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
        if not access_key or not secret_key:
            raise ValueError("access_key and secret_key must not be empty")
        if any(not key or not secret for key, secret in (no_list_credentials or {}).items()):
            raise ValueError("no_list_credentials must not hold empty keys or secrets")
        self.store = store
        self._access_key = access_key
        self._secret_key = secret_key
        self._no_list_credentials = dict(no_list_credentials or {})
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
        self.app: ASGIApp = _AccessLog(starlette, access_log) if access_log else starlette

    async def _health(self, _: Request) -> Response:
        return Response("ok\n", media_type="text/plain")

    async def _handle(self, request: Request) -> Response:
        request_id = secrets.token_hex(8).upper()
        target = self._target(request)
        try:
            if request.method == "OPTIONS":
                response = self._preflight(request, target)
            else:
                claimed_sha256 = self._authenticate(request, target)
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
        query = _query_pairs(request.scope.get("query_string", b"").decode("latin-1"))
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
            _xml(document), status_code=error.status, media_type="application/xml", headers=headers
        )

    # -- authentication

    def _authenticate(self, request: Request, target: _Target) -> str | None:
        """Verifies the SigV4 signature; returns the payload SHA-256 the client vouched for, if any."""
        params = target.params
        authorization = request.headers.get("authorization")
        if "X-Amz-Signature" in params:
            return self._authenticate_query(request, target, params)
        if authorization is None:
            if "Signature" in params or "AWSAccessKeyId" in params:
                raise S3Error(
                    400,
                    "InvalidRequest",
                    "Signature Version 2 is not supported; sign with AWS4-HMAC-SHA256 (s3v4).",
                )
            raise S3Error(403, "AccessDenied", "Access Denied (anonymous requests are refused)")
        return self._authenticate_header(request, target, authorization)

    def _authenticate_header(self, request: Request, target: _Target, authorization: str) -> str | None:
        algorithm, _, rest = authorization.strip().partition(" ")
        if algorithm != SIGV4_ALGORITHM:
            raise S3Error(
                400,
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            )
        fields = {}
        for part in rest.split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed.")
        credentials = _Credentials.parse(fields["Credential"], error_code="AuthorizationHeaderMalformed")
        amz_date = request.headers.get("x-amz-date", "")
        timestamp = _parse_amz_date(amz_date)
        if abs(self._clock() - timestamp) > MAX_CLOCK_SKEW_SECONDS:
            raise S3Error(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
        payload = request.headers.get("x-amz-content-sha256")
        if payload is None:
            raise S3Error(
                400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
            )
        if payload.startswith("STREAMING-"):
            raise _not_implemented("aws-chunked (streaming) payload signing")
        if payload != UNSIGNED_PAYLOAD and not _HEX_SHA256.match(payload):
            raise S3Error(
                400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA256 value."
            )
        self._verify(
            request,
            target,
            credentials,
            amz_date,
            fields["SignedHeaders"],
            fields["Signature"],
            payload,
            target.query,
        )
        return payload if payload != UNSIGNED_PAYLOAD else None

    def _authenticate_query(self, request: Request, target: _Target, params: dict[str, str]) -> str | None:
        required = (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
        )
        missing = [name for name in required if name not in params]
        if missing or params["X-Amz-Algorithm"] != SIGV4_ALGORITHM:
            raise S3Error(
                400,
                "AuthorizationQueryParametersError",
                f"Query-string authentication version 4 requires {', '.join(required)} and X-Amz-Signature.",
            )
        credentials = _Credentials.parse(
            params["X-Amz-Credential"], error_code="AuthorizationQueryParametersError"
        )
        timestamp = _parse_amz_date(params["X-Amz-Date"])
        try:
            expires = int(params["X-Amz-Expires"])
        except ValueError:
            expires = -1
        if not 0 < expires <= MAX_PRESIGN_EXPIRES_SECONDS:
            raise S3Error(
                400,
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be between 1 and 604800 seconds.",
            )
        now = self._clock()
        if now > timestamp + expires:
            raise S3Error(
                403,
                "AccessDenied",
                "Request has expired",
                Expires=_iso_date(timestamp + expires),
                ServerTime=_iso_date(now),
            )
        if timestamp > now + MAX_CLOCK_SKEW_SECONDS:
            raise S3Error(403, "AccessDenied", "Request is not valid yet", ServerTime=_iso_date(now))
        query = [(name, value) for name, value in target.query if name != "X-Amz-Signature"]
        self._verify(
            request,
            target,
            credentials,
            params["X-Amz-Date"],
            params["X-Amz-SignedHeaders"],
            params["X-Amz-Signature"],
            UNSIGNED_PAYLOAD,
            query,
        )
        payload = request.headers.get("x-amz-content-sha256")
        return payload if payload is not None and _HEX_SHA256.match(payload) else None

    def _verify(
        self,
        request: Request,
        target: _Target,
        credentials: _Credentials,
        amz_date: str,
        signed_headers_field: str,
        provided_signature: str,
        payload_hash: str,
        query: Sequence[tuple[str, str]],
    ) -> None:
        secret_key = self._secret_for(credentials.access_key)
        if secret_key is None:
            raise S3Error(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                AWSAccessKeyId=credentials.access_key,
            )
        if credentials.date != amz_date[:8]:
            raise S3Error(403, "SignatureDoesNotMatch", "The credential date does not match X-Amz-Date.")
        signed_headers = [name.strip().lower() for name in signed_headers_field.split(";") if name.strip()]
        if "host" not in signed_headers:
            raise S3Error(400, "InvalidRequest", "The host header must be signed.")
        canonical = canonical_request(
            method=request.method,
            path=target.path,
            query=query,
            headers=list(request.headers.items()),
            signed_headers=signed_headers,
            payload_hash=payload_hash,
        )
        expected, string_to_sign = _signature(secret_key, credentials.scope, amz_date, canonical)
        if not hmac.compare_digest(expected.encode(), provided_signature.encode()):
            raise S3Error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
                AWSAccessKeyId=credentials.access_key,
                StringToSign=string_to_sign,
                SignatureProvided=provided_signature,
                CanonicalRequest=canonical,
            )
        request.state.may_list = credentials.access_key not in self._no_list_credentials

    def _secret_for(self, access_key: str) -> str | None:
        if hmac.compare_digest(access_key.encode(), self._access_key.encode()):
            return self._secret_key
        return self._no_list_credentials.get(access_key)

    @staticmethod
    def _require_list_right(request: Request) -> None:
        """HeadBucket and ListObjects need s3:ListBucket; a caller without it gets AccessDenied.

        https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
        """
        if not getattr(request.state, "may_list", True):
            raise S3Error(403, "AccessDenied", "Access Denied")

    # -- CORS

    def _matching_rule(
        self, bucket: str, origin: str, method: str, headers: Sequence[str] = ()
    ) -> CorsRule | None:
        try:
            rules = self.store.get_cors(bucket)
        except S3Error:
            return None
        return next((rule for rule in rules or () if rule.matches(origin, method, headers)), None)

    def _preflight(self, request: Request, target: _Target) -> Response:
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method")
        if not origin:
            raise S3Error(400, "BadRequest", "Insufficient information. Origin request header needed.")
        if method not in CORS_METHODS:
            raise S3Error(400, "BadRequest", f"Invalid Access-Control-Request-Method: {method}")
        requested = [
            header.strip().lower()
            for header in request.headers.get("access-control-request-headers", "").split(",")
            if header.strip()
        ]
        forbidden = {"Method": method, "ResourceType": "OBJECT" if target.key else "BUCKET"}
        if target.bucket is None or not self.store.bucket_exists(target.bucket):
            raise S3Error(403, "AccessForbidden", "CORSResponse: Bucket not found", **forbidden)
        if self.store.get_cors(target.bucket) is None:
            raise S3Error(
                403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", **forbidden
            )
        rule = self._matching_rule(target.bucket, origin, method, requested)
        if rule is None:
            raise S3Error(
                403,
                "AccessForbidden",
                "CORSResponse: This CORS request is not allowed. This is usually because the evaluation of Origin, "
                "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not "
                "whitelisted by the resource's CORS spec.",
                **forbidden,
            )
        headers = rule.response_headers(origin)
        if requested:
            headers["Access-Control-Allow-Headers"] = ", ".join(requested)
        return Response(status_code=200, headers=headers)

    def _add_cors_headers(self, request: Request, bucket: str, response: Response) -> None:
        origin = request.headers["origin"]
        rule = self._matching_rule(bucket, origin, request.method)
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
                raise _not_implemented("CopyObject")
            return await self._put_object(request, target, claimed_sha256)
        body = await self._small_body(request)
        _verify_payload(body, claimed_sha256, request)
        if target.bucket is None:
            if method == "GET":
                return self._list_buckets()
            raise S3Error(
                405, "MethodNotAllowed", "The specified method is not allowed against this resource."
            )
        if target.key is None:
            return self._bucket_operation(request, target, body)
        unsupported = target.params.keys() & _OBJECT_SUBRESOURCES_NOT_EMULATED
        if unsupported:
            raise _not_implemented(f"The object subresource {sorted(unsupported)[0]!r}")
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
                _xml(ET.Element("LocationConstraint", xmlns=S3_XMLNS)), media_type="application/xml"
            )
        unsupported = params.keys() & (_BUCKET_SUBRESOURCES_NOT_EMULATED | {"cors", "location"})
        if unsupported:
            raise _not_implemented(f"The bucket subresource {sorted(unsupported)[0]!r} with {method}")
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
            return self._list_objects(bucket, params)
        raise _not_implemented(f"{method} on a bucket (POST policy uploads, DeleteObjects)")

    def _list_buckets(self) -> Response:
        document = ET.Element("ListAllMyBucketsResult", xmlns=S3_XMLNS)
        owner = ET.SubElement(document, "Owner")
        ET.SubElement(owner, "ID").text = "foundry-twin"
        ET.SubElement(owner, "DisplayName").text = "foundry-twin"
        buckets = ET.SubElement(document, "Buckets")
        for name, created in self.store.list_buckets():
            element = ET.SubElement(buckets, "Bucket")
            ET.SubElement(element, "Name").text = name
            ET.SubElement(element, "CreationDate").text = _iso_date(created)
        return Response(_xml(document), media_type="application/xml")

    def _list_objects(self, bucket: str, params: dict[str, str]) -> Response:
        version_2 = params.get("list-type") == "2"
        prefix, delimiter = params.get("prefix", ""), params.get("delimiter", "")
        url_encoded = params.get("encoding-type") == "url"
        if "encoding-type" in params and not url_encoded:
            raise S3Error(400, "InvalidArgument", "Invalid Encoding Method specified in Request")
        try:
            max_keys = min(int(params.get("max-keys", MAX_LIST_KEYS)), MAX_LIST_KEYS)
        except ValueError:
            max_keys = -1
        if max_keys < 0:
            raise S3Error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range")
        after, skip_prefix = "", ""
        if version_2 and "continuation-token" in params:
            after, skip_prefix = _decode_token(params["continuation-token"])
        elif version_2:
            after = params.get("start-after", "")
        else:
            after = params.get("marker", "")
            if delimiter and after.endswith(delimiter):
                skip_prefix = after

        contents: list[ObjectMeta] = []
        prefixes: list[str] = []
        truncated, last = False, ("", "")
        for meta in self.store.list_objects(bucket):
            key = meta.key
            if not key.startswith(prefix) or key <= after or (skip_prefix and key.startswith(skip_prefix)):
                continue
            common = ""
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
            if common and prefixes and prefixes[-1] == common:
                continue
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            if common:
                prefixes.append(common)
                last = (common, common)
            else:
                contents.append(meta)
                last = (key, "")

        def encoded(value: str) -> str:
            return quote(value, safe="/", errors="surrogateescape") if url_encoded else value

        document = ET.Element("ListBucketResult", xmlns=S3_XMLNS)
        fields: list[tuple[str, str]] = [
            ("Name", bucket),
            ("Prefix", encoded(prefix)),
            ("MaxKeys", str(max_keys)),
            ("IsTruncated", "true" if truncated else "false"),
        ]
        if delimiter:
            fields.append(("Delimiter", encoded(delimiter)))
        if url_encoded:
            fields.append(("EncodingType", "url"))
        if version_2:
            fields.append(("KeyCount", str(len(contents) + len(prefixes))))
            if "continuation-token" in params:
                fields.append(("ContinuationToken", params["continuation-token"]))
            if "start-after" in params:
                fields.append(("StartAfter", encoded(params["start-after"])))
            if truncated:
                fields.append(("NextContinuationToken", _encode_token(*last)))
        else:
            fields.append(("Marker", encoded(params.get("marker", ""))))
            if truncated:
                fields.append(("NextMarker", encoded(last[0])))
        for tag, text in fields:
            ET.SubElement(document, tag).text = text
        for meta in contents:
            element = ET.SubElement(document, "Contents")
            ET.SubElement(element, "Key").text = encoded(meta.key)
            ET.SubElement(element, "LastModified").text = _iso_date(meta.last_modified)
            ET.SubElement(element, "ETag").text = meta.etag
            ET.SubElement(element, "Size").text = str(meta.size)
            ET.SubElement(element, "StorageClass").text = "STANDARD"
        for common in prefixes:
            ET.SubElement(ET.SubElement(document, "CommonPrefixes"), "Prefix").text = encoded(common)
        return Response(_xml(document), media_type="application/xml")

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
            _verify_digests(
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
                "Last-Modified": _http_date(meta.last_modified),
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


def _encode_token(after: str, skip_prefix: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([after, skip_prefix]).encode()).decode()


def _decode_token(token: str) -> tuple[str, str]:
    try:
        after, skip_prefix = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(after), str(skip_prefix)
    except (ValueError, TypeError, binascii.Error):
        raise S3Error(400, "InvalidArgument", "The continuation token provided is incorrect") from None


def _verify_payload(body: bytes, claimed_sha256: str | None, request: Request) -> None:
    _verify_digests(
        request,
        claimed_sha256=claimed_sha256,
        sha256=hashlib.sha256(body).digest(),
        md5=hashlib.md5(body, usedforsecurity=False).digest(),
        sha1=hashlib.sha1(body, usedforsecurity=False).digest(),
        crc32=zlib.crc32(body).to_bytes(4, "big"),
    )


def _verify_digests(
    request: Request, *, claimed_sha256: str | None, sha256: bytes, md5: bytes, sha1: bytes, crc32: bytes
) -> None:
    if claimed_sha256 is not None and not hmac.compare_digest(claimed_sha256, sha256.hex()):
        raise S3Error(
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ClientComputedContentSHA256=claimed_sha256,
            S3ComputedContentSHA256=sha256.hex(),
        )
    content_md5 = request.headers.get("content-md5")
    if content_md5 is not None:
        try:
            claimed_md5 = base64.b64decode(content_md5, validate=True)
        except binascii.Error:
            raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.") from None
        if claimed_md5 != md5:
            raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
    # CRC32C and CRC64NVME need native code; those checksums are accepted unverified.
    for algorithm, digest in (("crc32", crc32), ("sha1", sha1), ("sha256", sha256)):
        claimed = request.headers.get(f"x-amz-checksum-{algorithm}")
        if claimed is not None and claimed != base64.b64encode(digest).decode():
            raise S3Error(
                400,
                "BadDigest",
                f"The {algorithm.upper()} you specified did not match the calculated checksum.",
            )


class _AccessLog:
    """One line per request: time, client, method, path (credentials in the query redacted), status,
    bytes sent, duration."""

    def __init__(self, app: ASGIApp, sink: Callable[[str], None]) -> None:
        self.app = app
        self.sink = sink

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        outcome = {"status": 500, "bytes": 0}

        async def send_and_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = int(message["status"])
            elif message["type"] == "http.response.body":
                outcome["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_count)
        finally:
            query = "&".join(
                f"{name}=REDACTED" if name.lower() in _REDACTED_QUERY else part
                for part in scope.get("query_string", b"").decode("latin-1").split("&")
                if part
                for name in [unquote(part.partition("=")[0])]
            )
            path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            client = (scope.get("client") or ("-", 0))[0]
            self.sink(
                f"{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {client} "
                f'"{scope["method"]} {path}{"?" + query if query else ""}" {outcome["status"]} '
                f"{outcome['bytes']}B {(time.monotonic() - started) * 1000:.1f}ms"
            )


def _print_line(line: str) -> None:
    print(line, flush=True)


# -- the server


class S3Emulator:
    """Runs the S3 app with uvicorn in a background thread on 127.0.0.1."""

    def __init__(
        self,
        root: Path,
        access_key: str,
        secret_key: str,
        host: str = HOST,
        port: int = 0,
        *,
        clock: Callable[[], float] = time.time,
        access_log: Callable[[str], None] | None = _print_line,
        no_list_credentials: Mapping[str, str] | None = None,
    ) -> None:
        if host != HOST:
            raise ValueError(f"the twin's S3 listens on {HOST} only, not {host!r}")
        self.root = Path(root)
        self.host = host
        self.s3 = S3App(
            DiskStore(self.root),
            access_key=access_key,
            secret_key=secret_key,
            no_list_credentials=no_list_credentials,
            clock=clock,
            access_log=access_log,
        )
        self._server = BackgroundServer(
            self.s3.app,
            name="twin-s3",
            host=host,
            port=port,
            in_use_message="port {port} on {host} is already in use",
            startup_timeout=STARTUP_TIMEOUT_SECONDS,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        )

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def endpoint_url(self) -> str:
        return self._server.url

    @property
    def running(self) -> bool:
        return self._server.running

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m foundry_twin.s3", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--root", type=Path, required=True, help="directory holding the buckets")
    parser.add_argument(
        "--port", type=int, default=9000, help="port on 127.0.0.1 (default 9000, 0 picks one)"
    )
    parser.add_argument(
        "--access-key", default=os.environ.get("FOUNDRY_S3_ACCESS_KEY"), help="default $FOUNDRY_S3_ACCESS_KEY"
    )
    parser.add_argument(
        "--secret-key",
        default=os.environ.get("FOUNDRY_S3_SECRET_KEY"),
        help="default $FOUNDRY_S3_SECRET_KEY (the environment keeps it out of `ps`)",
    )
    parser.add_argument(
        "--no-list-access-key",
        default=os.environ.get("FOUNDRY_S3_NO_LIST_ACCESS_KEY"),
        help="a second key with object rights but no s3:ListBucket, as the api's role has in AWS "
        "(default $FOUNDRY_S3_NO_LIST_ACCESS_KEY; its secret only from $FOUNDRY_S3_NO_LIST_SECRET_KEY)",
    )
    args = parser.parse_args(argv)
    if not args.access_key or not args.secret_key:
        parser.error("--access-key and --secret-key (or their environment variables) are required")
    no_list_credentials: dict[str, str] = {}
    if args.no_list_access_key:
        no_list_secret = os.environ.get("FOUNDRY_S3_NO_LIST_SECRET_KEY")
        if not no_list_secret:
            parser.error("--no-list-access-key needs its secret in $FOUNDRY_S3_NO_LIST_SECRET_KEY")
        no_list_credentials[args.no_list_access_key] = no_list_secret

    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    emulator = S3Emulator(
        args.root, args.access_key, args.secret_key, port=args.port, no_list_credentials=no_list_credentials
    )
    try:
        emulator.start()
    except (PortInUseError, RuntimeError) as error:
        print(f"s3: {error}", file=sys.stderr, flush=True)
        return 1
    print(f"s3 listening on {emulator.endpoint_url}", flush=True)
    try:
        while not stopping.wait(timeout=0.5):
            if not emulator.running:
                print("s3: the server stopped unexpectedly", file=sys.stderr, flush=True)
                return 1
    finally:
        emulator.stop()
    print("s3 stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
