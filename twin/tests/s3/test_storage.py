"""Storage on disk: what survives a restart, keys that stay inside the root, storage classes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from botocore.exceptions import ClientError
from foundry_twin.s3 import S3Emulator

from .conftest import ACCESS_KEY, BUCKET, CORS_RULE, SECRET_KEY, error_code, s3_client

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client


def test_objects_and_cors_survive_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with S3Emulator(root, ACCESS_KEY, SECRET_KEY, access_log=None) as first:
        client = s3_client(first.endpoint_url)
        client.create_bucket(Bucket="keep")
        client.put_bucket_cors(Bucket="keep", CORSConfiguration={"CORSRules": [CORS_RULE]})
        client.put_object(Bucket="keep", Key="photos/1.jpg", Body=b"\xff\xd8jpeg", ContentType="image/jpeg")
    with S3Emulator(root, ACCESS_KEY, SECRET_KEY, access_log=None) as second:
        client = s3_client(second.endpoint_url)
        got = client.get_object(Bucket="keep", Key="photos/1.jpg")
        assert (got["Body"].read(), got["ContentType"]) == (b"\xff\xd8jpeg", "image/jpeg")
        assert client.get_bucket_cors(Bucket="keep")["CORSRules"] == [CORS_RULE]
        assert [item["Key"] for item in client.list_objects_v2(Bucket="keep")["Contents"]] == ["photos/1.jpg"]


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
        assert error_code(response) == "InvalidObjectState"


def test_an_unknown_storage_class_is_refused(s3: S3Client) -> None:
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=BUCKET, Key="uploads/bad-class", Body=b"x", StorageClass="COLD")  # type: ignore[arg-type]
    assert refused.value.response["Error"]["Code"] == "InvalidStorageClass"
