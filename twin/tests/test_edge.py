"""The local edge router, exercised over real HTTP on 127.0.0.1 against a real upstream stand-in."""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from foundry_contract import (
    API_PATH_PATTERNS,
    ORIGIN_VERIFY_HEADER,
    SECURITY_HEADERS,
    STATIC_ASSETS_PATTERN,
    content_security_policy,
)
from foundry_twin.edge import (
    ASSETS_CACHE_CONTROL,
    BEHAVIORS,
    DEFAULT_MAX_BODY_BYTES,
    EDGE_HEALTH_PATH,
    EdgeServer,
    PortInUseError,
    behavior_for,
    create_edge_app,
    matches_path_pattern,
    normalize_path,
    spa_rewrite,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

SECRET = "s3cret-origin-verify"
INDEX = b"<!doctype html><title>foundry</title>"
APP_JS = b"console.log('app');"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
REPO = Path(__file__).resolve().parents[2]


# -- the api stand-in: echoes what reached it


async def _echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": [[k, v] for k, v in request.headers.items()],
            "body": body.decode(),
        },
        headers={"x-echo-method": request.method},
    )


async def _status(request: Request) -> Response:
    return PlainTextResponse(
        "upstream says no",
        status_code=int(request.path_params["code"]),
        headers={"X-Frame-Options": "SAMEORIGIN", "Strict-Transport-Security": "max-age=1"},
    )


async def _odd_headers(_: Request) -> Response:
    response = PlainTextResponse("ok", headers={ORIGIN_VERIFY_HEADER: SECRET, "Keep-Alive": "timeout=5"})
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    return response


async def _stream(_: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(5):
            yield f"chunk{i};".encode()
            await asyncio.sleep(0.01)

    return StreamingResponse(chunks(), media_type="text/plain")


async def _answers_with_its_request_id(_: Request) -> Response:
    return PlainTextResponse("ok", headers={"X-Request-Id": "api-made-1"})


async def _slow(request: Request) -> Response:
    for _ in range(100):
        if await request.is_disconnected():
            break
        await asyncio.sleep(0.05)
    return PlainTextResponse("too late")


upstream_app = Starlette(
    routes=[
        Route("/api/status/{code:int}", _status),
        Route("/api/odd-headers", _odd_headers),
        Route("/api/stream", _stream),
        Route("/api/slow", _slow),
        Route("/api/request-id", _answers_with_its_request_id),
        Route("/{path:path}", _echo, methods=ALL_METHODS),
    ]
)


async def _dev_token(request: Request) -> Response:
    return JSONResponse({"token": "dev", "method": request.method})


async def _dev_jwks(scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse({"keys": []})(scope, receive, send)


async def _dev_boom(_: Request) -> Response:
    raise RuntimeError("boom")


class _JwksApp:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _dev_jwks(scope, receive, send)


# -- fixtures: one upstream and three edges for the whole module


@pytest.fixture(scope="module")
def web_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("edge")
    root = base / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "app.js").write_bytes(APP_JS)
    (root / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    (base / "secret.txt").write_text("outside the web root")
    (root / "leak.txt").symlink_to(base / "secret.txt")
    return root


@pytest.fixture(scope="module")
def upstream() -> Iterator[EdgeServer]:
    with EdgeServer(upstream_app) as server:
        yield server


@pytest.fixture(scope="module")
def edge(upstream: EdgeServer, web_root: Path) -> Iterator[EdgeServer]:
    app = create_edge_app(
        api_origin=upstream.url,
        web_root=web_root,
        origin_verify_secret=SECRET,
        extra_routes={"/__dev/token": _dev_token, "/__dev/jwks": _JwksApp(), "/__dev/boom": _dev_boom},
    )
    with EdgeServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def strict_edge(upstream: EdgeServer, web_root: Path) -> Iterator[EdgeServer]:
    app = create_edge_app(
        api_origin=upstream.url,
        web_root=web_root,
        origin_verify_secret=SECRET,
        max_body_bytes=1024,
        read_timeout=0.3,
    )
    with EdgeServer(app) as server:
        yield server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def dead_edge(web_root: Path) -> Iterator[EdgeServer]:
    app = create_edge_app(
        api_origin=f"http://127.0.0.1:{_free_port()}", web_root=web_root, origin_verify_secret=SECRET
    )
    with EdgeServer(app) as server:
        yield server


@pytest.fixture
def client(edge: EdgeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=edge.url, timeout=5) as c:
        yield c


def _received_headers(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k.lower(), v) for k, v in response.json()["headers"]]


def _received(response: httpx.Response, name: str) -> list[str]:
    return [v for k, v in _received_headers(response) if k == name.lower()]


def _raw_get(port: int, target: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_list(name) == [value], name


# -- CloudFront's rules as functions


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/graphql", "/graphql", True),
        ("/graphql", "/graphql/", False),
        ("/graphql", "/graphqlx", False),
        ("/graphql", "/GraphQL", False),
        ("/api/*", "/api/", True),
        ("/api/*", "/api/healthz", True),
        ("/api/*", "/api/a/b/c.json", True),
        ("/api/*", "/api", False),
        ("/api/*", "/apifoo", False),
        ("/api/*", "/API/x", False),
        ("/assets/*", "/assets/app.js", True),
        ("/images/*.jpg", "/images/a/b.jpg", True),
        ("/images/?.jpg", "/images/ab.jpg", False),
        ("/images/?.jpg", "/images/a.jpg", True),
        ("api/*", "/api/x", True),
        ("/a+b/*", "/a+b/c", True),
        ("/a+b/*", "/aab/c", False),
    ],
)
def test_cloudfront_path_patterns(pattern: str, path: str, expected: bool) -> None:
    assert matches_path_pattern(pattern, path) is expected


def test_behaviors_follow_the_distribution_in_order() -> None:
    assert [pattern for pattern, _ in BEHAVIORS] == [*API_PATH_PATTERNS, STATIC_ASSETS_PATTERN]
    assert behavior_for("/graphql") == "api"
    assert behavior_for("/api/x") == "api"
    assert behavior_for("/assets/x.js") == "assets"
    for path in ("/", "/graphqlx", "/apifoo", "/uploads", "/ai", "/v1/complete", "/assets"):
        assert behavior_for(path) == "web", path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "/"),
        ("/a/./b", "/a/b"),
        ("/a/../b", "/b"),
        ("/../../etc/passwd", "/etc/passwd"),
        ("/api/../secret.txt", "/secret.txt"),
        ("/a/b/..", "/a/"),
        ("/a//b", "/a//b"),
    ],
)
def test_dot_segments_are_removed_before_matching(path: str, expected: str) -> None:
    assert normalize_path(path) == expected


SPA_CASES = [
    "/",
    "",
    "/index.html",
    "/deep/route",
    "/uploads",
    "/favicon.ico",
    "/assets/app.js",
    "/a.b/c",
    "/v1.2/",
    "/file.",
    "/.well-known/thing",
    "/.env",
    "/users/42",
    "/report.2024/summary",
]


@pytest.mark.parametrize("uri", SPA_CASES)
def test_spa_rewrite_cases(uri: str) -> None:
    has_extension = uri.rfind(".") > uri.rfind("/")
    assert spa_rewrite(uri) == (uri if has_extension else "/index.html")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_spa_rewrite_agrees_with_the_cloudfront_function() -> None:
    # Read SPA_REWRITE from distribution.py's source (importing it would pull in aws_cdk).
    source = (REPO / "infra" / "foundry_infra" / "edge" / "distribution.py").read_text()
    function = next(
        node.value.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "SPA_REWRITE" for t in node.targets)
        and isinstance(node.value, ast.Constant)
    )
    assert isinstance(function, str)
    script = (
        f"{function}\nconst cases = {json.dumps(SPA_CASES)};\n"
        "console.log(JSON.stringify(cases.map(u => handler({request: {uri: u}}).uri)));"
    )
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=10, check=True)
    assert json.loads(result.stdout) == [spa_rewrite(uri) for uri in SPA_CASES]


def test_the_router_knows_nothing_of_the_ai_service() -> None:
    names = [*inspect.signature(create_edge_app).parameters, *inspect.signature(EdgeServer).parameters]
    assert not [name for name in names if "ai" in name.split("_")]
    assert "edge" not in [pattern.strip("/*") for pattern in API_PATH_PATTERNS]


def test_module_does_not_import_cdk() -> None:
    code = "import sys, foundry_twin.edge; assert not [m for m in sys.modules if m.startswith('aws_cdk')]"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=30).returncode == 0


def test_configuration_is_validated(web_root: Path) -> None:
    good = {"api_origin": "http://127.0.0.1:1", "web_root": web_root, "origin_verify_secret": SECRET}
    with pytest.raises(ValueError, match="api_origin"):
        create_edge_app(**{**good, "api_origin": "ftp://x"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="origin_verify_secret"):
        create_edge_app(**{**good, "origin_verify_secret": " "})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="web_root"):
        create_edge_app(**{**good, "web_root": web_root / "nope"})  # type: ignore[arg-type]
    for path in ("/api/dev", "/graphql", "/login", EDGE_HEALTH_PATH):
        with pytest.raises(ValueError, match="local-only"):
            create_edge_app(**good, extra_routes={path: _dev_token})  # type: ignore[arg-type]


# -- toward api


def test_graphql_post_reaches_api_with_the_origin_verify_header(client: httpx.Client) -> None:
    response = client.post("/graphql", json={"query": "{ me { id } }"})
    assert response.status_code == 200
    assert response.json()["method"] == "POST"
    assert response.json()["path"] == "/graphql"
    assert json.loads(response.json()["body"]) == {"query": "{ me { id } }"}
    assert _received(response, ORIGIN_VERIFY_HEADER) == [SECRET]
    assert ORIGIN_VERIFY_HEADER.lower() not in response.headers


def test_api_get_with_query_string(client: httpx.Client) -> None:
    response = client.get("/api/healthz?deep=1&x=%20y")
    assert response.status_code == 200
    assert response.json()["path"] == "/api/healthz"
    assert response.json()["query"] == "deep=1&x=%20y"
    assert _received(response, ORIGIN_VERIFY_HEADER) == [SECRET]
    assert client.get("/graphql?query=%7B__typename%7D").json()["query"] == "query=%7B__typename%7D"


def test_a_client_cannot_smuggle_the_origin_verify_header(client: httpx.Client) -> None:
    smuggled = httpx.Headers([(ORIGIN_VERIFY_HEADER, "forged"), (ORIGIN_VERIFY_HEADER.lower(), "again")])
    response = client.get("/api/x", headers=smuggled)
    assert _received(response, ORIGIN_VERIFY_HEADER) == [SECRET]


def test_host_is_not_forwarded_other_headers_are(client: httpx.Client, upstream: EdgeServer) -> None:
    response = client.get(
        "/api/x",
        headers={
            "X-Custom": "kept",
            "Authorization": "Bearer t",
            "Cookie": "session=1",
            "X-Forwarded-For": "203.0.113.7",
            "Connection": "keep-alive, X-Drop-Me",
            "X-Drop-Me": "hop-by-hop",
        },
    )
    assert _received(response, "host") == [f"127.0.0.1:{upstream.port}"]
    assert _received(response, "x-custom") == ["kept"]
    assert _received(response, "authorization") == ["Bearer t"]
    assert _received(response, "cookie") == ["session=1"]
    assert _received(response, "x-forwarded-for") == ["203.0.113.7, 127.0.0.1"]
    assert _received(response, "x-drop-me") == []
    assert _received(response, "connection") in ([], ["keep-alive"])
    assert _received(response, "user-agent") == [client.headers["user-agent"]]


@pytest.mark.parametrize("method", ALL_METHODS)
def test_every_method_reaches_api(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/api/things/1", content=b"" if method in ("GET", "HEAD") else b"x")
    assert response.status_code == 200
    assert response.headers["x-echo-method"] == method


def test_api_statuses_headers_and_streams_are_relayed(client: httpx.Client) -> None:
    error = client.get("/api/status/500")
    assert (error.status_code, error.text) == (500, "upstream says no")
    _assert_security_headers(error)
    assert client.get("/api/status/418").status_code == 418
    odd = client.get("/api/odd-headers")
    assert odd.headers.get_list("set-cookie")[0].startswith("a=1")
    assert len(odd.headers.get_list("set-cookie")) == 2
    assert ORIGIN_VERIFY_HEADER.lower() not in odd.headers
    assert "keep-alive" not in odd.headers
    assert client.get("/api/stream").text == "chunk0;chunk1;chunk2;chunk3;chunk4;"
    assert "cache-control" not in client.get("/api/x").headers


def test_api_down_is_502(dead_edge: EdgeServer) -> None:
    response = httpx.post(f"{dead_edge.url}/graphql", json={}, timeout=5)
    assert response.status_code == 502
    assert len(response.content) < 200
    _assert_security_headers(response)


def test_slow_api_is_504(strict_edge: EdgeServer) -> None:
    started = time.monotonic()
    response = httpx.get(f"{strict_edge.url}/api/slow", timeout=5)
    assert response.status_code == 504
    assert time.monotonic() - started < 2
    _assert_security_headers(response)


def test_oversize_bodies_are_413(strict_edge: EdgeServer) -> None:
    with httpx.Client(base_url=strict_edge.url, timeout=5) as c:
        assert c.post("/graphql", content=b"x" * 1024).status_code == 200
        declared = c.post("/graphql", content=b"x" * 1025)
        assert declared.status_code == 413
        _assert_security_headers(declared)
        chunked = c.post("/graphql", content=iter([b"x" * 600, b"x" * 600]))
        assert chunked.status_code == 413


def test_default_body_cap_is_one_mebibyte(client: httpx.Client) -> None:
    assert DEFAULT_MAX_BODY_BYTES == 1024 * 1024
    response = client.post("/api/upload", content=b"y" * DEFAULT_MAX_BODY_BYTES)
    assert response.status_code == 200
    assert len(response.json()["body"]) == DEFAULT_MAX_BODY_BYTES


# -- the web origin


@pytest.mark.parametrize(
    "path", ["/", "/graphqlx", "/apifoo", "/api", "/uploads", "/deep/route", "/ai", "/v1/complete", "/__dev"]
)
def test_client_side_routes_get_the_app_shell(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.content == INDEX
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    _assert_security_headers(response)


def test_paths_for_the_ai_service_never_leave_the_web_origin(client: httpx.Client) -> None:
    for path in ("/ai/v1/chat/completions", "/v1/chat/completions"):
        assert client.get(path).content == INDEX
        assert client.post(path, json={}).status_code == 403


def test_assets_are_served_with_a_long_cache(client: httpx.Client) -> None:
    response = client.get("/assets/app.js?v=1")
    assert response.status_code == 200
    assert response.content == APP_JS
    assert response.headers["cache-control"] == ASSETS_CACHE_CONTROL
    assert response.headers["content-type"].startswith("text/javascript")
    _assert_security_headers(response)
    favicon = client.get("/favicon.ico")
    assert favicon.headers["content-type"] == "image/x-icon"
    assert favicon.headers["cache-control"] == "no-cache"


def test_missing_files_are_404_without_a_long_cache(client: httpx.Client) -> None:
    for path in ("/missing.js", "/assets/missing.js", "/assets/no-extension", "/assets/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "cache-control" not in response.headers
        _assert_security_headers(response)


def test_etag_revalidation(client: httpx.Client) -> None:
    first = client.get("/assets/app.js")
    again = client.get("/assets/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    _assert_security_headers(again)
    assert client.get("/", headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head("/assets/app.js")
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", str(len(APP_JS)))


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/../../secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/leak.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
    ],
)
def test_path_traversal_is_blocked(edge: EdgeServer, target: str) -> None:
    status, body = _raw_get(edge.port, target)
    assert status == 404
    assert b"outside the web root" not in body


def test_web_only_allows_get_and_head(client: httpx.Client) -> None:
    assert client.post("/", content=b"x").status_code == 403
    assert client.delete("/assets/app.js").status_code == 403


# -- local-only routes, health and the log


def test_extra_routes_answer_only_at_their_exact_path(client: httpx.Client) -> None:
    assert client.post("/__dev/token").json() == {"token": "dev", "method": "POST"}
    assert client.get("/__dev/jwks").json() == {"keys": []}
    _assert_security_headers(client.get("/__dev/token"))
    for other in ("/__dev/token/", "/__dev/other", "/__dev/tokens"):
        assert client.get(other).content == INDEX, other


def test_health_and_access_log(client: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    assert client.get(EDGE_HEALTH_PATH).json() == {"status": "ok"}
    client.get("/api/healthz?token=do-not-log")
    client.get("/missing.js")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    by_path = {line["path"]: line for line in lines}
    assert by_path[EDGE_HEALTH_PATH]["origin"] == "edge"
    assert by_path["/api/healthz"] | {"ts": "", "duration_ms": 0} == {
        "ts": "",
        "method": "GET",
        "path": "/api/healthz",
        "status": 200,
        "origin": "api",
        "duration_ms": 0,
    }
    assert by_path["/missing.js"]["status"] == 404
    assert by_path["/missing.js"]["origin"] == "web"
    assert not [line for line in lines if "do-not-log" in json.dumps(line)]


def test_the_log_names_the_request_id_the_viewer_sent_or_api_answered_with(
    client: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """CloudFront adds no X-Request-Id, so neither does the edge: it passes the viewer's on and logs
    it, or logs the one api answered with, so the edge's line and api's name the same request."""
    sent = client.get("/api/echo", headers={"X-Request-Id": "viewer-1"})
    assert ["x-request-id", "viewer-1"] in sent.json()["headers"]
    assert "x-request-id" not in sent.headers
    malformed = client.get("/api/echo", headers={"X-Request-Id": "bad id"})
    assert ["x-request-id", "bad id"] in malformed.json()["headers"]  # api's to refuse, not the edge's
    assert client.get("/api/request-id").headers["x-request-id"] == "api-made-1"
    assert "x-request-id" not in client.get("/").headers
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(line["path"], line.get("request_id")) for line in lines] == [
        ("/api/echo", "viewer-1"),
        ("/api/echo", None),
        ("/api/request-id", "api-made-1"),
        ("/", None),
    ]


def test_an_unhandled_error_is_a_500_that_keeps_the_headers_and_the_log(
    client: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.get("/__dev/boom")
    assert (response.status_code, response.text) == (500, "500 Internal Server Error\n")
    _assert_security_headers(response)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(line["path"], line["status"], line["origin"]) for line in lines] == [
        ("/__dev/boom", 500, "local")
    ]


def test_a_busy_port_is_a_clear_error(edge: EdgeServer) -> None:
    with pytest.raises(PortInUseError, match=f"127.0.0.1:{edge.port} is already in use"):
        EdgeServer(Starlette(), port=edge.port).start()


# -- the CLI


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    return process.stdout.readline() if ready else ""


def test_cli_serves_until_sigterm(tmp_path: Path, web_root: Path, upstream: EdgeServer) -> None:
    secret_file = tmp_path / "origin-verify"
    secret_file.write_text(SECRET + "\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "foundry_twin.edge",
            "--port",
            "0",
            "--api-origin",
            upstream.url,
            "--web-root",
            str(web_root),
            "--origin-verify-secret-file",
            str(secret_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert SECRET not in " ".join(map(str, process.args))  # type: ignore[arg-type]
        line = _read_line(process, 10)
        assert line.startswith("edge listening on http://127.0.0.1:"), line
        url = line.split()[-1]
        assert httpx.get(url + EDGE_HEALTH_PATH, timeout=5).status_code == 200
        assert _received(httpx.get(url + "/api/x", timeout=5), ORIGIN_VERIFY_HEADER) == [SECRET]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + EDGE_HEALTH_PATH, timeout=1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def test_cli_reports_a_busy_port_in_one_line(tmp_path: Path, web_root: Path, edge: EdgeServer) -> None:
    secret_file = tmp_path / "origin-verify"
    secret_file.write_text(SECRET)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "foundry_twin.edge",
            "--port",
            str(edge.port),
            "--api-origin",
            "http://127.0.0.1:1",
            "--web-root",
            str(web_root),
            "--origin-verify-secret-file",
            str(secret_file),
        ],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"edge: 127.0.0.1:{edge.port} is already in use (another twin running?)"
    ]
    help_text = subprocess.run(
        [sys.executable, "-m", "foundry_twin.edge", "--help"],
        capture_output=True,
        text=True,
        timeout=15,
        check=True,
    ).stdout
    assert "--ai" not in help_text


def test_the_listening_socket_is_tcp_so_responses_skip_nagle(edge: EdgeServer) -> None:
    # asyncio turns on TCP_NODELAY only for sockets whose proto is TCP; with proto 0 every
    # keep-alive response waited ~40 ms for a delayed ACK (bench/ showed 18 req/s at concurrency 1).
    assert edge._socket is not None
    assert edge._socket.proto == socket.IPPROTO_TCP


def test_the_content_security_policy_replaces_the_origin_s(upstream: EdgeServer, web_root: Path) -> None:
    """As CloudFront's response-headers policy with override: the policy from foundry_contract on
    every response, web's and api's alike, whatever the origin sent."""
    policy = content_security_policy(uploads=("http://127.0.0.1:9",), clerk_frontend_api=None)
    app = create_edge_app(
        api_origin=upstream.url,
        web_root=web_root,
        origin_verify_secret=SECRET,
        content_security_policy=policy,
    )
    with EdgeServer(app) as running, httpx.Client(base_url=running.url, timeout=5) as client:
        for path in ("/", "/api/echo", "/api/status/500"):
            response = client.get(path, headers={"Content-Security-Policy": "default-src *"})
            assert response.headers.get_list("content-security-policy") == [policy], path
            _assert_security_headers(response)
    assert "connect-src 'self' http://127.0.0.1:9" in policy
