from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx
import pytest
from foundry_api.ai_requests.client import AiCallError, AiClient
from foundry_twin.postgres import free_port

if TYPE_CHECKING:
    from tests.conftest import AiStub, GraphQLClient


ASK = """
mutation Ask($prompt: String!) {
  askAi(input: { prompt: $prompt }) {
    __typename
    ... on AskAiPayload { aiRequest { id prompt answer model latencyMs createdAt } }
    ... on UserError { code message field }
  }
}
"""
LIST = "{ viewer { aiRequests(first: 50) { edges { node { id prompt } } pageInfo { hasNextPage } } } }"
NODE = "query Node($id: ID!) { node(id: $id) { __typename ... on AiRequest { answer } } }"


def test_ask_ai_stores_the_answer(gql: GraphQLClient, sub: str, ai_stub: AiStub) -> None:
    result = gql.data(ASK, {"prompt": "What is 2 + 2?"}, sub=sub)["askAi"]
    assert result["__typename"] == "AskAiPayload"
    ai_request = result["aiRequest"]
    assert ai_request["answer"] == "echo: What is 2 + 2?"
    assert (ai_request["model"], ai_request["latencyMs"]) == ("stub-model", 42)

    sent = ai_stub.requests[-1]
    assert sent["path"] == "/v1/complete"
    assert sent["body"] == {"prompt": "What is 2 + 2?", "user": sub}
    assert sent["headers"]["X-Internal-Api-Key"] == ai_stub.api_key

    listed = gql.data(LIST, sub=sub)["viewer"]["aiRequests"]["edges"]
    assert [edge["node"]["id"] for edge in listed] == [ai_request["id"]]
    assert gql.data(NODE, {"id": ai_request["id"]}, sub=sub)["node"]["answer"] == ai_request["answer"]


def test_another_user_cannot_read_an_ai_request(gql: GraphQLClient, sub: str, other_sub: str) -> None:
    ai_request = gql.data(ASK, {"prompt": "private thought"}, sub=sub)["askAi"]["aiRequest"]
    assert gql.data(NODE, {"id": ai_request["id"]}, sub=other_sub)["node"] is None
    assert gql.data(LIST, sub=other_sub)["viewer"]["aiRequests"]["edges"] == []


@pytest.mark.parametrize(
    ("prompt", "code"),
    [
        ("[fail-500] please", "AI_UNAVAILABLE"),
        ("[slow] please", "AI_UNAVAILABLE"),
        ("[garbage]", "AI_BAD_RESPONSE"),
    ],
)
def test_ai_failures_become_user_errors(gql: GraphQLClient, sub: str, prompt: str, code: str) -> None:
    result = gql.data(ASK, {"prompt": prompt}, sub=sub)["askAi"]
    assert (result["__typename"], result["code"]) == ("UserError", code)
    assert gql.data(LIST, sub=sub)["viewer"]["aiRequests"]["edges"] == []


def test_api_does_not_retry_a_failing_ai(gql: GraphQLClient, sub: str, ai_stub: AiStub) -> None:
    before = len(ai_stub.requests)
    gql.data(ASK, {"prompt": "[fail-500] once"}, sub=sub)
    assert len(ai_stub.requests) - before == 1


def test_empty_prompt_is_refused_as_data(gql: GraphQLClient, sub: str) -> None:
    result = gql.data(ASK, {"prompt": "   "}, sub=sub)["askAi"]
    assert (result["code"], result["field"]) == ("INVALID_PROMPT", "prompt")


def test_unreachable_ai_is_reported_as_unavailable() -> None:
    async def call() -> None:
        client = AiClient(base_url=f"http://127.0.0.1:{free_port()}", api_key="k", timeout_seconds=2)
        try:
            await client.complete(prompt="hi", user="user_1")
        finally:
            await client.aclose()

    with pytest.raises(AiCallError) as caught:
        asyncio.run(call())
    assert caught.value.code == "AI_UNAVAILABLE"


@pytest.mark.parametrize(
    "error", [AttributeError("'NoneType' object has no attribute 'getpeername'"), OSError(104)]
)
async def test_a_raw_transport_error_is_ai_unavailable(error: Exception) -> None:
    """A reset during connect can escape httpcore unwrapped; it must not become an INTERNAL error."""

    def fail(_: httpx.Request) -> httpx.Response:
        raise error

    client = AiClient(base_url="http://127.0.0.1:9", api_key="k", timeout_seconds=1)
    await client.aclose()
    client._http = httpx.AsyncClient(transport=httpx.MockTransport(fail))
    try:
        with pytest.raises(AiCallError) as caught:
            await client.complete(prompt="hi", user="u")
    finally:
        await client.aclose()
    assert caught.value.code == "AI_UNAVAILABLE"


def test_a_nul_in_the_prompt_is_a_user_error(gql: GraphQLClient, sub: str) -> None:
    # Found by the abuse suite's fuzzing: Postgres text cannot hold NUL, which made this INTERNAL.
    result = gql.data(ASK, {"prompt": "\x00"}, sub=sub)["askAi"]
    assert (result["__typename"], result["code"]) == ("UserError", "INVALID_PROMPT")
