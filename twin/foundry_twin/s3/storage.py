"""Buckets and objects on disk: the layout the package docstring describes, written so a reader sees the
old object or the new one, never a mix, and so no key can name a path outside the root."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from foundry_twin.s3.cors import CorsRule
from foundry_twin.s3.errors import S3Error, no_such_bucket

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DATA_FILE = re.compile(r"^[0-9a-f]{64}\.[0-9a-f]{32}\.data$")
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
            raise no_such_bucket(bucket)
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
