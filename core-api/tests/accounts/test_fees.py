"""Fee schedules: costs for fills that report none, the most specific rule applying, and
saving a schedule re-pricing exactly those fills and their positions (to the cent)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tradeloop_contracts import FeeRule

from core_api.accounts.fees import FeeTable, fee_root
from tests.conftest import Trader, execution
from tests.executions.test_endpoints import post_batch
from tests.imports.test_endpoints import upload
from tests.imports.test_settle import post_batch as post_import_batch
from tests.imports.test_settle import report

ES = {"asset_class": "future", "symbol": "ESZ6", "root": "ES", "expiry": "2026-12-18"}
NQ = {"asset_class": "future", "symbol": "NQZ6", "root": "NQ", "expiry": "2026-12-18"}
SCHEDULE = [
    {"asset_class": "future", "root": "ES", "per_contract": "2.25"},
    {"asset_class": "future", "per_contract": "2.50"},
    {"asset_class": "stock", "per_share": "0.005", "minimum": "1.00"},
]


def rule(**fields: Any) -> FeeRule:
    return FeeRule.model_validate(fields)


def price(table: FeeTable, asset_class: str, root: str, quantity: str) -> tuple[Decimal, str]:
    return table.price(asset_class, root, Decimal(quantity), Decimal(0), Decimal(0))


class TestFeeTable:
    def test_per_contract_counts_contracts_of_futures_and_options(self) -> None:
        table = FeeTable.of([rule(asset_class="option", per_contract="0.65", per_share="9")])
        assert price(table, "option", "AAPL", "3") == (Decimal("1.95"), "schedule")

    def test_per_share_counts_shares_with_the_minimum_as_the_floor(self) -> None:
        table = FeeTable.of([rule(asset_class="stock", per_share="0.005", minimum="1.00")])
        assert price(table, "stock", "AAPL", "100") == (Decimal("1.00"), "schedule")
        assert price(table, "stock", "AAPL", "300") == (Decimal("1.50"), "schedule")

    def test_per_order_is_added_once_per_fill_and_rounded_half_up_to_the_cent(self) -> None:
        table = FeeTable.of([rule(asset_class="stock", per_share="0.0035", per_order="0.25")])
        # 33 × 0.0035 = 0.1155, + 0.25 = 0.3655 → 0.37.
        assert price(table, "stock", "AAPL", "33") == (Decimal("0.37"), "schedule")

    def test_a_root_rule_wins_over_its_class_rule(self) -> None:
        table = FeeTable.of(rule(**fields) for fields in SCHEDULE)
        assert price(table, "future", "ES", "2") == (Decimal("4.50"), "schedule")
        assert price(table, "future", "NQ", "2") == (Decimal("5.00"), "schedule")

    def test_reported_costs_stand_and_no_rule_gives_none(self) -> None:
        table = FeeTable.of(rule(**fields) for fields in SCHEDULE)
        reported = table.price("future", "ES", Decimal(2), Decimal(0), Decimal("0.40"))
        assert reported == (Decimal(0), "broker")
        assert price(table, "crypto", "BTC-USD", "1") == (Decimal(0), "none")

    def test_a_future_is_priced_by_its_root_never_its_contract_month(self) -> None:
        assert fee_root("future", "ESZ6", None, "es") == "ES"
        assert fee_root("future", "ESZ6", "ES", None) == "ES"
        assert fee_root("option", "AAPL  260320C00190000", None, "AAPL") == "AAPL"
        assert fee_root("stock", "msft", None, None) == "MSFT"


def schedule_path(trader: Trader) -> str:
    return f"/v1/accounts/{trader.account_id}/fee-schedule"


def put_schedule(client: TestClient, trader: Trader, rules: list[dict[str, str]]) -> Any:
    return client.put(schedule_path(trader), json={"rules": rules}, headers=trader.headers)


def es_round_trip(prefix: str, instrument: dict[str, str] = ES, **costs: str) -> list[Any]:
    """Long 2 contracts from 5000.00 to 5001.00: 100.00 gross at 50 a point."""
    fields: dict[str, Any] = {"instrument": {**instrument, "multiplier": "50"}, **costs}
    return [
        execution(f"{prefix}-b", "buy", "2", "5000", "2026-03-02T15:00:00Z", **fields),
        execution(f"{prefix}-s", "sell", "2", "5001", "2026-03-02T16:00:00Z", **fields),
    ]


def stock_round_trip(prefix: str, quantity: str = "100", **costs: str) -> list[Any]:
    """quantity AAPL from 10.00 to 11.00."""
    return [
        execution(f"{prefix}-b", "buy", quantity, "10", "2026-03-03T15:00:00Z", **costs),
        execution(f"{prefix}-s", "sell", quantity, "11", "2026-03-03T16:00:00Z", **costs),
    ]


def results(client: TestClient, trader: Trader) -> dict[str, tuple[str, str, list[str]]]:
    """Per symbol: net P&L, total fees and each fill's fee source."""
    items = client.get("/v1/positions", headers=trader.headers).json()["items"]
    found = {}
    for item in items:
        detail = client.get(f"/v1/positions/{item['id']}", headers=trader.headers).json()
        sources = [fill["fee_source"] for fill in detail["executions"]]
        found[item["instrument"]["symbol"]] = (item["realised_pnl_net"], item["fees"], sources)
    return found


class TestFeeScheduleEndpoints:
    def test_an_account_starts_without_rules(self, client: TestClient, trader: Trader) -> None:
        response = client.get(schedule_path(trader), headers=trader.headers)
        assert response.status_code == 200
        assert response.json() == {
            "account_id": str(trader.account_id),
            "rules": [],
            "updated_at": None,
        }

    def test_fills_stored_later_take_the_schedule_and_reported_costs_stand(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        saved = put_schedule(
            client, trader, [*SCHEDULE[:1], {"asset_class": "stock", "root": "aapl"}]
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["rules"][1] == {
            "asset_class": "stock",
            "root": "AAPL",
            "per_contract": "0",
            "per_share": "0",
            "per_order": "0",
            "minimum": "0",
        }
        assert saved.json()["updated_at"] is not None
        assert client.get(schedule_path(trader), headers=trader.headers).json() == saved.json()
        put_schedule(client, trader, SCHEDULE)

        post_batch(client, workers, trader, es_round_trip("es"))
        post_batch(client, workers, trader, es_round_trip("nq", NQ, commission="1.10"))
        post_batch(client, workers, trader, stock_round_trip("aapl", "300"))

        assert results(client, trader) == {
            # 2 × 2.25 per fill by the ES rule.
            "ESZ6": ("91", "9", ["schedule", "schedule"]),
            # As reported: 1.10 per fill.
            "NQZ6": ("97.8", "2.2", ["broker", "broker"]),
            # 300 × 0.005 = 1.50 per fill.
            "AAPL": ("297", "3", ["schedule", "schedule"]),
        }

    def test_changing_the_schedule_recomputes_pnl_to_the_cent_and_removing_it_restores(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, es_round_trip("es"))
        post_batch(client, workers, trader, es_round_trip("nq", NQ, fees="0.37"))
        post_batch(client, workers, trader, stock_round_trip("aapl", "33"))
        broker = ("99.26", "0.74", ["broker", "broker"])
        assert results(client, trader) == {
            "ESZ6": ("100", "0", ["none", "none"]),
            "NQZ6": broker,
            "AAPL": ("33", "0", ["none", "none"]),
        }

        assert put_schedule(client, trader, SCHEDULE).status_code == 200
        assert results(client, trader) == {
            "ESZ6": ("91", "9", ["schedule", "schedule"]),
            "NQZ6": broker,
            # 33 × 0.005 = 0.165, under the 1.00 minimum.
            "AAPL": ("31", "2", ["schedule", "schedule"]),
        }
        statistics = client.get("/v1/statistics", headers=trader.headers).json()
        assert statistics["net_pnl"] == "221.26"

        changed = [
            {"asset_class": "future", "per_contract": "1.29"},
            {"asset_class": "stock", "per_share": "0.0035", "per_order": "0.25"},
        ]
        assert put_schedule(client, trader, changed).status_code == 200
        assert results(client, trader) == {
            # 2 × 1.29 = 2.58 per fill; 0.1155 + 0.25 → 0.37 per fill.
            "ESZ6": ("94.84", "5.16", ["schedule", "schedule"]),
            "NQZ6": broker,
            "AAPL": ("32.26", "0.74", ["schedule", "schedule"]),
        }

        assert put_schedule(client, trader, []).status_code == 200
        assert results(client, trader) == {
            "ESZ6": ("100", "0", ["none", "none"]),
            "NQZ6": broker,
            "AAPL": ("33", "0", ["none", "none"]),
        }
        statistics = client.get("/v1/statistics", headers=trader.headers).json()
        assert statistics["net_pnl"] == "232.26"

    def test_a_running_import_takes_a_schedule_saved_meanwhile_when_it_settles(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        job = upload(client, trader).json()
        post_import_batch(client, workers, trader, job["id"], es_round_trip("es"))

        assert put_schedule(client, trader, SCHEDULE).status_code == 200
        # The import's fills stay out of positions until it settles.
        assert results(client, trader) == {}

        report(client, workers, trader, job["id"], {"status": "completed", "counts": {"new": 2}})
        assert results(client, trader) == {"ESZ6": ("91", "9", ["schedule", "schedule"])}

    @pytest.mark.parametrize(
        ("rules", "location", "detail"),
        [
            (
                [SCHEDULE[1], {"asset_class": "stock"}, {"asset_class": "future"}],
                "body.rules.2.root",
                "a second rule for future, the whole class",
            ),
            (
                [SCHEDULE[0], {"asset_class": "future", "root": "es"}],
                "body.rules.1.root",
                "a second rule for future, root ES",
            ),
            (
                [{"asset_class": "future", "root": "ESZ6"}],
                "body.rules.0.root",
                "ESZ6 is a contract month; give its root, ES",
            ),
            (
                [SCHEDULE[0], {"asset_class": "stock", "per_share": "-0.01"}],
                "body.rules.1.per_share",
                "greater than or equal to 0",
            ),
        ],
    )
    def test_bad_rules_are_refused_naming_the_field_and_index(
        self,
        client: TestClient,
        trader: Trader,
        rules: list[dict[str, str]],
        location: str,
        detail: str,
    ) -> None:
        response = put_schedule(client, trader, rules)
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["location"] == location
        assert detail in error["message"]
        assert client.get(schedule_path(trader), headers=trader.headers).json()["rules"] == []
