"""An edge under test: an echoing upstream, a clock the test moves, a web ACL as a template, raw requests.

Shared by the edge's own tests (twin/tests) and the tests that send the web app's requests through it
(tools/tests/cli/test_up_edge_waf.py), so both build the edge the same way.
"""

import contextlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from foundry_twin.edge import EdgeServer, create_edge_app
from foundry_twin.edge_waf import load_web_acl


async def _echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse(
        {"path": request.url.path, "bytes": len(body), "authorization": request.headers.get("authorization")}
    )


# Answers what reached it: the path, the body's length and the Authorization header as forwarded.
echo_upstream_app = Starlette(routes=[Route("/{path:path}", _echo, methods=["GET", "POST"])])


class ManualClock:
    """The rate-based rule's clock: time moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


def web_acl_template(*, directory: Path, acl: dict[str, Any]) -> Path:
    """An edge stack template holding only `acl` (a web ACL's properties), as `foundry synth` names it."""
    path = directory / "Foundry-prod-edge.template.json"
    path.write_text(
        json.dumps({"Resources": {"WafWebAcl": {"Type": "AWS::WAFv2::WebACL", "Properties": acl}}})
    )
    return path


def waf_log_lines(output: str) -> list[dict[str, Any]]:
    """The edge's JSON access-log lines that carry a WAF decision."""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if "waf" in line]


def raw_request(*, url: str, head: bytes) -> tuple[int, bytes]:
    """One request sent byte for byte (httpx refuses to send a value ending in a space), read to EOF."""
    parsed = httpx.URL(url)
    with socket.create_connection((parsed.host, parsed.port or 80), timeout=10) as sock:
        sock.sendall(head)
        data = b""
        for _ in range(1000):  # bounded: the server closes after one response (Connection: close)
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1]), data


@dataclass(frozen=True, kw_only=True)
class EdgeUnderTest:
    edge: EdgeServer
    upstream: EdgeServer
    web_root: Path


@contextlib.contextmanager
def edge_with_web_acl(
    *, directory: Path, acl: dict[str, Any], clock: ManualClock, origin_verify_secret: str
) -> Iterator[EdgeUnderTest]:
    """An edge applying `acl` in front of the echoing upstream, serving a one-page web root."""
    web_root = directory / "dist"
    web_root.mkdir()
    (web_root / "index.html").write_text("<!doctype html><title>foundry</title>")
    web_acl = load_web_acl(web_acl_template(directory=directory, acl=acl), clock=clock)
    with EdgeServer(echo_upstream_app) as upstream:
        app = create_edge_app(
            api_origin=upstream.url,
            web_root=web_root,
            origin_verify_secret=origin_verify_secret,
            web_acl=web_acl,
        )
        with EdgeServer(app) as edge:
            yield EdgeUnderTest(edge=edge, upstream=upstream, web_root=web_root)
