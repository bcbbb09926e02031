"""A demo trader's answers for every page, sized like a real account when asked."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from tradeloop_contracts import (
    InsightList,
    PlaybookList,
    Position,
    PositionDetail,
    PositionPage,
    RejectedRow,
    TradingPlan,
)

from tests.factories import (
    ACCOUNT_ID,
    a_broker_connection,
    a_broker_connection_list,
    a_calendar,
    a_cash_movement,
    a_cash_movement_list,
    a_csv_preview,
    a_dashboard,
    a_fee_schedule,
    a_journal_entry,
    a_journal_page,
    a_plan,
    a_playbook,
    a_png,
    a_position,
    a_position_bars,
    a_position_page,
    a_rule,
    a_saved_mapping,
    a_saved_mapping_list,
    a_version_history,
    a_violation,
    a_violation_page,
    a_weekly_review,
    a_weekly_review_list,
    an_account,
    an_account_balance,
    an_account_list,
    an_adherence,
    an_analytics,
    an_api_token,
    an_attachment,
    an_attachment_list,
    an_execution,
    an_import,
    an_import_page,
    an_insight,
    following,
    some_limits,
    some_presets,
    statistics,
)
from tests.stub_edge import StubEdge

DAY = "2026-03-02"
# A generic CSV import waiting for its column mapping.
WAITING_IMPORT = uuid.UUID("5f0c2d9e-8a41-4c7e-9b1a-2d3e4f5a6b7c")
# A finished import with rows it refused, and the file as uploaded.
REPORTED_IMPORT = uuid.UUID("8d1e6b2a-4f3c-4a9e-b7d5-0c2e1f3a4b5d")
# The playbook the shown position followed.
PLAYBOOK = uuid.UUID("3e7a1c52-9b4d-4f6e-8a2c-5d1b0e9f7a63")
REPORTED_FILE = b"Symbol,Quantity,Price\nAAPL,100,187.25\nMSFT,abc,410.00\n"
DAY_ENTRY = uuid.UUID("3c9e1f4a-2b7d-4e8f-a1c6-5d0b9e8f7a21")
NEEDS_MAPPING = "needs_mapping: choose which column holds each field, then resubmit the import"


def trading_days(count: int) -> list[tuple[str, str, int]]:
    """`count` weekdays ending on DAY, with P&L that swings both ways."""
    days: list[tuple[str, str, int]] = []
    day = dt.date.fromisoformat(DAY)
    while len(days) < count:
        if day.weekday() < 5:
            pnl = Decimal((len(days) * 7919) % 900 - 380) + Decimal("0.25")
            days.append((day.isoformat(), str(pnl), 1 + len(days) % 9))
        day -= dt.timedelta(days=1)
    return list(reversed(days))


def positions(count: int) -> list[PositionDetail]:
    symbols = ["AAPL", "MSFT", "NVDA", "TSLA", "AMD", "META"]
    made = []
    for index in range(count):
        pnl = Decimal((index * 613) % 700 - 300) + Decimal("0.48")
        made.append(
            a_position(
                instrument={"asset_class": "stock", "symbol": symbols[index % len(symbols)]},
                direction="long" if index % 3 else "short",
                realised_pnl_net=pnl,
                outcome="win" if pnl > 0 else "loss",
                tags=["breakout"] if index % 4 == 0 else [],
            )
        )
    return made


def numbers_of(
    executions: list[dict[str, Any]], *, stop: Decimal, worst: Decimal, best: Decimal
) -> dict[str, Any]:
    """A long position's figures computed from its fills, so a page never shows numbers
    its executions contradict."""
    buys = [e for e in executions if e["side"] == "buy"]
    sells = [e for e in executions if e["side"] == "sell"]
    quantity = sum((e["quantity"] for e in buys), Decimal(0))
    entry = sum((e["price"] * e["quantity"] for e in buys), Decimal(0)) / quantity
    exit_ = sum((e["price"] * e["quantity"] for e in sells), Decimal(0)) / quantity
    gross = (exit_ - entry) * quantity
    fees = sum((e["commission"] + e["fees"] for e in executions), Decimal(0))
    opened, closed = executions[0]["executed_at"], executions[-1]["executed_at"]
    return {
        "opened_at": opened,
        "closed_at": closed,
        "holding_seconds": int((closed - opened).total_seconds()),
        "max_quantity": quantity,
        "avg_entry_price": entry.quantize(Decimal("0.0001")),
        "avg_exit_price": exit_.quantize(Decimal("0.0001")),
        "realised_pnl_gross": gross.quantize(Decimal("0.01")),
        "fees": fees,
        "realised_pnl_net": (gross - fees).quantize(Decimal("0.01")),
        "r_multiple": ((exit_ - entry) / (entry - stop)).quantize(Decimal("0.01")),
        "initial_stop": stop,
        "mae": ((worst - entry) * quantity).quantize(Decimal("0.01")),
        "mfe": ((best - entry) * quantity).quantize(Decimal("0.01")),
        "execution_count": len(executions),
        "outcome": "win" if gross - fees > 0 else "loss",
    }


def serve_demo(
    edge: StubEdge,
    *,
    days: int = 40,
    rows: int = 12,
    fills: int = 2,
    bars: int = 40,
    rejected: int = 2,
) -> str:
    """Answer every page's calls; returns the id of the position whose page is served.

    `days` trading days in the statistics, `rows` positions per list page, `fills`
    executions on the position page, `bars` price bars of its chart and `rejected` rows
    in the report of REPORTED_IMPORT."""
    calendar = a_calendar(*trading_days(days))
    page_items = positions(rows)
    shown_id = uuid.uuid4()
    opened = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
    executions = [
        an_execution(
            shown_id,
            executed_at=opened + dt.timedelta(seconds=i * 5400 // fills),
            side="buy" if i < fills / 2 else "sell",
            price=Decimal("187.25") + Decimal(i % 5) / 10,
        )
        for i in range(fills)
    ]
    orb = a_playbook(id=PLAYBOOK, description="Long above the first 15 minutes' **high**.")
    pullback = a_playbook(
        "Pullback to VWAP",
        "Trend up on the hour",
        "Higher low",
        positions=7,
        adherence_rate=Decimal("0.5714"),
    )
    shown = a_position(
        id=shown_id,
        tags=["breakout"],
        playbook=following(orb, "Above VWAP", "Stop below the range"),
        mae_price=Decimal("186.63"),
        mfe_price=Decimal("188.55"),
        executions=executions,
        **numbers_of(
            executions, stop=Decimal("186.25"), worst=Decimal("186.63"), best=Decimal("188.55")
        ),
    )
    insights = InsightList(items=[an_insight(), an_insight(title="Fridays cost you")])
    edge.answer(
        "GET",
        "/api/v1/dashboard",
        a_dashboard(
            statistics=statistics(**calendar),
            positions=a_position_page(*page_items[:10]),
            insights=insights,
        ),
    )
    edge.answer("GET", "/api/v1/statistics", statistics(**calendar))
    edge.answer(
        "GET",
        "/api/v1/positions",
        PositionPage(items=list[Position](page_items), next_cursor="next-page"),
    )
    edge.answer("GET", f"/api/v1/positions/{shown.id}", shown)
    closes = [str(Decimal("187.00") + Decimal(i % 7) / 4 - Decimal(i % 3) / 5) for i in range(bars)]
    # Five-minute bars for a short history, one-minute bars for a long one; both span the fills.
    interval = "5m" if bars <= 100 else "1m"
    edge.answer(
        "GET",
        f"/api/v1/positions/{shown.id}/bars",
        a_position_bars(
            closes,
            start=opened - dt.timedelta(minutes=60),
            interval=interval,
            position_id=shown.id,
        ),
    )
    edge.answer(
        "GET",
        "/api/v1/journal/entries",
        a_journal_page(
            a_journal_entry(
                id=DAY_ENTRY,
                day=DAY,
                body="Patient open.\n\n## What went well\n\nWaited for the **retest**.",
                mood=4,
            )
        ),
    )
    screenshot = an_attachment(owner_id=shown.id, width=1280, height=800)
    edge.answer("GET", f"/api/v1/positions/{shown.id}/attachments", an_attachment_list(screenshot))
    edge.answer(
        "GET",
        f"/api/v1/positions/{shown.id}/attachments/{screenshot.id}/thumbnail",
        a_png(320, 200),
        content_type="image/png",
    )
    edge.answer("GET", f"/api/v1/journal/entries/{DAY_ENTRY}/attachments", an_attachment_list())
    edge.answer(
        "GET",
        "/api/v1/accounts",
        an_account_list(an_account(starting_balance=Decimal(25000), risk_unit=Decimal(250))),
    )
    edge.answer("GET", f"/api/v1/accounts/{ACCOUNT_ID}/balance", an_account_balance())
    edge.answer("GET", f"/api/v1/accounts/{ACCOUNT_ID}/fee-schedule", a_fee_schedule())
    edge.answer(
        "GET",
        f"/api/v1/accounts/{ACCOUNT_ID}/cash-movements",
        a_cash_movement_list(
            a_cash_movement(amount=Decimal("-2500.00"), note="payout"),
            a_cash_movement(occurred_at=dt.datetime(2026, 2, 2, 14, 0, tzinfo=dt.UTC)),
        ),
    )
    waiting = an_import(id=WAITING_IMPORT, status="failed", error=NEEDS_MAPPING)
    reasons = ["not a number: 'abc'", "a second header row", "no such side: 'hold'"]
    reported = an_import(
        id=REPORTED_IMPORT,
        filename="degiro-2026-02.csv",
        counts={"new": 1, "duplicate": 0, "rejected": rejected},
        rejected_rows=[
            RejectedRow(
                file="degiro-2026-02.csv",
                line=3 + 6 * index,
                field=None if index % 3 == 1 else "Quantity",
                reason=reasons[index % 3],
            )
            for index in range(rejected)
        ],
    )
    edge.answer("GET", "/api/v1/imports", an_import_page(waiting, reported))
    edge.answer("GET", f"/api/v1/imports/{REPORTED_IMPORT}", reported)
    edge.answer(
        "GET",
        f"/api/v1/imports/{REPORTED_IMPORT}/raw",
        REPORTED_FILE,
        content_type="application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{reported.filename}"'},
    )
    edge.answer("GET", f"/api/v1/imports/{WAITING_IMPORT}", waiting)
    edge.answer("GET", f"/api/v1/imports/{WAITING_IMPORT}/preview", a_csv_preview())
    edge.answer("GET", "/api/v1/column-mappings", a_saved_mapping_list(a_saved_mapping()))
    edge.answer(
        "GET",
        "/api/v1/api-tokens",
        json.dumps({"items": [an_api_token(id=uuid.uuid4())]}, default=str).encode(),
    )
    edge.answer(
        "GET",
        "/api/v1/broker-connections",
        a_broker_connection_list(
            a_broker_connection(),
            a_broker_connection(
                label="Alpaca live",
                environment="live",
                status="broken",
                status_detail="unauthorized",
                last_synced_at=None,
            ),
        ),
    )
    coach_insights = InsightList(
        items=[
            an_insight(evidence={**an_insight().evidence.model_dump(), "position_ids": [shown_id]}),
            *insights.items[1:],
        ]
    )
    edge.answer("GET", "/api/v1/insights", coach_insights)
    edge.answer(
        "GET",
        "/api/v1/reviews",
        a_weekly_review_list(a_weekly_review(insight_ids=[coach_insights.items[0].id])),
    )
    edge.answer("GET", "/api/v1/playbooks", PlaybookList(items=[orb, pullback]))
    edge.answer("GET", f"/api/v1/playbooks/{orb.id}", orb)
    edge.answer(
        "GET",
        "/api/v1/coach/analytics",
        an_analytics(
            "playbook",
            ("(no playbook)", 9, "-310.40"),
            (orb.name, 12, "1840.50"),
            (pullback.name, 7, "-212.25"),
        ),
        when={"group_by": "playbook"},
    )
    edge.answer(
        "GET",
        "/api/v1/coach/analytics",
        an_analytics(
            "criterion",
            (f"{orb.name} · Above VWAP · met", 9, "2120.00"),
            (f"{orb.name} · Above VWAP · missed", 3, "-279.50"),
            (f"{orb.name} · Volume over 2x average · met", 8, "1710.25"),
            (f"{orb.name} · Volume over 2x average · missed", 4, "130.25"),
            (f"{pullback.name} · Higher low · met", 4, "96.00"),
            (f"{pullback.name} · Higher low · missed", 3, "-308.25"),
        ),
        when={"group_by": "criterion"},
    )
    plan = demo_plan()
    edge.answer("GET", "/api/v1/plan", plan)
    edge.answer("GET", "/api/v1/plan/versions/2", plan.model_copy(update={"version": 2}))
    edge.answer("GET", "/api/v1/plan/versions", a_version_history(plan))
    edge.answer("GET", "/api/v1/plan/adherence", an_adherence(plan))
    edge.answer("GET", "/api/v1/plan/limits", some_limits())
    edge.answer("GET", "/api/v1/plan/presets", some_presets())
    edge.answer(
        "GET",
        "/api/v1/violations",
        a_violation_page(
            a_violation(rule_id=plan.rules[1].id),
            a_violation(
                rule_id=plan.rules[0].id,
                rule_kind="max_daily_loss",
                position_id=shown.id,
                observed="day at -812.40",
                allowed="-500.00",
                cost=Decimal("-312.40"),
            ),
        ),
    )
    return str(shown.id)


def demo_plan() -> TradingPlan:
    """A plan with one rule of every kind."""
    return a_plan(
        a_rule("max_daily_loss", "Stop at -500", amount="500"),
        a_rule("max_trades_per_day", "Five a day", count=5),
        a_rule("max_position_size", "Size cap", quantity="500", asset_class="stock"),
        a_rule("max_risk_per_trade", "Risk 100", amount="100"),
        a_rule(
            "trading_window",
            "Morning only",
            weekdays=["mon", "tue", "wed", "thu", "fri"],
            start="09:45:00",
            end="11:30:00",
            exchange="XNYS",
        ),
        a_rule("cooldown_after_loss", "Breathe", minutes=15),
        a_rule("max_consecutive_losses", "Three strikes", count=3),
        a_rule("symbols", "No meme stocks", blocked_symbols=["GME", "AMC"]),
        a_rule("journal_required", "Write it down", hours=24),
        a_rule("trailing_drawdown", "Trailing drawdown", amount="2000", basis="end_of_day"),
        a_rule("consistency", "Consistency", max_day_share_percent="50"),
        a_rule("min_trading_days", "Trading days", count=5),
        a_rule("max_open_contracts", "Contracts", count="5", asset_class="future"),
        a_rule("custom", "Keep losses small", expression="position.r_multiple > -1.5"),
    )
