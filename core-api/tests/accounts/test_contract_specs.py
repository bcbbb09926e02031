"""An account's own futures specs: stored per account and root, used by matching and P&L,
and recomputing the account's positions of that root when they change (to the cent)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Trader, execution
from tests.executions.test_endpoints import post_batch

MES = {"asset_class": "future", "symbol": "MESH6", "root": "MES", "expiry": "2026-03-20"}


def mes_round_trip(prefix: str, day: str, **instrument: Any) -> list[dict[str, Any]]:
    """Long 2 MES from 5000.25 to 5003.50 (3.25 points), 0.62 commission per fill."""
    fields: dict[str, Any] = {"instrument": {**MES, **instrument}, "commission": "0.62"}
    return [
        execution(f"{prefix}-b", "buy", "2", "5000.25", f"{day}T10:00:00-05:00", **fields),
        execution(f"{prefix}-s", "sell", "2", "5003.50", f"{day}T11:00:00-05:00", **fields),
    ]


def spec_path(trader: Trader, root: str = "MES") -> str:
    return f"/v1/accounts/{trader.account_id}/contract-specs/{root}"


def put_spec(client: TestClient, trader: Trader, root: str = "MES", **body: Any) -> Any:
    return client.put(spec_path(trader, root), json={"root": root, **body}, headers=trader.headers)


def results(client: TestClient, trader: Trader) -> list[tuple[str, str, str, str]]:
    """(opened day, gross, net, currency) of each position, oldest first."""
    items = client.get("/v1/positions?sort=opened_at", headers=trader.headers).json()["items"]
    return [
        (p["opened_at"][:10], p["realised_pnl_gross"], p["realised_pnl_net"], p["currency"])
        for p in items
    ]


def net_pnl(client: TestClient, trader: Trader) -> str:
    statistics = client.get("/v1/statistics", headers=trader.headers).json()
    value: str = statistics["net_pnl"]
    return value


class TestContractSpecOverrides:
    def test_an_override_recomputes_positions_and_statistics_and_deleting_it_restores_them(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, mes_round_trip("a", "2026-03-02"))
        # Built-in MES: 3.25 × 2 × 5 = 32.50 gross, 1.24 fees.
        assert results(client, trader) == [("2026-03-02", "32.5", "31.26", "USD")]
        [before] = client.get("/v1/positions", headers=trader.headers).json()["items"]

        response = put_spec(client, trader, point_value="50", tick_size="0.25", exchange="CME")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "root": "MES",
            "point_value": "50",
            "tick_size": "0.25",
            "currency": "USD",
            "exchange": "CME",
            "session": None,
        }
        # 3.25 × 2 × 50 = 325.00 gross, 323.76 net; the position keeps its id.
        assert results(client, trader) == [("2026-03-02", "325", "323.76", "USD")]
        [after] = client.get("/v1/positions", headers=trader.headers).json()["items"]
        assert after["id"] == before["id"]
        assert after["instrument"]["multiplier"] == "50"
        assert net_pnl(client, trader) == "323.76"

        # A later import of the root takes the account's spec too.
        post_batch(client, workers, trader, mes_round_trip("b", "2026-03-03"))
        assert results(client, trader)[1] == ("2026-03-03", "325", "323.76", "USD")

        assert client.delete(spec_path(trader), headers=trader.headers).status_code == 204
        assert results(client, trader) == [
            ("2026-03-02", "32.5", "31.26", "USD"),
            ("2026-03-03", "32.5", "31.26", "USD"),
        ]
        assert net_pnl(client, trader) == "62.52"
        assert client.get(spec_path(trader), headers=trader.headers).status_code == 404

    def test_what_the_importer_sent_still_wins(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, mes_round_trip("a", "2026-03-02", multiplier="5"))
        assert put_spec(client, trader, point_value="50", tick_size="0.25").status_code == 200
        assert results(client, trader) == [("2026-03-02", "32.5", "31.26", "USD")]

    def test_a_root_missing_from_the_table_takes_the_accounts_spec_and_currency(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        fills = mes_round_trip("a", "2026-03-02", symbol="FDXSH6", root="FDXS")
        post_batch(client, workers, trader, fills)
        # Unknown root: multiplier 1, USD.
        assert results(client, trader) == [("2026-03-02", "6.5", "5.26", "USD")]
        response = put_spec(
            client, trader, "FDXS", point_value="1", tick_size="1", currency="EUR", session="XEUR"
        )
        assert response.status_code == 200
        # 3.25 × 2 × 1 in EUR; the fills carry no EUR rate, so no base amount.
        assert results(client, trader) == [("2026-03-02", "6.5", "5.26", "EUR")]
        assert put_spec(client, trader, "FDXS", point_value="25", tick_size="1").status_code == 200
        assert results(client, trader) == [("2026-03-02", "162.5", "161.26", "USD")]
        listed = client.get(
            f"/v1/accounts/{trader.account_id}/contract-specs", headers=trader.headers
        ).json()
        assert [(s["root"], s["point_value"]) for s in listed["items"]] == [("FDXS", "25")]
        assert client.delete(spec_path(trader, "FDXS"), headers=trader.headers).status_code == 204
        assert results(client, trader) == [("2026-03-02", "6.5", "5.26", "USD")]

    def test_specs_are_per_account_and_scoped_to_the_trader(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        post_batch(client, workers, other_trader, mes_round_trip("a", "2026-03-02"))
        assert put_spec(client, trader, point_value="50", tick_size="0.25").status_code == 200
        assert results(client, other_trader) == [("2026-03-02", "32.5", "31.26", "USD")]
        theirs = f"/v1/accounts/{trader.account_id}/contract-specs"
        assert client.get(theirs, headers=other_trader.headers).status_code == 404
        assert client.get(f"{theirs}/MES", headers=other_trader.headers).status_code == 404
        assert (
            client.put(
                f"{theirs}/MES",
                json={"root": "MES", "point_value": "1", "tick_size": "1"},
                headers=other_trader.headers,
            ).status_code
            == 404
        )
        assert client.delete(f"{theirs}/MES", headers=other_trader.headers).status_code == 404
        assert client.get(spec_path(trader), headers=trader.headers).json()["point_value"] == "50"

    def test_bad_specs_are_refused_naming_the_field(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = put_spec(client, trader, point_value="0", tick_size="-1")
        assert response.status_code == 422
        assert [e["location"] for e in response.json()["errors"]] == [
            "body.point_value",
            "body.tick_size",
        ]
        mismatch = client.put(
            spec_path(trader, "ES"),
            json={"root": "MES", "point_value": "5", "tick_size": "0.25"},
            headers=trader.headers,
        )
        assert mismatch.status_code == 422
        assert mismatch.json()["errors"][0]["location"] == "body.root"
        assert client.get(spec_path(trader, "ES"), headers=trader.headers).status_code == 404
