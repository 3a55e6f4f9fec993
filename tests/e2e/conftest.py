"""Browser tests: the app served over real HTTP, driven by the system's headless Chromium.

The server runs the session's `app` (so the same test database) in a background thread; each test
gets a fresh browser context, so no cookies or storage carry over, and seeds the data it needs.
Chromium is Debian's (/usr/bin/chromium); `playwright install` is never needed.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, Response, sync_playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.accounts import operations
from sandbox.accounts.passwords import hash_password
from sandbox.demo import seed_demo
from sandbox.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEFAULT_TIMEOUT_MS = 10_000  # a page of this app loads in well under a second; fail fast, not after 30 s

server_log = logging.getLogger("tests.e2e.server")


class _LoggingRequestHandler(WSGIRequestHandler):
    """Request lines go to `logging` (pytest shows them for a failing test), not to a stderr handler."""

    def log(self, type: str, message: str, *args: object) -> None:
        level = logging.ERROR if type == "error" else logging.INFO
        server_log.log(level, "%s %s", self.address_string(), message % args)


@dataclass(frozen=True)
class LiveServer:
    url: str
    server: BaseWSGIServer


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 and a port the OS picks, for the whole run."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_LoggingRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", server=server)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        assert not thread.is_alive(), "the live server thread did not stop"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module."""
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (browser tests must run in CI)", pytrace=False)
        pytest.skip("Chromium is not installed: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh context per test: its own cookies, storage and cache."""
    browser_context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                          viewport={"width": 1280, "height": 900})
    browser_context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield browser_context
    finally:
        browser_context.close()


_FAILED_LOAD = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})\b")


@dataclass
class BrowserProblems:
    """What the browser complained about: console errors and uncaught page errors.

    A form POST answered with 4xx (the sign-in form's 401/422/429) makes Chromium log "Failed to load
    resource" for the page itself although the page is fine; exactly those are not problems.
    """

    console_errors: list[tuple[str, str]] = field(default_factory=list)  # (text, url)
    page_errors: list[str] = field(default_factory=list)
    form_post_errors: set[tuple[str, int]] = field(default_factory=set)  # (url, status)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append((message.text, message.location.get("url", "")))

    def on_page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}")

    def on_response(self, response: Response) -> None:
        request = response.request
        if request.method == "POST" and request.resource_type == "document" and response.status >= 400:
            self.form_post_errors.add((response.url, response.status))

    def _is_form_post_response(self, text: str, url: str) -> bool:
        match = _FAILED_LOAD.match(text)
        return bool(match) and (url, int(match.group(1))) in self.form_post_errors

    def unexpected(self) -> list[str]:
        console = [f"console: {text} ({url})" for text, url in self.console_errors
                   if not self._is_form_post_response(text, url)]
        return console + [f"page error: {error}" for error in self.page_errors]

    def everything(self) -> list[str]:
        return [f"console: {text} ({url})" for text, url in self.console_errors] + self.page_errors


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(context: BrowserContext, browser_problems: BrowserProblems) -> Page:
    browser_page = context.new_page()
    browser_page.on("console", browser_problems.on_console)
    browser_page.on("pageerror", browser_problems.on_page_error)
    browser_page.on("response", browser_problems.on_response)
    return browser_page


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    configured = os.environ.get("SANDBOX_SCREENSHOT_DIR")
    if not configured:
        return tmp_path
    directory = Path(configured)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Callable[[Page, str], Path]:
    """Save a full-page PNG of the page's current state as <name>.png."""

    def save(page: Page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


# Every demo user has the same password: hash it once per run, not nine times per test (argon2 is slow
# on purpose). The hash is a real argon2id hash of the demo password, so signing in checks it as usual.
_hash_once = functools.cache(hash_password)


@pytest.fixture
def demo_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo organisations and users, committed so the live server's requests see them."""
    monkeypatch.setattr(operations, "hash_password", _hash_once)
    seed_demo(db.session)
    db.session.commit()
