"""The upload flow end to end: createUpload, a real HTTP PUT to the pre-signed URL, completeUpload."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import boto3
import httpx
import psycopg
import pytest

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient


UPLOAD_FIELDS = "id filename contentType size status createdAt downloadUrl"
CREATE = f"""
mutation Create($input: CreateUploadInput!) {{
  createUpload(input: $input) {{
    __typename
    ... on CreateUploadPayload {{ upload {{ {UPLOAD_FIELDS} }} uploadUrl uploadHeaders {{ name value }} }}
    ... on UserError {{ code message field }}
  }}
}}
"""
COMPLETE = f"""
mutation Complete($id: ID!) {{
  completeUpload(input: {{ id: $id }}) {{
    __typename
    ... on CompleteUploadPayload {{ upload {{ {UPLOAD_FIELDS} }} }}
    ... on UserError {{ code message field }}
  }}
}}
"""
NODE = "query Node($id: ID!) { node(id: $id) { __typename id ... on Upload { filename downloadUrl } } }"
LIST = """
query List($first: Int, $after: String) {
  viewer { uploads(first: $first, after: $after) {
    edges { cursor node { id filename } } pageInfo { hasNextPage endCursor }
  } }
}
"""


def create(
    gql: GraphQLClient,
    sub: str,
    *,
    filename: str = "notes.txt",
    size: int = 11,
    content_type: str = "text/plain",
) -> dict[str, Any]:
    result: dict[str, Any] = gql.data(
        CREATE, {"input": {"filename": filename, "contentType": content_type, "size": size}}, sub=sub
    )["createUpload"]
    return result


def put(ticket: dict[str, Any], body: bytes) -> httpx.Response:
    headers = {h["name"]: h["value"] for h in ticket["uploadHeaders"]}
    headers.pop("Content-Length", None)  # httpx, like a browser, sets it from the body
    return httpx.put(ticket["uploadUrl"], content=body, headers=headers, timeout=10)


def object_key(database_url: str, upload_global_id: str, gql: GraphQLClient, sub: str) -> str:
    import base64

    upload_id = base64.b64decode(upload_global_id).decode().split(":", 1)[1]
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT object_key FROM uploads WHERE id = %s", (upload_id,)).fetchone()
    assert row is not None
    return str(row[0])


def test_upload_round_trip(gql: GraphQLClient, sub: str, api_database_url: str) -> None:
    ticket = create(gql, sub)
    assert ticket["__typename"] == "CreateUploadPayload"
    assert ticket["upload"]["status"] == "PENDING"
    assert ticket["upload"]["downloadUrl"] is None
    query = parse_qs(urlparse(ticket["uploadUrl"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert set(query["X-Amz-SignedHeaders"][0].split(";")) >= {"content-length", "content-type", "host"}
    assert {h["name"] for h in ticket["uploadHeaders"]} == {"Content-Type", "Content-Length"}
    assert object_key(api_database_url, ticket["upload"]["id"], gql, sub).startswith(f"uploads/{sub}/")

    assert put(ticket, b"hello world").status_code == 200
    done = gql.data(COMPLETE, {"id": ticket["upload"]["id"]}, sub=sub)["completeUpload"]
    assert done["__typename"] == "CompleteUploadPayload"
    assert done["upload"]["status"] == "UPLOADED"
    download = httpx.get(done["upload"]["downloadUrl"], timeout=10)
    assert download.status_code == 200
    assert download.content == b"hello world"

    again = gql.data(COMPLETE, {"id": ticket["upload"]["id"]}, sub=sub)["completeUpload"]
    assert again["upload"]["status"] == "UPLOADED"


def test_complete_refuses_a_missing_object(gql: GraphQLClient, sub: str) -> None:
    ticket = create(gql, sub)
    result = gql.data(COMPLETE, {"id": ticket["upload"]["id"]}, sub=sub)["completeUpload"]
    assert result == {
        "__typename": "UserError",
        "code": "UPLOAD_MISSING",
        "message": result["message"],
        "field": "id",
    }


def test_complete_refuses_a_size_mismatch(
    gql: GraphQLClient, sub: str, api_database_url: str, s3_endpoint: str, uploads_bucket: str
) -> None:
    ticket = create(gql, sub, size=11)
    key = object_key(api_database_url, ticket["upload"]["id"], gql, sub)
    boto3.client("s3", region_name="us-east-1", endpoint_url=s3_endpoint).put_object(
        Bucket=uploads_bucket, Key=key, Body=b"twelve bytes", ContentType="text/plain"
    )
    result = gql.data(COMPLETE, {"id": ticket["upload"]["id"]}, sub=sub)["completeUpload"]
    assert result["__typename"] == "UserError"
    assert result["code"] == "UPLOAD_SIZE_MISMATCH"


def test_complete_refuses_a_type_mismatch(
    gql: GraphQLClient, sub: str, api_database_url: str, s3_endpoint: str, uploads_bucket: str
) -> None:
    ticket = create(gql, sub, size=5)
    key = object_key(api_database_url, ticket["upload"]["id"], gql, sub)
    boto3.client("s3", region_name="us-east-1", endpoint_url=s3_endpoint).put_object(
        Bucket=uploads_bucket, Key=key, Body=b"<svg>", ContentType="text/html"
    )
    result = gql.data(COMPLETE, {"id": ticket["upload"]["id"]}, sub=sub)["completeUpload"]
    assert result["code"] == "UPLOAD_TYPE_MISMATCH"


def test_another_user_can_never_see_or_complete_an_upload(
    gql: GraphQLClient, sub: str, other_sub: str
) -> None:
    ticket = create(gql, sub)
    upload_id = ticket["upload"]["id"]
    assert put(ticket, b"hello world").status_code == 200

    stolen = gql.data(COMPLETE, {"id": upload_id}, sub=other_sub)["completeUpload"]
    assert stolen["__typename"] == "UserError"
    assert stolen["code"] == "NOT_FOUND"
    assert gql.data(NODE, {"id": upload_id}, sub=other_sub)["node"] is None
    assert gql.data(LIST, sub=other_sub)["viewer"]["uploads"]["edges"] == []

    gql.data(COMPLETE, {"id": upload_id}, sub=sub)
    assert gql.data(NODE, {"id": upload_id}, sub=other_sub)["node"] is None
    owned = gql.data(NODE, {"id": upload_id}, sub=sub)["node"]
    assert owned["__typename"] == "Upload"
    assert owned["downloadUrl"]


def test_node_refuses_other_viewers_and_garbage_ids(gql: GraphQLClient, sub: str, other_sub: str) -> None:
    mine = gql.data("{ viewer { id } }", sub=sub)["viewer"]["id"]
    assert gql.data(NODE, {"id": mine}, sub=sub)["node"]["__typename"] == "Viewer"
    assert gql.data(NODE, {"id": mine}, sub=other_sub)["node"] is None
    for garbage in ("", "not-base64", "VXBsb2FkOm5vdC1hLXV1aWQ=", "VW5rbm93bjox"):
        assert gql.data(NODE, {"id": garbage}, sub=sub)["node"] is None


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"contentType": "text/html"}, "UNSUPPORTED_CONTENT_TYPE", "contentType"),
        ({"size": 0}, "INVALID_SIZE", "size"),
        ({"size": 1024 * 1024 + 1}, "FILE_TOO_LARGE", "size"),
        ({"filename": "   "}, "INVALID_FILENAME", "filename"),
        ({"filename": "x" * 1025}, "INVALID_FILENAME", "filename"),
        ({"filename": "a\x00b.txt"}, "INVALID_FILENAME", "filename"),
    ],
)
def test_create_refuses_invalid_input_as_data(
    gql: GraphQLClient, sub: str, change: dict[str, Any], code: str, field: str
) -> None:
    variables = {"input": {"filename": "a.txt", "contentType": "text/plain", "size": 10, **change}}
    result = gql.data(CREATE, variables, sub=sub)["createUpload"]
    assert (result["__typename"], result["code"], result["field"]) == ("UserError", code, field)


def test_hostile_filenames_through_the_api_stay_in_the_users_prefix(
    gql: GraphQLClient, sub: str, api_database_url: str
) -> None:
    for filename in ("../../../other_user/x.txt", "..\\..\\x.txt", "／etc／passwd", "é" * 1000):
        ticket = create(gql, sub, filename=filename)
        assert ticket["upload"]["filename"] == filename
        key = object_key(api_database_url, ticket["upload"]["id"], gql, sub)
        assert key.startswith(f"uploads/{sub}/")
        assert ".." not in key


def test_pagination_walks_every_page(gql: GraphQLClient, sub: str) -> None:
    created = [create(gql, sub, filename=f"file-{i:02d}.txt")["upload"]["id"] for i in range(23)]
    seen: list[str] = []
    after: str | None = None
    pages = 0
    for _ in range(10):  # bounded: 23 items / 5 per page = 5 pages
        page = gql.data(LIST, {"first": 5, "after": after}, sub=sub)["viewer"]["uploads"]
        pages += 1
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert len(page["edges"]) == (5 if pages < 5 else 3)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 5
    assert seen == list(reversed(created))
