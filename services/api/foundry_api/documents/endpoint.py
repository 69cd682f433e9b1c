"""POST /graphql as plain ASGI: a persisted document request (GraphQL-over-HTTP's `documentId`) runs
its document's prepared plan, with no parsing, no validation and no Strawberry HTTP view; a request
carrying query text goes on to the Strawberry view, or, where only trusted documents run (staging,
prod), is refused before anything parses it.

A document the server cannot find gets one GraphQL error, code PERSISTED_QUERY_NOT_FOUND, as the
GraphQL-over-HTTP persisted documents appendix asks ("a well-formed GraphQL response consisting of a
single error"), with HTTP 400: it is a request error (nothing ran, there is no `data`), for which the
GraphQL-over-HTTP spec's application/graphql-response+json rules want a 4xx, and 400 is what the
api's other request errors answer.
https://github.com/graphql/graphql-over-http/blob/main/spec/GraphQLOverHTTP.md
https://github.com/graphql/graphql-over-http/pull/264 (Appendix A, Persisted Documents)

For the same document the body, status and headers are the ones the Strawberry view sends
(tests/documents/test_endpoint.py sends each document both ways and compares).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from foundry_runtime import ClientDisconnectedError, read_body, replay_body, request_id_of
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from foundry_api.context import Context, Services
from foundry_api.core import json_codec
from foundry_api.core.graphql import masked
from foundry_api.documents.prepared import PreparedDocument, Response as ResponseBody

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
_JSON_HEADERS = [(b"content-type", b"application/json")]
_REFUSAL_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
# Longest document id a refusal repeats back (ids are hashes; anything longer is not one of ours).
_ECHOED_ID_CHARS = 80


class DocumentsEndpoint:
    def __init__(
        self,
        *,
        documents: Mapping[str, PreparedDocument],
        services: Services,
        text_app: ASGIApp,
        trusted_only: bool,
        max_body_bytes: int,
    ) -> None:
        self._documents = documents
        self._services = services
        self._text_app = text_app
        self._trusted_only = trusted_only
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            # GET: the IDE page in development; queries over GET are refused by the view, and, where
            # only trusted documents run, before the view parses them.
            if self._trusted_only and _query_in(scope.get("query_string", b"")):
                await self._refuse_text(scope, send)
                return
            await self._text_app(scope, receive, send)
            return
        try:
            body = await read_body(receive, limit=self._max_body_bytes)
        except ClientDisconnectedError:
            return
        request = _json_object(scope, body) if body else None
        if request is None or "documentId" not in request:
            if self._trusted_only and request is not None:
                await self._refuse_text(scope, send)
                return
            # Not a persisted document request: the view answers it (or refuses a malformed body).
            await self._text_app(scope, replay_body(body or b"", receive), send)
            return
        await self._run(request, scope, receive, send)

    async def _run(self, request: dict[str, Any], scope: Scope, receive: Receive, send: Send) -> None:
        document_id = request["documentId"]
        variables = request.get("variables")
        operation_name = request.get("operationName")
        problem = _malformed(request, variables=variables, operation_name=operation_name)
        if problem is not None:
            await PlainTextResponse(problem, status_code=400)(scope, receive, send)
            return
        prepared = self._documents.get(document_id)
        if prepared is None:
            shown = document_id[:_ECHOED_ID_CHARS]
            await _refuse(
                scope,
                send,
                f"Unknown document id {shown!r}: this api runs the documents the web app was built with "
                "(its trusted documents manifest). Reload the app to get its current bundle, or, for a "
                "new document, run `make documents` and deploy the api before the web.",
            )
            return
        sub_response = Response()
        sub_response.status_code = None  # type: ignore[assignment] - as Strawberry's view makes it
        del sub_response.headers["content-length"]
        state = scope.get("state") or {}
        context = Context(
            request=Request(scope, receive),
            response=sub_response,
            services=self._services,
            principal=state.get("principal"),
            request_id=request_id_of(scope) or "",
        )
        plan = prepared.plan_for(operation_name)
        try:
            result = await plan.execute(context=context, variables=variables)
        except Exception as exc:  # noqa: BLE001 - Strawberry answers an executor's failure as a masked error
            result = _failed(prepared, exc, context=context)
        body = json_codec.dumps(result)
        headers = [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS, *sub_response.headers.raw]
        await send({"type": "http.response.start", "status": sub_response.status_code or 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _refuse_text(self, scope: Scope, send: Send) -> None:
        await _refuse(
            scope,
            send,
            "This api runs trusted documents only: send the id of a document of the web app's manifest "
            "as `documentId` (GraphQL-over-HTTP persisted documents), not query text. Query text is "
            "accepted in development (GRAPHQL_DOCUMENTS=any).",
        )


def _query_in(query_string: bytes) -> bool:
    return any(part.split(b"=", 1)[0] == b"query" for part in query_string.split(b"&"))


def _json_object(scope: Scope, body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object when it is one sent as JSON; None sends it on to the view, which
    answers anything else (another content type, broken JSON, a batch) as it always has."""
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
    if b"application/json" not in content_type:
        return None
    try:
        parsed = json_codec.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _malformed(request: dict[str, Any], *, variables: object, operation_name: object) -> str | None:
    # The view's own words for the same mistakes in a text request.
    if not isinstance(request["documentId"], str):
        return "The persisted document request's `documentId` must be a string."
    if request.get("query") is not None:
        return "Send either `documentId` or `query`, not both."
    if not isinstance(variables, dict | None):
        return "The GraphQL operation's `variables` must be an object or null, if provided."
    if not isinstance(operation_name, str | None):
        return "The GraphQL operation's `operationName` must be a string or null, if provided."
    extensions = request.get("extensions")
    if not isinstance(extensions, dict | None):
        return "The GraphQL operation's `extensions` must be an object or null, if provided."
    return None


def _failed(prepared: PreparedDocument, exc: Exception, *, context: Context) -> ResponseBody:
    error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
    prepared.schema._process_errors([error])
    return {"data": None, "errors": [masked(error, request_id=context.request_id).formatted]}


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    error = {"message": message, "extensions": {"code": PERSISTED_QUERY_NOT_FOUND, "requestId": request_id_of(scope)}}
    body = json_codec.dumps({"errors": [error]})
    headers = [(b"content-length", str(len(body)).encode()), *_REFUSAL_HEADERS]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})
