"""The request-context middleware: which request id a request gets, where it shows, and the one
access line each request writes (its fields, its status, when it is written)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import structlog
from foundry_runtime import (
    REQUEST_ID_HEADER,
    RequestContext,
    RequestContextMiddleware,
    StructlogAccessLog,
    request_context_of,
    request_id_of,
)
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from tests.conftest import JsonLog

app_log = structlog.stdlib.get_logger("foundry_test.app")


@dataclass
class RecordedAccessLog:
    """An AccessLog that keeps each line's context, to read what the middleware handed over."""

    lines: list[RequestContext] = field(default_factory=list)

    def __call__(self, *, scope: Scope, context: RequestContext) -> None:
        self.lines.append(context)


async def echo_id(request: Request) -> Response:
    app_log.info("inside")
    return JSONResponse({"request_id": request_id_of(request.scope)})


async def boom(_: Request) -> Response:
    raise RuntimeError("boom")


async def tagged(request: Request) -> Response:
    context = request_context_of(request.scope)
    assert context is not None
    context.log_fields["origin"] = "api"
    return PlainTextResponse("tagged")


class BindsUser:
    """An inner layer that binds its own field to the request's log lines (api's AuthMiddleware does)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with structlog.contextvars.bound_contextvars(user="user_1"):
            await self.app(scope, receive, send)


def make_app(
    access_log: Any, *, assign_request_id: bool = True, inner: list[Middleware] | None = None
) -> Starlette:
    return Starlette(
        routes=[Route("/id", echo_id), Route("/boom", boom), Route("/tagged", tagged)],
        middleware=[
            Middleware(RequestContextMiddleware, access_log=access_log, assign_request_id=assign_request_id),
            *(inner or []),
        ],
    )


def client(app: ASGIApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    )


async def test_a_well_formed_id_is_kept_bound_to_every_line_and_echoed(json_log: JsonLog) -> None:
    json_log.start()
    app = make_app(StructlogAccessLog(logger_name="foundry_test.access"))
    async with client(app) as http:
        response = await http.get("/id?token=do-not-log", headers={REQUEST_ID_HEADER: "req-12345"})
    assert response.headers[REQUEST_ID_HEADER] == "req-12345"
    assert response.json() == {"request_id": "req-12345"}
    inside, access = json_log.lines()
    assert (inside["event"], inside["request_id"]) == ("inside", "req-12345")
    assert isinstance(access.pop("duration_ms"), float)
    access.pop("timestamp")
    assert access == {
        "event": "request",
        "method": "GET",
        "path": "/id",  # the query string stays out of the log: it can carry tokens
        "status": 200,
        "request_id": "req-12345",
        "level": "info",
        "logger": "foundry_test.access",
    }


@pytest.mark.parametrize("incoming", [None, "bad id with spaces", "x" * 129])
async def test_a_missing_or_malformed_id_is_replaced_by_a_new_one(incoming: str | None) -> None:
    recorded = RecordedAccessLog()
    headers = {REQUEST_ID_HEADER: incoming} if incoming is not None else {}
    async with client(make_app(recorded)) as http:
        first = await http.get("/id", headers=headers)
        second = await http.get("/id", headers=headers)
    made = first.headers[REQUEST_ID_HEADER]
    assert made != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert first.json() == {"request_id": made}
    assert second.headers[REQUEST_ID_HEADER] != made
    assert [line.request_id for line in recorded.lines] == [made, second.headers[REQUEST_ID_HEADER]]


async def test_a_request_whose_app_raises_is_logged_as_a_500(json_log: JsonLog) -> None:
    json_log.start()
    async with client(make_app(StructlogAccessLog(logger_name="foundry_test.access"))) as http:
        response = await http.get("/boom", headers={REQUEST_ID_HEADER: "req-boom"})
    assert response.status_code == 500
    (access,) = [line for line in json_log.lines() if line["event"] == "request"]
    assert (access["path"], access["status"], access["request_id"]) == ("/boom", 500, "req-boom")


async def test_the_access_line_carries_the_apps_fields_but_not_an_inner_layers_bindings(
    json_log: JsonLog,
) -> None:
    json_log.start()
    app = make_app(StructlogAccessLog(logger_name="foundry_test.access"), inner=[Middleware(BindsUser)])
    async with client(app) as http:
        await http.get("/id", headers={REQUEST_ID_HEADER: "req-u"})
        await http.get("/tagged", headers={REQUEST_ID_HEADER: "req-t"})
    inside, first, second = json_log.lines()
    assert (inside["event"], inside["user"], inside["request_id"]) == ("inside", "user_1", "req-u")
    assert first["event"] == "request"
    assert "user" not in first
    assert "user" not in second
    assert second["origin"] == "api"


async def _drive(app: ASGIApp, *, headers: list[tuple[bytes, bytes]] | None = None) -> list[Message]:
    """One GET through `app` as raw ASGI messages: what the server would have been sent."""
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers or [],
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_the_line_is_written_before_the_last_byte_leaves() -> None:
    recorded = RecordedAccessLog()
    seen: list[str] = []

    async def streamed(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 206, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        seen.append(f"after first chunk: {len(recorded.lines)} lines")
        await send({"type": "http.response.body", "body": b"b", "more_body": False})
        seen.append(f"after last chunk: {len(recorded.lines)} lines")

    async def server_send(message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            seen.append(f"last chunk sent with {len(recorded.lines)} lines")

    middleware = RequestContextMiddleware(streamed, access_log=recorded)
    await middleware(
        {"type": "http", "method": "GET", "path": "/", "headers": []},
        _no_body,
        server_send,
    )
    assert seen == ["after first chunk: 0 lines", "last chunk sent with 1 lines", "after last chunk: 1 lines"]
    assert [line.status for line in recorded.lines] == [206]


async def test_with_a_declared_length_the_line_is_written_before_the_bytes_that_complete_it() -> None:
    """A proxy relays a body in chunks and closes with an empty message: the client has the whole
    response with the last data chunk, so that is where the line must already be written."""
    recorded = RecordedAccessLog()
    seen: list[str] = []

    async def relayed(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
        for chunk in (b"ab", b"cd", b""):
            await send({"type": "http.response.body", "body": chunk, "more_body": chunk != b""})

    async def server_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            seen.append(f"{message['body']!r} sent with {len(recorded.lines)} lines")

    middleware = RequestContextMiddleware(relayed, access_log=recorded, assign_request_id=False)
    await middleware({"type": "http", "method": "GET", "path": "/", "headers": []}, _no_body, server_send)
    assert seen == ["b'ab' sent with 0 lines", "b'cd' sent with 1 lines", "b'' sent with 1 lines"]
    assert len(recorded.lines) == 1


@pytest.mark.parametrize(("method", "status"), [("HEAD", 200), ("GET", 204), ("GET", 304)])
async def test_a_response_without_a_body_is_logged_before_its_headers_leave(method: str, status: int) -> None:
    recorded = RecordedAccessLog()
    seen: list[str] = []

    async def bodyless(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"10")]})
        await send({"type": "http.response.body", "body": b""})

    async def server_send(message: Message) -> None:
        seen.append(f"{message['type']} sent with {len(recorded.lines)} lines")

    middleware = RequestContextMiddleware(bodyless, access_log=recorded)
    await middleware({"type": "http", "method": method, "path": "/", "headers": []}, _no_body, server_send)
    assert seen == ["http.response.start sent with 1 lines", "http.response.body sent with 1 lines"]
    assert [line.status for line in recorded.lines] == [status]


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def test_a_request_without_a_response_is_logged_once_without_a_status() -> None:
    recorded = RecordedAccessLog()

    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    assert await _drive(RequestContextMiddleware(silent, access_log=recorded)) == []
    assert [line.status for line in recorded.lines] == [None]


async def test_other_scopes_pass_through_without_a_context() -> None:
    recorded = RecordedAccessLog()
    reached: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope)

    await RequestContextMiddleware(app, access_log=recorded)({"type": "lifespan"}, _no_body, _discard)
    assert [request_context_of(scope) for scope in reached] == [None]
    assert recorded.lines == []


async def _discard(message: Message) -> None:
    return None


# -- a proxy (the twin's edge): requests pass on unchanged, the id is learnt from the response


def _origin(answer_id: bytes | None) -> ASGIApp:
    async def origin(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"x-request-id", answer_id)] if answer_id is not None else []
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    return origin


@pytest.mark.parametrize(
    ("incoming", "answered", "logged"),
    [
        (b"viewer-1", b"viewer-1", "viewer-1"),
        (None, b"origin-made", "origin-made"),
        (b"bad id", b"origin-made", "origin-made"),
        (None, None, None),
        (None, b"bad id", None),
    ],
)
async def test_a_proxy_makes_and_adds_no_id_and_logs_the_one_it_sees(
    incoming: bytes | None, answered: bytes | None, logged: str | None
) -> None:
    recorded = RecordedAccessLog()
    middleware = RequestContextMiddleware(_origin(answered), access_log=recorded, assign_request_id=False)
    sent = await _drive(middleware, headers=[(b"x-request-id", incoming)] if incoming is not None else [])
    response_ids = [value for name, value in sent[0]["headers"] if name == b"x-request-id"]
    assert response_ids == ([answered] if answered is not None else [])
    assert [line.request_id for line in recorded.lines] == [logged]


async def test_a_service_answers_with_its_own_id_whatever_the_app_set() -> None:
    recorded = RecordedAccessLog()
    middleware = RequestContextMiddleware(_origin(b"someone-else"), access_log=recorded)
    sent = await _drive(middleware, headers=[(b"x-request-id", b"req-own")])
    assert [value for name, value in sent[0]["headers"] if name == b"x-request-id"] == [b"req-own"]
