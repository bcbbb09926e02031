"""A real Chromium, driven by Playwright, against the system at E2E_BASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .traders import Trader, sign_up

# Chromium's own background traffic is refused on a closed network; these flags stop it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = Path(__file__).resolve().parent.parent.parent / "test-results" / "e2e"


@pytest.fixture(scope="session")
def base_url() -> str:
    return os.environ.get("E2E_BASE_URL", "http://localhost:8000").rstrip("/")


@pytest.fixture(scope="session")
def trader(base_url: str) -> Trader:
    """One trader for the API-level tests of a run."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        return sign_up(client)


@pytest.fixture
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    browser_page = context.new_page()
    yield browser_page
    context.close()


class Screenshots:
    """Saves one picture per step under test-results/e2e/<test>/."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.folder = RESULTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def take(self, step: str) -> None:
        self.count += 1
        self.page.screenshot(path=self.folder / f"{self.count:02d}-{step}.png", full_page=True)


@pytest.fixture
def screenshots(page: Page, request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(page, request.node.name)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The smoke load runs last, on a system past its start-up work (the demo's events).
    Tests marked `spans` read the spans the system exported (E2E_SPANS_FILE); a run
    against a system whose spans go elsewhere deselects them rather than skip them."""
    if not os.environ.get("E2E_SPANS_FILE"):
        deselected = [item for item in items if item.get_closest_marker("spans")]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if item not in deselected]
    items.sort(key=lambda item: item.path.name == "test_load.py")
