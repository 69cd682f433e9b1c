"""The web app in a real browser against the local twin: Playwright driving Debian's Chromium.

Signs in, uploads a file straight to S3 through the pre-signed PUT (the progress bar must move and
finish), sees it listed, asks the AI and opens that question's trace in the twin's trace UI (Phoenix),
then checks a second user sees none of it, all under the Content-Security-Policy CloudFront sends
(zero violations). Screenshots land in test-results/browser/ at the repository root; anything the
page logs as an error fails the test.
"""

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from foundry_tools.webapp.operations import web_operations
from foundry_twin.testing import FOUNDRY, RunningTwin, start_twin, twin_data_dir
from playwright.sync_api import ConsoleMessage, Page, Request, Response, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[3]
RESULTS = ROOT / "test-results" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
# Playwright adds --headless and a fresh --user-data-dir of its own; these keep Chromium off the
# (closed) network and quiet on a machine without a screen or a GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000
UPLOAD_SIZE = 2_560_000
# On loopback the PUT finishes between two progress events (the bar jumps from 0 to full), so the
# browser's upload is slowed to what a fast home uplink gives: ~0.6 s, several progress events.
UPLOAD_BYTES_PER_SECOND = 4 * 1024 * 1024
# Every value the <progress> bar takes, recorded in the page as React renders it.
RECORD_PROGRESS = """() => {
  window.progressSeen = [];
  const record = () => {
    const bar = document.querySelector('[data-testid="upload-progress"]');
    if (bar) window.progressSeen.push([bar.value, bar.max]);
  };
  new MutationObserver(record).observe(document.body,
    {subtree: true, childList: true, attributes: true, attributeFilter: ["value", "max"]});
}"""


REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) =>
  window.reportCspViolation({directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile}));"""


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium, installed now by the repository's own script if `make setup` has not run."""
    if not CHROMIUM.exists():
        installer = subprocess.run(
            [ROOT / "scripts" / "ensure-system-packages"],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if not CHROMIUM.exists():
            said = installer.stderr.strip() or f"scripts/ensure-system-packages exited {installer.returncode}"
            reason = f"{CHROMIUM} is missing and could not be installed: {said}"
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    with twin_data_dir() as data_dir:
        running = start_twin(data_dir, extra=("--reset",), traces=True)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def page(chromium: Path) -> Iterator[Page]:
    """A page in a fresh browser; at the end it fails on any console error, uncaught exception,
    failed request or HTTP error the page met. None is excused: the app has no expected errors."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url')})")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            errors.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def on_request_failed(request: Request) -> None:
        errors.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def on_csp_violation(_: object, violation: dict[str, str]) -> None:
        errors.append(f"CSP violation: {violation}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        context.set_default_timeout(TIMEOUT_MS)
        # Every Content-Security-Policy violation the page meets, reported before any app script runs.
        context.expose_binding("reportCspViolation", on_csp_violation)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        opened = context.new_page()
        opened.on("console", on_console)
        opened.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        opened.on("response", on_response)
        opened.on("requestfailed", on_request_failed)
        try:
            yield opened
        finally:
            context.close()
            browser.close()
    assert errors == [], "the page met errors:\n" + "\n".join(errors)


def sign_in(page: Page, url: str, user: str) -> None:
    page.goto(url)
    expect(page.get_by_test_id("sign-in-form")).to_be_visible()
    page.get_by_test_id("sign-in-user").fill(user)
    page.get_by_test_id("sign-in-submit").click()
    expect(page.get_by_test_id("signed-in-user")).to_have_text(user)


def slow_the_upload_down(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": UPLOAD_BYTES_PER_SECOND,
        },
    )


def open_the_trace_of(twin: RunningTwin, page: Page, *, request_id: str) -> None:
    """The trace UI (the twin's Phoenix) on the AI question's trace: the api's log line for the
    request names the trace, `foundry trace` waits until it has arrived, then a browser opens it."""
    lines = [
        json.loads(raw)
        for raw in (twin.data_dir / "logs" / "api.log").read_text().splitlines()
        if raw.startswith("{")
    ]
    trace_id = next(
        line["trace_id"] for line in lines if line.get("request_id") == request_id and line.get("trace_id")
    )
    arrived = subprocess.run(
        [FOUNDRY, "trace", trace_id, "--format", "json", "--data-dir", str(twin.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert arrived.returncode == 0, arrived.stderr
    generation = next(
        span for span in json.loads(arrived.stdout) if "gen_ai.request.model" in span["attributes"]
    )
    browser = page.context.browser
    assert browser is not None
    # A context of its own: the app's page keeps its checks; Phoenix's UI is another origin.
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        trace_page = context.new_page()
        trace_page.goto(f"{twin.state['urls']['traces']}/redirects/traces/{trace_id}")
        expect(trace_page.get_by_text(generation["name"]).first).to_be_visible(timeout=TIMEOUT_MS * 2)
        expect(trace_page.get_by_text("POST /graphql").first).to_be_visible()
        trace_page.screenshot(path=str(RESULTS / "ai-question-trace.png"), full_page=True)
    finally:
        context.close()


def test_upload_with_progress_ask_the_ai_and_privacy_between_users(
    twin: RunningTwin, page: Page, tmp_path: Path
) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    document_response = page.goto(twin.url)
    assert document_response is not None
    policy = document_response.headers.get("content-security-policy", "")
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy, policy
    sign_in(page, twin.url, "alice")
    expect(page.get_by_test_id("uploads-empty")).to_be_visible()

    document = tmp_path / "report.txt"
    document.write_bytes(b"Foundry browser test line.\n" * (UPLOAD_SIZE // 27) + b"\n" * (UPLOAD_SIZE % 27))
    assert document.stat().st_size == UPLOAD_SIZE
    slow_the_upload_down(page)
    page.evaluate(RECORD_PROGRESS)
    page.get_by_test_id("upload-file-input").set_input_files(str(document))
    page.get_by_test_id("upload-submit").click()
    progress = page.get_by_test_id("upload-progress")
    expect(progress).to_be_visible()
    page.wait_for_function(
        """() => { const bar = document.querySelector('[data-testid="upload-progress"]');
                   return bar && bar.value > 0 && bar.value < bar.max; }"""
    )
    page.screenshot(path=str(RESULTS / "upload-in-progress.png"), full_page=True)
    expect(progress).to_have_attribute("value", str(UPLOAD_SIZE))
    expect(progress).to_have_attribute("max", str(UPLOAD_SIZE))
    item = page.get_by_test_id("upload-item").filter(has_text="report.txt")
    expect(item).to_have_attribute("data-status", "UPLOADED")
    expect(item.get_by_test_id("upload-item-status")).to_have_text("UPLOADED")
    expect(item.get_by_test_id("upload-download-link")).to_have_attribute("href", re.compile(r"report\.txt"))
    expect(page.get_by_test_id("upload-status")).to_contain_text("Uploaded report.txt")
    page.screenshot(path=str(RESULTS / "upload-complete.png"), full_page=True)
    seen = [value for value, maximum in page.evaluate("window.progressSeen") if maximum == UPLOAD_SIZE]
    moving = [value for value in seen if 0 < value < UPLOAD_SIZE]
    assert len(moving) >= 2, f"the bar should move through several values on its way, saw {seen}"
    assert seen == sorted(seen), f"the bar never goes back, saw {seen}"

    page.get_by_test_id("ai-prompt").fill("What does Foundry run on?")
    # The web app sends documents by id (Relay's persisted documents), never their text.
    ask_id = web_operations()["AiPanelAskMutation"].document_id
    with page.expect_response(
        lambda r: r.url.endswith("/graphql") and ask_id in (r.request.post_data or "")
    ) as asked:
        page.get_by_test_id("ai-ask").click()
    # The twin's AI stub answers with the prompt itself: the answer shown is this prompt's.
    expect(page.get_by_test_id("ai-answer-text")).to_contain_text("What does Foundry run on?")
    expect(page.get_by_test_id("ai-answer-model")).not_to_be_empty()
    expect(page.get_by_test_id("ai-request-item")).to_have_count(1)
    page.screenshot(path=str(RESULTS / "ai-answer.png"), full_page=True)
    open_the_trace_of(twin, page, request_id=asked.value.headers["x-request-id"])

    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("sign-in-form")).to_be_visible()
    sign_in(page, twin.url, "bob")
    expect(page.get_by_test_id("uploads-empty")).to_be_visible()
    expect(page.get_by_test_id("ai-requests-empty")).to_be_visible()
    expect(page.get_by_test_id("upload-item")).to_have_count(0)
    expect(page.get_by_test_id("ai-request-item")).to_have_count(0)
    expect(page.get_by_text("report.txt")).to_have_count(0)
    page.screenshot(path=str(RESULTS / "second-user.png"), full_page=True)
    print(f"screenshots in {RESULTS}")
