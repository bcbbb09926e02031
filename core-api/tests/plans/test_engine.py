"""Each rule kind at its edges, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from core_api.plans.engine import Evaluation, PositionFacts, VersionRules, evaluate
from tests.plans.factories import T0, plan, position, rule

NEW_YORK = "America/New_York"
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


def run(
    versions: VersionRules | list[VersionRules],
    positions: list[PositionFacts],
    now: dt.datetime = T0 + dt.timedelta(days=30),
    time_zone: str = NEW_YORK,
) -> Evaluation:
    chosen = versions if isinstance(versions, list) else [versions]
    return evaluate(chosen, positions, None, time_zone, now)


def flagged(evaluation: Evaluation) -> list[Any]:
    return sorted(str(finding.position_id) for finding in evaluation.findings)


class TestMaxTradesPerDay:
    def test_the_trade_at_the_limit_passes_and_the_next_one_is_flagged(self) -> None:
        trades = [position(T0 + index * HOUR, "10") for index in range(3)]
        evaluation = run(plan(rule({"kind": "max_trades_per_day", "count": 2})), trades)
        assert flagged(evaluation) == [str(trades[2].id)]
        finding = evaluation.findings[0]
        assert (finding.observed, finding.allowed) == ("trade 3 of the day", "2 per day")
        assert finding.cost == Decimal(10)

    def test_days_count_separately_in_the_traders_zone(self) -> None:
        # 23:30 and 00:30 New York time are two days, though both are 5 March in UTC.
        late = dt.datetime(2026, 3, 5, 4, 30, tzinfo=dt.UTC)
        trades = [position(late, "1"), position(late + HOUR, "1")]
        assert run(plan(rule({"kind": "max_trades_per_day", "count": 1})), trades).findings == []


class TestMaxDailyLoss:
    limit = plan(rule({"kind": "max_daily_loss", "amount": "150"}))

    def test_a_day_that_flips_from_profit_to_exactly_the_limit_is_no_violation(self) -> None:
        trades = [position(T0, "100"), position(T0 + HOUR, "-250")]
        assert run(self.limit, trades).findings == []

    def test_a_loss_past_the_limit_costs_the_position_that_passed_it(self) -> None:
        trades = [position(T0, "100"), position(T0 + HOUR, "-251")]
        [finding] = run(self.limit, trades).findings
        assert finding.position_id == trades[1].id
        assert finding.cost == Decimal(-251)
        assert finding.observed == "day's net -151"
        assert finding.allowed == "loss up to 150"

    def test_positions_opened_after_the_limit_count_toward_the_breach(self) -> None:
        trades = [
            position(T0, "-150"),  # reaches the limit exactly at T0 + 5 min
            position(T0 + 4 * MINUTE, "30"),  # opened before the limit was reached
            position(T0 + 5 * MINUTE, "-20"),
            position(T0 + HOUR, "50"),
        ]
        [finding] = run(self.limit, trades).findings
        assert finding.position_id == trades[2].id  # the net went past -150 there
        assert finding.cost == Decimal(30)  # -20 + 50
        assert finding.day == dt.date(2026, 3, 2)


class TestMaxPositionSize:
    def test_partial_fills_that_cross_the_size_limit_are_flagged(self) -> None:
        at_limit = position(T0, quantity="100")
        scaled_past = position(T0 + HOUR, quantity="100.5")
        evaluation = run(
            plan(rule({"kind": "max_position_size", "quantity": "100"})), [at_limit, scaled_past]
        )
        assert flagged(evaluation) == [str(scaled_past.id)]
        assert evaluation.findings[0].observed == "size 100.5"

    def test_notional_and_asset_class(self) -> None:
        stock = position(T0, quantity="10", entry="500")  # 5,000
        future = position(
            T0 + HOUR, quantity="10", entry="500", asset_class="future", symbol="ESH6"
        )
        rules = plan(
            rule({"kind": "max_position_size", "notional": "4999.99", "asset_class": "stock"})
        )
        assert flagged(run(rules, [stock, future])) == [str(stock.id)]


class TestMaxRiskPerTrade:
    def test_risk_to_the_planned_stop_at_and_past_the_limit(self) -> None:
        at_limit = position(T0, quantity="100", entry="10", stop="9")  # risk 100
        past = position(T0 + HOUR, quantity="101", entry="10", stop="9")
        no_stop = position(T0 + 2 * HOUR, quantity="1000")
        rules = plan(rule({"kind": "max_risk_per_trade", "amount": "100"}))
        assert flagged(run(rules, [at_limit, past, no_stop])) == [str(past.id)]


class TestTradingWindow:
    hours = {
        "kind": "trading_window",
        "weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:30:00",
        "end": "16:00:00",
    }

    def test_local_hours_follow_daylight_saving(self) -> None:
        # 13:45 UTC is 08:45 in New York before the DST change (8 March 2026), 09:45 after.
        before = position(dt.datetime(2026, 3, 6, 13, 45, tzinfo=dt.UTC))
        after = position(dt.datetime(2026, 3, 9, 13, 45, tzinfo=dt.UTC))
        assert flagged(run(plan(rule(self.hours)), [before, after])) == [str(before.id)]

    def test_start_is_inside_and_end_is_outside(self) -> None:
        opening = position(dt.datetime(2026, 3, 9, 13, 30, tzinfo=dt.UTC))  # 09:30 EDT
        closing = position(dt.datetime(2026, 3, 9, 20, 0, tzinfo=dt.UTC))  # 16:00 EDT
        assert flagged(run(plan(rule(self.hours)), [opening, closing])) == [str(closing.id)]

    def test_a_window_across_midnight_belongs_to_the_day_it_starts(self) -> None:
        window = {
            "kind": "trading_window",
            "weekdays": ["sun"],
            "start": "22:00:00",
            "end": "02:00:00",
        }
        sunday_night = position(dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC))  # Sun 23:00 EST
        monday_early = position(dt.datetime(2026, 3, 2, 6, 30, tzinfo=dt.UTC))  # Mon 01:30 EST
        monday_night = position(dt.datetime(2026, 3, 3, 4, 0, tzinfo=dt.UTC))  # Mon 23:00 EST
        evaluation = run(plan(rule(window)), [sunday_night, monday_early, monday_night])
        assert flagged(evaluation) == [str(monday_night.id)]

    def test_not_in_the_first_minutes_after_the_exchange_open(self) -> None:
        window = {
            "kind": "trading_window",
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "exchange": "XNYS",
            "skip_first_minutes": 15,
        }
        open_at = dt.datetime(2026, 3, 9, 13, 30, tzinfo=dt.UTC)
        early = position(open_at + 14 * MINUTE)
        allowed = position(open_at + 15 * MINUTE)
        evaluation = run(plan(rule(window)), [early, allowed])
        assert flagged(evaluation) == [str(early.id)]
        assert evaluation.findings[0].observed == "opened 14 min after the XNYS open"

    def test_holidays_and_half_days_follow_the_exchange_calendar(self) -> None:
        window = {
            "kind": "trading_window",
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "exchange": "XNYS",
            "skip_last_minutes": 10,
        }
        thanksgiving = position(dt.datetime(2025, 11, 27, 16, 0, tzinfo=dt.UTC))
        # The day after Thanksgiving closes at 13:00 New York time.
        half_day_late = position(dt.datetime(2025, 11, 28, 17, 55, tzinfo=dt.UTC))
        half_day_fine = position(dt.datetime(2025, 11, 28, 17, 49, tzinfo=dt.UTC))
        evaluation = run(plan(rule(window)), [thanksgiving, half_day_late, half_day_fine])
        assert flagged(evaluation) == sorted([str(thanksgiving.id), str(half_day_late.id)])


class TestCooldownAfterLoss:
    def test_the_cooldown_ends_exactly_after_its_minutes(self) -> None:
        loser = position(T0, "-10", closed_after=5 * MINUTE)
        inside = position(T0 + 5 * MINUTE + 29 * MINUTE, "1")
        outside = position(T0 + 5 * MINUTE + 30 * MINUTE, "1")
        evaluation = run(
            plan(rule({"kind": "cooldown_after_loss", "minutes": 30})), [loser, inside, outside]
        )
        assert flagged(evaluation) == [str(inside.id)]
        assert evaluation.findings[0].observed == "opened 29 min after a loss"

    def test_the_cooldown_reaches_across_midnight(self) -> None:
        loser = position(dt.datetime(2026, 3, 3, 4, 50, tzinfo=dt.UTC), "-10")  # 23:55 EST
        next_day = position(dt.datetime(2026, 3, 3, 5, 10, tzinfo=dt.UTC), "5")  # 00:10 EST
        evaluation = run(
            plan(rule({"kind": "cooldown_after_loss", "minutes": 30})), [loser, next_day]
        )
        assert flagged(evaluation) == [str(next_day.id)]
        assert evaluation.findings[0].day == dt.date(2026, 3, 3)


class TestMaxConsecutiveLosses:
    def test_trading_after_the_streak_is_flagged_and_a_win_resets_it(self) -> None:
        rules = plan(rule({"kind": "max_consecutive_losses", "count": 2}))
        first, second = position(T0, "-1"), position(T0 + HOUR, "-1")
        after_two = position(T0 + 2 * HOUR, "3")
        assert flagged(run(rules, [first, second, after_two])) == [str(after_two.id)]
        win = position(T0 + 30 * MINUTE, "5")
        assert run(rules, [first, win, second, after_two]).findings == []


class TestSymbols:
    def test_blocked_allowed_and_asset_classes(self) -> None:
        rules = plan(
            rule(
                {
                    "kind": "symbols",
                    "blocked_symbols": ["tsla"],
                    "allowed_asset_classes": ["stock", "option"],
                }
            )
        )
        blocked = position(T0, symbol="TSLA")
        option = position(
            T0 + HOUR, symbol="TSLA  260320C00150000", underlying="TSLA", asset_class="option"
        )
        crypto = position(T0 + 2 * HOUR, symbol="BTC-USD", asset_class="crypto")
        fine = position(T0 + 3 * HOUR, symbol="AAPL")
        assert flagged(run(rules, [blocked, option, crypto, fine])) == sorted(
            [str(blocked.id), str(option.id), str(crypto.id)]
        )

    def test_an_allow_list_matches_the_underlying(self) -> None:
        rules = plan(rule({"kind": "symbols", "allowed_symbols": ["SPY"]}))
        option = position(
            T0, symbol="SPY   260320P00500000", underlying="SPY", asset_class="option"
        )
        other = position(T0 + HOUR, symbol="QQQ")
        assert flagged(run(rules, [option, other])) == [str(other.id)]


class TestJournalRequired:
    def test_an_entry_is_due_within_the_hours_after_the_close(self) -> None:
        rules = plan(rule({"kind": "journal_required", "hours": 24}))
        closed_at = T0 + 5 * MINUTE
        on_time = position(T0, journal_at=closed_at + dt.timedelta(hours=24))
        late = position(T0 + MINUTE, journal_at=closed_at + dt.timedelta(hours=25))
        never = position(T0 + 2 * MINUTE)
        still_open = position(T0 + 3 * MINUTE, closed_after=None)
        evaluation = run(rules, [on_time, late, never, still_open])
        assert flagged(evaluation) == sorted([str(late.id), str(never.id)])
        not_due_yet = run(rules, [never], now=closed_at + dt.timedelta(hours=23))
        assert not_due_yet.findings == []


class TestCustomRule:
    def test_a_false_predicate_is_a_violation(self) -> None:
        rules = plan(
            rule(
                {
                    "kind": "custom",
                    "expression": 'position.quantity <= 100.0 || "a+" in position.tags',
                }
            )
        )
        small = position(T0, quantity="100")
        big = position(T0 + HOUR, quantity="200")
        tagged = position(T0 + 2 * HOUR, quantity="200", tags=("a+",))
        assert flagged(run(rules, [small, big, tagged])) == [str(big.id)]

    def test_day_and_execution_fields(self) -> None:
        expression = (
            "day.trades_before < 1 || execution.hour >= 10 && day.realised_pnl_before >= 0.0"
        )
        rules = plan(rule({"kind": "custom", "expression": expression}))
        first = position(T0 - HOUR, "-5")  # 09:00 New York, the first trade of the day
        after_loss = position(T0 + HOUR, "5")
        assert flagged(run(rules, [first, after_loss])) == [str(after_loss.id)]

    def test_a_rule_that_fails_is_marked_and_the_others_still_run(self) -> None:
        failing = rule({"kind": "custom", "expression": "10 / day.trades_before > 0"})
        size = rule({"kind": "max_position_size", "quantity": "1"})
        evaluation = run(plan(failing, size), [position(T0), position(T0 + HOUR)])
        assert list(evaluation.faults) == [(1, failing.id)]
        assert "divide by zero" in evaluation.faults[(1, failing.id)]
        assert {finding.rule_id for finding in evaluation.findings} == {size.id}


class TestVersions:
    def test_a_position_is_judged_by_the_version_in_force_when_it_opened(self) -> None:
        strict = rule({"kind": "max_position_size", "quantity": "10"}, name="size")
        loose = rule({"kind": "max_position_size", "quantity": "1000"}, name="size")
        first = plan(strict, version=1, since=T0)
        second = plan(loose, version=2, since=T0 + 2 * HOUR)
        before_any = position(T0 - HOUR, quantity="100")
        under_first = position(T0 + HOUR, quantity="100", closed_after=3 * HOUR)
        under_second = position(T0 + 3 * HOUR, quantity="100")
        evaluation = run([first, second], [before_any, under_first, under_second])
        assert flagged(evaluation) == [str(under_first.id)]
        assert evaluation.findings[0].plan_version == 1

    def test_disabled_rules_are_not_evaluated(self) -> None:
        rules = plan(rule({"kind": "max_trades_per_day", "count": 1}, enabled=False))
        assert run(rules, [position(T0), position(T0 + HOUR)]).findings == []
