"""The twin's disk-backed S3, exercised over real HTTP with boto3 and httpx on 127.0.0.1."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import httpx
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from foundry_twin.s3 import PortInUseError, S3Emulator

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


def _client(endpoint_url: str, *, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def _error_code(response: httpx.Response) -> str:
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
        client = _client(running.endpoint_url)
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [CORS_RULE]})
        yield running


@pytest.fixture(scope="module")
def s3(emulator: S3Emulator) -> S3Client:
    return _client(emulator.endpoint_url)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


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
    assert (anonymous.status_code, _error_code(anonymous)) == (403, "AccessDenied")


def test_a_credential_without_list_rights_meets_403_for_a_missing_key(
    emulator: S3Emulator, s3: S3Client, http: httpx.Client
) -> None:
    limited = _client(emulator.endpoint_url, access_key=NO_LIST_KEYS[0], secret_key=NO_LIST_KEYS[1])
    with pytest.raises(ClientError) as head:
        limited.head_object(Bucket=BUCKET, Key="never-written")
    assert head.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    url = limited.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "never-written"}, ExpiresIn=60
    )
    get = http.get(url)
    assert (get.status_code, _error_code(get)) == (403, "AccessDenied")
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


def test_objects_and_cors_survive_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with S3Emulator(root, ACCESS_KEY, SECRET_KEY, access_log=None) as first:
        client = _client(first.endpoint_url)
        client.create_bucket(Bucket="keep")
        client.put_bucket_cors(Bucket="keep", CORSConfiguration={"CORSRules": [CORS_RULE]})
        client.put_object(Bucket="keep", Key="photos/1.jpg", Body=b"\xff\xd8jpeg", ContentType="image/jpeg")
    with S3Emulator(root, ACCESS_KEY, SECRET_KEY, access_log=None) as second:
        client = _client(second.endpoint_url)
        got = client.get_object(Bucket="keep", Key="photos/1.jpg")
        assert (got["Body"].read(), got["ContentType"]) == (b"\xff\xd8jpeg", "image/jpeg")
        assert client.get_bucket_cors(Bucket="keep")["CORSRules"] == [CORS_RULE]
        assert [item["Key"] for item in client.list_objects_v2(Bucket="keep")["Contents"]] == ["photos/1.jpg"]


def _presigned_put(s3: S3Client, key: str, content_type: str, length: int) -> str:
    return s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": BUCKET, "Key": key, "ContentType": content_type, "ContentLength": length},
        ExpiresIn=300,
    )


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_presigned_put_requires_the_signed_headers(s3: S3Client, http: httpx.Client) -> None:
    body = b"\x89PNG fake"
    url = _presigned_put(s3, "avatars/u1.png", "image/png", len(body))
    assert "content-type" in dict(parse_qsl(urlsplit(url).query))["X-Amz-SignedHeaders"]

    wrong_type = http.put(url, content=body, headers={"Content-Type": "image/jpeg"})
    assert (wrong_type.status_code, _error_code(wrong_type)) == (403, "SignatureDoesNotMatch")
    assert "<CanonicalRequest>" in wrong_type.text
    wrong_length = http.put(url, content=body + b"!", headers={"Content-Type": "image/png"})
    assert (wrong_length.status_code, _error_code(wrong_length)) == (403, "SignatureDoesNotMatch")
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
    url = _presigned_put(s3, "refused.bin", "application/octet-stream", len(body))
    headers = {"Content-Type": "application/octet-stream"}

    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
    tampered = _with_query(url, **{"X-Amz-Signature": ("0" if signature[0] != "0" else "1") + signature[1:]})
    response = http.put(tampered, content=body, headers=headers)
    assert (response.status_code, _error_code(response)) == (403, "SignatureDoesNotMatch")

    other_key = _presigned_put(
        _client(emulator.endpoint_url, access_key="AKIAUNKNOWN"), "refused.bin", headers["Content-Type"], 4
    )
    response = http.put(other_key, content=body, headers=headers)
    assert (response.status_code, _error_code(response)) == (403, "InvalidAccessKeyId")

    other_key_path = _with_query(url, **{"X-Amz-Expires": "900"})  # changing any signed parameter breaks it
    response = http.put(other_key_path, content=body, headers=headers)
    assert (response.status_code, _error_code(response)) == (403, "SignatureDoesNotMatch")

    clock.offset = 301.0  # the URL was valid for 300 s
    try:
        response = http.put(url, content=body, headers=headers)
    finally:
        clock.offset = 0.0
    assert (response.status_code, _error_code(response)) == (403, "AccessDenied")
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

    wrong_secret = _client(emulator.endpoint_url, secret_key="not-the-secret")
    with pytest.raises(ClientError) as refused:
        wrong_secret.get_object(Bucket=BUCKET, Key="reports/r.pdf")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as unknown:
        _client(emulator.endpoint_url, access_key="AKIAUNKNOWN").list_objects_v2(Bucket=BUCKET)
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
    assert (swapped.status_code, _error_code(swapped)) == (400, "XAmzContentSHA256Mismatch")
    assert http.put(url, content=b"signed body", headers=headers).status_code == 200


def test_keys_with_dot_dot_and_unicode_stay_inside_the_root(s3: S3Client, emulator: S3Emulator) -> None:
    keys = ["../../escape/ünïcødé ☃.txt", "../outside", "a/../../../b", "/leading/slash", "%2e%2e/literal"]
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    for key in keys:
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == key.encode()
    listed = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert set(keys) <= listed
    root = emulator.root.resolve()
    assert sorted(path.name for path in root.parent.iterdir()) == ["store"]
    for path in root.rglob("*"):
        assert path.resolve().is_relative_to(root)
        assert "escape" not in path.name and "outside" not in path.name


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
        assert (response.status_code, _error_code(response)) == (403, "AccessForbidden")
        assert "access-control-allow-origin" not in response.headers

    put_url = _presigned_put(s3, "avatars/u2.png", "image/png", 3)
    actual = http.put(put_url, content=b"png", headers={"Content-Type": "image/png", "Origin": ORIGIN})
    assert actual.status_code == 200
    assert actual.headers["access-control-allow-origin"] == ORIGIN
    assert actual.headers["access-control-expose-headers"] == "ETag"
    assert actual.headers["etag"]
    foreign = http.put(
        put_url, content=b"png", headers={"Content-Type": "image/png", "Origin": "http://evil.example"}
    )
    assert "access-control-allow-origin" not in foreign.headers


def test_access_log_has_one_line_per_request_without_signatures(tmp_path: Path) -> None:
    lines: list[str] = []
    with S3Emulator(tmp_path / "store", ACCESS_KEY, SECRET_KEY, access_log=lines.append) as running:
        client = _client(running.endpoint_url)
        client.create_bucket(Bucket="logged")
        url = client.generate_presigned_url(
            "get_object", Params={"Bucket": "logged", "Key": "k"}, ExpiresIn=60
        )
        httpx.get(url, timeout=5)
    assert len(lines) == 2
    assert '"PUT /logged" 200' in lines[0]
    assert '"GET /logged/k?' in lines[1] and " 404 " in lines[1]
    assert "X-Amz-Signature=REDACTED" in lines[1]
    assert dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"] not in lines[1]


def test_a_port_in_use_is_a_clear_error(emulator: S3Emulator, tmp_path: Path) -> None:
    with pytest.raises(PortInUseError, match=f"port {emulator.port}"):
        S3Emulator(tmp_path, ACCESS_KEY, SECRET_KEY, port=emulator.port).start()


def test_importing_the_emulator_does_not_load_the_cdk() -> None:
    code = "import sys, foundry_twin.s3; sys.exit('aws_cdk' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0


def test_command_line_serves_until_sigterm_then_exits_zero(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "foundry_twin.s3",
        "--root",
        str(tmp_path / "store"),
        "--port",
        str(port),
    ]
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "FOUNDRY_S3_ACCESS_KEY": ACCESS_KEY,
        "FOUNDRY_S3_SECRET_KEY": SECRET_KEY,
    }
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/__health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.communicate(timeout=5)
            assert time.monotonic() < deadline, "the emulator never became healthy"
            time.sleep(0.05)
        _client(f"http://127.0.0.1:{port}").create_bucket(Bucket="from-cli")
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    assert process.returncode == 0, stderr
    assert f"s3 listening on http://127.0.0.1:{port}\n" in stdout
    assert '"PUT /from-cli" 200' in stdout
    assert (tmp_path / "store" / "from-cli" / "bucket.json").is_file()
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


@pytest.mark.parametrize(
    ("storage_class", "readable"),
    [
        ("GLACIER", False),
        ("DEEP_ARCHIVE", False),
        ("GLACIER_IR", True),
        ("STANDARD_IA", True),
        ("INTELLIGENT_TIERING", True),
    ],
)
def test_archived_storage_classes_refuse_get_until_restored(
    s3: S3Client, http: httpx.Client, storage_class: str, readable: bool
) -> None:
    """GetObject on Glacier Flexible Retrieval or Deep Archive answers 403 InvalidObjectState; HEAD
    works and names the class (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html)."""
    key = f"uploads/class-{storage_class}"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"x", StorageClass=storage_class)  # type: ignore[arg-type]
    assert s3.head_object(Bucket=BUCKET, Key=key)["StorageClass"] == storage_class
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key})
    response = http.get(url)
    if readable:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert _error_code(response) == "InvalidObjectState"


def test_an_unknown_storage_class_is_refused(s3: S3Client) -> None:
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=BUCKET, Key="uploads/bad-class", Body=b"x", StorageClass="COLD")  # type: ignore[arg-type]
    assert refused.value.response["Error"]["Code"] == "InvalidStorageClass"
