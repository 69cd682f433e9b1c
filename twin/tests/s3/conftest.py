"""The twin's disk-backed S3, exercised over real HTTP with boto3 and httpx on 127.0.0.1: the emulator,
its clients and the constants every module of these tests shares (one module per concern of foundry_twin.s3)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import httpx
import pytest
from botocore.config import Config
from foundry_twin.s3 import S3Emulator

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import CORSRuleTypeDef

ACCESS_KEY = "AKIATWINTEST"
SECRET_KEY = "twin-secret"
NO_LIST_KEYS = ("AKIATWINNOLIST", "twin-no-list-secret")
BUCKET = "uploads"
ORIGIN = "http://localhost:5173"
CORS_RULE: CORSRuleTypeDef = {
    "AllowedOrigins": [ORIGIN],
    "AllowedMethods": ["PUT", "GET"],
    "AllowedHeaders": ["content-type", "x-amz-*"],
    "ExposeHeaders": ["ETag"],
    "MaxAgeSeconds": 600,
}


def s3_client(endpoint_url: str, *, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def error_code(response: httpx.Response) -> str:
    code = response.text.split("<Code>", 1)[1].split("</Code>", 1)[0]
    return code


class Clock:
    """The emulator's clock, movable so expiry is tested without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[S3Emulator]:
    root = tmp_path_factory.mktemp("s3") / "store"
    with S3Emulator(
        root, ACCESS_KEY, SECRET_KEY, clock=clock, access_log=None, no_list_credentials=dict([NO_LIST_KEYS])
    ) as running:
        client = s3_client(running.endpoint_url)
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [CORS_RULE]})
        yield running


@pytest.fixture(scope="module")
def s3(emulator: S3Emulator) -> S3Client:
    return s3_client(emulator.endpoint_url)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def presigned_put(s3: S3Client, key: str, content_type: str, length: int) -> str:
    return s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": BUCKET, "Key": key, "ContentType": content_type, "ContentLength": length},
        ExpiresIn=300,
    )


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))
