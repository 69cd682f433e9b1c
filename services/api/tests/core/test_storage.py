"""ObjectStore.head against S3's answers as AWS gives them to a role without s3:ListBucket (Stubber)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from foundry_api.core.storage import ObjectStore, StoredObject

BUCKET = "foundry-prod-uploads"
KEY = "uploads/user_a/0b9d8f5e-8c1e-4f57-a3a3-5b0c1d2e3f40/report.pdf"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> ObjectStore:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASTUBBED")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "stubbed")
    return ObjectStore(bucket=BUCKET, region="us-east-1", url_ttl_seconds=60)


@pytest.fixture
def stub(store: ObjectStore) -> Iterator[Stubber]:
    with Stubber(store._client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _head_forbidden(stub: Stubber) -> None:
    # A HEAD response has no body: botocore reports the bare status as the code.
    stub.add_client_error(
        "head_object",
        service_error_code="403",
        service_message="Forbidden",
        http_status_code=403,
        expected_params={"Bucket": BUCKET, "Key": KEY},
    )


def _get_refused(stub: Stubber, code: str, message: str) -> None:
    stub.add_client_error(
        "get_object",
        service_error_code=code,
        service_message=message,
        http_status_code=403,
        expected_params={"Bucket": BUCKET, "Key": KEY, "Range": "bytes=0-0"},
    )


async def test_403_for_a_missing_key_without_list_rights_means_missing(
    store: ObjectStore, stub: Stubber
) -> None:
    _head_forbidden(stub)
    _get_refused(stub, "AccessDenied", "Access Denied")
    assert await store.head(key=KEY) is None


async def test_404_still_means_missing(store: ObjectStore, stub: Stubber) -> None:
    stub.add_client_error(
        "head_object", service_error_code="404", service_message="Not Found", http_status_code=404
    )
    assert await store.head(key=KEY) is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
        ("ExpiredToken", "The provided token has expired."),
        (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
        (
            "AccessDenied",
            "User: arn:aws:sts::111122223333:assumed-role/api is not authorized to perform: kms:Decrypt",
        ),
    ],
)
async def test_a_403_that_is_a_real_refusal_is_raised(
    store: ObjectStore, stub: Stubber, code: str, message: str
) -> None:
    _head_forbidden(stub)
    _get_refused(stub, code, message)
    with pytest.raises(ClientError) as raised:
        await store.head(key=KEY)
    assert raised.value.response["Error"]["Code"] == code


async def test_an_object_arriving_between_head_and_get_is_found(store: ObjectStore, stub: Stubber) -> None:
    _head_forbidden(stub)
    stub.add_response(
        "get_object",
        {
            "Body": StreamingBody(io.BytesIO(b"%"), 1),
            "ContentLength": 1,
            "ContentRange": "bytes 0-0/2048",
            "ContentType": "application/pdf",
        },
        expected_params={"Bucket": BUCKET, "Key": KEY, "Range": "bytes=0-0"},
    )
    assert await store.head(key=KEY) == StoredObject(size=2048, content_type="application/pdf")
