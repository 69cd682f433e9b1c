"""The GraphQL documents and request helpers the fault suites and the benchmark share."""

from typing import Any

import httpx

from foundry_twin.faults.load import Outcome
from foundry_twin.faults.stack import Stack

PAGE = "{ viewer { uploads(first: 20) { edges { node { id filename size status } } pageInfo { hasNextPage } } } }"
ASK = """mutation($prompt: String!) { askAi(input: {prompt: $prompt}) {
  __typename ... on AskAiPayload { aiRequest { id answer } } ... on UserError { code message } } }"""
CREATE = """mutation($input: CreateUploadInput!) { createUpload(input: $input) {
  __typename ... on CreateUploadPayload { upload { id } uploadUrl uploadHeaders { name value } }
  ... on UserError { code message } } }"""
COMPLETE = """mutation($id: ID!) { completeUpload(input: {id: $id}) {
  __typename ... on CompleteUploadPayload { upload { id status } } ... on UserError { code message } } }"""


async def post(
    client: httpx.AsyncClient, stack: Stack, headers: dict[str, str], query: str, **variables: Any
) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        f"{stack.api_url}/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {"raw": response.text[:200]}
    return response.status_code, body


def page_outcome(status: int, body: dict[str, Any]) -> Outcome:
    if status == 200 and "errors" not in body and body.get("data", {}).get("viewer"):
        return Outcome(ok=True)
    return Outcome(ok=False, detail=f"{status} {str(body)[:120]}")
