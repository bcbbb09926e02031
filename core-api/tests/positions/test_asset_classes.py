"""Hand-computed cases per asset class, checked to the cent through the API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from core_api.positions.service import stop_history
from tests.conftest import Trader, execution
from tests.executions.test_endpoints import post_batch

AAPL_CALL = {
    "asset_class": "option",
    "symbol": "AAPL  260320C00150000",
    "underlying": "AAPL",
    "expiry": "2026-03-20",
    "strike": "150",
    "right": "call",
    "multiplier": "100",
}
SPY_PUT = {
    "asset_class": "option",
    "symbol": "SPY   260306P00560000",
    "underlying": "SPY",
    "expiry": "2026-03-06",
    "strike": "560",
    "right": "put",
    "multiplier": "100",
}
ES = {
    "asset_class": "future",
    "symbol": "ESH6",
    "root": "ES",
    "expiry": "2026-03-20",
    "multiplier": "50",
    "tick_size": "0.25",
    "exchange": "CME",
}
# A crude oil option: no point value sent, so CL's 1,000 barrels come from the table.
CL_CALL = {
    "asset_class": "future_option",
    "symbol": "LOM6 C7500",
    "underlying": "CLM6",
    "root": "CL",
    "expiry": "2026-05-14",
    "strike": "75",
    "right": "call",
}
# An index option, cash-settled; its multiplier is sent.
SPX_CALL = {
    "asset_class": "option",
    "symbol": "SPXW  260306C05800000",
    "underlying": "SPX",
    "expiry": "2026-03-06",
    "strike": "5800",
    "right": "call",
    "multiplier": "100",
}
EURUSD = {"asset_class": "forex", "symbol": "EUR.USD"}
BTC = {"asset_class": "crypto", "symbol": "BTC-USD"}
SAP = {"asset_class": "stock", "symbol": "SAP", "currency": "EUR"}


def only_position(client: TestClient, trader: Trader, query: str = "") -> dict[str, Any]:
    [position] = client.get(f"/v1/positions?{query}", headers=trader.headers).json()["items"]
    found: dict[str, Any] = position
    return found


class TestHandComputed:
    def test_an_option_round_trip_applies_the_multiplier_and_every_cost(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution(
                    "o1",
                    "buy",
                    "2",
                    "2.50",
                    "2026-03-02T10:00:00-05:00",
                    instrument=AAPL_CALL,
                    commission="1.30",
                ),
                execution(
                    "o2",
                    "sell",
                    "2",
                    "3.15",
                    "2026-03-03T10:00:00-05:00",
                    instrument=AAPL_CALL,
                    commission="1.30",
                    fees="0.04",
                ),
            ],
        )
        position = only_position(client, trader)
        # (3.15 − 2.50) × 2 × 100 = 130; costs 1.30 + 1.30 + 0.04 = 2.64.
        assert (position["realised_pnl_gross"], position["fees"]) == ("130", "2.64")
        assert position["realised_pnl_net"] == "127.36"
        assert position["realised_pnl_net_base"] == "127.36"

    def test_an_option_expiring_worthless_closes_at_zero(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution(
                    "p1",
                    "buy",
                    "1",
                    "1.20",
                    "2026-03-02T10:00:00-05:00",
                    instrument=SPY_PUT,
                    commission="0.65",
                ),
                execution(
                    "p2",
                    "sell",
                    "1",
                    "0",
                    "2026-03-06T16:00:00-05:00",
                    instrument=SPY_PUT,
                    kind="expiry",
                ),
            ],
        )
        position = only_position(client, trader)
        assert (position["status"], position["outcome"]) == ("closed", "loss")
        assert position["realised_pnl_net"] == "-120.65"
        assert position["avg_exit_price"] == "0"

    def test_an_assigned_short_put_keeps_the_premium_and_opens_stock_at_the_strike(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        # As IBKR reports an assignment: the option bought back at 0 and the stock bought at
        # the strike, both coded A, at the same time.
        assigned = "2026-03-06T16:20:00-05:00"
        post_batch(
            client,
            workers,
            trader,
            [
                execution(
                    "put-open",
                    "sell",
                    "1",
                    "3.00",
                    "2026-03-02T10:00:00-05:00",
                    instrument=SPY_PUT,
                    commission="0.65",
                    open_close="open",
                ),
                execution(
                    "put-assigned",
                    "buy",
                    "1",
                    "0",
                    assigned,
                    instrument=SPY_PUT,
                    kind="assignment",
                    open_close="close",
                ),
                execution(
                    "spy-delivered",
                    "buy",
                    "100",
                    "560",
                    assigned,
                    "SPY",
                    kind="assignment",
                    open_close="open",
                ),
            ],
        )
        option = only_position(client, trader, "asset_class=option")
        assert (option["status"], option["direction"], option["outcome"]) == (
            "closed",
            "short",
            "win",
        )
        # 3.00 × 1 × 100 kept, less the 0.65 commission.
        assert option["realised_pnl_net"] == "299.35"
        stock = only_position(client, trader, "asset_class=stock")
        assert (stock["status"], stock["open_quantity"], stock["avg_entry_price"]) == (
            "open",
            "100",
            "560",
        )

    def test_an_exercised_long_call_opens_stock_at_the_strike(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        exercised = "2026-03-20T16:20:00-04:00"
        post_batch(
            client,
            workers,
            trader,
            [
                execution(
                    "call-open",
                    "buy",
                    "2",
                    "2.50",
                    "2026-03-02T10:00:00-05:00",
                    instrument=AAPL_CALL,
                    commission="1.30",
                ),
                execution(
                    "call-exercised",
                    "sell",
                    "2",
                    "0",
                    exercised,
                    instrument=AAPL_CALL,
                    kind="exercise",
                ),
                execution("aapl-bought", "buy", "200", "150", exercised, kind="exercise"),
                execution("aapl-sold", "sell", "200", "158.25", "2026-03-23T10:00:00-04:00"),
            ],
        )
        option = only_position(client, trader, "asset_class=option")
        # The premium paid is the option's loss: 2 × 2.50 × 100 + 1.30.
        assert (option["realised_pnl_net"], option["avg_exit_price"]) == ("-501.3", "0")
        stock = only_position(client, trader, "asset_class=stock")
        # Bought at the 150 strike, sold at 158.25: 8.25 × 200.
        assert (stock["avg_entry_price"], stock["realised_pnl_gross"]) == ("150", "1650")

    def test_an_assigned_covered_call_delivers_the_stock_held(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        assigned = "2026-03-20T16:20:00-04:00"
        post_batch(
            client,
            workers,
            trader,
            [
                execution("aapl-held", "buy", "100", "140", "2026-03-02T10:00:00-05:00"),
                execution(
                    "call-written",
                    "sell",
                    "1",
                    "2",
                    "2026-03-02T10:01:00-05:00",
                    instrument=AAPL_CALL,
                ),
                execution(
                    "call-assigned",
                    "buy",
                    "1",
                    "0",
                    assigned,
                    instrument=AAPL_CALL,
                    kind="assignment",
                ),
                execution("aapl-called", "sell", "100", "150", assigned, kind="assignment"),
            ],
        )
        stock = only_position(client, trader, "asset_class=stock")
        assert (stock["status"], stock["realised_pnl_net"]) == ("closed", "1000")
        option = only_position(client, trader, "asset_class=option")
        assert (option["status"], option["realised_pnl_net"]) == ("closed", "200")

    def test_a_short_future_from_the_evening_session_belongs_to_the_next_day(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                # 17:30 Chicago on Monday: Globex's Tuesday session.
                execution(
                    "f1",
                    "sell",
                    "2",
                    "5000.25",
                    "2026-03-02T23:30:00Z",
                    instrument=ES,
                    commission="4.50",
                    fees="1.40",
                ),
                execution(
                    "f2",
                    "buy",
                    "2",
                    "4990.75",
                    "2026-03-03T15:00:00Z",
                    instrument=ES,
                    commission="4.50",
                    fees="1.40",
                ),
            ],
        )
        position = only_position(client, trader, "start=2026-03-03&end=2026-03-03")
        # 9.50 points × 2 contracts × 50 = 950; costs 11.80.
        assert (position["direction"], position["realised_pnl_net"]) == ("short", "938.2")
        assert (
            client.get("/v1/positions?end=2026-03-02", headers=trader.headers).json()["items"] == []
        )
        stats = client.get("/v1/statistics", headers=trader.headers).json()
        assert [(d["day"], d["net_pnl"]) for d in stats["calendar"]] == [("2026-03-03", "938.2")]

    def test_a_futures_option_takes_its_point_value_from_the_contract_table(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution(
                    "fo1",
                    "buy",
                    "3",
                    "1.12",
                    "2026-03-02T15:00:00Z",
                    instrument=CL_CALL,
                    commission="2.25",
                    fees="0.45",
                ),
                execution(
                    "fo2",
                    "sell",
                    "3",
                    "1.47",
                    "2026-03-04T15:00:00Z",
                    instrument=CL_CALL,
                    commission="2.25",
                    fees="0.45",
                ),
            ],
        )
        position = only_position(client, trader)
        # 0.35 × 3 × 1,000 = 1,050; costs 2 × (2.25 + 0.45) = 5.40.
        assert position["instrument"]["multiplier"] == "1000"
        assert (position["realised_pnl_gross"], position["fees"]) == ("1050", "5.4")
        assert position["realised_pnl_net"] == "1044.6"

    def test_an_index_option_sold_and_bought_back_is_a_short_to_the_cent(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution(
                    "ix1",
                    "sell",
                    "1",
                    "12.40",
                    "2026-03-05T15:00:00Z",
                    instrument=SPX_CALL,
                    commission="0.65",
                    fees="0.59",
                ),
                execution(
                    "ix2",
                    "buy",
                    "1",
                    "3.05",
                    "2026-03-06T19:30:00Z",
                    instrument=SPX_CALL,
                    commission="0.65",
                    fees="0.59",
                ),
            ],
        )
        position = only_position(client, trader)
        # (12.40 − 3.05) × 100 = 935 for the short; costs 2 × 1.24 = 2.48.
        assert (position["direction"], position["realised_pnl_gross"]) == ("short", "935")
        assert position["realised_pnl_net"] == "932.52"

    def test_a_stock_flip_splits_the_crossing_fill_s_costs_pro_rata(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution("s1", "buy", "100", "50.10", "2026-03-02T15:00:00Z", commission="1"),
                # Sells 100 to close and 300 short: a quarter of the 4.00 for the long.
                execution("s2", "sell", "400", "51.35", "2026-03-02T16:00:00Z", commission="4"),
                execution("s3", "buy", "300", "50.85", "2026-03-02T17:00:00Z", commission="3"),
            ],
        )
        long, short = sorted(
            client.get("/v1/positions", headers=trader.headers).json()["items"],
            key=lambda position: position["opened_at"],
        )
        # Long: 1.25 × 100 = 125, costs 1 + 1; short: 0.50 × 300 = 150, costs 3 + 3.
        assert (long["direction"], long["realised_pnl_net"], long["fees"]) == ("long", "123", "2")
        assert (short["direction"], short["max_quantity"]) == ("short", "300")
        assert (short["realised_pnl_net"], short["fees"]) == ("144", "6")
        assert short["opened_at"] == long["closed_at"]

    def test_a_forex_pair_counts_pips_in_the_quote_currency(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution(
                    "x1", "buy", "100000", "1.08512", "2026-03-02T09:00:00Z", instrument=EURUSD
                ),
                execution(
                    "x2", "sell", "100000", "1.08347", "2026-03-02T13:00:00Z", instrument=EURUSD
                ),
            ],
        )
        assert only_position(client, trader)["realised_pnl_net"] == "-165"

    def test_crypto_keeps_fractional_quantities_exact(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution("c1", "buy", "0.015", "64000.5", "2026-03-02T09:00:00Z", instrument=BTC),
                execution(
                    "c2",
                    "sell",
                    "0.015",
                    "65210.25",
                    "2026-03-02T13:00:00Z",
                    instrument=BTC,
                    fees="0.97",
                ),
            ],
        )
        position = only_position(client, trader)
        # 1209.75 × 0.015 = 18.14625, less 0.97.
        assert (position["max_quantity"], position["realised_pnl_net"]) == ("0.015", "17.17625")


class TestBaseCurrency:
    def test_a_euro_stock_converts_at_each_fill_s_rate(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution(
                    "s1",
                    "buy",
                    "10",
                    "200",
                    "2026-03-02T09:00:00Z",
                    instrument=SAP,
                    commission="5",
                    fx_rate_to_base="1.10",
                ),
                execution(
                    "s2",
                    "sell",
                    "10",
                    "210",
                    "2026-03-04T09:00:00Z",
                    instrument=SAP,
                    commission="5",
                    fx_rate_to_base="1.12",
                ),
            ],
        )
        position = only_position(client, trader)
        # In EUR: 100 − 10. In USD: (235.20 − 220.00) × 10 − (5.50 + 5.60).
        assert (position["currency"], position["realised_pnl_net"]) == ("EUR", "90")
        assert position["realised_pnl_net_base"] == "140.9"

    def test_without_a_rate_the_base_result_is_unknown(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution("s1", "buy", "10", "200", "2026-03-02T09:00:00Z", instrument=SAP),
                execution("s2", "sell", "10", "210", "2026-03-04T09:00:00Z", instrument=SAP),
            ],
        )
        position = only_position(client, trader)
        assert position["realised_pnl_net"] == "100"
        assert position["realised_pnl_net_base"] is None


class TestStopsAndR:
    def setup_round_trip(self, client: TestClient, workers: dict[str, str], trader: Trader) -> str:
        post_batch(
            client,
            workers,
            trader,
            [
                execution("b", "buy", "100", "50", "2026-03-02T10:00:00-05:00", commission="1"),
                execution("s", "sell", "100", "53", "2026-03-02T11:00:00-05:00", commission="1"),
            ],
        )
        return str(only_position(client, trader)["id"])

    def test_r_is_net_over_the_risk_to_the_initial_stop(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position_id = self.setup_round_trip(client, workers, trader)
        response = client.patch(
            f"/v1/positions/{position_id}", json={"initial_stop": "48"}, headers=trader.headers
        )
        assert response.status_code == 200, response.text
        # 298 / (|50 − 48| × 100 × 1).
        assert (response.json()["initial_stop"], response.json()["r_multiple"]) == ("48", "1.4900")

    def test_every_stop_set_is_kept_and_tags_stay_untouched(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        position_id = self.setup_round_trip(client, workers, trader)
        url = f"/v1/positions/{position_id}"
        client.patch(url, json={"tags": ["breakout", " breakout ", "A+"]}, headers=trader.headers)
        client.patch(url, json={"initial_stop": "48"}, headers=trader.headers)
        last = client.patch(url, json={"initial_stop": "48.5"}, headers=trader.headers).json()
        assert [str(stop) for stop in stop_history(session, uuid.UUID(last["id"]))] == [
            "48",
            "48.5",
        ]
        assert last["tags"] == ["breakout", "A+"]
        assert last["r_multiple"] == "1.9867"

    def test_without_a_stop_there_is_no_r(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        self.setup_round_trip(client, workers, trader)
        assert only_position(client, trader)["r_multiple"] is None

    def test_a_negative_stop_or_a_blank_tag_is_a_problem_naming_it(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        url = f"/v1/positions/{self.setup_round_trip(client, workers, trader)}"
        stop = client.patch(url, json={"initial_stop": "-1"}, headers=trader.headers)
        tag = client.patch(url, json={"tags": ["ok", "  "]}, headers=trader.headers)
        assert stop.json()["errors"][0]["location"] == "body.initial_stop"
        assert tag.json()["errors"][0]["location"] == "body.tags.1"

    def test_another_trader_s_position_is_not_found(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        url = f"/v1/positions/{self.setup_round_trip(client, workers, trader)}"
        response = client.patch(url, json={"initial_stop": "1"}, headers=other_trader.headers)
        assert response.status_code == 404
