"""POST /graphql by documentId: the same answer as the same document sent as text, and, where only
trusted documents run, every other document refused with PERSISTED_QUERY_NOT_FOUND before parsing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from foundry_api.documents.manifest import Manifest, synced

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, RunningApi

Variables = Callable[[str], dict[str, Any]]
# What may differ between two answers to the same request: when, and which request it was.
UNIQUE_HEADERS = {"date", "x-request-id"}
SEED = "mutation Seed($input: CreateUploadInput!) { createUpload(input: $input) { __typename } }"


def _comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in UNIQUE_HEADERS]
    return response.status_code, headers, response.content


def test_every_document_answers_by_id_as_it_does_as_text(
    gql: GraphQLClient, trusted_documents: dict[str, str], variables_for: Variables, sub: str
) -> None:
    assert trusted_documents, "the manifest holds no documents"
    for i in range(3):  # pages with rows in them, not only empty ones
        gql.data(SEED, {"input": {"filename": f"f{i}.txt", "contentType": "text/plain", "size": 3}}, sub=sub)
    for document_id, text in trusted_documents.items():
        variables = variables_for(text)
        as_text = gql.post(text, variables, sub=sub)
        by_id = gql.post_document(document_id, variables, sub=sub)
        assert _comparable(by_id) == _comparable(as_text), (document_id, by_id.text, as_text.text)
        assert by_id.headers["x-request-id"]


def test_variable_errors_answer_by_id_as_they_do_as_text(
    gql: GraphQLClient, trusted_documents: dict[str, str], sub: str
) -> None:
    """No variables at all: each document with a required variable fails coercion, with the same
    message and locations either way."""
    compared = 0
    for document_id, text in trusted_documents.items():
        as_text, by_id = gql.post(text, {}, sub=sub), gql.post_document(document_id, {}, sub=sub)
        assert _comparable(by_id) == _comparable(as_text), (document_id, by_id.text)
        compared += "errors" in by_id.json()
    assert compared > 0


def test_unexpected_errors_are_masked_alike(
    gql: GraphQLClient, trusted_documents: dict[str, str], variables_for: Variables, sub: str
) -> None:
    """A variable of the wrong type: graphql-core's coercion error, never the executor's internals."""
    document_id, text = next((i, t) for i, t in trusted_documents.items() if "$prompt" in t)
    as_text = gql.post(text, {"prompt": {"not": "a string"}}, sub=sub)
    by_id = gql.post_document(document_id, {"prompt": {"not": "a string"}}, sub=sub)
    assert _comparable(by_id) == _comparable(as_text)
    assert by_id.json()["errors"][0]["message"].startswith("Variable '$prompt'")


def test_malformed_persisted_requests_are_refused_plainly(
    gql: GraphQLClient, trusted_documents: dict[str, str], sub: str
) -> None:
    document_id = next(iter(trusted_documents))
    auth = {"Authorization": f"Bearer {gql.token(sub)}"}
    for body in (
        {"documentId": 7},
        {"documentId": document_id, "variables": [1]},
        {"documentId": document_id, "query": "{ viewer { id } }"},
        {"documentId": document_id, "operationName": 3},
    ):
        response = gql.http.post("/graphql", json=body, headers=auth)
        assert response.status_code == 400, (body, response.text)
        assert "must" in response.text or "either" in response.text


@pytest.fixture(scope="module")
def trusted(trusted_api: RunningApi, graphql_client_class: Any, issuer: Any) -> Any:
    with graphql_client_class(base_url=trusted_api.url, issuer=issuer) as client:
        yield client


def _refused(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert "data" not in body, body
    (error,) = body["errors"]  # a single error, as the persisted documents appendix asks
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", error
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    message: str = error["message"]
    return message


def test_trusted_only_refuses_unknown_ids_and_any_text(trusted: GraphQLClient, sub: str) -> None:
    assert "documentId" in _refused(trusted.post("{ viewer { id } }", sub=sub))
    assert "Unknown document id 'not-a-known-id'" in _refused(trusted.post_document("not-a-known-id", sub=sub))
    no_document = trusted.http.post(
        "/graphql", json={"variables": {}}, headers={"Authorization": f"Bearer {trusted.token(sub)}"}
    )
    _refused(no_document)
    over_get = trusted.http.get(
        "/graphql",
        params={"query": "{ viewer { id } }"},
        headers={"Authorization": f"Bearer {trusted.token(sub)}"},
    )
    _refused(over_get)


def test_trusted_only_refuses_before_parsing(trusted: GraphQLClient, sub: str) -> None:
    """Text the parser would refuse (3,000 tokens) or cannot parse gets the same cheap refusal, not
    the parser's error: nothing read it."""
    for text in ("{ viewer { " + "id " * 3000 + "} }", "{ this is not graphql"):
        message = _refused(trusted.post(text, sub=sub))
        assert "token" not in message.lower() and "syntax" not in message.lower(), message


def test_trusted_only_still_asks_for_a_session_first(trusted: GraphQLClient) -> None:
    assert trusted.post_document("not-a-known-id").status_code == 401
    assert trusted.post("{ viewer { id } }").status_code == 401


def test_trusted_only_serves_every_document_of_the_manifest(
    trusted: GraphQLClient,
    gql: GraphQLClient,
    trusted_documents: dict[str, str],
    variables_for: Variables,
    sub: str,
) -> None:
    for document_id, text in trusted_documents.items():
        response = trusted.post_document(document_id, variables_for(text), sub=sub)
        assert response.status_code == 200, (document_id, response.text)
        body = response.json()
        assert body.get("data") is not None, (document_id, body)
        assert not [e for e in body.get("errors") or [] if e.get("extensions", {}).get("code")], body


def test_previous_releases_stay_trusted_until_they_age_out(
    start_api_with: Callable[..., RunningApi],
    postgres: Any,
    graphql_client_class: Any,
    issuer: Any,
    sub: str,
) -> None:
    old = {"old-viewer-id": "query Old { viewer { id } }"}
    new = {"new-viewer-uploads": "query New { viewer { id uploads(first: 1) { edges { cursor } } } }"}
    manifest = synced(synced(Manifest(retain_releases=2), compiled=old), compiled=new)
    assert set(manifest.trusted()) == {"old-viewer-id", "new-viewer-uploads"}
    api = start_api_with(
        database_url=postgres.create_database("api_releases"),
        graphql_documents="trusted",
        trusted_documents=manifest.trusted(),
    )
    with graphql_client_class(base_url=api.url, issuer=issuer) as client:
        assert client.post_document("old-viewer-id", sub=sub).json()["data"]["viewer"]["id"]
        assert client.post_document("new-viewer-uploads", sub=sub).json()["data"]["viewer"]["uploads"]
    aged = synced(manifest, compiled={"newer": "query Newer { viewer { id } }"})
    assert "old-viewer-id" not in aged.trusted() and "new-viewer-uploads" in aged.trusted()
