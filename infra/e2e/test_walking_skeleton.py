"""Sign up, log in, import executions, see positions, reflect, get coached: one real browser."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import Screenshots
from .planted import SESSION_COOKIE, plant

PASSWORD = "correct-horse-battery-9"
COMMISSION = Decimal("1.00")
SYMBOLS = ("AAPL", "MSFT", "NVDA")
NEW_YORK = dt.timezone(dt.timedelta(hours=-4))  # September: daylight saving time


def _round_trips() -> list[tuple[str, dt.datetime, dt.datetime, Decimal, Decimal]]:
    """Forty long round trips of 100 shares: winners held 10 minutes, losers an hour."""
    trips = []
    day = dt.date(2026, 9, 1)
    for number in range(40):
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        opened = dt.datetime.combine(day, dt.time(10, number % 2 * 30), NEW_YORK)
        entry = Decimal("100.00") + number
        if number % 5 in (1, 3):  # two losers in every five
            trips.append(
                (
                    SYMBOLS[number % 3],
                    opened,
                    opened + dt.timedelta(minutes=60),
                    entry,
                    entry - Decimal("1.00"),
                )
            )
        else:
            trips.append(
                (
                    SYMBOLS[number % 3],
                    opened,
                    opened + dt.timedelta(minutes=10),
                    entry,
                    entry + Decimal("1.50"),
                )
            )
        if number % 2:
            day += dt.timedelta(days=1)
    return trips


def _executions_csv(path: Path) -> Decimal:
    """Writes a generic CSV of the round trips and returns their total net P&L."""
    lines = ["Time,Symbol,Side,Quantity,Price,Commission,Execution ID"]
    net = Decimal(0)
    for index, (symbol, opened, closed, entry, exit_) in enumerate(_round_trips()):
        lines.append(f"{opened.isoformat()},{symbol},BUY,100,{entry},{COMMISSION},E{index}-1")
        lines.append(f"{closed.isoformat()},{symbol},SELL,100,{exit_},{COMMISSION},E{index}-2")
        net += (exit_ - entry) * 100 - 2 * COMMISSION
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return net


def _by_test_id(name: str) -> str:
    return f"[data-testid='{name}']"


def arrive(page: Page, url: re.Pattern[str]) -> None:
    """The browser is at `url` and the page has loaded: its controls work only once htmx,
    a deferred script, has wired them, and a click before that does nothing."""
    expect(page).to_have_url(url)
    page.wait_for_load_state()


def test_a_trader_imports_reflects_and_is_coached(
    page: Page, screenshots: Screenshots, tmp_path: Path
) -> None:
    email = f"trader-{uuid.uuid4().hex[:10]}@example.com"
    plant("password", PASSWORD)

    page.goto("/signup")
    form = page.locator(_by_test_id("signup-form"))
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    screenshots.take("signup")
    form.locator("button[type=submit]").click()
    arrive(page, re.compile(r"/$"))

    page.locator(_by_test_id("logout")).click()
    expect(page).to_have_url(re.compile(r"/login"))
    form = page.locator(_by_test_id("login-form"))
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    screenshots.take("login")
    form.locator("button[type=submit]").click()
    arrive(page, re.compile(r"/$"))
    for cookie in page.context.cookies():
        if cookie["name"] == SESSION_COOKIE:
            plant("session cookie", cookie["value"])

    csv_file = tmp_path / "executions.csv"
    expected_net = _executions_csv(csv_file)
    page.goto("/imports")
    upload = page.locator(_by_test_id("import-form"))
    upload.locator("input[type=file]").set_input_files(csv_file)
    screenshots.take("upload")
    upload.locator("button[type=submit]").click()
    # The status changes on the open page through the WebSocket, without a reload.
    status = page.locator(_by_test_id("import-status"))
    expect(status).to_contain_text(re.compile("completed", re.I), timeout=30_000)
    expect(status).to_contain_text("80")
    screenshots.take("imported")

    page.goto("/")
    positions = page.locator(_by_test_id("positions-table"))
    expect(positions.locator(_by_test_id("position-row")).first).to_be_visible()
    net_text = f"{expected_net:,.2f}"
    expect(page.locator(_by_test_id("stat-net-pnl"))).to_contain_text(net_text)
    screenshots.take("positions")

    positions.locator(f"{_by_test_id('position-row')} a").first.click()
    arrive(page, re.compile(r"/positions/[0-9a-f-]{36}$"))
    reflection = "Waited for the **pullback** as planned."
    journal = page.locator(_by_test_id("journal-form"))
    journal.locator("textarea").fill(reflection)
    journal.locator("button[type=submit]").click()
    entries = page.locator(_by_test_id("journal-entries"))
    expect(entries).to_contain_text("Waited for the pullback as planned.")
    expect(entries.locator("strong")).to_have_text("pullback")
    screenshots.take("reflection")

    page.goto("/")
    insights = page.locator(_by_test_id("insights"))
    expect(insights).to_contain_text(re.compile("losers", re.I))
    screenshots.take("coach")
