"""A real browser (Debian's Chromium, driven by Playwright) against the live test server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in this thread, which Django reads as
# "async context" and then refuses ORM calls from the test itself. The calls are synchronous
# and safe here; this is the documented escape hatch for exactly that situation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def is_csp_violation(message) -> bool:
    """Chromium reports every resource or inline code the Content-Security-Policy refused as a
    console error naming the policy."""
    return message.type == "error" and "Content Security Policy" in message.text


@pytest.fixture
def csp_violations(browser):
    """The Content-Security-Policy violations the browser reported during the test."""
    return []


@pytest.fixture
def page(browser, csp_violations):
    """A fresh browser page. Every browser test also proves the pages it visited keep to the
    Content-Security-Policy: a refused script, handler or style fails it."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: csp_violations.append(m.text) if is_csp_violation(m) else None)
    yield page
    context.close()
    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"


@pytest.fixture
def screenshot(page):
    """Save a named screenshot under tests/e2e/artifacts/ (kept by the test run)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, base_url: str, username: str, password: str = "pw") -> None:
    page.goto(base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
