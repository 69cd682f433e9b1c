"""Publishing web to the assets bucket: order, cache headers (the twin's S3 emulator), index.html
invalidated (Stubber)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import ANY, Stubber
from foundry_tools.deploy.web_publish import IMMUTABLE, REVALIDATE, PublishError, plan_uploads, publish
from foundry_twin.s3 import S3Emulator

REGION = "us-east-1"
BUCKET = "foundry-dev-assets"
S3_KEYS = ("AKIAWEBPUBLISH", "web-publish-secret")


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "index-3f2a.js").write_text("console.log('app')")
    (tmp_path / "assets" / "index-9c1b.css").write_text("body{}")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path / "index.html").write_text('<script src="/assets/index-3f2a.js"></script>')
    return tmp_path


@pytest.fixture
def s3(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real S3 client on the twin's emulator, the bucket made; CloudFront's client (stubbed) finds
    keys that are not real in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with S3Emulator(tmp_path_factory.mktemp("s3"), *S3_KEYS, access_log=None) as emulator:
        client = boto3.client(
            "s3",
            region_name=REGION,
            endpoint_url=emulator.endpoint_url,
            # Explicit: boto3's default session may hold keys an earlier test resolved.
            aws_access_key_id=S3_KEYS[0],
            aws_secret_access_key=S3_KEYS[1],
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )
        client.create_bucket(Bucket=BUCKET)
        yield client


class Recording:
    """The real S3 client, recording the order of the keys put."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.keys: list[str] = []

    def put_object(self, **kwargs: Any) -> Any:
        self.keys.append(kwargs["Key"])
        return self.client.put_object(**kwargs)


def test_hashed_assets_go_first_index_last_then_index_is_invalidated(s3: Any, dist: Path) -> None:
    recording = Recording(s3)
    cloudfront = boto3.client("cloudfront")
    with Stubber(cloudfront) as stub:
        stub.add_response(
            "create_invalidation",
            {
                "Invalidation": {
                    "Id": "I1",
                    "Status": "InProgress",
                    "CreateTime": "2026-01-01T00:00:00Z",
                    "InvalidationBatch": {
                        "Paths": {"Quantity": 2, "Items": ["/", "/index.html"]},
                        "CallerReference": "x",
                    },
                }
            },
            {
                "DistributionId": "E123",
                "InvalidationBatch": {
                    "Paths": {"Quantity": 2, "Items": ["/", "/index.html"]},
                    "CallerReference": ANY,
                },
            },
        )
        publish(s3=recording, cloudfront=cloudfront, dist=dist, bucket=BUCKET, distribution_id="E123")
        stub.assert_no_pending_responses()
    assert recording.keys == ["assets/index-3f2a.js", "assets/index-9c1b.css", "favicon.svg", "index.html"]
    heads = {key: s3.head_object(Bucket=BUCKET, Key=key) for key in recording.keys}
    assert heads["assets/index-3f2a.js"]["CacheControl"] == IMMUTABLE
    assert heads["assets/index-3f2a.js"]["ContentType"] in {"text/javascript", "application/javascript"}
    assert heads["index.html"]["CacheControl"] == REVALIDATE == heads["favicon.svg"]["CacheControl"]
    assert heads["index.html"]["ContentType"] == "text/html"


def test_a_missing_build_is_refused_before_anything_is_uploaded(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match=r"index\.html is missing"):
        plan_uploads(tmp_path)
