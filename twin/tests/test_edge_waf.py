"""The twin's edge with an environment's web ACL, over real HTTP on 127.0.0.1.

In-process edges (an echoing upstream, an injected clock for the rate-based rule) show how the edge
applies the rules. What the web app meets through it (its own operations, and a real `foundry up
--env prod`) is in tools/tests/cli/test_up_edge_waf.py: that needs the web app's probes and the CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from foundry_twin.edge import EdgeServer
from foundry_twin.edge_testing import (
    EdgeUnderTest,
    ManualClock,
    edge_with_web_acl,
    raw_request,
    waf_log_lines,
)
from foundry_twin.edge_waf import WebAclTemplateError, load_web_acl

SECRET = "origin-verify-for-tests"
FIXTURES = Path(__file__).parents[2] / "waf" / "tests" / "fixtures"
RATE_WINDOW_SECONDS = 300  # the prod rule's EvaluationWindowSec


def _prod_acl() -> dict[str, Any]:
    acl: dict[str, Any] = json.loads((FIXTURES / "web_acl_prod.json").read_text())
    return acl


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def under_test(clock: ManualClock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeUnderTest]:
    directory = tmp_path_factory.mktemp("edge")
    with edge_with_web_acl(
        directory=directory, acl=_prod_acl(), clock=clock, origin_verify_secret=SECRET
    ) as running:
        yield running


@pytest.fixture(scope="module")
def prod_edge(under_test: EdgeUnderTest) -> EdgeServer:
    return under_test.edge


def test_a_burst_over_the_rate_limit_is_blocked_and_served_again_after_the_window(
    prod_edge: EdgeServer, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    acl = _prod_acl()
    (rate,) = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    limit = rate["Statement"]["RateBasedStatement"]["Limit"]
    assert rate["Statement"]["RateBasedStatement"]["EvaluationWindowSec"] == RATE_WINDOW_SECONDS
    clock.now += RATE_WINDOW_SECONDS  # forget what earlier tests sent
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=prod_edge.url, timeout=10, headers={"user-agent": "burst"}) as client:
        for _ in range(limit + 5):
            statuses[client.get("/").status_code] += 1
        assert statuses == {200: limit, 403: 5}
        clock.now += RATE_WINDOW_SECONDS - 1
        assert client.get("/").status_code == 403  # the window still holds the burst
        clock.now += 2
        assert client.get("/").status_code == 200
    blocked = [line for line in waf_log_lines(capsys.readouterr().out) if line["status"] == 403]
    assert len(blocked) == 6 and {line["waf"]["rule"] for line in blocked} == {"RateLimitPerIp"}


def test_a_header_value_ending_in_a_space_is_forwarded_trimmed(prod_edge: EdgeServer) -> None:
    body = b'{"query":"{ viewer { id } }"}'
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: app\r\nUser-Agent: raw\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer \r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    status, data = raw_request(url=prod_edge.url, head=head)
    assert status == 200, data
    assert b'"authorization":"Bearer"' in data


def test_a_template_without_one_web_acl_is_a_clear_error(tmp_path: Path, under_test: EdgeUnderTest) -> None:
    upstream, web_root = under_test.upstream, under_test.web_root
    empty = tmp_path / "empty.template.json"
    empty.write_text('{"Resources": {}}')
    with pytest.raises(WebAclTemplateError, match="0 AWS::WAFv2::WebACL"):
        load_web_acl(empty)
    secret = tmp_path / "secret"
    secret.write_text(SECRET)
    argv = [sys.executable, "-m", "foundry_twin.edge", "--port", "0", "--api-origin", upstream.url]
    argv += ["--web-root", str(web_root), "--origin-verify-secret-file", str(secret)]
    done = subprocess.run(
        [*argv, "--web-acl-template", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "cannot read the web ACL template" in done.stderr
    assert "Traceback" not in done.stderr
