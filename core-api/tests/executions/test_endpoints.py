from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core_api.executions.models import ExecutionRecord
from tests.conftest import Trader, assert_valid_event, events_of, execution

ROUND_TRIP = [
    execution("e1", "buy", "100", "187.1234", "2026-03-02T09:31:00-05:00", commission="1.00"),
    execution("e2", "sell", "100", "188.0001", "2026-03-02T10:02:00-05:00", fees="0.35"),
]


def post_batch(
    client: TestClient, workers: dict[str, str], trader: Trader, executions: list[dict[str, Any]]
) -> dict[str, Any]:
    response = client.post(
        f"/internal/users/{trader.id}/executions/batch",
        json={"account_id": str(trader.account_id), "executions": executions},
        headers=workers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestExecutionBatch:
    def test_a_new_batch_is_stored_and_a_repeat_adds_nothing(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        assert post_batch(client, workers, trader, ROUND_TRIP) == {"inserted": 2, "duplicates": 0}
        assert post_batch(client, workers, trader, ROUND_TRIP) == {"inserted": 0, "duplicates": 2}

    def test_fingerprints_make_fills_without_broker_ids_idempotent(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        fills = [
            {**fill, "broker_execution_id": None, "fingerprint": f"fp-{index}"}
            for index, fill in enumerate(ROUND_TRIP)
        ]
        assert post_batch(client, workers, trader, fills)["inserted"] == 2
        assert post_batch(client, workers, trader, fills[:1])["duplicates"] == 1

    def test_a_fill_without_any_id_is_refused_with_its_location(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        fill = {**ROUND_TRIP[0], "broker_execution_id": None}
        response = client.post(
            f"/internal/users/{trader.id}/executions/batch",
            json={"account_id": str(trader.account_id), "executions": [ROUND_TRIP[1], fill]},
            headers=workers,
        )
        assert response.status_code == 422
        assert [e["location"] for e in response.json()["errors"]] == ["body.executions.1"]

    def test_an_invalid_body_is_refused_field_by_field_and_stores_nothing(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        url = f"/internal/users/{trader.id}/executions/batch"
        bad_price = {**ROUND_TRIP[1], "price": "a lot"}
        body = {"account_id": str(trader.account_id), "executions": [ROUND_TRIP[0], bad_price]}

        refused = client.post(url, json=body, headers=workers)
        not_json = client.post(url, content=b'{"account_id": ', headers=workers)

        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["location"] for e in refused.json()["errors"]] == ["body.executions.1.price"]
        assert not_json.status_code == 422
        assert [e["location"] for e in not_json.json()["errors"]] == ["body"]
        stored = session.scalars(
            select(ExecutionRecord).where(ExecutionRecord.account_id == trader.account_id)
        ).all()
        assert stored == []

    def test_prices_are_stored_exactly_with_utc_time_and_offset(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        post_batch(client, workers, trader, ROUND_TRIP)
        record = session.scalar(
            select(ExecutionRecord).where(ExecutionRecord.broker_execution_id == "e1")
        )
        assert record is not None
        assert record.price == Decimal("187.1234")
        assert record.executed_at.isoformat() == "2026-03-02T14:31:00+00:00"
        assert record.utc_offset_minutes == -300

    def test_a_fill_shows_its_fingerprint_and_open_close_as_stored(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        fills = [
            {**ROUND_TRIP[0], "broker_execution_id": None, "fingerprint": "fp-1"},
            {**ROUND_TRIP[1], "open_close": "close"},
        ]
        post_batch(client, workers, trader, fills)
        [position] = client.get("/v1/positions", headers=trader.headers).json()["items"]
        detail = client.get(f"/v1/positions/{position['id']}", headers=trader.headers).json()
        assert [
            (e["broker_execution_id"], e["fingerprint"], e["open_close"])
            for e in detail["executions"]
        ] == [(None, "fp-1", None), ("e2", None, "close")]
        edited = client.patch(
            f"/v1/executions/{detail['executions'][0]['id']}",
            json={"note": "early"},
            headers=trader.headers,
        )
        assert edited.status_code == 200, edited.text
        assert (edited.json()["fingerprint"], edited.json()["open_close"]) == ("fp-1", None)

    def test_closing_a_position_writes_recorded_and_closed_events(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        post_batch(client, workers, trader, ROUND_TRIP)
        [recorded] = events_of(session, trader.id, "executions.recorded.v1")
        assert recorded["data"]["count"] == 2
        assert recorded["data"]["symbols"] == ["AAPL"]
        [closed] = events_of(session, trader.id, "position.closed.v1")
        assert closed["data"]["realised_pnl_net"] == "86.32"
        assert closed["data"]["outcome"] == "win"
        for event in (recorded, closed):
            assert_valid_event(event)

    def test_a_late_fill_rematches_without_closing_twice(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        post_batch(client, workers, trader, ROUND_TRIP)
        late_add = execution("e0", "buy", "100", "186", "2026-03-02T09:45:00-05:00")
        post_batch(client, workers, trader, [late_add])
        positions = client.get("/v1/positions", headers=trader.headers).json()["items"]
        assert [(p["status"], p["open_quantity"]) for p in positions] == [("open", "100")]
        assert len(events_of(session, trader.id, "position.closed.v1")) == 1

    def test_another_trader_s_account_is_not_found(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        response = client.post(
            f"/internal/users/{trader.id}/executions/batch",
            json={"account_id": str(other_trader.account_id), "executions": ROUND_TRIP},
            headers=workers,
        )
        assert response.status_code == 404


def positions_summary(client: TestClient, trader: Trader) -> list[tuple[str, ...]]:
    items = client.get("/v1/positions", headers=trader.headers).json()["items"]
    return [
        (p["opened_at"], p["status"], p["open_quantity"], p["realised_pnl_net"], p["fees"])
        for p in items
    ]


class TestFileSplit:
    def test_one_file_or_two_in_any_order_make_the_same_positions(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        fills = [
            execution("1", "buy", "100", "10.01", "2026-03-02T15:00:00Z", commission="1"),
            execution("2", "buy", "50", "10.05", "2026-03-02T15:05:00Z", commission="1"),
            execution("3", "sell", "200", "10.10", "2026-03-02T15:10:00Z", commission="2"),
            execution("4", "buy", "50", "10.00", "2026-03-02T15:20:00Z", commission="1"),
            execution("5", "sell", "30", "10.20", "2026-03-03T15:00:00Z"),
        ]
        post_batch(client, workers, trader, fills)
        post_batch(client, workers, other_trader, fills[3:])
        post_batch(client, workers, other_trader, fills[:3])
        assert positions_summary(client, trader) == positions_summary(client, other_trader)
        assert [p[1:4] for p in positions_summary(client, trader)] == [
            ("open", "-30", "0"),
            ("closed", "0", "3.5"),
            ("closed", "0", "8"),
        ]
