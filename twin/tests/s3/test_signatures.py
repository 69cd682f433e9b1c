"""SigV4 as S3 checks it: header signatures, pre-signed URLs (signed headers, tampering, expiry), the
payload hash a request vouches for."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from foundry_twin.s3 import S3Emulator

from .conftest import ACCESS_KEY, BUCKET, SECRET_KEY, Clock, error_code, presigned_put, s3_client, with_query

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client


def test_presigned_put_requires_the_signed_headers(s3: S3Client, http: httpx.Client) -> None:
    body = b"\x89PNG fake"
    url = presigned_put(s3, "avatars/u1.png", "image/png", len(body))
    assert "content-type" in dict(parse_qsl(urlsplit(url).query))["X-Amz-SignedHeaders"]

    wrong_type = http.put(url, content=body, headers={"Content-Type": "image/jpeg"})
    assert (wrong_type.status_code, error_code(wrong_type)) == (403, "SignatureDoesNotMatch")
    assert "<CanonicalRequest>" in wrong_type.text
    wrong_length = http.put(url, content=body + b"!", headers={"Content-Type": "image/png"})
    assert (wrong_length.status_code, error_code(wrong_length)) == (403, "SignatureDoesNotMatch")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=BUCKET, Key="avatars/u1.png")

    ok = http.put(url, content=body, headers={"Content-Type": "image/png"})
    assert ok.status_code == 200, ok.text
    got = s3.get_object(Bucket=BUCKET, Key="avatars/u1.png")
    assert (got["Body"].read(), got["ContentType"]) == (body, "image/png")


def test_presigned_put_refuses_tampering_unknown_keys_and_expiry(
    emulator: S3Emulator, s3: S3Client, clock: Clock, http: httpx.Client
) -> None:
    body = b"data"
    url = presigned_put(s3, "refused.bin", "application/octet-stream", len(body))
    headers = {"Content-Type": "application/octet-stream"}

    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
    tampered = with_query(url, **{"X-Amz-Signature": ("0" if signature[0] != "0" else "1") + signature[1:]})
    response = http.put(tampered, content=body, headers=headers)
    assert (response.status_code, error_code(response)) == (403, "SignatureDoesNotMatch")

    other_key = presigned_put(
        s3_client(emulator.endpoint_url, access_key="AKIAUNKNOWN"), "refused.bin", headers["Content-Type"], 4
    )
    response = http.put(other_key, content=body, headers=headers)
    assert (response.status_code, error_code(response)) == (403, "InvalidAccessKeyId")

    other_key_path = with_query(url, **{"X-Amz-Expires": "900"})  # changing any signed parameter breaks it
    response = http.put(other_key_path, content=body, headers=headers)
    assert (response.status_code, error_code(response)) == (403, "SignatureDoesNotMatch")

    clock.offset = 301.0  # the URL was valid for 300 s
    try:
        response = http.put(url, content=body, headers=headers)
    finally:
        clock.offset = 0.0
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    assert "Request has expired" in response.text
    assert http.put(url, content=body, headers=headers).status_code == 200


def test_presigned_get_and_header_auth_with_a_wrong_secret(
    emulator: S3Emulator, s3: S3Client, http: httpx.Client
) -> None:
    s3.put_object(Bucket=BUCKET, Key="reports/r.pdf", Body=b"%PDF", ContentType="application/pdf")
    url = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": BUCKET,
            "Key": "reports/r.pdf",
            "ResponseContentDisposition": 'attachment; filename="r.pdf"',
        },
        ExpiresIn=60,
    )
    response = http.get(url)
    assert (response.status_code, response.content) == (200, b"%PDF")
    assert response.headers["content-disposition"] == 'attachment; filename="r.pdf"'

    wrong_secret = s3_client(emulator.endpoint_url, secret_key="not-the-secret")
    with pytest.raises(ClientError) as refused:
        wrong_secret.get_object(Bucket=BUCKET, Key="reports/r.pdf")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as unknown:
        s3_client(emulator.endpoint_url, access_key="AKIAUNKNOWN").list_objects_v2(Bucket=BUCKET)
    assert unknown.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def test_a_payload_that_differs_from_its_signed_hash_is_refused(
    emulator: S3Emulator, http: httpx.Client
) -> None:
    url = f"{emulator.endpoint_url}/{BUCKET}/hashed.txt"
    request = AWSRequest(method="PUT", url=url, data=b"signed body")
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(b"signed body").hexdigest()
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    swapped = http.put(url, content=b"other body!", headers=headers)
    assert (swapped.status_code, error_code(swapped)) == (400, "XAmzContentSHA256Mismatch")
    assert http.put(url, content=b"signed body", headers=headers).status_code == 200
