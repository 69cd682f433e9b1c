"""The local twin's edge: the CloudFront distribution of spec §1 and §13, played on 127.0.0.1.

It mirrors `foundry_infra.edge.distribution` behaviour for behaviour, from the shared contract:

- path behaviors in CloudFront's order and with its matching rules: `API_PATH_PATTERNS` go to the
  api origin, `STATIC_ASSETS_PATTERN` to the web files with a year-long immutable cache, everything
  else to the web files through the SPA viewer-request rewrite (`SPA_REWRITE`, ported below);
- toward api: every method, every viewer header but Host (AllViewerExceptHostHeader), the
  origin-verify secret (a client's own value is dropped), X-Forwarded-For appended, no caching, a
  1 MiB body cap (413), 502 when the origin is unreachable, 504 when it is too slow;
- the web origin is a directory (the built `services/web/dist`) served like the S3 bucket: a missing
  file is 404 (S3 answers 403 without ListBucket, 404 with it; 404 is the more honest local answer);
- `SECURITY_HEADERS` on every response, replacing the origin's (the policy's `override=True`);
- optionally the web ACL of the environment it mirrors (`edge_waf`): a blocked request gets
  CloudFront's 403 page, and the log line names the rule that decided;
- with tracing on (OTEL_* variables, foundry_runtime.tracing) a span per request, service.name `edge`,
  that continues the viewer's `traceparent` or starts a trace, and passes its own on to api. Off, the
  viewer's header goes through untouched, as CloudFront forwards it.

There is deliberately no route to the `ai` service: in AWS it is private (spec §13), reached only
from api, so the router is never told its URL. Local-only extras (the dev sign-in issuer) are mounted
at exact paths under `/__`, a prefix the product never uses, so nothing local can shadow a real
route. One JSON line per request goes to stdout.

From Python: `with EdgeServer(create_edge_app(...), port=8080) as edge: ...`. From a shell:
`python -m foundry_twin.edge --port 8080 --api-origin http://127.0.0.1:8000
--web-root services/web/dist --origin-verify-secret-file .foundry/twin/origin-verify`.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import logging
import mimetypes
import re
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import formatdate
from functools import partial
from pathlib import Path
from types import FrameType, MappingProxyType
from typing import Literal

import httpx
from foundry_contract import (
    API_PATH_PATTERNS,
    CSP_HEADER,
    ORIGIN_VERIFY_HEADER,
    SECURITY_HEADERS,
    SPA_FALLBACK_DOCUMENT,
    STATIC_ASSETS_PATTERN,
    content_security_policy,
)
from foundry_runtime import (
    ClientDisconnectedError,
    RequestContext,
    RequestContextMiddleware,
    read_body,
    request_context_of,
)
from foundry_runtime.trace_context import current_trace_id
from foundry_runtime.tracing import Tracing, TracingConfigError, configure_tracing, package_version
from foundry_waf import WebAclEvaluator
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, request_response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foundry_twin.edge_waf import WAF_SCOPE_KEY, WebAclGuard, load_web_acl
from foundry_twin.serving import BackgroundServer
from foundry_twin.serving import PortInUseError as PortInUseError  # re-exported: callers catch it here

HOST = "127.0.0.1"
EDGE_HEALTH_PATH = "/__edge/health"
LOCAL_ROUTE_PREFIX = "/__"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_CONNECT_TIMEOUT_SECONDS = 2.0
# CloudFront's origin read timeout for api (`read_timeout=Duration.seconds(30)` in distribution.py).
DEFAULT_READ_TIMEOUT_SECONDS = 30.0
STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_TIMEOUT_SECONDS = 10.0
ASSETS_CACHE_CONTROL = "public, max-age=31536000, immutable"
# Outside /assets/ names are not content-hashed: revalidate (ETag) so a rebuild shows up at once.
REVALIDATE_CACHE_CONTROL = "no-cache"

Behavior = Literal["api", "assets", "web"]
Origin = Literal["api", "web", "local", "edge"]
RequestHandler = Callable[[Request], Awaitable[Response]]

# CloudFront evaluates additional behaviors in order, then the default (distribution.py's order).
BEHAVIORS: tuple[tuple[str, Behavior], ...] = (
    *((pattern, "api") for pattern in API_PATH_PATTERNS),
    (STATIC_ASSETS_PATTERN, "assets"),
)

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_SECURITY_HEADER_NAMES = frozenset(name.lower() for name in SECURITY_HEADERS)
_SECURITY_HEADER_ITEMS = tuple((k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items())
_VIA = "1.1 foundry-edge (local twin)"
_CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".wasm": "application/wasm",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".pdf": "application/pdf",
}

access_logger = logging.getLogger(__name__)


# -- CloudFront's rules, as pure functions


def _compile_path_pattern(pattern: str) -> re.Pattern[str]:
    # CloudFront path patterns: case-sensitive, `*` is any run of characters (slashes included), `?`
    # exactly one, the rest literal, and the pattern covers the whole path; the leading `/` is optional.
    if not pattern.startswith(("/", "*")):
        pattern = "/" + pattern
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL)


_COMPILED_BEHAVIORS = tuple((_compile_path_pattern(p), behavior) for p, behavior in BEHAVIORS)


def matches_path_pattern(pattern: str, path: str) -> bool:
    """Whether a CloudFront cache-behavior path pattern matches a (query-free) request path."""
    return _compile_path_pattern(pattern).fullmatch(path) is not None


def behavior_for(path: str) -> Behavior:
    """The cache behavior CloudFront picks for a normalized path: the first matching pattern wins."""
    for regex, behavior in _COMPILED_BEHAVIORS:
        if regex.fullmatch(path):
            return behavior
    return "web"


def normalize_path(path: str) -> str:
    """RFC 3986 dot-segment removal, which CloudFront applies before matching behaviors."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    normalized = "/" + "/".join(kept)
    if segments and segments[-1] in (".", "..") and not normalized.endswith("/"):
        normalized += "/"
    return normalized


def spa_rewrite(uri: str) -> str:
    """`SPA_REWRITE` (distribution.py) in Python: a last segment without '.' is a client-side route.

    JavaScript's `lastIndexOf` and Python's `rfind` both answer -1 when absent, so the comparison
    ports unchanged.
    """
    if uri.rfind(".") <= uri.rfind("/"):
        return SPA_FALLBACK_DOCUMENT
    return uri


def content_type_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name, strict=False)
    return guessed or "application/octet-stream"


# -- the request's log line, filled in as the request travels (foundry_runtime's request context)


def _record_origin(scope: Scope, origin: Origin) -> None:
    context = request_context_of(scope)
    if context is not None:
        context.log_fields["origin"] = origin


async def _send_error(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    await PlainTextResponse(f"{status} {text}\n", status_code=status)(scope, receive, send)


class _EdgeMiddleware:
    """Security headers on every response, and a 500 that keeps them and the access line."""

    def __init__(self, app: ASGIApp, *, content_security_policy: str | None = None) -> None:
        self.app = app
        # CloudFront's policy also sets the CSP (foundry_contract.content_security_policy), with this
        # environment's hosts: the twin's is built by the same function with the twin's S3.
        self.headers = _SECURITY_HEADER_ITEMS + (
            ((CSP_HEADER.lower().encode(), content_security_policy.encode()),)
            if content_security_policy
            else ()
        )
        self.replaced = _SECURITY_HEADER_NAMES | {CSP_HEADER.lower()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower().decode("latin-1") not in self.replaced
                ]
                headers.extend(self.headers)
                if not any(name.lower() == b"date" for name, _ in headers):
                    headers.append((b"date", formatdate(usegmt=True).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except ClientDisconnectedError:
            pass  # the viewer left before its body arrived: nobody to answer (logged as 499)
        except Exception:
            access_logger.exception("edge: unhandled error on %s %s", scope["method"], scope["path"])
            if response_started:
                raise
            await _send_error(scope, receive, send_with_headers, 500, "Internal Server Error")


def _write_access_line(*, scope: Scope, context: RequestContext) -> None:
    # The query string stays out of the log: it can carry tokens.
    line = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": context.method,
        "path": context.path,
        "status": 499 if context.status is None else context.status,
        "origin": context.log_fields.get("origin", "edge"),
        "duration_ms": context.duration_ms(),
    }
    if context.request_id is not None:  # the viewer's, or the one api answered with
        line["request_id"] = context.request_id
    trace_id = current_trace_id()
    if trace_id is not None:  # the edge's span's trace, which api's lines name too
        line["trace_id"] = trace_id
    if WAF_SCOPE_KEY in scope:  # the web ACL's decision and the rule that made it
        line["waf"] = scope[WAF_SCOPE_KEY]
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


# -- origins


class _WebOrigin:
    """The S3 origin: a key is a file under the root, or nothing; never a path outside the root."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve(strict=True)

    def locate(self, uri: str) -> Path | None:
        key = uri.removeprefix("/")
        parts = key.split("/")
        if not key or "\x00" in key or any(part in ("", ".", "..") for part in parts):
            return None
        try:
            found = self.root.joinpath(*parts).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not found.is_relative_to(self.root) or not found.is_file():
            return None
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _record_origin(scope, "web")
        if scope["method"] not in ("GET", "HEAD"):
            # CloudFront's answer for a method outside the behavior's allowed methods (GET, HEAD).
            await _send_error(scope, receive, send, 403, "Forbidden: method not allowed on this path")
            return
        path = normalize_path(scope["path"])
        behavior = behavior_for(path)
        uri = path if behavior == "assets" else spa_rewrite(path)
        file = self.locate(uri)
        if file is None:
            await _send_error(scope, receive, send, 404, "Not Found")
            return
        cache_control = ASSETS_CACHE_CONTROL if behavior == "assets" else REVALIDATE_CACHE_CONTROL
        response: Response = FileResponse(
            file,
            media_type=content_type_for(file),
            headers={"cache-control": cache_control},
            stat_result=file.stat(),
        )
        if _etag_matches(Headers(scope=scope).get("if-none-match"), response.headers["etag"]):
            kept = {k: response.headers[k] for k in ("etag", "last-modified", "cache-control")}
            response = Response(status_code=304, headers=kept)
        await response(scope, receive, send)


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag.removeprefix("W/") in candidates


class _ApiOrigin:
    """The App Runner api origin behind the AllViewerExceptHostHeader policy, caching disabled."""

    def __init__(
        self, base: httpx.URL, *, secret: str, client: httpx.AsyncClient, max_body_bytes: int
    ) -> None:
        self.base = str(base).rstrip("/")
        self.secret = secret.encode()
        self.client = client
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _record_origin(scope, "api")
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            status = 400 if not declared.isdigit() else 413
            await _send_error(
                scope, receive, send, status, "Bad Request" if status == 400 else "Request Entity Too Large"
            )
            return
        body = await read_body(receive, limit=self.max_body_bytes)
        if body is None:
            await _send_error(scope, receive, send, 413, "Request Entity Too Large")
            return
        target = scope.get("raw_path") or scope["path"].encode()
        url = self.base + target.decode("latin-1")
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        request = self.client.build_request(
            scope["method"], url, headers=self._upstream_headers(scope), content=body
        )
        try:
            upstream = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            await _send_error(
                scope, receive, send, 504, "Gateway Timeout: the api origin did not answer in time"
            )
            return
        except httpx.LocalProtocolError as error:
            # A request HTTP/1.1 cannot carry on (a header value with a control character): the
            # viewer's fault, so a 400 as CloudFront gives, never a 502 blaming the origin.
            await _send_error(scope, receive, send, 400, f"Bad Request: {error}")
            return
        except httpx.TransportError:
            await _send_error(scope, receive, send, 502, "Bad Gateway: the api origin is unreachable")
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": upstream.status_code,
                    "headers": _relayed_response_headers(upstream.headers.raw),
                }
            )
            async for chunk in upstream.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except httpx.TransportError as error:
            # Headers are gone already: like CloudFront, cut the connection rather than fake an end.
            access_logger.warning("edge: api origin failed mid-response: %r", error)
        finally:
            await upstream.aclose()

    def _upstream_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        viewer: list[tuple[bytes, bytes]] = scope["headers"]
        dropped = {
            *_HOP_BY_HOP,
            *_connection_tokens(viewer),
            "host",
            "content-length",
            "expect",
            "x-forwarded-for",
            "via",
            # The secret is the edge's to set: a viewer's value is never passed on, nor echoed.
            ORIGIN_VERIFY_HEADER.lower(),
        }
        # RFC 9110 §5.5: white space around a field value is not part of it. A value that ends in a
        # space (`Authorization: Bearer `) is forwarded trimmed, as CloudFront does, and api answers
        # for it (401), where h11 would refuse to send it and the edge would report a 502.
        headers = [(k, v.strip(b" \t")) for k, v in viewer if k.decode("latin-1").lower() not in dropped]
        client = scope.get("client")
        forwarded = [v.decode("latin-1") for k, v in viewer if k.lower() == b"x-forwarded-for"]
        forwarded.append(client[0] if client else "unknown")
        via = [v.decode("latin-1") for k, v in viewer if k.lower() == b"via"]
        via.append(_VIA)
        headers.append((b"x-forwarded-for", ", ".join(forwarded).encode("latin-1")))
        headers.append((b"via", ", ".join(via).encode("latin-1")))
        headers.append((ORIGIN_VERIFY_HEADER.lower().encode(), self.secret))
        return headers


def _connection_tokens(headers: Sequence[tuple[bytes, bytes]]) -> set[str]:
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
        if token.strip()
    }


def _relayed_response_headers(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    # The origin-verify secret never travels back to a viewer, even if api were to echo it.
    dropped = _HOP_BY_HOP | _connection_tokens(headers) | {ORIGIN_VERIFY_HEADER.lower()}
    return [(k.lower(), v) for k, v in headers if k.decode("latin-1").lower() not in dropped]


class _Behaviors:
    """CloudFront's behavior selection for every path the local routes do not claim."""

    def __init__(self, api: _ApiOrigin, web: _WebOrigin) -> None:
        self.api = api
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        if behavior_for(normalize_path(scope["path"])) == "api":
            await self.api(scope, receive, send)
        else:
            await self.web(scope, receive, send)


class _LocalRoute:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _record_origin(scope, "local")
        await self.app(scope, receive, send)


def _as_asgi(target: ASGIApp | RequestHandler) -> ASGIApp:
    # Starlette's own convention (Route): a plain function or method is a `Request -> Response`
    # handler, anything else (an app, a Router, an instance with __call__) is an ASGI app.
    unwrapped: object = target
    while isinstance(unwrapped, partial):
        unwrapped = unwrapped.func
    if inspect.isfunction(unwrapped) or inspect.ismethod(unwrapped):
        return request_response(target)  # type: ignore[arg-type]
    return target  # type: ignore[return-value]


async def _edge_health(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _api_base(api_origin: str) -> httpx.URL:
    url = httpx.URL(api_origin)
    if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise ValueError(f"api_origin must be an http(s) URL without query or fragment, not {api_origin!r}")
    return url


def create_edge_app(
    *,
    api_origin: str,
    web_root: Path,
    origin_verify_secret: str,
    extra_routes: Mapping[str, ASGIApp | RequestHandler] = MappingProxyType({}),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS,
    web_acl: WebAclEvaluator | None = None,
    content_security_policy: str | None = None,
    tracing: Tracing | None = None,
) -> Starlette:
    """The edge as an ASGI app: CloudFront's behaviors, plus `extra_routes` at exact `/__…` paths.

    With `web_acl` every request CloudFront would serve is first evaluated by that web ACL (the
    local-only routes are not CloudFront's, so not the web ACL's).

    `extra_routes` values are ASGI apps, or `async def handler(request) -> Response` functions
    (which receive every method). Run it with `EdgeServer` so its lifespan closes the api client.
    """
    base = _api_base(api_origin)
    if not origin_verify_secret.strip():
        raise ValueError("origin_verify_secret must not be empty: api rejects requests without it")
    if not web_root.is_dir():
        raise ValueError(f"web_root {web_root} is not a directory (build services/web first)")
    if max_body_bytes < 0:
        raise ValueError("max_body_bytes must not be negative")
    for path in extra_routes:
        if not path.startswith(LOCAL_ROUTE_PREFIX) or path == EDGE_HEALTH_PATH or "{" in path:
            raise ValueError(
                f"extra route {path!r}: local-only routes are exact paths under {LOCAL_ROUTE_PREFIX!r} "
                f"(other than {EDGE_HEALTH_PATH}) so they can never shadow a route CloudFront serves"
            )
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        ),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30),
        follow_redirects=False,
        trust_env=False,
    )
    # httpx adds Accept-Encoding, User-Agent and friends by default; the edge sends the viewer's only.
    client.headers.clear()
    tracing = tracing or Tracing.off()
    # Traced, the call to api is a client span whose traceparent replaces the viewer's.
    tracing.instrument_httpx(client)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.aclose()

    api = _ApiOrigin(base, secret=origin_verify_secret.strip(), client=client, max_body_bytes=max_body_bytes)
    behaviors: ASGIApp = _Behaviors(api, _WebOrigin(web_root))
    if web_acl is not None:
        behaviors = WebAclGuard(
            behaviors,
            evaluator=web_acl,
            read_body=partial(read_body, limit=max_body_bytes),
            send_error=_send_error,
        )
    app = Starlette(
        routes=[
            Route(EDGE_HEALTH_PATH, _edge_health, methods=["GET"]),
            *(Route(path, _LocalRoute(_as_asgi(target))) for path, target in extra_routes.items()),
            Mount("", app=behaviors),
        ],
        middleware=[
            # CloudFront adds no X-Request-Id: the edge passes the viewer's on and logs it, or the
            # one api answered with, so its line and api's name the same request.
            Middleware(RequestContextMiddleware, access_log=_write_access_line, assign_request_id=False),
            Middleware(_EdgeMiddleware, content_security_policy=content_security_policy),
        ],
        lifespan=lifespan,
    )
    # The edge span around everything the edge does, the access line included (it names the trace).
    tracing.instrument_app(app)
    return app


# -- running it


class EdgeServer(BackgroundServer):
    """Runs an edge app with uvicorn in a background thread on 127.0.0.1 (port 0 picks a free one)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = HOST,
        port: int = 0,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
        shutdown_timeout: float = SHUTDOWN_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(
            app,
            name="edge",
            host=host,
            port=port,
            in_use_message="edge: {host}:{port} is already in use (another twin running?)",
            startup_timeout=startup_timeout,
            shutdown_timeout=shutdown_timeout,
            lifespan="on",
            # The edge is the viewer's first hop: its X-Forwarded-For is data to append to, not truth.
            proxy_headers=False,
            server_header=False,
            date_header=False,
        )


DEV_TOKEN_PATH = "/__dev/token"  # noqa: S105 - a URL path, not a secret


def dev_token_forwarder(token_url: str) -> RequestHandler:
    """POST /__dev/token on the edge → the twin's issuer (the web app's dev sign-in; local only)."""

    async def forward(request: Request) -> Response:
        if request.method != "POST":
            return JSONResponse({"error": 'POST a JSON body {"user": NAME}'}, status_code=405)
        body = await request.body()
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            try:
                answer = await client.post(
                    token_url, content=body, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError:
                return JSONResponse({"error": "the dev sign-in issuer is not answering"}, status_code=502)
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    return forward


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m foundry_twin.edge",
        description="The local twin's edge: CloudFront's behaviors on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument(
        "--api-origin", required=True, help="the api service's URL, e.g. http://127.0.0.1:8000"
    )
    parser.add_argument("--web-root", type=Path, required=True, help="the built web app (services/web/dist)")
    parser.add_argument(
        "--origin-verify-secret-file",
        type=Path,
        required=True,
        help="file holding the origin-verify secret (a file, so the secret never shows in ps)",
    )
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    parser.add_argument(
        "--web-acl-template",
        type=Path,
        help="a synthesized edge stack template (Foundry-ENV-edge.template.json) whose web ACL to apply",
    )
    parser.add_argument(
        "--dev-token-url",
        help="the twin's issuer token endpoint, served at /__dev/token for the web app's dev sign-in",
    )
    parser.add_argument(
        "--uploads-origin",
        action="append",
        default=[],
        help="where the browser PUTs and GETs uploads (the twin's S3); turns the CSP on, as CloudFront's",
    )
    args = parser.parse_args(argv)
    try:
        tracing = configure_tracing(
            service_name="edge", environment="local", version=package_version("foundry-twin")
        )
    except TracingConfigError as error:
        print(f"edge: {error}", file=sys.stderr)
        return 2
    try:
        secret = args.origin_verify_secret_file.read_text(encoding="utf-8").strip()
        web_acl = load_web_acl(args.web_acl_template) if args.web_acl_template else None
        app = create_edge_app(
            web_acl=web_acl,
            content_security_policy=content_security_policy(
                uploads=tuple(args.uploads_origin), clerk_frontend_api=None
            )
            if args.uploads_origin
            else None,
            api_origin=args.api_origin,
            web_root=args.web_root,
            origin_verify_secret=secret,
            max_body_bytes=args.max_body_bytes,
            extra_routes={DEV_TOKEN_PATH: dev_token_forwarder(args.dev_token_url)}
            if args.dev_token_url
            else {},
            tracing=tracing,
        )
    except (OSError, ValueError) as error:
        print(f"edge: {error}", file=sys.stderr)
        return 2

    stopping = threading.Event()

    def request_stop(signum: int, _: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        server = EdgeServer(app, port=args.port).start()
    except (PortInUseError, RuntimeError) as error:
        print(str(error), file=sys.stderr)
        return 1
    try:
        print(f"edge listening on {server.url}", flush=True)
        while not stopping.wait(0.2):
            pass
    finally:
        server.stop()
        tracing.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
