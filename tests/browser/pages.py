"""Helpers of the browser tests: numbered screenshots in test-artifacts/browser/, pages with
a JavaScript error watch, and signing in."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


class Step:
    """Numbered full-page screenshots, and every uncaught JavaScript error of a page."""

    def __init__(self, prefix: str = "") -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.count = 0
        self.js_errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.js_errors.append(str(error)))
        return page

    def shot(self, page: Page, name: str) -> None:
        self.count += 1
        name = f"{self.prefix}{self.count:02d}-{name}.png"
        page.screenshot(path=ARTIFACTS / name, full_page=True)


def new_page(browser: Browser, step: Step) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(10_000)
    return context, step.watch(context.new_page())


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
