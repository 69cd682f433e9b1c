"""web's nginx as its image runs it: the rendered template on a real nginx, on 127.0.0.1.

Every path but /healthz refuses a request without CloudFront's origin-verify header, so web's own
public URL cannot be used around the WAF and the geo allowlist (issue 21)."""

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from foundry_contract import ORIGIN_VERIFY_HEADER, SERVER_KEEP_ALIVE_SECONDS
from foundry_twin.postgres import free_port

WEB = Path(__file__).resolve().parents[2] / "services" / "web"
TEMPLATE = WEB / "nginx" / "default.conf.template"
REQUIRE_SECRET = WEB / "nginx" / "05-require-origin-secret.sh"
SECRET = "a" * 24 + "B7" * 12


def render(template: str, env: dict[str, str]) -> str:
    """What the image's 20-envsubst-on-templates.sh does: substitute the defined variables only."""
    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)\}", lambda m: env.get(m[1], m[0]), template)


@pytest.fixture(scope="module")
def web_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx missing: apt-get install -y nginx-light (scripts/ensure-system-packages)")
    root = tmp_path_factory.mktemp("nginx")
    html = root / "html"
    html.mkdir()
    (html / "index.html").write_text("<!doctype html><title>web</title>")
    (html / "assets").mkdir()
    (html / "assets" / "app-1234.js").write_text("console.log(1)")
    port = free_port()
    site = render(TEMPLATE.read_text(), {"PORT": f"127.0.0.1:{port}", "ORIGIN_VERIFY_SECRET": SECRET})
    # The image serves /usr/share/nginx/html; here the same server block serves a scratch folder.
    (root / "site.conf").write_text(site.replace("root /usr/share/nginx/html;", f"root {html};"))
    user = "user root;" if os.geteuid() == 0 else ""
    (root / "nginx.conf").write_text(
        f"{user}\nworker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/error.log;\n"
        "events {}\n"
        f"http {{ access_log off; client_body_temp_path {root}/body; proxy_temp_path {root}/proxy;"
        f" fastcgi_temp_path {root}/fcgi; uwsgi_temp_path {root}/uwsgi; scgi_temp_path {root}/scgi;"
        f" include {root}/site.conf; }}\n"
    )
    process = subprocess.Popen([nginx, "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, (root / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not listen within 20 s"
                time.sleep(0.05)
        yield url
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=20)


@pytest.mark.parametrize("path", ["/", "/index.html", "/assets/app-1234.js", "/some/client/route"])
@pytest.mark.parametrize("header", [None, "", "wrong", SECRET[:-1], SECRET.lower()])
def test_every_path_but_healthz_refuses_a_request_without_the_origin_header(
    web_url: str, path: str, header: str | None
) -> None:
    headers = {} if header is None else {ORIGIN_VERIFY_HEADER: header}
    assert httpx.get(web_url + path, headers=headers).status_code == 403


@pytest.mark.parametrize("path", ["/", "/index.html", "/assets/app-1234.js", "/some/client/route"])
def test_the_origin_header_lets_requests_through(web_url: str, path: str) -> None:
    response = httpx.get(web_url + path, headers={ORIGIN_VERIFY_HEADER: SECRET})
    assert response.status_code == 200


def test_the_health_check_needs_no_header(web_url: str) -> None:
    assert httpx.get(web_url + "/healthz").status_code == 200


def test_nginx_keeps_idle_connections_as_long_as_the_python_servers() -> None:
    """Longer than the ALB's idle timeout, from the same constant (foundry_contract.timeouts)."""
    (value,) = re.findall(r"^\s*keepalive_timeout (\d+)s;", TEMPLATE.read_text(), flags=re.MULTILINE)
    assert int(value) == SERVER_KEEP_ALIVE_SECONDS


@pytest.mark.parametrize("value", [None, "", "has space", 'quote"d', "dollar$x"])
def test_the_image_refuses_to_start_without_a_usable_secret(value: str | None) -> None:
    env = {"PATH": os.environ["PATH"]}
    if value is not None:
        env["ORIGIN_VERIFY_SECRET"] = value
    result = subprocess.run(["sh", str(REQUIRE_SECRET)], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "ORIGIN_VERIFY_SECRET" in result.stderr


def test_the_image_starts_with_a_generated_secret() -> None:
    env = {"PATH": os.environ["PATH"], "ORIGIN_VERIFY_SECRET": SECRET}
    result = subprocess.run(["sh", str(REQUIRE_SECRET)], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
