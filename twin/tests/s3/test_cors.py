"""Bucket CORS: the configuration's round trip, preflights and the headers of actual responses."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from botocore.exceptions import ClientError
from foundry_twin.s3 import S3Emulator

from .conftest import BUCKET, CORS_RULE, ORIGIN, error_code, presigned_put

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client


def test_bucket_creation_and_cors_configuration_round_trip(s3: S3Client) -> None:
    assert [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]] == [BUCKET]
    s3.head_bucket(Bucket=BUCKET)
    rules = s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"]
    assert rules == [CORS_RULE]
    with pytest.raises(ClientError) as again:
        s3.create_bucket(Bucket=BUCKET)
    assert again.value.response["Error"]["Code"] == "BucketAlreadyOwnedByYou"
    with pytest.raises(ClientError) as missing:
        s3.head_bucket(Bucket="no-such-bucket")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as no_bucket:
        s3.get_object(Bucket="no-such-bucket", Key="k")
    assert no_bucket.value.response["Error"]["Code"] == "NoSuchBucket"


def test_cors_preflight_and_actual_response(emulator: S3Emulator, s3: S3Client, http: httpx.Client) -> None:
    url = f"{emulator.endpoint_url}/{BUCKET}/avatars/u2.png"
    preflight = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type",
    }
    allowed = http.options(url, headers=preflight)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "PUT" in allowed.headers["access-control-allow-methods"]
    assert allowed.headers["access-control-allow-headers"] == "content-type"
    assert allowed.headers["access-control-max-age"] == "600"
    assert allowed.headers["access-control-expose-headers"] == "ETag"

    for refused in (
        {**preflight, "Origin": "http://evil.example"},
        {**preflight, "Access-Control-Request-Method": "DELETE"},
        {**preflight, "Access-Control-Request-Headers": "content-type, x-custom"},
    ):
        response = http.options(url, headers=refused)
        assert (response.status_code, error_code(response)) == (403, "AccessForbidden")
        assert "access-control-allow-origin" not in response.headers

    put_url = presigned_put(s3, "avatars/u2.png", "image/png", 3)
    actual = http.put(put_url, content=b"png", headers={"Content-Type": "image/png", "Origin": ORIGIN})
    assert actual.status_code == 200
    assert actual.headers["access-control-allow-origin"] == ORIGIN
    assert actual.headers["access-control-expose-headers"] == "ETag"
    assert actual.headers["etag"]
    foreign = http.put(
        put_url, content=b"png", headers={"Content-Type": "image/png", "Origin": "http://evil.example"}
    )
    assert "access-control-allow-origin" not in foreign.headers
