"""The S3 HTTP surface: objects, errors in S3's shape, the rights of a key without s3:ListBucket, listing."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import httpx
import pytest
from botocore.exceptions import ClientError
from foundry_twin.s3 import S3Emulator

from .conftest import BUCKET, NO_LIST_KEYS, error_code, s3_client

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client


def test_put_get_head_delete(s3: S3Client) -> None:
    body = b"hello twin"
    put = s3.put_object(
        Bucket=BUCKET, Key="docs/a.txt", Body=body, ContentType="text/plain", Metadata={"owner": "u1"}
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'  # noqa: S324 - S3's ETag is an MD5
    got = s3.get_object(Bucket=BUCKET, Key="docs/a.txt")
    assert got["Body"].read() == body
    assert (got["ContentType"], got["Metadata"], got["ETag"]) == ("text/plain", {"owner": "u1"}, put["ETag"])
    assert s3.get_object(Bucket=BUCKET, Key="docs/a.txt", Range="bytes=6-9")["Body"].read() == b"twin"
    head = s3.head_object(Bucket=BUCKET, Key="docs/a.txt")
    assert head["ContentLength"] == len(body)
    s3.delete_object(Bucket=BUCKET, Key="docs/a.txt")
    with pytest.raises(ClientError) as gone:
        s3.get_object(Bucket=BUCKET, Key="docs/a.txt")
    assert gone.value.response["Error"]["Code"] == "NoSuchKey"
    with pytest.raises(ClientError) as head_gone:
        s3.head_object(Bucket=BUCKET, Key="docs/a.txt")
    assert head_gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_head_404_has_no_body_and_get_404_is_s3_xml(
    emulator: S3Emulator, s3: S3Client, http: httpx.Client
) -> None:
    url = s3.generate_presigned_url("head_object", Params={"Bucket": BUCKET, "Key": "absent"}, ExpiresIn=60)
    head = http.head(url)
    assert (head.status_code, head.content) == (404, b"")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "absent"}, ExpiresIn=60)
    get = http.get(url)
    assert get.status_code == 404
    assert get.headers["content-type"] == "application/xml"
    assert "<Code>NoSuchKey</Code>" in get.text and "<Key>absent</Key>" in get.text
    anonymous = http.get(f"{emulator.endpoint_url}/{BUCKET}/absent")
    assert (anonymous.status_code, error_code(anonymous)) == (403, "AccessDenied")


def test_a_credential_without_list_rights_meets_403_for_a_missing_key(
    emulator: S3Emulator, s3: S3Client, http: httpx.Client
) -> None:
    limited = s3_client(emulator.endpoint_url, access_key=NO_LIST_KEYS[0], secret_key=NO_LIST_KEYS[1])
    with pytest.raises(ClientError) as head:
        limited.head_object(Bucket=BUCKET, Key="never-written")
    assert head.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    url = limited.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "never-written"}, ExpiresIn=60
    )
    get = http.get(url)
    assert (get.status_code, error_code(get)) == (403, "AccessDenied")
    assert "<Key>" not in get.text  # unlike NoSuchKey, nothing says the key is absent
    for forbidden in (
        lambda: limited.list_objects_v2(Bucket=BUCKET),
        lambda: limited.head_bucket(Bucket=BUCKET),
    ):
        with pytest.raises(ClientError) as refused:
            forbidden()
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Object rights are intact: it writes and reads, and the full-rights key still sees 404.
    limited.put_object(Bucket=BUCKET, Key="limited/one", Body=b"x", ContentType="text/plain")
    assert limited.head_object(Bucket=BUCKET, Key="limited/one")["ContentLength"] == 1
    with pytest.raises(ClientError) as full:
        s3.head_object(Bucket=BUCKET, Key="never-written")
    assert full.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_with_prefix_delimiter_and_pagination(s3: S3Client) -> None:
    keys = [f"list/{name}" for name in ("a", "b", "c", "d", "e", "sub/x", "sub/y")]
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    page = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", MaxKeys=3)
    pages = [[item["Key"] for item in page["Contents"]]]
    while page["IsTruncated"]:
        page = s3.list_objects_v2(
            Bucket=BUCKET, Prefix="list/", MaxKeys=3, ContinuationToken=page["NextContinuationToken"]
        )
        pages.append([item["Key"] for item in page["Contents"]])
    assert pages == [keys[0:3], keys[3:6], keys[6:7]]
    grouped = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", Delimiter="/")
    assert [item["Key"] for item in grouped["Contents"]] == keys[:5]
    assert grouped["CommonPrefixes"] == [{"Prefix": "list/sub/"}]
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="nothing/")["KeyCount"] == 0
    paginated = s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="list/", PaginationConfig={"PageSize": 2}
    )
    assert [item["Key"] for page in paginated for item in page["Contents"]] == keys
