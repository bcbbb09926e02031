"""Loss and risk limits in percent of account and in R, at their edges, without a database."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from core_api.accounts.balances import Ledger, Running
from core_api.plans.engine import Evaluation, PositionFacts, VersionRules, evaluate
from tests.plans.factories import T0, plan, position, rule

ACCOUNT = uuid.UUID(int=1)  # the factories' account
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def ledger(
    starting_balance: str | None = "10000",
    risk_unit: str | None = None,
    cash: list[tuple[dt.datetime, str]] = (),  # type: ignore[assignment]
    closes: list[PositionFacts] = (),  # type: ignore[assignment]
) -> dict[uuid.UUID, Ledger]:
    """The account's ledger as core would read it: the closes' P&L booked at their close."""
    return {
        ACCOUNT: Ledger(
            account_id=ACCOUNT,
            currency="USD",
            starting_balance=Decimal(starting_balance) if starting_balance else None,
            risk_unit=Decimal(risk_unit) if risk_unit else None,
            cash=Running.of([(moment, Decimal(amount)) for moment, amount in cash]),
            pnl=Running.of([(p.closed_at, p.pnl) for p in closes if p.closed_at is not None]),
        )
    }


def run(
    version: VersionRules, positions: list[PositionFacts], accounts: dict[uuid.UUID, Ledger]
) -> Evaluation:
    return evaluate([version], positions, None, "America/New_York", T0 + 30 * DAY, accounts)


class TestDailyLossInPercent:
    two_percent = plan(rule({"kind": "max_daily_loss", "percent_of_account": "2"}))

    def test_exactly_at_the_limit_is_no_violation_and_a_cent_past_it_is(self) -> None:
        at_limit = [position(T0, "-200")]
        assert run(self.two_percent, at_limit, ledger(closes=at_limit)).findings == []
        past = [position(T0, "-200.01")]
        [finding] = run(self.two_percent, past, ledger(closes=past)).findings
        assert finding.position_id == past[0].id
        assert finding.allowed == "loss up to 200 (2% of 10000)"
        assert finding.observed == "day's net -200.01"

    def test_a_day_that_flips_from_profit_to_past_the_limit_is_flagged(self) -> None:
        trades = [position(T0, "150"), position(T0 + HOUR, "-351")]
        [finding] = run(self.two_percent, trades, ledger(closes=trades)).findings
        assert finding.position_id == trades[1].id
        assert finding.cost == Decimal(-351)

    def test_the_limit_is_of_the_balance_at_the_start_of_the_day(self) -> None:
        # Monday's win leaves 15,000 by Tuesday: 2% is 300, so Tuesday's -250 passes,
        # though it is past 2% of the starting 10,000; -301 breaks it.
        monday = position(T0, "5000")
        tuesday = position(T0 + DAY, "-250")
        assert (
            run(self.two_percent, [monday, tuesday], ledger(closes=[monday, tuesday])).findings
            == []
        )
        worse = position(T0 + DAY, "-301")
        trades = [monday, worse]
        [finding] = run(self.two_percent, trades, ledger(closes=trades)).findings
        assert (finding.day, finding.allowed) == (worse.opened_day, "loss up to 300 (2% of 15000)")

    def test_a_deposit_before_the_day_raises_the_limit_and_one_during_it_does_not(self) -> None:
        tuesday = [position(T0 + DAY, "-300")]
        before = ledger(cash=[(T0 + DAY - 3 * HOUR, "5000")], closes=tuesday)
        assert run(self.two_percent, tuesday, before).findings == []  # 2% of 15,000 = 300
        during = ledger(cash=[(T0 + DAY + HOUR, "5000")], closes=tuesday)
        [finding] = run(self.two_percent, tuesday, during).findings
        assert finding.allowed == "loss up to 200 (2% of 10000)"

    def test_an_account_without_a_starting_balance_is_not_judged_by_it(self) -> None:
        trades = [position(T0, "-5000")]
        assert run(self.two_percent, trades, ledger(starting_balance=None)).findings == []
        assert run(self.two_percent, trades, {}).findings == []

    def test_each_account_is_judged_on_its_own_day(self) -> None:
        other = uuid.UUID(int=2)
        accounts = {
            **ledger(),
            other: Ledger(
                account_id=other, currency="USD", starting_balance=Decimal(10000), risk_unit=None
            ),
        }
        # Together -300, but each account lost only 150 (1.5%).
        trades = [position(T0, "-150"), position(T0 + HOUR, "-150", account_id=other)]
        assert run(self.two_percent, trades, accounts).findings == []


class TestDailyLossInR:
    three_r = plan(rule({"kind": "max_daily_loss", "r_multiple": "3"}))

    def test_the_limit_is_that_many_risk_units(self) -> None:
        trades = [position(T0, "-300")]
        assert run(self.three_r, trades, ledger(risk_unit="100")).findings == []
        trades = [position(T0, "-200"), position(T0 + HOUR, "-100.5")]
        [finding] = run(self.three_r, trades, ledger(risk_unit="100")).findings
        assert finding.allowed == "loss up to 300 (3R of 100)"

    def test_without_a_risk_unit_the_limit_is_not_judged(self) -> None:
        trades = [position(T0, "-100000")]
        assert run(self.three_r, trades, ledger(risk_unit=None)).findings == []


class TestRiskPerTrade:
    def test_in_percent_of_the_balance_when_the_position_opened(self) -> None:
        one_percent = plan(rule({"kind": "max_risk_per_trade", "percent_of_account": "1"}))
        # Risk (10 - 9) x 100 = 100: exactly 1% of 10,000 passes.
        first = position(T0, "-2000", stop="9")
        later = position(T0 + DAY, "0", stop="9")
        trades = [first, later]
        [finding] = run(one_percent, trades, ledger(closes=trades)).findings
        # After the loss the balance is 8,000, so 1% is 80 and the same risk breaks it.
        assert finding.position_id == later.id
        assert (finding.observed, finding.allowed) == ("risk 100", "80 (1% of 8000)")

    def test_in_r_with_and_without_a_risk_unit(self) -> None:
        two_r = plan(rule({"kind": "max_risk_per_trade", "r_multiple": "2"}))
        at_limit = [position(T0, "0", stop="9")]  # risk 100
        assert run(two_r, at_limit, ledger(risk_unit="50")).findings == []
        [finding] = run(two_r, at_limit, ledger(risk_unit="49.99")).findings
        assert finding.allowed == "99.98 (2R of 49.99)"
        assert run(two_r, at_limit, ledger(risk_unit=None)).findings == []

    def test_a_risk_in_another_currency_than_the_account_is_not_judged(self) -> None:
        two_r = plan(rule({"kind": "max_risk_per_trade", "r_multiple": "2"}))
        euro = [position(T0, "0", stop="9", instrument_currency="EUR")]
        assert run(two_r, euro, ledger(risk_unit="10")).findings == []
