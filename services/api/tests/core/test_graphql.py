"""The endpoint's limits, each refused with a clear error, and error masking."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from foundry_api.schema import build_schema
from opentelemetry.sdk.trace import TracerProvider

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient


CREATE = """
mutation Create($input: CreateUploadInput!) {
  createUpload(input: $input) { __typename ... on CreateUploadPayload { upload { id } } }
}
"""


def test_too_deep_query_is_refused(gql: GraphQLClient, sub: str) -> None:
    nested = "".join(f"f{i} {{ " for i in range(12)) + "x" + " }" * 12
    deep = "{ viewer { uploads { edges { node { " + nested + " } } } } }"
    messages = [e["message"] for e in gql.errors(deep, sub=sub)]
    assert any("exceeds maximum operation depth of 10" in m for m in messages), messages


def test_too_many_aliases_are_refused(gql: GraphQLClient, sub: str) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(16)) + " }"
    messages = [e["message"] for e in gql.errors(query, sub=sub)]
    assert any(
        "exceeds maximum alias count of 15" in m.lower() or "aliases" in m.lower() for m in messages
    ), messages


def test_too_many_tokens_are_refused(gql: GraphQLClient, sub: str) -> None:
    query = "{ viewer { " + " ".join(["id"] * 1200) + " } }"
    messages = [e["message"] for e in gql.errors(query, sub=sub)]
    assert any("1000 tokens" in m for m in messages), messages


def test_page_size_above_the_cap_is_refused(gql: GraphQLClient, sub: str) -> None:
    errors = gql.errors("{ viewer { uploads(first: 1000) { edges { cursor } } } }", sub=sub)
    assert errors[0]["message"] == "`first` must be between 0 and 50; got 1000"


def test_foreign_cursor_is_refused(gql: GraphQLClient, sub: str) -> None:
    errors = gql.errors('{ viewer { aiRequests(after: "bm90LWEtY3Vyc29y") { edges { cursor } } } }', sub=sub)
    assert errors[0]["message"] == "`after` is not a cursor this API issued"


def test_field_suggestions_are_disabled(gql: GraphQLClient, sub: str) -> None:
    errors = gql.errors("{ viewer { uplods { edges { cursor } } } }", sub=sub)
    assert "Did you mean" not in errors[0]["message"]


def test_mutation_over_get_is_refused(gql: GraphQLClient, sub: str) -> None:
    response = gql.http.get(
        "/graphql",
        params={
            "query": 'mutation { createUpload(input: {filename: "a.txt", contentType: "text/plain", size: 1})'
            " { __typename } }"
        },
        headers={"Authorization": f"Bearer {gql.token(sub)}"},
    )
    assert response.status_code in (400, 405), response.text
    listed = gql.data("{ viewer { uploads { edges { cursor } } } }", sub=sub)
    assert listed["viewer"]["uploads"]["edges"] == []


def test_query_over_get_is_refused(gql: GraphQLClient, sub: str) -> None:
    response = gql.http.get(
        "/graphql",
        params={"query": "{ viewer { id } }"},
        headers={"Authorization": f"Bearer {gql.token(sub)}"},
    )
    assert response.status_code in (400, 405), response.text


def test_oversized_body_is_refused_with_413(gql: GraphQLClient, sub: str) -> None:
    response = gql.post("{ viewer { id } }", {"pad": "x" * (70 * 1024)}, sub=sub)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_introspection_works_in_development(gql: GraphQLClient, sub: str) -> None:
    assert (
        gql.data("{ __schema { queryType { name } } }", sub=sub)["__schema"]["queryType"]["name"] == "Query"
    )


def test_request_id_is_propagated(gql: GraphQLClient, sub: str) -> None:
    response = gql.post("{ viewer { id } }", sub=sub, headers={"X-Request-Id": "req-12345"})
    assert response.headers["X-Request-Id"] == "req-12345"
    generated = gql.post("{ viewer { id } }", sub=sub, headers={"X-Request-Id": "bad id with spaces"})
    assert generated.headers["X-Request-Id"] != "bad id with spaces"


@dataclass
class _ExplodingContext:
    request_id: str = "req-boom"

    async def viewer(self) -> Any:
        raise RuntimeError("password=hunter2 at db.internal:5432")


def test_unexpected_errors_are_masked_with_the_request_id() -> None:
    result = asyncio.run(build_schema().execute("{ viewer { id } }", context_value=_ExplodingContext()))
    assert result.errors is not None
    message = result.errors[0].message
    assert message == "Unexpected error (request id req-boom)."
    assert "hunter2" not in str(result.errors[0].formatted)
    assert result.errors[0].extensions == {"code": "INTERNAL", "requestId": "req-boom", "traceId": None}


def test_a_masked_error_names_the_trace_beside_the_request_id() -> None:
    with TracerProvider().get_tracer("test").start_as_current_span("POST /graphql") as span:
        result = asyncio.run(build_schema().execute("{ viewer { id } }", context_value=_ExplodingContext()))
    assert result.errors is not None
    extensions = result.errors[0].extensions or {}
    assert extensions["requestId"] == "req-boom"
    assert extensions["traceId"] == format(span.get_span_context().trace_id, "032x")


@pytest.fixture(scope="module")
def prod_api(start_api_with: Any, postgres: Any) -> Any:
    from pydantic import SecretStr

    return start_api_with(
        database_url=postgres.url(),
        foundry_env="prod",
        # As in AWS: the api's own role with IAM tokens (these prod-mode tests never reach the data).
        database_auth="iam",
        database_host="127.0.0.1",
        database_port=postgres.port,
        database_user="foundry_api",
        database_region="us-east-1",
        database_sslmode="verify-full",
        origin_verify_secret=SecretStr(EDGE_SECRET),
    )


ORIGIN_HEADER = "X-Origin-Verify"
EDGE_SECRET = "edge-secret-" + "x" * 20


def test_introspection_is_off_in_prod(prod_api: Any, issuer: Any, graphql_client_class: Any) -> None:
    with graphql_client_class(
        base_url=prod_api.url, issuer=issuer, headers={ORIGIN_HEADER: EDGE_SECRET}
    ) as client:
        errors = client.errors("{ __schema { queryType { name } } }", sub="user_prod")
    assert "introspection" in errors[0]["message"].lower()


def test_graphql_ide_is_off_in_prod(prod_api: Any, issuer: Any) -> None:
    response = httpx.get(
        prod_api.url + "/graphql",
        headers={
            "Accept": "text/html",
            ORIGIN_HEADER: EDGE_SECRET,
            "Authorization": f"Bearer {issuer.mint(sub='user_prod')}",
        },
    )
    assert "graphiql" not in response.text.lower()


@pytest.mark.parametrize("header", [None, "", "wrong-secret", "edge-secret-" + "x" * 19])
def test_requests_without_the_edge_secret_get_403(prod_api: Any, issuer: Any, header: str | None) -> None:
    headers = {"Authorization": f"Bearer {issuer.mint(sub='user_prod')}"}
    if header is not None:
        headers[ORIGIN_HEADER] = header
    for path in ("/graphql", "/api/healthz"):
        response = httpx.post(prod_api.url + path, json={"query": "{ viewer { id } }"}, headers=headers)
        assert response.status_code == 403, (path, response.text)


def test_only_the_liveness_check_skips_the_edge_secret(prod_api: Any) -> None:
    """App Runner and the ALB probe /healthz without CloudFront's header; /readyz tells the database
    state and schema version, so the api's public URL must not answer it to anyone."""
    assert httpx.get(prod_api.url + "/healthz").status_code == 200
    refused = httpx.get(prod_api.url + "/readyz")
    assert refused.status_code == 403
    assert "schema" not in refused.text and "database" not in refused.text
    assert httpx.get(prod_api.url + "/readyz", headers={ORIGIN_HEADER: EDGE_SECRET}).status_code != 403


def test_edge_secret_lets_requests_through_to_auth(prod_api: Any) -> None:
    response = httpx.post(
        prod_api.url + "/graphql",
        json={"query": "{ viewer { id } }"},
        headers={ORIGIN_HEADER: EDGE_SECRET},
    )
    assert response.status_code == 401


def test_graphql_ide_is_served_in_development(api_http: httpx.Client) -> None:
    page = api_http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    smuggled = api_http.get(
        "/graphql", params={"query": "{ viewer { id } }"}, headers={"Accept": "text/html"}
    )
    assert '"data"' not in smuggled.text
