"""Adherence statistics and the preview of a plan, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts import TradingPlanUpdate

from core_api.plans.adherence import adherence
from core_api.plans.models import ViolationRecord
from core_api.plans.service import preview_plan
from tests.conftest import Trader
from tests.executions.test_endpoints import post_batch
from tests.plans.test_endpoints import MAX_ONE_TRADE, MONDAY, backdate_plan, put_plan, round_trip

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


class TestAdherence:
    def test_rates_pnl_without_violations_and_compliant_day_streaks(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        plan = put_plan(client, trader, [MAX_ONE_TRADE])
        backdate_plan(session, trader)
        fills = (
            round_trip("mon", MONDAY, 2)  # +20
            + round_trip("tue-1", MONDAY + DAY, 1)  # +10
            + round_trip("tue-2", MONDAY + DAY + HOUR, -4)  # -40, the second trade: flagged
            + round_trip("wed", MONDAY + 2 * DAY, 3)  # +30
            + round_trip("thu", MONDAY + 3 * DAY, -1)  # -10
        )
        post_batch(client, workers, trader, fills)
        report = adherence(session, trader.id)
        assert (report.judged, report.compliant, report.rate) == (5, 4, Decimal("0.8"))
        assert (report.pnl_all, report.pnl_compliant) == (Decimal(10), Decimal(50))
        assert (report.compliant_days_streak, report.longest_compliant_days_streak) == (2, 2)
        [rule] = report.rules
        assert str(rule.rule_id) == plan["rules"][0]["id"]
        assert (rule.judged, rule.broken, rule.rate, rule.cost) == (
            5,
            1,
            Decimal("0.8"),
            Decimal(-40),
        )

    def test_a_trader_without_a_plan_has_nothing_judged(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        post_batch(client, workers, trader, round_trip("a", MONDAY, 1))
        report = adherence(session, trader.id)
        assert (report.judged, report.rate, report.rules) == (0, None, [])


class TestPreview:
    def test_a_preview_counts_what_the_plan_would_have_flagged_and_stores_nothing(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        fills = (
            round_trip("a", MONDAY, 1)
            + round_trip("b", MONDAY + HOUR, -2)
            + round_trip("c", MONDAY + 2 * HOUR, -3)
        )
        post_batch(client, workers, trader, fills)
        body = TradingPlanUpdate.model_validate({"rules": [MAX_ONE_TRADE]})
        preview = preview_plan(session, trader.id, body)
        assert (preview.violations, preview.positions) == (2, 2)
        assert preview.cost == {"USD": Decimal(-50)}
        stored = session.scalars(
            select(ViolationRecord).where(ViolationRecord.user_id == trader.id)
        )
        assert stored.all() == []
