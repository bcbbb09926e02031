"""The weekly review: numbers against the baseline, themes, and the focus rule."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import httpx
from tradeloop_contracts import Adherence as CoreAdherence

from ai_coach.contracts.adherence import Adherence, PnlWithoutViolations, RuleAdherence
from ai_coach.contracts.insight_create import Evidence, InsightCreate
from ai_coach.contracts.reflection_themes import Theme
from ai_coach.contracts.weekly_review_create import CurrencyReview, WeekNumbers
from ai_coach.reviews.weekly import NO_PLAN, choose_focus, describe_adherence
from tests.factories import daily_trader, journal_entry, positions_of, trading_days
from tests.stub_core import StubCore


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def numbers(trades: str, expectancy: str = "10") -> WeekNumbers:
    return WeekNumbers(
        trades=Decimal(trades), net_pnl=Decimal(0), win_rate=None, expectancy=Decimal(expectancy)
    )


def review_of(week: WeekNumbers, baseline: WeekNumbers) -> CurrencyReview:
    return CurrencyReview(currency="USD", week=week, baseline=baseline, baseline_weeks_traded=8)


def costly(kind: str, cost: str, rule: str) -> InsightCreate:
    return InsightCreate(
        kind=kind,
        title=kind,
        body="",
        confidence="p=0.01",
        cost=Decimal(cost),
        currency="USD",
        suggested_rule=rule,
        evidence=Evidence(metrics={}, sample_size=20),
    )


def mistake(label: str, entries: int) -> Theme:
    return Theme(
        label=label,
        category="mistake",
        entries=entries,
        days=entries,
        phrases=[],
        suggested_rule=None,
    )


class TestFocusRule:
    def test_the_costliest_insight_sets_the_focus(self) -> None:
        insights = [costly("tilt", "50.00", "stop at 3"), costly("revenge", "90.00", "wait")]
        focus = choose_focus(insights, [mistake("fomo", 4)], [])
        assert (focus.rule, focus.source) == ("wait", "insight:revenge")

    def test_without_insights_the_most_named_mistake_sets_the_focus(self) -> None:
        focus = choose_focus([], [mistake("fomo", 1), mistake("moved_stop", 3)], [])
        assert focus.source == "journal:moved_stop"
        assert focus.rule == "Set the stop with the entry and never widen it."

    def test_a_busy_week_is_held_to_the_usual_count(self) -> None:
        focus = choose_focus([], [], [review_of(numbers("30"), numbers("10.4"))])
        assert focus.source == "numbers:trade_count"
        assert "at most 10 trades" in focus.rule

    def test_a_week_below_the_usual_expectancy_narrows_the_setups(self) -> None:
        focus = choose_focus([], [], [review_of(numbers("10", "-5"), numbers("10", "8"))])
        assert focus.source == "numbers:expectancy"

    def test_an_ordinary_week_keeps_the_process(self) -> None:
        focus = choose_focus([], [], [review_of(numbers("10"), numbers("10"))])
        assert focus.source == "default"


def adherence(rate: str | None, *rules: tuple[str | None, str, int]) -> Adherence:
    """core's adherence with one rule per (name, kind, times broken), 10 checks each."""
    return Adherence(
        adherence_rate=Decimal(rate) if rate is not None else None,
        rules=[
            RuleAdherence(
                rule_id=uuid.uuid4(),
                kind=kind,
                name=name,
                evaluated=10,
                violated=violated,
                costs=[],
            )
            for name, kind, violated in rules
        ],
        pnl=[],
        current_streak_days=0,
        longest_streak_days=0,
    )


class TestPlanAdherence:
    def test_without_a_plan_the_review_says_so(self) -> None:
        assert describe_adherence(None) == NO_PLAN
        assert describe_adherence(adherence(None)) == NO_PLAN

    def test_a_week_with_no_trade_checked_says_so(self) -> None:
        text = describe_adherence(adherence(None, ("One a day", "max_trades_per_day", 0)))
        assert text == "no trade was checked against the plan this week"

    def test_the_rate_the_rules_broken_most_first_and_what_breaking_them_cost(self) -> None:
        week = adherence(
            "0.85",
            (None, "max_daily_loss", 1),
            ("One a day", "max_trades_per_day", 2),
            ("Window", "trading_window", 0),
        )
        week = week.model_copy(
            update={
                "pnl": [
                    PnlWithoutViolations(
                        currency="USD",
                        net_pnl=Decimal("-120.50"),
                        net_pnl_without_violations=Decimal("80.00"),
                        violating_positions=3,
                    )
                ]
            }
        )
        assert describe_adherence(week) == (
            "85% of checks kept to the plan; One a day broken 2×, max daily loss broken 1×; "
            "net -120.50 USD, 80.00 without the 3 rule-breaking trades"
        )


class TestReviewRoute:
    def test_the_plan_adherence_is_cores_for_the_reviewed_week(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = uuid.uuid4()
        week = adherence("0.5", ("One a day", "max_trades_per_day", 5))
        core.adherence[user_id] = CoreAdherence.model_validate(week.model_dump(mode="json"))
        body = coach.get(
            "/v1/reviews/latest",
            params={"week": "2026-03-04"},
            headers=bearer(core.user_token(user_id)),
        ).json()
        assert core.adherence_requests == [(user_id, dt.date(2026, 3, 2), dt.date(2026, 3, 8))]
        assert body["plan_adherence"] == "50% of checks kept to the plan; One a day broken 5×"
        assert body["plan_adherence"] in body["narrative"]

    def test_the_weeks_numbers_are_set_against_the_previous_eight_weeks(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = uuid.uuid4()
        trades = daily_trader(11, 50, set())  # ten weeks, two trades a weekday
        days = trading_days(trades)
        core.positions[user_id] = positions_of(trades)
        core.journal[user_id] = [journal_entry("Chased it, pure FOMO. Moved my stop.", days[-1])]
        response = coach.get(
            "/v1/reviews/latest",
            params={"week": str(days[-1])},  # any day of the week names the week
            headers=bearer(core.user_token(user_id)),
        )
        assert response.status_code == 200
        body = response.json()
        monday = days[-1] - dt.timedelta(days=days[-1].weekday())
        assert body["week_start"] == str(monday)
        week_trades = [t for t in trades if t.closed_at.date() >= monday]
        eight_weeks_earlier = monday - dt.timedelta(weeks=8)
        before = [t for t in trades if eight_weeks_earlier <= t.closed_at.date() < monday]
        [usd] = body["currencies"]
        assert Decimal(usd["week"]["trades"]) == len(week_trades) == 10
        assert Decimal(usd["week"]["net_pnl"]) == sum(t.net_pnl for t in week_trades)
        assert Decimal(usd["baseline"]["trades"]) == Decimal(len(before)) / 8 == 10
        assert usd["baseline_weeks_traded"] == 8
        assert {theme["label"] for theme in body["journal_themes"]} == {"fomo", "moved_stop"}
        assert body["plan_adherence"] == "no plan yet"
        assert body["focus"]["rule"]
        assert body["focus"]["rule"] in body["narrative"]

    def test_a_week_without_trades_says_so(self, coach: httpx.Client, core: StubCore) -> None:
        body = coach.get(
            "/v1/reviews/latest",
            params={"week": "2026-03-02"},
            headers=bearer(core.user_token(uuid.uuid4())),
        ).json()
        assert body["currencies"] == []
        assert "No closed trades this week." in body["narrative"]
        assert body["focus"]["source"] == "default"

    def test_without_a_week_the_last_full_week_is_reviewed(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        body = coach.get("/v1/reviews/latest", headers=bearer(core.user_token(uuid.uuid4()))).json()
        today = dt.datetime.now(dt.UTC).date()
        assert body["week_start"] == str(today - dt.timedelta(days=today.weekday() + 7))

    def test_a_malformed_week_is_a_problem_naming_it(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        response = coach.get(
            "/v1/reviews/latest",
            params={"week": "last-week"},
            headers=bearer(core.user_token(uuid.uuid4())),
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "query/week"
