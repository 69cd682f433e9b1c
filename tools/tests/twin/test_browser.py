"""The web app in a real browser against the local twin: Playwright driving Debian's Chromium.

Signs in, uploads a file straight to S3 through the pre-signed PUT (the progress bar must move and
finish), sees it listed, asks the AI, then checks a second user sees none of it. Screenshots land in
test-results/browser/ at the repository root.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from foundry_tools.twin.testing import RunningTwin, start_twin, twin_data_dir
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[3] / "test-results" / "browser"
# Flags that keep Chromium off the (closed) network and quiet on a machine without a screen.
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

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is missing: `make setup` installs it"
)


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    with twin_data_dir() as data_dir:
        running = start_twin(data_dir, extra=("--reset",))
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        opened = context.new_page()
        errors: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(message.text)

        opened.on("console", on_console)
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.on(
            "response",
            lambda response: (
                errors.append(f"{response.status} {response.url}") if response.status >= 400 else None
            ),
        )
        try:
            yield opened
        finally:
            context.close()
            browser.close()
        assert errors == [], f"the browser console reported errors: {errors}"


def sign_in(page: Page, url: str, user: str) -> None:
    page.goto(url)
    page.get_by_test_id("sign-in-user").fill(user)
    page.get_by_test_id("sign-in-submit").click()
    expect(page.get_by_test_id("sign-out")).to_be_visible()


def test_upload_with_progress_ask_the_ai_and_privacy_between_users(
    twin: RunningTwin, page: Page, tmp_path: Path
) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, twin.url, "alice")

    document = tmp_path / "report.txt"
    document.write_bytes(os.urandom(1024) * 2500)  # ~2.5 MB: the progress bar has time to move
    page.get_by_test_id("upload-file-input").set_input_files(str(document))
    page.get_by_test_id("upload-submit").click()
    progress = page.get_by_test_id("upload-progress")
    expect(progress).to_be_visible()
    item = page.get_by_test_id("upload-item").filter(has_text="report.txt")
    expect(item).to_be_visible()
    filled = progress.evaluate("bar => bar.max > 0 && bar.value === bar.max")
    assert filled, "the progress bar ends full once every byte is sent"
    expect(item).to_have_attribute("data-status", "UPLOADED")
    expect(item.get_by_test_id("upload-download-link")).to_be_visible()
    page.screenshot(path=str(RESULTS / "upload-complete.png"), full_page=True)

    page.get_by_test_id("ai-prompt").fill("What does Foundry run on?")
    page.get_by_test_id("ai-ask").click()
    answer = page.get_by_test_id("ai-answer-text")
    expect(answer).to_contain_text(re.compile(r"\S"))
    expect(page.get_by_test_id("ai-request-item")).to_have_count(1)
    page.screenshot(path=str(RESULTS / "ai-answer.png"), full_page=True)

    page.get_by_test_id("sign-out").click()
    sign_in(page, twin.url, "bob")
    expect(page.get_by_test_id("uploads-empty")).to_be_visible()
    expect(page.get_by_test_id("ai-requests-empty")).to_be_visible()
    expect(page.get_by_test_id("upload-item")).to_have_count(0)
    page.screenshot(path=str(RESULTS / "second-user.png"), full_page=True)
    print(f"screenshots in {RESULTS}")
