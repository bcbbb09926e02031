"""The prop-firm rule kinds at their edges, without a database."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from core_api.instruments.sessions import trading_day
from core_api.plans.engine import VersionRules
from core_api.plans.propfirm import OpenChange, Trade, judge, rule_runs
from tests.plans.factories import T0, plan, position, rule

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def trade(opened_at: dt.datetime, pnl: str = "0", **extra: Any) -> Trade:
    """A position as the prop-firm rules see it; `extra` as the factory's `position`."""
    facts = position(opened_at, pnl, **extra)
    return Trade(
        id=facts.id,
        account_id=facts.account_id,
        asset_class=facts.asset_class,
        opened_at=facts.opened_at,
        closed_at=facts.closed_at,
        opened_day=facts.opened_day,
        closed_day=facts.closed_day,
        pnl=facts.pnl,
        currency=facts.currency,
        outcome=facts.outcome,
    )


def drawdown(amount: str, basis: str = "end_of_day", lock_at: str | None = None) -> VersionRules:
    params: dict[str, Any] = {"kind": "trailing_drawdown", "amount": amount, "basis": basis}
    if lock_at is not None:
        params["lock_at"] = lock_at
    return plan(rule(params))


def findings_of(
    versions: VersionRules | list[VersionRules],
    positions: list[Trade],
    changes: list[OpenChange] | None = None,
) -> list[tuple[str, dt.date, Decimal]]:
    """(position, day, cost) of each finding, in day order."""
    chosen = versions if isinstance(versions, list) else [versions]
    findings = sorted(judge(chosen, positions, changes or []), key=lambda finding: finding.day)
    return [(str(finding.position_id), finding.day, finding.cost) for finding in findings]


class TestTrailingDrawdown:
    def test_equity_exactly_at_the_floor_is_no_violation_and_a_cent_below_is(self) -> None:
        at_floor = [trade(T0, "-60"), trade(T0 + HOUR, "-40")]
        assert findings_of(drawdown("100"), at_floor) == []
        below = [trade(T0, "-60"), trade(T0 + HOUR, "-40.01")]
        assert findings_of(drawdown("100"), below) == [
            (str(below[1].id), T0.date(), Decimal("-40.01"))
        ]

    def test_one_history_breaks_an_intraday_mark_but_not_an_end_of_day_one(self) -> None:
        # +300 then −250 on Monday, −150 on Tuesday. Intraday the mark follows the +300
        # close, so the floor is 100 when equity falls to 50. End of day the mark stays 0
        # all Monday (floor −200) and only rises to Monday's close of 50 (floor −150):
        # Tuesday ends at −100, above it. Intraday, Tuesday's trade is one more under the floor.
        history = [
            trade(T0, "300"),
            trade(T0 + HOUR, "-250"),
            trade(T0 + DAY, "-150"),
        ]
        assert findings_of(drawdown("200", "intraday"), history) == [
            (str(history[1].id), T0.date(), Decimal(-250)),
            (str(history[2].id), (T0 + DAY).date(), Decimal(-150)),
        ]
        assert findings_of(drawdown("200", "end_of_day"), history) == []

    def test_the_floor_stops_rising_at_the_lock(self) -> None:
        # Monday ends at +500: the floor would trail to 400 but locks at 50.
        history = [
            trade(T0, "500"),
            trade(T0 + DAY, "-440"),
            trade(T0 + DAY + HOUR, "-20"),
        ]
        assert findings_of(drawdown("100", lock_at="50"), history) == [
            (str(history[2].id), (T0 + DAY).date(), Decimal(-20))
        ]
        assert findings_of(drawdown("100"), history) == [
            (str(history[1].id), (T0 + DAY).date(), Decimal(-460))
        ]

    def test_trading_on_under_the_floor_is_part_of_the_breach_each_day(self) -> None:
        history = [
            trade(T0, "-150"),
            trade(T0 + HOUR, "20"),
            trade(T0 + DAY, "-5"),
        ]
        [monday, tuesday] = judge([drawdown("100")], history, [])
        assert (monday.position_id, monday.cost) == (history[0].id, Decimal(-130))
        assert monday.observed == "equity -150 under the floor -100"
        assert monday.allowed == "100 below the high (end of day)"
        assert (tuesday.position_id, tuesday.day, tuesday.cost) == (
            history[2].id,
            (T0 + DAY).date(),
            Decimal(-5),
        )

    def test_each_account_has_its_own_curve(self) -> None:
        other = uuid.UUID(int=2)
        history = [trade(T0, "-80"), trade(T0 + HOUR, "-80", account_id=other)]
        assert findings_of(drawdown("100"), history) == []

    def test_the_curve_starts_when_the_rule_came_into_force(self) -> None:
        rule_of_plan = rule({"kind": "trailing_drawdown", "amount": "100"})
        earlier = trade(T0 - DAY, "-90")
        later = trade(T0 + HOUR, "-90")
        versions = [plan(rule_of_plan, since=T0)]
        assert findings_of(versions, [earlier, later]) == []

    def test_a_sunday_evening_futures_close_belongs_to_monday_after_the_mark_rose(self) -> None:
        # US clocks go forward on Sunday 8 March 2026. Friday's close at 16:30 Chicago (CST)
        # is Friday's session; Sunday's at 17:30 Chicago (CDT) opens Monday's, so Friday's
        # end raised the end-of-day mark to 300 (floor 100) before the −250.
        friday = dt.datetime(2026, 3, 6, 22, 30, tzinfo=dt.UTC)
        sunday = dt.datetime(2026, 3, 8, 22, 30, tzinfo=dt.UTC)
        history = [future(friday, "300"), future(sunday, "-250")]
        assert [day for _, day, _ in findings_of(drawdown("200"), history)] == [dt.date(2026, 3, 9)]
        same_session = [future(friday - HOUR, "300"), future(friday, "-250")]
        assert findings_of(drawdown("200"), same_session) == []

    def test_a_close_after_midnight_is_the_next_day_in_the_traders_zone(self) -> None:
        # 23:50 and 00:10 New York time: the first day's end raises the mark between them.
        late = dt.datetime(2026, 3, 4, 4, 40, tzinfo=dt.UTC)
        history = [
            trade(late, "300", closed_after=dt.timedelta(minutes=10)),
            trade(late + dt.timedelta(minutes=25), "-250", closed_after=dt.timedelta(minutes=5)),
        ]
        assert [day for _, day, _ in findings_of(drawdown("200"), history)] == [dt.date(2026, 3, 4)]


def future(closed_at: dt.datetime, pnl: str) -> Trade:
    opened_at = closed_at - dt.timedelta(minutes=10)
    return trade(
        opened_at,
        pnl,
        closed_after=dt.timedelta(minutes=10),
        asset_class="future",
        symbol="ESH6",
        opened_day=trading_day(opened_at, "future", "America/New_York"),
        closed_day=trading_day(closed_at, "future", "America/New_York"),
    )


class TestConsistency:
    share = plan(rule({"kind": "consistency", "max_day_share_percent": "50"}))

    def test_a_day_at_exactly_the_share_is_no_violation(self) -> None:
        history = [trade(T0, "50"), trade(T0 + DAY, "50")]
        assert findings_of(self.share, history) == []

    def test_a_day_over_the_share_is_flagged_on_its_best_trade_at_the_days_net(self) -> None:
        history = [
            trade(T0, "-9"),
            trade(T0 + HOUR, "60"),
            trade(T0 + DAY, "49"),
        ]
        [finding] = judge([self.share], history, [])
        assert (finding.position_id, finding.day, finding.cost) == (
            history[1].id,
            T0.date(),
            Decimal(51),
        )
        assert finding.observed == "day's net 51 is 51% of 100"
        assert finding.allowed == "at most 50% of the net profit"

    def test_a_period_without_net_profit_has_no_share_to_break(self) -> None:
        history = [trade(T0, "100"), trade(T0 + DAY, "-100")]
        assert findings_of(self.share, history) == []

    def test_later_profit_clears_an_earlier_day(self) -> None:
        first = [trade(T0, "80"), trade(T0 + DAY, "20")]
        assert len(findings_of(self.share, first)) == 1
        assert findings_of(self.share, [*first, trade(T0 + 2 * DAY, "60")]) == []


def filled(pos: Trade, *fills: tuple[dt.timedelta, str]) -> list[OpenChange]:
    """The position's fills, each (time after its open, change of its open quantity)."""
    return [
        OpenChange(pos.id, pos.opened_at + after, (pos.opened_at + after).date(), Decimal(change))
        for after, change in fills
    ]


class TestMaxOpenContracts:
    limit = plan(rule({"kind": "max_open_contracts", "count": "3", "asset_class": "future"}))

    def test_partial_fills_count_as_they_fill(self) -> None:
        held = trade(T0, closed_after=4 * HOUR, asset_class="future", symbol="ESH6")
        added = trade(T0 + HOUR, closed_after=HOUR, asset_class="future", symbol="NQH6")
        stock = trade(T0, quantity="500", closed_after=4 * HOUR)
        changes = [
            *filled(held, (dt.timedelta(0), "2"), (4 * HOUR, "-2")),
            *filled(added, (dt.timedelta(0), "1"), (HOUR / 2, "1"), (HOUR, "-2")),
            *filled(stock, (dt.timedelta(0), "500"), (4 * HOUR, "-500")),
        ]
        [finding] = judge([self.limit], [held, added, stock], changes)
        assert finding.position_id == added.id
        assert finding.observed == "4 future open at once"
        assert finding.allowed == "at most 3 future"

    def test_exactly_the_count_is_allowed(self) -> None:
        first = trade(T0, closed_after=2 * HOUR, asset_class="future", symbol="ESH6")
        second = trade(T0 + HOUR, closed_after=HOUR, asset_class="future", symbol="NQH6")
        changes = [
            *filled(first, (dt.timedelta(0), "2"), (2 * HOUR, "-2")),
            *filled(second, (dt.timedelta(0), "1"), (HOUR, "-1")),
        ]
        assert judge([self.limit], [first, second], changes) == []

    def test_what_closes_at_a_moment_counts_before_what_opens_then(self) -> None:
        first = trade(T0, closed_after=HOUR, asset_class="future", symbol="ESH6")
        second = trade(T0 + HOUR, closed_after=HOUR, asset_class="future", symbol="NQH6")
        changes = [
            *filled(second, (dt.timedelta(0), "3"), (HOUR, "-3")),
            *filled(first, (dt.timedelta(0), "3"), (HOUR, "-3")),
        ]
        assert judge([self.limit], [first, second], changes) == []


class TestRuleRuns:
    def test_a_rule_runs_on_through_versions_until_its_parameters_change(self) -> None:
        same = rule({"kind": "consistency", "max_day_share_percent": "50"}, name="c")
        other = rule({"kind": "max_trades_per_day", "count": 1})
        changed = rule({"kind": "consistency", "max_day_share_percent": "40"}, name="c")
        changed = type(changed)(same.id, "c", True, changed.params)
        versions = [
            plan(same, version=1, since=T0),
            plan(same, other, version=2, since=T0 + HOUR),
            plan(changed, version=3, since=T0 + 2 * HOUR),
        ]
        runs = [(run.rule.kind, run.start, run.end) for run in rule_runs(versions)]
        assert runs == [
            ("consistency", T0, T0 + 2 * HOUR),
            ("max_trades_per_day", T0 + HOUR, T0 + 2 * HOUR),
            ("consistency", T0 + 2 * HOUR, None),
        ]
