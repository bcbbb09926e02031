"""Every page in Debian's chromium: desktop and phone, keyboard use, and axe-core's check."""

from __future__ import annotations

import io
import json
import os
import uuid
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    Page,
    Playwright,
    Route,
    WebSocketRoute,
    sync_playwright,
)
from tradeloop_contracts import (
    ArchiveRestoreResult,
    DefaultStop,
    ImportUndo,
    InsightList,
    Problem,
    ProblemField,
)

from tests.conftest import CSRF_TOKEN, NONCE, SESSION_COOKIE
from tests.demo import (
    DAY,
    PLAYBOOK,
    REPORTED_FILE,
    REPORTED_IMPORT,
    WAITING_IMPORT,
    serve_demo,
)
from tests.factories import (
    ACCOUNT_ID,
    a_broker_connection,
    a_broker_connection_list,
    a_calendar,
    a_cash_movement,
    a_chat_reply,
    a_fee_schedule,
    a_journal_entry,
    a_plan_preview,
    a_playbook,
    a_png,
    a_position,
    a_position_page,
    a_saved_mapping,
    a_saved_mapping_list,
    a_strategy,
    a_user,
    a_violation,
    a_violation_page,
    an_account,
    an_account_list,
    an_attachment,
    an_attachment_list,
    an_execution,
    an_import,
    an_insight,
    some_limits,
    statistics,
)
from tests.stub_edge import StubEdge

# Debian's chromium by default; CI points TEST_CHROMIUM at the one Playwright installs.
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()
# Screenshots go to test-results/web-ui/ one level above this folder (ignored by git),
# or to TEST_SCREENSHOTS.
SCREENSHOTS = Path(
    os.environ.get(
        "TEST_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-results" / "web-ui"
    )
)
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """One browser for the whole run; each test gets its own context."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def open_page(chromium: Browser, web_ui_url: str, viewport: str = "desktop") -> Page:
    """A tab whose requests carry what edge adds to each one it proxies."""
    context = chromium.new_context(
        base_url=web_ui_url,
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        extra_http_headers={
            "x-csp-nonce": NONCE,
            "x-csrf-token": CSRF_TOKEN,
            "cookie": SESSION_COOKIE,
        },
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    # edge serves the socket, not web-ui: a socket that stays silent stands in for it.
    page.route_web_socket("**/ws*", lambda _socket: None)
    return page


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of serious or critical impact on the current page."""
    if page.evaluate("typeof window.axe") == "undefined":
        page.add_script_tag(content=AXE)
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "rule": violation["id"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


PAGES = {
    "dashboard": "/",
    "trades": "/trades",
    "trade-new": "/trades/new",
    "fill-new": "/trades/new/fill",
    "position": "/positions/{position}",
    "day": f"/days/{DAY}",
    "journal": "/journal?month=2026-03",
    "journal-day": f"/journal/{DAY}",
    "imports": "/imports",
    "import-mapping": f"/imports/{WAITING_IMPORT}/mapping",
    "import-report": f"/imports/{REPORTED_IMPORT}",
    "plan": "/plan",
    "playbooks": "/playbooks",
    "playbook": f"/playbooks/{PLAYBOOK}",
    "coach": "/coach",
    "plan-version": "/plan/versions/2",
    "settings": "/settings",
    "brokers": "/settings/brokers",
    "account": f"/settings/accounts/{ACCOUNT_ID}",
    "delete-account": "/settings/delete",
    "login": "/login",
    "signup": "/signup",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_renders_fits_the_screen_and_passes_axe(
    chromium: Browser, web_ui_url: str, edge: StubEdge, name: str
) -> None:
    position = serve_demo(edge)
    page = open_page(chromium, web_ui_url)

    response = page.goto(PAGES[name].format(position=position))

    assert response is not None
    assert response.status == 200, response.text()
    # One load, checked at each size: the layout follows the viewport without a reload.
    for viewport, size in VIEWPORTS.items():
        page.set_viewport_size(size)  # type: ignore[arg-type]
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than the {viewport} screen"
        screenshot(page, f"{name}-{viewport}")
        assert serious_violations(page) == [], viewport
    page.context.close()


def test_the_log_in_form_works_from_the_keyboard_alone(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    edge.answer(
        "POST",
        "/api/v1/auth/login",
        a_user(),
        set_cookies=["__Host-tradeloop_session=new; Path=/; HttpOnly"],
    )
    page = open_page(chromium, web_ui_url)
    page.goto("/login")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    while page.evaluate("document.activeElement.name") != "email":
        page.keyboard.press("Tab")
    page.keyboard.type("trader@example.com")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type("correct horse battery")
    with page.expect_navigation(url="**/"):
        page.keyboard.press("Enter")

    page.get_by_role("heading", name="Dashboard").wait_for()
    screenshot(page, "login-keyboard-dashboard")
    assert len(edge.received("POST", "/api/v1/auth/login")) == 1
    page.context.close()


def test_a_refused_log_in_is_explained_in_the_form(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    edge.refuse("POST", "/api/v1/auth/login", Problem(title="Invalid credentials", status=401))
    page = open_page(chromium, web_ui_url, "phone")
    page.goto("/login")

    page.get_by_label("Email").fill("trader@example.com")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Log in").click()

    page.get_by_text("email or the password is wrong").wait_for()
    assert page.url.endswith("/login")
    assert "not my password" not in page.content()
    screenshot(page, "login-refused-phone")
    assert serious_violations(page) == []
    page.context.close()


def test_a_sign_up_refusal_is_shown_next_to_its_field(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    taken = Problem(
        title="Conflict",
        status=409,
        errors=[ProblemField(location="/email", message="This email is already registered")],
    )
    edge.refuse("POST", "/api/v1/auth/signup", taken)
    page = open_page(chromium, web_ui_url, "phone")
    page.goto("/signup")

    page.get_by_label("Email").fill("taken@example.com")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Create account").click()

    error = page.locator("#signup-email-error")
    error.wait_for()
    assert error.inner_text() == "This email is already registered"
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Email").input_value() == "taken@example.com"
    screenshot(page, "signup-refused-phone")
    assert serious_violations(page) == []
    page.context.close()


def test_log_out_ends_on_the_login_page(chromium: Browser, web_ui_url: str, edge: StubEdge) -> None:
    serve_demo(edge)
    edge.answer(
        "POST",
        "/api/v1/auth/logout",
        status=204,
        set_cookies=["__Host-tradeloop_session=; Max-Age=0; Path=/; Secure; HttpOnly"],
    )
    page = open_page(chromium, web_ui_url)
    page.goto("/")

    with page.expect_navigation(url="**/login"):
        page.get_by_role("button", name="Log out").click()

    page.get_by_test_id("login-form").wait_for()
    assert len(edge.received("POST", "/api/v1/auth/logout")) == 1
    screenshot(page, "logged-out-desktop")
    page.context.close()


def test_the_trades_filters_work_from_the_keyboard(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    page = open_page(chromium, web_ui_url)
    page.goto("/trades")

    page.get_by_label("Symbol").focus()
    page.keyboard.type("NVDA")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "trades-direction"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    query = edge.received("GET", "/api/v1/positions")[-1].query
    assert query["symbol"] == "NVDA"
    assert query["direction"] == "long"
    screenshot(page, "trades-filtered-desktop")
    page.context.close()


def test_a_strategy_row_opens_its_page_with_each_leg(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    strategy = a_strategy(rolled_from=uuid.uuid4())
    edge.answer("GET", "/api/v1/positions", a_position_page(*strategy.legs))  # type: ignore[arg-type]
    edge.answer("GET", f"/api/v1/strategies/{strategy.id}", strategy)
    page = open_page(chromium, web_ui_url)
    page.goto("/trades")

    page.get_by_role("link", name="Vertical SPY").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith(f"/strategies/{strategy.id}")
    legs = page.get_by_test_id("strategy-leg")
    assert legs.count() == 2
    assert legs.nth(0).get_by_role("link").get_attribute("href") == (
        f"/positions/{strategy.legs[0].id}"
    )
    assert page.get_by_test_id("rolled-from").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert serious_violations(page) == []
    screenshot(page, "strategy-desktop")
    page.context.close()


def test_the_days_journal_is_written_and_saved_from_the_keyboard(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    edge.answer("GET", "/api/v1/journal/entries", b'{"items": []}')
    saved = a_journal_entry(day=DAY, body="Calm.\n\n## What went well\n\nWaited.", mood=4)
    edge.answer("POST", "/api/v1/journal/entries", saved, status=201)
    page = open_page(chromium, web_ui_url, "phone")
    page.goto(f"/journal/{DAY}")

    page.get_by_label("Notes (markdown)").focus()
    page.keyboard.type("Calm.")
    page.keyboard.press("Tab")
    page.keyboard.type("Waited.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Save the day's entry"
    page.keyboard.press("Enter")

    page.get_by_test_id("day-entry-saved").wait_for()
    screenshot(page, "journal-saved-phone")
    sent = json.loads(edge.received("POST", "/api/v1/journal/entries")[0].body)
    assert sent["body"] == "Calm.\n\n## What went well\n\nWaited."
    assert sent["mood"] == 4
    assert edge.received("POST", "/api/v1/journal/entries")[0].headers["x-csrf-token"] == CSRF_TOKEN
    page.context.close()


def test_the_position_chart_draws_its_bars_and_fills(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    position = serve_demo(edge, fills=2)
    page = open_page(chromium, web_ui_url)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"/positions/{position}")

    page.locator('#price-chart[data-drawn="true"]').wait_for()
    assert page.locator("#price-chart canvas").count() > 0
    box = page.locator("#price-chart").bounding_box()
    assert box is not None
    assert box["height"] > 200
    assert errors == []
    screenshot(page, "position-chart-desktop")
    page.context.close()


def test_a_long_holding_is_drawn_in_merged_candles_with_every_fill(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    position = serve_demo(edge, fills=400, bars=2_000)
    page = open_page(chromium, web_ui_url)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"/positions/{position}")

    page.locator('#price-chart[data-drawn="true"]').wait_for()
    assert "2000 bars of 1 minute drawn as" in page.get_by_test_id("bars-merged").inner_text()
    assert page.get_by_test_id("execution-row").count() == 400
    # The fills scroll in a box of their own rather than stretching the page.
    box = page.locator("#executions-table").locator("..").bounding_box()
    assert box is not None
    assert box["height"] < 900
    assert serious_violations(page) == []
    assert errors == []
    screenshot(page, "position-long-holding-desktop")
    page.context.close()


def test_a_positions_tags_are_changed_from_the_keyboard(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    position = serve_demo(edge)
    retagged = a_position(id=uuid.UUID(position), tags=["breakout", "fomo"])
    edge.answer("PATCH", f"/api/v1/positions/{position}", retagged)
    page = open_page(chromium, web_ui_url, "phone")
    page.goto(f"/positions/{position}")

    field = page.get_by_label("Tags, separated by commas")
    field.focus()
    page.keyboard.press("End")
    page.keyboard.type(", fomo")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Save tags"
    page.keyboard.press("Enter")

    page.get_by_test_id("tags-notice").wait_for()
    assert page.get_by_test_id("tag-list").inner_text() == "breakout, fomo"
    sent = json.loads(edge.received("PATCH", f"/api/v1/positions/{position}")[0].body)
    assert sent == {"tags": ["breakout", "fomo"]}
    screenshot(page, "position-tags-phone")
    assert serious_violations(page) == []
    page.context.close()


def test_positions_are_tagged_in_bulk_from_the_keyboard(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge, rows=3)
    listed = [a_position(tags=[]), a_position(tags=["breakout"]), a_position(tags=[])]
    edge.answer("GET", "/api/v1/positions", a_position_page(*listed))
    tagged = [
        listed[0].model_copy(update={"tags": ["fomo"]}),
        listed[1].model_copy(update={"tags": ["breakout", "fomo"]}),
    ]
    edge.answer("POST", "/api/v1/positions/tags", a_position_page(*tagged))
    page = open_page(chromium, web_ui_url, "phone")
    page.goto("/trades")

    boxes = page.get_by_test_id("select-position")
    for index in (0, 1):
        boxes.nth(index).focus()
        page.keyboard.press("Space")
    page.get_by_label("Tag for the selected positions").focus()
    page.keyboard.type("fomo")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Apply tag"
    page.keyboard.press("Enter")

    page.get_by_text("Tag “fomo” applied to 2 positions.").wait_for()
    assert page.locator(f"#tags-{listed[1].id}").inner_text() == "breakout, fomo"
    assert page.locator(f"#tags-{listed[2].id}").inner_text() == ""
    [sent] = edge.received("POST", "/api/v1/positions/tags")
    assert json.loads(sent.body)["position_ids"] == [str(listed[0].id), str(listed[1].id)]
    screenshot(page, "trades-bulk-tags-phone")
    assert serious_violations(page) == []
    page.context.close()


def test_a_custom_rule_is_added_from_the_keyboard_and_its_error_shown_at_the_column(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    edge.refuse("GET", "/api/v1/plan", Problem(title="Not Found", status=404))
    refusal = Problem(
        title="Invalid plan",
        status=422,
        errors=[
            ProblemField(
                location="body.rules.0.params.expression",
                message="line 1, column 10: undeclared reference to 'r_multipl'",
            )
        ],
    )
    edge.refuse("PUT", "/api/v1/plan", refusal)
    page = open_page(chromium, web_ui_url, "phone")
    page.goto("/plan")

    page.get_by_label("Kind of rule to add").select_option("custom")
    page.get_by_label("Kind of rule to add").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Add rule"
    page.keyboard.press("Enter")
    expression = page.get_by_label("Expression that must hold for each position")
    expression.wait_for()
    assert page.get_by_test_id("plan-empty").count() == 0
    expression.focus()
    page.keyboard.type("position.r_multipl > -1")
    page.get_by_role("button", name="Save as a new version").focus()
    page.keyboard.press("Enter")

    page.get_by_test_id("expression-caret").wait_for()
    assert "Line 1, column 10" in page.get_by_test_id("rule-error").inner_text()
    sent = json.loads(edge.received("PUT", "/api/v1/plan")[0].body)
    assert sent["rules"][0]["params"] == {"kind": "custom", "expression": "position.r_multipl > -1"}
    assert sent["rules"][0]["name"] == "Custom rule (CEL)"
    screenshot(page, "plan-custom-rule-error-phone")
    assert serious_violations(page) == []
    page.context.close()


def test_a_preset_is_previewed_and_the_limits_reload_when_a_position_closes(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    edge.answer("POST", "/api/v1/plan/preview", a_plan_preview())
    sockets: list[WebSocketRoute] = []
    page = open_page(chromium, web_ui_url)
    page.route_web_socket("**/ws*", lambda socket: sockets.append(socket))
    page.goto("/plan")

    page.get_by_label("Preset", exact=True).select_option("futures-evaluation-50k")
    page.get_by_test_id("use-preset").click()
    page.get_by_test_id("preset-notice").wait_for()
    kinds = page.locator("#plan-rules [data-testid=plan-rule]").evaluate_all(
        "rules => rules.map(rule => rule.dataset.kind)"
    )
    assert kinds == ["max_daily_loss", "trailing_drawdown", "max_open_contracts"]
    page.get_by_test_id("preview-plan").click()
    page.get_by_test_id("plan-preview").get_by_text("Preview, nothing saved").wait_for()
    previewed = json.loads(edge.received("POST", "/api/v1/plan/preview")[0].body)
    assert previewed["rules"][1]["params"] == {
        "kind": "trailing_drawdown",
        "amount": "2000",
        "basis": "end_of_day",
        "lock_at": "100",
    }
    assert edge.received("PUT", "/api/v1/plan") == []

    for _ in range(50):
        if sockets:
            break
        page.wait_for_timeout(100)
    assert sockets, "the page opened no socket"
    broken = some_limits().model_copy(deep=True)
    broken.items[0] = broken.items[0].model_copy(
        update={"current": Decimal("1180.00"), "remaining": Decimal("-80.00"), "breached": True}
    )
    edge.answer("GET", "/api/v1/plan/limits", broken)
    sockets[-1].send(
        json.dumps(
            {"type": "event", "position": 11, "event": {"type": "position.closed.v1", "data": {}}}
        )
    )

    daily = page.locator("[data-testid=limit][data-kind=max_daily_loss]")
    daily.and_(page.locator(".limit-breached")).wait_for()
    assert daily.get_by_test_id("limit-text").inner_text() == (
        "Broken: over by 80.00 USD (limit 1,100.00 USD)"
    )
    assert serious_violations(page) == []
    screenshot(page, "plan-preset-previewed-desktop")
    # The feature on its own, for the README.
    page.get_by_test_id("plan-limits").screenshot(path=SCREENSHOTS / "plan-limits-desktop.png")
    page.context.close()


def test_a_broker_is_connected_from_the_keyboard_and_the_keys_are_not_shown_back(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    edge.answer(
        "POST", "/api/v1/broker-connections", a_broker_connection(label="Paper"), status=201
    )
    page = open_page(chromium, web_ui_url, "phone")
    page.goto("/settings/brokers")

    page.get_by_label("Name for this connection").focus()
    page.keyboard.type("Paper")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "account_id"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "paper"
    page.keyboard.press("Tab")
    page.keyboard.type("PKKEY")
    page.keyboard.press("Tab")
    page.keyboard.type("very-secret")
    page.keyboard.press("Enter")

    page.get_by_test_id("broker-notice").wait_for()
    assert "very-secret" not in page.content()
    sent = json.loads(edge.received("POST", "/api/v1/broker-connections")[0].body)
    assert (sent["api_key_id"], sent["api_secret"], sent["label"]) == (
        "PKKEY",
        "very-secret",
        "Paper",
    )
    screenshot(page, "brokers-connected-phone")
    assert serious_violations(page) == []
    page.context.close()


def test_a_new_insight_reloads_the_coach_feed_live(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    sockets: list[WebSocketRoute] = []
    page = open_page(chromium, web_ui_url)
    page.route_web_socket("**/ws*", lambda socket: sockets.append(socket))
    page.goto("/coach")
    for _ in range(50):
        if sockets:
            break
        page.wait_for_timeout(100)
    assert sockets, "the page opened no socket"
    edge.answer(
        "GET", "/api/v1/insights", InsightList(items=[an_insight(title="Mondays are fine")])
    )

    sockets[-1].send(
        json.dumps(
            {
                "type": "event",
                "position": 9,
                "event": {"type": "coach.insight_created.v1", "data": {}},
            }
        )
    )

    page.get_by_role("heading", name="Mondays are fine").wait_for()
    screenshot(page, "coach-live-desktop")
    page.context.close()


def test_the_coach_answers_a_question_asked_from_the_keyboard(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    reply = a_chat_reply()
    edge.answer("POST", "/api/v1/coach/chat", reply)
    page = open_page(chromium, web_ui_url, "phone")
    page.goto("/coach")

    page.get_by_label("Your question").focus()
    page.keyboard.type("How do I do on Mondays after 11?")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Ask"
    page.keyboard.press("Enter")

    page.get_by_test_id("chat-answer").wait_for()
    assert page.locator("#chat-conversation").get_attribute("value") == str(reply.conversation_id)
    assert page.get_by_label("Your question").input_value() == ""
    assert page.locator("[data-testid=chat-chart] rect").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, "coach-chat-phone")
    assert serious_violations(page) == []
    page.context.close()


def test_a_finished_sync_refreshes_the_connections_and_keeps_the_form(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    sockets: list[WebSocketRoute] = []
    page = open_page(chromium, web_ui_url)
    page.route_web_socket("**/ws*", lambda socket: sockets.append(socket))
    page.goto("/settings/brokers")
    page.get_by_label("Name for this connection").fill("Half typed")
    for _ in range(50):
        if sockets:
            break
        page.wait_for_timeout(100)
    assert sockets, "the page opened no socket"
    synced = a_broker_connection(label="Freshly synced")
    edge.answer("GET", "/api/v1/broker-connections", a_broker_connection_list(synced))

    sockets[-1].send(
        json.dumps(
            {
                "type": "event",
                "position": 10,
                "event": {"type": "broker_connection.synced.v1", "data": {}},
            }
        )
    )

    page.get_by_role("rowheader", name="Freshly synced").wait_for()
    assert page.get_by_label("Name for this connection").input_value() == "Half typed"
    assert page.locator("#connections-list").count() == 1
    screenshot(page, "brokers-synced-desktop")
    page.context.close()


def test_a_calendar_day_is_reached_by_clicking_it(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    page = open_page(chromium, web_ui_url)
    page.goto("/")

    with page.expect_navigation(url=f"**/days/{DAY}"):
        page.locator(f'[data-day="{DAY}"]').click()

    page.get_by_role("heading", name="Positions opened this day").wait_for()
    screenshot(page, "day-from-calendar-desktop")
    page.context.close()


def test_a_bad_file_gets_a_readable_error_and_nothing_is_queued(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    refusal = Problem(
        title="Unrecognised file",
        status=422,
        detail="The file is not an export of a broker Tradeloop reads.",
        errors=[ProblemField(location="file", message="no known broker format matches line 1")],
    )
    edge.refuse("POST", "/api/v1/imports", refusal)
    page = open_page(chromium, web_ui_url, "phone")
    page.goto("/imports")

    page.get_by_label("Broker export file").set_input_files(
        {"name": "holiday.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 not a csv"}
    )
    page.get_by_role("button", name="Upload").click()

    alert = page.get_by_test_id("problem")
    alert.wait_for()
    assert "Unrecognised file" in alert.inner_text()
    assert "no known broker format matches line 1" in alert.inner_text()
    assert page.locator("progress.import-progress").count() == 0
    screenshot(page, "import-refused-phone")
    page.context.close()


def test_an_imports_progress_bar_follows_the_socket_until_it_completes(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    queued = an_import(status="queued", counts={}, finished_at=None, detected_format=None)
    edge.answer("POST", "/api/v1/imports", queued, status=202)
    sockets: list[WebSocketRoute] = []
    page = open_page(chromium, web_ui_url)
    page.route_web_socket("**/ws*", lambda socket: sockets.append(socket))
    page.goto("/imports")

    page.get_by_label("Broker export file").set_input_files(
        {"name": "flex.csv", "mimeType": "text/csv", "buffer": b"Symbol,Quantity\nAAPL,100\n"}
    )
    page.get_by_role("button", name="Upload").click()
    bar = page.locator(f'progress[data-import-id="{queued.id}"]')
    bar.wait_for()
    for _ in range(50):
        if sockets:
            break
        page.wait_for_timeout(100)
    assert sockets, "the page opened no socket"
    progressed = {"import_id": str(queued.id), "rows_processed": 40, "rows_total": 100}
    sockets[-1].send(
        json.dumps(
            {
                "type": "event",
                "position": 7,
                "event": {"type": "import.progressed.v1", "data": progressed},
            }
        )
    )

    page.wait_for_function(
        "id => document.querySelector(`progress[data-import-id='${id}']`).value === 40",
        arg=str(queued.id),
    )
    assert bar.get_attribute("data-import-id") == str(queued.id)
    assert "40 of 100 rows" in page.get_by_test_id("import-status").inner_text()
    screenshot(page, "import-progress-desktop")

    edge.answer("GET", f"/api/v1/imports/{queued.id}", an_import(id=queued.id))
    sockets[-1].send(
        json.dumps(
            {
                "type": "event",
                "position": 8,
                "event": {"type": "import.completed.v1", "data": {"import_id": str(queued.id)}},
            }
        )
    )

    page.get_by_role("link", name="See the report").first.wait_for()
    assert "40 new" in page.get_by_test_id("import-status").inner_text()
    page.context.close()


def test_a_fill_is_entered_by_hand_after_its_bad_price_is_shown_at_the_field(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    added = uuid.uuid4()
    future = {
        "asset_class": "future",
        "symbol": "ESH6",
        "root": "ES",
        "expiry": "2026-03-20",
        "multiplier": "50",
    }
    entry = an_execution(
        added,
        source="manual",
        instrument=future,
        side="sell",
        price=Decimal("5131.25"),
        quantity=Decimal(2),
        note="Missing from the file",
    )
    position = a_position(
        id=added,
        instrument=future,
        direction="short",
        status="open",
        closed_at=None,
        open_quantity=Decimal(2),
        max_quantity=Decimal(2),
        avg_entry_price=Decimal("5131.25"),
        avg_exit_price=None,
        realised_pnl_gross=Decimal(0),
        fees=Decimal("1.02"),
        realised_pnl_net=Decimal("-1.02"),
        holding_seconds=None,
        initial_stop=None,
        r_multiple=None,
        outcome=None,
        executions=[entry],
    )
    edge.answer("POST", "/api/v1/executions", position.executions[0], status=201)
    edge.answer("GET", f"/api/v1/positions/{added}/attachments", an_attachment_list())
    edge.answer("GET", f"/api/v1/positions/{added}", position)
    page = open_page(chromium, web_ui_url)
    page.goto("/trades")

    page.get_by_role("link", name="Add a fill").click()
    page.get_by_label("Time, in the account's time zone").fill("2026-03-09T09:45:00")
    page.get_by_label("Asset class").select_option("future")
    page.get_by_label("Symbol").fill("ESH6")
    page.get_by_label("Contract size").fill("50")
    page.get_by_label("Expiry (options and futures)").fill("2026-03-20")
    page.get_by_label("Root (futures)").fill("ES")
    page.get_by_label("Side").select_option("sell")
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Price").fill("-5")
    page.get_by_role("button", name="Add the fill").click()

    error = page.locator("#fill-price-error")
    error.wait_for()
    assert error.inner_text() == "Use 0 or more"
    assert page.get_by_label("Price").get_attribute("aria-invalid") == "true"
    assert edge.received("POST", "/api/v1/executions") == []
    assert serious_violations(page) == []
    screenshot(page, "manual-fill-refused-desktop")

    page.get_by_label("Price").fill("5131.25")
    page.get_by_role("button", name="Add the fill").click()
    page.wait_for_url(f"**/positions/{added}")

    sent = json.loads(edge.received("POST", "/api/v1/executions")[0].body)
    # The account trades in New York, four hours behind UTC that day.
    assert (sent["executed_at"], sent["price"], sent["side"]) == (
        "2026-03-09T09:45:00-04:00",
        "5131.25",
        "sell",
    )
    assert (sent["instrument"]["root"], sent["instrument"]["multiplier"]) == ("ES", "50")
    assert page.get_by_test_id("fill-source").inner_text() == "entered by hand"
    page.context.close()


def test_a_trade_is_added_by_hand_and_a_fills_price_edited(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    added = uuid.uuid4()
    entry = an_execution(added, source="manual", price=Decimal("410.50"), quantity=Decimal(50))
    opened = {
        "instrument": {"asset_class": "stock", "symbol": "MSFT"},
        "status": "open",
        "closed_at": None,
        "open_quantity": Decimal(50),
        "max_quantity": Decimal(50),
        "avg_exit_price": None,
        "realised_pnl_gross": Decimal(0),
        "fees": Decimal("1.02"),
        "realised_pnl_net": Decimal("-1.02"),
        "holding_seconds": None,
        "initial_stop": None,
        "r_multiple": None,
        "outcome": None,
    }
    position = a_position(id=added, avg_entry_price=Decimal("410.50"), executions=[entry], **opened)
    edge.answer("POST", "/api/v1/positions", position, status=201)
    edge.answer("GET", f"/api/v1/positions/{added}/attachments", an_attachment_list())
    edge.answer("GET", f"/api/v1/positions/{added}", position)
    page = open_page(chromium, web_ui_url)
    page.goto("/trades")

    page.get_by_role("link", name="Add a trade").click()
    page.get_by_label("Symbol").fill("MSFT")
    page.get_by_label("Quantity").fill("50")
    page.get_by_label("Entry time (UTC)").fill("2026-03-02T14:30:00")
    page.get_by_label("Entry price").fill("410.50")
    page.get_by_role("button", name="Add the trade").click()
    page.wait_for_url(f"**/positions/{added}")

    sent = json.loads(edge.received("POST", "/api/v1/positions")[0].body)
    assert (sent["instrument"]["symbol"], sent["quantity"], sent["entry_price"]) == (
        "MSFT",
        "50",
        "410.50",
    )
    assert page.get_by_test_id("fill-source").inner_text() == "entered by hand"
    edited = a_position(
        id=added,
        avg_entry_price=Decimal("410.25"),
        **opened,
        executions=[
            {
                **entry,
                "price": Decimal("410.25"),
                "edits": [{"field": "price", "original": "410.50", "value": "410.25"}],
            }
        ],
    )
    edge.answer("PATCH", f"/api/v1/executions/{entry['id']}", edited.executions[0])

    def saved_then_reloaded(route: Route) -> None:
        # Core has the edit once the save is answered: the reloaded page shows it.
        answer = route.fetch()
        edge.answer("GET", f"/api/v1/positions/{added}", edited)
        route.fulfill(response=answer)

    page.route(f"**/positions/{added}/executions/**", saved_then_reloaded)
    page.get_by_test_id("edit-fill").click()
    page.get_by_label("Price", exact=True).fill("410.25")
    page.get_by_role("button", name="Save fill").click()

    page.get_by_test_id("fill-edited").wait_for()
    assert page.get_by_test_id("fill-edited").inner_text().startswith("price edited, was 410.50")
    patch = json.loads(edge.received("PATCH", f"/api/v1/executions/{entry['id']}")[0].body)
    assert patch == {"price": "410.25"}
    assert serious_violations(page) == []
    screenshot(page, "manual-trade-desktop")
    page.context.close()


def test_a_screenshot_is_uploaded_shown_opened_and_deleted_on_a_phone(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    position = serve_demo(edge)
    collection = f"/api/v1/positions/{position}/attachments"
    edge.answer("GET", collection, an_attachment_list())
    page = open_page(chromium, web_ui_url, "phone")
    page.goto(f"/positions/{position}")
    page.get_by_test_id("attachments-empty").wait_for()

    picture = a_png(640, 400)
    stored = an_attachment(owner_id=position, filename="chart.png", width=640, height=400)
    edge.answer("POST", collection, stored, status=201)
    edge.answer("GET", collection, an_attachment_list(stored))
    edge.answer(
        "GET", f"{collection}/{stored.id}/thumbnail", a_png(320, 200), content_type="image/png"
    )
    edge.answer("GET", f"{collection}/{stored.id}", picture, content_type="image/png")
    page.get_by_label("Add a screenshot").set_input_files(
        {"name": "chart.png", "mimeType": "image/png", "buffer": picture}
    )
    page.get_by_role("button", name="Upload screenshot").click()

    thumbnail = page.get_by_role("img", name="chart.png")
    thumbnail.wait_for()
    page.wait_for_function(
        "() => document.querySelector('img[alt=\"chart.png\"]').naturalWidth === 320"
    )
    (sent,) = edge.received("POST", collection)
    assert picture in sent.body
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert serious_violations(page) == []
    screenshot(page, "position-screenshots-phone")

    with page.context.expect_page() as opened:
        thumbnail.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.evaluate("document.contentType") == "image/png"
    full.close()

    edge.answer("DELETE", f"{collection}/{stored.id}", status=204)
    edge.answer("GET", collection, an_attachment_list())
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete the screenshot chart.png").click()

    page.get_by_test_id("attachments-empty").wait_for()
    assert len(edge.received("DELETE", f"{collection}/{stored.id}")) == 1
    page.context.close()


def test_an_imports_report_lists_its_rejected_rows_and_gives_back_the_file(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    page = open_page(chromium, web_ui_url, "phone")
    page.goto("/imports")

    with page.expect_navigation(url=f"**/imports/{REPORTED_IMPORT}"):
        page.get_by_role("link", name="degiro-2026-02.csv", exact=True).click()

    rows = page.get_by_test_id("rejected-row")
    assert rows.count() == 2
    assert "not a number: 'abc'" in rows.first.inner_text()
    screenshot(page, "import-report-phone")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download the file as uploaded").click()
    download = downloading.value
    assert download.suggested_filename == "degiro-2026-02.csv"
    assert Path(download.path()).read_bytes() == REPORTED_FILE
    page.context.close()


def test_an_import_is_undone_after_its_dry_run_is_confirmed(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    path = f"/api/v1/imports/{REPORTED_IMPORT}/undo"
    counts = {"import_id": str(REPORTED_IMPORT), "executions_kept": 2, "positions_affected": 11}
    dry_run = ImportUndo.model_validate({**counts, "dry_run": True, "executions_removed": 38})
    edge.answer("POST", path, dry_run, when={"dry_run": "true"})
    edge.answer(
        "POST", path, dry_run.model_copy(update={"dry_run": False}), when={"dry_run": "false"}
    )
    page = open_page(chromium, web_ui_url)
    page.goto(f"/imports/{REPORTED_IMPORT}")

    page.get_by_role("button", name="Undo this import").click()

    confirmation = page.get_by_test_id("undo-confirmation")
    confirmation.wait_for()
    assert "removes 38 executions" in confirmation.inner_text()
    assert edge.received("POST", path)[0].query == {"dry_run": "true"}
    assert serious_violations(page) == []
    screenshot(page, "import-undo-desktop")
    reported = edge.answers[("GET", f"/api/v1/imports/{REPORTED_IMPORT}", frozenset())]
    undone = json.loads(reported.body) | {"undone_at": "2026-03-04T15:00:00Z"}
    edge.answer("GET", f"/api/v1/imports/{REPORTED_IMPORT}", json.dumps(undone).encode())

    page.get_by_role("button", name="Undo the import").click()

    page.get_by_test_id("import-undone").wait_for()
    [_, undo] = edge.received("POST", path)
    assert undo.query == {"dry_run": "false"}
    assert undo.headers.get("idempotency-key")
    assert page.get_by_role("button", name="Undo this import").count() == 0
    page.context.close()


def multipart_fields(body: bytes) -> dict[str, str]:
    """The text fields of a multipart body by name (files left out)."""
    fields: dict[str, str] = {}
    for part in body.split(b"\r\n--"):
        head, _, value = part.partition(b"\r\n\r\n")
        if b"filename=" in head or b'name="' not in head:
            continue
        name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        fields[name] = value.split(b"\r\n", 1)[0].decode()
    return fields


def wait_for_uploads(page: Page, edge: StubEdge, count: int) -> None:
    for _ in range(100):
        if len(edge.received("POST", "/api/v1/imports")) >= count:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"edge did not receive {count} uploads")


def test_the_upload_sends_a_saved_mapping_only_when_one_is_chosen(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    futures = an_account(id=uuid.uuid4(), name="Futures")
    edge.answer("GET", "/api/v1/accounts", an_account_list(an_account(), futures))
    comdirect = a_saved_mapping()
    degiro = a_saved_mapping(account_id=futures.id, name="Degiro")
    edge.answer("GET", "/api/v1/column-mappings", a_saved_mapping_list(comdirect))
    edge.answer(
        "GET",
        "/api/v1/column-mappings",
        a_saved_mapping_list(degiro),
        when={"account_id": str(futures.id)},
    )
    edge.answer("POST", "/api/v1/imports", an_import(status="queued"), status=202)
    page = open_page(chromium, web_ui_url, "phone")
    page.goto("/imports")
    mapping = page.get_by_label("Saved column mapping")
    page.get_by_role("option", name="Comdirect export").wait_for(state="attached")
    page.get_by_label("Broker export file").set_input_files(
        {"name": "export.csv", "mimeType": "text/csv", "buffer": b"Datum,Wert\n"}
    )

    page.get_by_role("button", name="Upload").click()
    wait_for_uploads(page, edge, 1)
    page.get_by_label("Import into account").select_option(label="Futures (ibkr ••••1234)")
    page.get_by_role("option", name="Degiro").wait_for(state="attached")
    mapping.select_option(label="Degiro")
    page.get_by_label("Time zone of the file's times").fill("Asia/Tokyo")
    page.get_by_role("button", name="Upload").click()
    wait_for_uploads(page, edge, 2)

    assert serious_violations(page) == []
    none_sent, degiro_sent = [
        multipart_fields(call.body) for call in edge.received("POST", "/api/v1/imports")
    ]
    assert "mapping_id" not in none_sent
    assert none_sent["account_id"] == str(comdirect.account_id)
    assert degiro_sent["mapping_id"] == str(degiro.id)
    assert degiro_sent["account_id"] == str(futures.id)
    # Left blank, the zone is the account's (core reads "" as not chosen).
    assert (none_sent["time_zone"], degiro_sent["time_zone"]) == ("", "Asia/Tokyo")
    screenshot(page, "import-saved-mapping-phone")
    page.context.close()


def test_a_position_is_ticked_against_its_playbook_checklist(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    position = serve_demo(edge)
    edge.answer("PUT", f"/api/v1/positions/{position}/playbook", a_position())
    page = open_page(chromium, web_ui_url)
    page.goto(f"/positions/{position}")

    checklist = page.get_by_test_id("playbook-checklist")
    checklist.wait_for()
    boxes = checklist.get_by_role("checkbox")
    assert [boxes.nth(i).is_checked() for i in range(boxes.count())] == [True, False, True]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.get_by_test_id("position-playbook").screenshot(
        path=SCREENSHOTS / "position-playbook-checklist-desktop.png"
    )
    page.get_by_label("Volume over 2x average").check()
    chosen = page.locator("#position-playbook-select").input_value()
    page.get_by_role("button", name="Save playbook").click()

    page.get_by_test_id("playbook-notice").wait_for()
    [call] = edge.received("PUT", f"/api/v1/positions/{position}/playbook")
    sent = json.loads(call.body)
    assert sent["playbook_id"] == chosen
    assert len(sent["criteria_met"]) == 3
    assert serious_violations(page) == []
    page.context.close()


def test_a_playbook_is_written_down_from_the_keyboard_alone(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    edge.answer("POST", "/api/v1/playbooks", a_playbook("Gap and go"), status=201)
    page = open_page(chromium, web_ui_url)
    page.goto("/playbooks")

    page.get_by_label("Name").focus()
    page.keyboard.type("Gap and go")
    page.keyboard.press("Tab")
    page.keyboard.type("Gaps over 3% on news.")
    page.keyboard.press("Tab")
    page.keyboard.type("Premarket volume over 1M")
    page.keyboard.press("Tab")
    page.keyboard.type("Holds the opening print")
    with page.expect_navigation(url="**/playbooks"):
        page.keyboard.press("Enter")

    [call] = edge.received("POST", "/api/v1/playbooks")
    assert json.loads(call.body) == {
        "name": "Gap and go",
        "description": "Gaps over 3% on news.",
        "criteria": [
            {"id": None, "text": "Premarket volume over 1M"},
            {"id": None, "text": "Holds the opening print"},
        ],
        "default_stop": None,
    }


def test_a_cash_movement_is_recorded_from_the_account_page(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    path = f"/api/v1/accounts/{ACCOUNT_ID}/cash-movements"
    edge.answer("POST", path, a_cash_movement(), status=201)
    page = open_page(chromium, web_ui_url)
    page.goto(f"/settings/accounts/{ACCOUNT_ID}")

    page.get_by_label("When (UTC)").fill("2026-03-02T14:00")
    page.get_by_label("Amount (USD)").fill("5000")
    page.get_by_role("button", name="Record").click()

    page.get_by_test_id("settings-notice").wait_for()
    assert "Recorded" in page.get_by_test_id("settings-notice").inner_text()
    [sent] = edge.received("POST", path)
    assert json.loads(sent.body)["occurred_at"] == "2026-03-02T14:00:00Z"
    assert sent.headers.get("idempotency-key")
    screenshot(page, "account-cash-desktop")


def test_all_data_is_downloaded_then_restored_into_a_fresh_account(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("manifest.json", '{"format": "tradeloop-archive", "format_version": 1}')
    edge.answer(
        "GET",
        "/api/v1/export",
        archive.getvalue(),
        content_type="application/zip",
        headers={"content-disposition": 'attachment; filename="tradeloop-2026-03-02.zip"'},
    )
    page = open_page(chromium, web_ui_url)
    page.goto("/trades")
    trades = page.get_by_test_id("trade-row").all_inner_texts()
    assert trades
    page.goto("/settings")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download all my data").click()
    download = downloading.value
    assert download.suggested_filename == "tradeloop-2026-03-02.zip"
    assert Path(download.path()).read_bytes() == archive.getvalue()

    # A fresh account: no trades until the archive is restored into it.
    held = {key: answer for key, answer in edge.answers.items() if key[1] == "/api/v1/positions"}
    edge.answer("GET", "/api/v1/positions", a_position_page())
    page.goto("/trades")
    assert page.get_by_test_id("trades-empty").is_visible()
    edge.answer(
        "POST",
        "/api/v1/import-archive",
        ArchiveRestoreResult(restored={"accounts": 1, "executions": 24, "positions": 12}),
    )
    page.goto("/settings")
    page.get_by_label("Archive (.zip)").set_input_files(download.path())
    page.get_by_role("button", name="Restore").click()
    restored = page.get_by_test_id("archive-restored")
    assert "executions: 24" in restored.inner_text()
    [call] = edge.received("POST", "/api/v1/import-archive")
    assert archive.getvalue() in call.body
    assert serious_violations(page) == []
    page.get_by_test_id("settings-archive").scroll_into_view_if_needed()
    screenshot(page, "settings-archive-desktop")
    edge.answers.update(held)

    page.get_by_role("link", name="See your trades").click()
    page.wait_for_url("**/trades")
    assert page.get_by_test_id("trade-row").all_inner_texts() == trades
    page.context.close()


def test_a_fee_schedule_rule_is_added_from_the_account_page(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    path = f"/api/v1/accounts/{ACCOUNT_ID}/fee-schedule"
    options = {"asset_class": "option", "per_contract": "0.65"}
    edge.answer("PUT", path, a_fee_schedule(*a_fee_schedule().model_dump()["rules"], options))
    page = open_page(chromium, web_ui_url)
    page.goto(f"/settings/accounts/{ACCOUNT_ID}")

    page.get_by_test_id("fee-schedule-form").wait_for()
    page.get_by_label("Asset class of rule 4").select_option("option")
    page.get_by_label("Per contract of rule 4").fill("0.65")
    page.get_by_role("button", name="Save fee schedule").click()

    page.get_by_test_id("fee-schedule-notice").wait_for()
    [sent] = edge.received("PUT", path)
    rules = json.loads(sent.body)["rules"]
    assert len(rules) == 4
    assert rules[3] == {
        "asset_class": "option",
        "root": None,
        "per_contract": "0.65",
        "per_share": "0",
        "per_order": "0",
        "minimum": "0",
    }
    assert len(page.get_by_test_id("fee-rule").all()) == 6
    assert serious_violations(page) == []
    page.get_by_test_id("fee-schedule").scroll_into_view_if_needed()
    screenshot(page, "fee-schedule-desktop")
    page.context.close()


def test_one_account_is_chosen_on_the_journal_and_kept_on_the_plan_and_coach_pages(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    serve_demo(edge)
    futures_id = uuid.UUID("0b0d6f4c-4c0a-4d8e-9d6b-5d2f0c6c1a02")
    futures = {"account_id": str(futures_id)}
    edge.answer(
        "GET",
        "/api/v1/accounts",
        an_account_list(an_account(), an_account(id=futures_id, name="Futures")),
    )
    edge.answer(
        "GET",
        "/api/v1/statistics",
        statistics(**a_calendar(("2026-03-02", "115.00", 2), ("2026-03-05", "-75.00", 1))),
    )
    edge.answer(
        "GET",
        "/api/v1/statistics",
        statistics(**a_calendar(("2026-03-05", "-75.00", 1))),
        when=futures,
    )
    edge.answer(
        "GET",
        "/api/v1/violations",
        a_violation_page(a_violation(observed="9 contracts open", allowed="at most 5")),
        when=futures,
    )
    edge.answer(
        "POST",
        "/api/v1/coach/chat",
        a_chat_reply(answer="In the account Futures: net P&L -75.00 USD over 1 trade."),
    )
    page = open_page(chromium, web_ui_url)
    page.goto("/journal?month=2026-03")
    assert page.locator(".cell-pnl").all_inner_texts() == ["+115.00", "-75.00"]

    page.get_by_label("Account", exact=True).select_option(label="Futures")
    with page.expect_navigation(url=f"**/journal?*account_id={futures_id}*"):
        page.get_by_test_id("account-form").get_by_role("button", name="Show").click()

    # Only the futures account's one day of March has a P&L.
    assert page.locator(".cell-pnl").all_inner_texts() == ["-75.00"]
    assert "month=2026-03" in page.url
    screenshot(page, "journal-one-account-desktop")

    with page.expect_navigation(url=f"**/plan?account_id={futures_id}"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Plan").click()
    assert page.get_by_label("Account", exact=True).input_value() == str(futures_id)
    page.get_by_test_id("plan-account-note").wait_for()
    assert page.get_by_test_id("violation-row").all_inner_texts()[0].count("9 contracts open") == 1
    assert page.get_by_test_id("violation-row").count() == 1
    screenshot(page, "plan-one-account-desktop")

    with page.expect_navigation(url=f"**/coach?account_id={futures_id}"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Coach").click()
    assert page.get_by_label("Account", exact=True).input_value() == str(futures_id)
    page.get_by_test_id("insights-combined").wait_for()
    page.get_by_label("Your question").fill("what is my P&L?")
    page.get_by_role("button", name="Ask").click()
    page.get_by_test_id("chat-answer").wait_for()
    assert "In the account Futures" in page.get_by_test_id("chat-answer").inner_text()
    [asked] = edge.received("POST", "/api/v1/coach/chat")
    assert json.loads(asked.body)["account_id"] == str(futures_id)
    screenshot(page, "coach-one-account-desktop")


def test_an_account_default_stop_is_set_and_the_position_shows_its_r(
    chromium: Browser, web_ui_url: str, edge: StubEdge
) -> None:
    shown = serve_demo(edge)
    rule = DefaultStop(kind="points", distance=Decimal(1))
    edge.answer("PATCH", f"/api/v1/accounts/{ACCOUNT_ID}", an_account(default_stop=rule))
    page = open_page(chromium, web_ui_url)
    page.goto(f"/settings/accounts/{ACCOUNT_ID}")

    page.get_by_label("Placed by").select_option("points")
    page.get_by_label("Distance").fill("1")
    saved = an_account(starting_balance=Decimal(25000), risk_unit=Decimal(250), default_stop=rule)
    edge.answer("GET", "/api/v1/accounts", an_account_list(saved))
    page.get_by_role("button", name="Save", exact=True).click()

    page.get_by_test_id("settings-notice").wait_for()
    [sent] = edge.received("PATCH", f"/api/v1/accounts/{ACCOUNT_ID}")
    assert json.loads(sent.body)["default_stop"] == {"kind": "points", "distance": "1"}
    assert page.get_by_label("Placed by").input_value() == "points"
    assert serious_violations(page) == []
    page.get_by_test_id("money-default-stop").scroll_into_view_if_needed()
    screenshot(page, "account-default-stop-desktop")

    # Core now gives the position, which had no stop of the trader's, the rule's stop and R.
    position = a_position(
        id=uuid.UUID(shown),
        initial_stop=Decimal("186.25"),
        stop_source="default_rule",
        r_multiple=Decimal("1.83"),
        playbook=None,
    )
    edge.answer("GET", f"/api/v1/positions/{shown}", position)
    page.goto(f"/positions/{shown}")
    assert page.get_by_test_id("position-r").inner_text().replace("\n", " ") == "R multiple 1.83R"
    assert page.get_by_test_id("position-stop-source").inner_text() == (
        "from the account's default rule"
    )
    assert serious_violations(page) == []
    page.context.close()
