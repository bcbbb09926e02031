"""GET /v1/analytics of the real app against the stand-in core."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import httpx
from tradeloop_contracts import Account

from tests.factories import START, account, following, playbook, positions_of, trade
from tests.stub_core import StubCore


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def trader(core: StubCore) -> uuid.UUID:
    user_id = uuid.uuid4()
    monday = START  # 2026-01-05 14:30 UTC, a Monday
    trades = [
        trade("120.50", 600, monday),
        trade("-50.25", 600, monday + dt.timedelta(days=1)),
        trade("80.00", 600, monday + dt.timedelta(days=7)),
    ]
    core.positions[user_id] = positions_of(trades)
    return user_id


def playbook_trader(core: StubCore) -> uuid.UUID:
    """Three ORB trades, one Pullback trade and one under no playbook."""
    user_id = uuid.uuid4()
    orb = playbook("ORB", "Above VWAP", "Volume over 2x")
    pullback = playbook("Pullback", "Higher low")
    pnl = ["120.50", "-50.25", "80.00", "-30.10", "15.05"]
    positions = positions_of(
        [trade(value, 600, START + dt.timedelta(days=day)) for day, value in enumerate(pnl)]
    )
    core.positions[user_id] = [
        following(positions[0], orb, "Above VWAP", "Volume over 2x"),
        following(positions[1], orb, "Above VWAP"),
        following(positions[2], orb),
        positions[3],
        following(positions[4], pullback, "Higher low"),
    ]
    core.playbooks[user_id] = [orb, pullback]
    return user_id


def two_account_trader(core: StubCore) -> tuple[uuid.UUID, Account, Account]:
    """A winner of 120.50 in a stock account and a loser of 50.25 in a futures account."""
    user_id = uuid.uuid4()
    stocks, futures = account("Stocks"), account("Futures")
    core.accounts[user_id] = [stocks, futures]
    core.positions[user_id] = [
        *positions_of([trade("120.50", 600, START)], account_id=stocks.id),
        *positions_of([trade("-50.25", 600, START)], account_id=futures.id),
    ]
    return user_id, stocks, futures


class TestAnalyticsOfOneAccount:
    def test_an_account_s_numbers_are_its_trades_only(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id, stocks, futures = two_account_trader(core)

        def net(**params: str) -> list[str]:
            response = coach.get(
                "/v1/analytics",
                params={"group_by": "account", **params},
                headers=bearer(core.user_token(user_id)),
            )
            assert response.status_code == 200, response.text
            return [item["overall"]["net_pnl"] for item in response.json()["items"]]

        assert net(account_id=str(stocks.id)) == ["120.50"]
        assert net(account_id=str(futures.id)) == ["-50.25"]
        assert net() == ["70.25"]

    def test_another_trader_s_account_is_not_found(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        _, stocks, _ = two_account_trader(core)
        intruder = uuid.uuid4()
        response = coach.get(
            "/v1/analytics",
            params={"group_by": "symbol", "account_id": str(stocks.id)},
            headers=bearer(core.user_token(intruder)),
        )
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


class TestAnalytics:
    def test_the_legs_of_a_strategy_count_as_one_trade_on_their_net(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = uuid.uuid4()
        call, put, stock = positions_of(
            [
                trade("300", 600, START),
                trade("-400", 3600, START + dt.timedelta(minutes=50)),
                trade("50", 600, START + dt.timedelta(days=1)),
            ]
        )
        strategy_id = uuid.uuid4()
        legs = [leg.model_copy(update={"strategy_id": strategy_id}) for leg in (call, put)]
        core.positions[user_id] = [*legs, stock]
        response = coach.get(
            "/v1/analytics", params={"group_by": "week"}, headers=bearer(core.user_token(user_id))
        )
        assert response.status_code == 200, response.text
        [usd] = response.json()["items"]
        overall = usd["overall"]
        # The straddle: one loss of 100 (its call won 300, its put lost 400), and one win.
        assert (overall["trades"], overall["wins"], overall["losses"]) == (2, 1, 1)
        assert overall["net_pnl"] == "-50"
        # Held from the first leg's open (14:20) to the last leg's close (15:20).
        assert overall["average_holding_seconds_losers"] == "3600"

    def test_groups_metrics_by_iso_week_with_decimals_as_strings(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = trader(core)
        response = coach.get(
            "/v1/analytics", params={"group_by": "week"}, headers=bearer(core.user_token(user_id))
        )
        assert response.status_code == 200
        [usd] = response.json()["items"]
        assert usd["currency"] == "USD"
        assert usd["overall"]["net_pnl"] == "150.25"
        assert usd["overall"]["sharpe"] is None  # no equity, no Sharpe
        weeks = {group["key"]: group["metrics"] for group in usd["groups"]}
        assert weeks["2026-W02"]["trades"] == 2
        assert weeks["2026-W02"]["expectancy"] == "35.125"
        assert weeks["2026-W03"]["no_losses"] is True
        assert weeks["2026-W03"]["profit_factor"] is None

    def test_a_date_range_and_a_starting_equity_give_sharpe_on_the_chosen_closes(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = trader(core)
        params = {
            "group_by": "weekday",
            "start": "2026-01-05",
            "end": "2026-01-06",
            "starting_equity": "10000",
        }
        response = coach.get(
            "/v1/analytics", params=params, headers=bearer(core.user_token(user_id))
        )
        [usd] = response.json()["items"]
        assert usd["overall"]["trades"] == 2
        assert usd["overall"]["sharpe"] is not None
        assert [group["key"] for group in usd["groups"]] == ["monday", "tuesday"]

    def test_an_unknown_dimension_is_a_problem_naming_the_parameter(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        response = coach.get(
            "/v1/analytics",
            params={"group_by": "moon"},
            headers=bearer(core.user_token(uuid.uuid4())),
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["location"] == "query/group_by"

    def test_a_range_that_ends_before_it_starts_is_a_problem(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        params = {"group_by": "day", "start": "2026-02-01", "end": "2026-01-01"}
        response = coach.get(
            "/v1/analytics", params=params, headers=bearer(core.user_token(uuid.uuid4()))
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"location": "query/start", "message": "must not be after end"}
        ]

    def test_another_users_positions_are_never_counted(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        trader(core)
        response = coach.get(
            "/v1/analytics",
            params={"group_by": "symbol"},
            headers=bearer(core.user_token(uuid.uuid4())),
        )
        assert response.json()["items"] == []


class TestPlaybookDimensions:
    def test_by_playbook_with_the_trades_under_none_on_their_own(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = playbook_trader(core)
        response = coach.get(
            "/v1/analytics",
            params={"group_by": "playbook"},
            headers=bearer(core.user_token(user_id)),
        )
        assert response.status_code == 200, response.text
        [usd] = response.json()["items"]
        assert usd["overall"]["net_pnl"] == "135.20"
        groups = {group["key"]: group["metrics"] for group in usd["groups"]}
        assert list(groups) == ["(no playbook)", "ORB", "Pullback"]
        orb = groups["ORB"]
        assert (orb["trades"], orb["wins"], orb["losses"]) == (3, 2, 1)
        assert orb["net_pnl"] == "150.25"
        assert orb["average_win"] == "100.25"
        assert orb["average_loss"] == "-50.25"
        # Wins 120.50 + 80.00 over the loss of 50.25, exactly.
        assert Decimal(orb["profit_factor"]) == Decimal("200.50") / Decimal("50.25")
        assert groups["Pullback"]["net_pnl"] == "15.05"
        assert groups["(no playbook)"]["net_pnl"] == "-30.10"

    def test_by_criterion_met_and_missed_leaving_out_trades_under_no_playbook(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = playbook_trader(core)
        response = coach.get(
            "/v1/analytics",
            params={"group_by": "criterion"},
            headers=bearer(core.user_token(user_id)),
        )
        assert response.status_code == 200, response.text
        [usd] = response.json()["items"]
        groups = {
            group["key"]: (group["metrics"]["trades"], group["metrics"]["net_pnl"])
            for group in usd["groups"]
        }
        assert groups == {
            "ORB · Above VWAP · met": (2, "70.25"),
            "ORB · Above VWAP · missed": (1, "80.00"),
            "ORB · Volume over 2x · met": (1, "120.50"),
            "ORB · Volume over 2x · missed": (2, "29.75"),
            "Pullback · Higher low · met": (1, "15.05"),
        }
        # Every trade counts overall, the one under no playbook too.
        assert usd["overall"]["trades"] == 5
