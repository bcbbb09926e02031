from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, event

from tests.conftest import Trader, execution, service_headers
from tests.executions.test_endpoints import post_batch

ORB = {
    "name": "Opening range breakout",
    "description": "Long above the first 15 minutes' high on volume.",
    "criteria": [
        {"text": "Above VWAP"},
        {"text": "Volume over 2x average"},
        {"text": "Stop below the range"},
    ],
}


def create(client: TestClient, trader: Trader, body: dict[str, Any] | None = None) -> Any:
    response = client.post("/v1/playbooks", json=body or ORB, headers=trader.headers)
    assert response.status_code == 201, response.text
    return response.json()


def round_trips(
    client: TestClient, workers: dict[str, str], trader: Trader, pnl: list[str]
) -> list[str]:
    """One closed position per entry of `pnl` (10 shares bought at 100), oldest first."""
    fills = []
    for day, result in enumerate(pnl, start=2):
        exit_price = str(100 + int(result) // 10)
        at = f"2026-03-{day:02d}T1"
        fills.append(execution(f"b{day}", "buy", "10", "100", f"{at}5:00:00Z"))
        fills.append(execution(f"s{day}", "sell", "10", exit_price, f"{at}6:00:00Z"))
    post_batch(client, workers, trader, fills)
    items = client.get("/v1/positions?sort=opened_at", headers=trader.headers).json()["items"]
    return [item["id"] for item in items]


def put(client: TestClient, trader: Trader, position_id: str, **body: Any) -> Any:
    return client.put(f"/v1/positions/{position_id}/playbook", json=body, headers=trader.headers)


def criteria_ids(playbook: dict[str, Any]) -> list[str]:
    return [item["id"] for item in playbook["criteria"]]


def location(response: Any) -> str:
    assert response.status_code == 422, response.text
    return str(response.json()["errors"][0]["location"])


@contextmanager
def counted(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


class TestPlaybooks:
    def test_a_new_playbook_has_its_criteria_in_order_and_no_positions(
        self, client: TestClient, trader: Trader
    ) -> None:
        playbook = create(client, trader)
        assert playbook["name"] == ORB["name"]
        assert playbook["description"] == ORB["description"]
        assert [item["text"] for item in playbook["criteria"]] == [
            "Above VWAP",
            "Volume over 2x average",
            "Stop below the range",
        ]
        assert playbook["positions"] == 0
        assert playbook["adherence_rate"] is None
        assert playbook["archived"] is False
        read = client.get(f"/v1/playbooks/{playbook['id']}", headers=trader.headers).json()
        assert read == playbook

    def test_a_name_is_unique_per_trader_in_any_case(
        self, client: TestClient, trader: Trader, other_trader: Trader
    ) -> None:
        create(client, trader)
        again = client.post(
            "/v1/playbooks", json={"name": "OPENING range breakout"}, headers=trader.headers
        )
        assert again.status_code == 409
        assert again.json()["errors"][0]["location"] == "body.name"
        # Another trader may use it.
        create(client, other_trader)

    def test_bad_bodies_are_refused_naming_the_field(
        self, client: TestClient, trader: Trader
    ) -> None:
        cases = {
            "body.name": {"name": "  "},
            "body.criteria.1.text": {"name": "x", "criteria": [{"text": "a"}, {"text": " "}]},
            "body.criteria.2.text": {
                "name": "x",
                "criteria": [{"text": "a"}, {"text": "b"}, {"text": "A"}],
            },
            "body.criteria.0.id": {
                "name": "x",
                "criteria": [{"id": str(uuid.uuid4()), "text": "a"}],
            },
        }
        for where, body in cases.items():
            response = client.post("/v1/playbooks", json=body, headers=trader.headers)
            assert location(response) == where
        assert client.get("/v1/playbooks", headers=trader.headers).json()["items"] == []

    def test_criteria_keep_their_ids_across_edits_and_removed_ones_lose_their_ticks(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        playbook = create(client, trader)
        vwap, volume, stop = criteria_ids(playbook)
        [position] = round_trips(client, workers, trader, ["50"])
        assert (
            put(
                client, trader, position, playbook_id=playbook["id"], criteria_met=[vwap, volume]
            ).status_code
            == 200
        )
        edit = {
            "name": "ORB",
            "criteria": [
                {"id": volume, "text": "Volume over 3x average"},
                {"text": "Market trending up"},
                {"id": vwap, "text": "Above VWAP"},
            ],
        }
        response = client.patch(
            f"/v1/playbooks/{playbook['id']}", json=edit, headers=trader.headers
        )
        assert response.status_code == 200, response.text
        edited = response.json()
        assert edited["name"] == "ORB"
        assert edited["description"] == ORB["description"]
        ids = criteria_ids(edited)
        assert ids[0] == volume
        assert ids[2] == vwap
        assert ids[1] not in (vwap, volume, stop)
        assert [item["text"] for item in edited["criteria"]] == [
            "Volume over 3x average",
            "Market trending up",
            "Above VWAP",
        ]
        # The kept ticks stay, in the playbook's new order; the new criterion is unmet.
        followed = client.get(f"/v1/positions/{position}", headers=trader.headers).json()
        assert followed["playbook"] == {
            "playbook_id": playbook["id"],
            "name": "ORB",
            "criteria_met": [volume, vwap],
            "criteria_total": 3,
            "adherence": "0.6667",
        }
        # Dropping a criterion drops its tick.
        client.patch(
            f"/v1/playbooks/{playbook['id']}",
            json={"criteria": [{"id": vwap, "text": "Above VWAP"}]},
            headers=trader.headers,
        )
        followed = client.get(f"/v1/positions/{position}", headers=trader.headers).json()
        assert followed["playbook"]["criteria_met"] == [vwap]
        assert followed["playbook"]["criteria_total"] == 1
        assert followed["playbook"]["adherence"] == "1.0000"

    def test_an_edit_citing_another_playbook_s_criterion_is_refused(
        self, client: TestClient, trader: Trader, other_trader: Trader
    ) -> None:
        mine = create(client, trader)
        other = create(client, trader, {"name": "Pullback", "criteria": [{"text": "Higher low"}]})
        theirs = create(client, other_trader)
        for foreign in (criteria_ids(other)[0], criteria_ids(theirs)[0]):
            response = client.patch(
                f"/v1/playbooks/{mine['id']}",
                json={"criteria": [{"text": "new"}, {"id": foreign, "text": "stolen"}]},
                headers=trader.headers,
            )
            assert location(response) == "body.criteria.1.id"
        twice = criteria_ids(mine)[0]
        response = client.patch(
            f"/v1/playbooks/{mine['id']}",
            json={"criteria": [{"id": twice, "text": "a"}, {"id": twice, "text": "b"}]},
            headers=trader.headers,
        )
        assert location(response) == "body.criteria.1.id"
        unchanged = client.get(f"/v1/playbooks/{mine['id']}", headers=trader.headers).json()
        assert unchanged["criteria"] == mine["criteria"]

    def test_archiving_keeps_the_playbook_and_lists_it_last(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        first = create(client, trader, {"name": "Alpha"})
        second = create(client, trader, {"name": "Beta", "criteria": [{"text": "x"}]})
        [position] = round_trips(client, workers, trader, ["50"])
        put(client, trader, position, playbook_id=first["id"])
        archived = client.patch(
            f"/v1/playbooks/{first['id']}", json={"archived": True}, headers=trader.headers
        ).json()
        assert archived["archived"] is True
        assert archived["positions"] == 1
        listed = client.get("/v1/playbooks", headers=trader.headers).json()["items"]
        assert [item["name"] for item in listed] == ["Beta", "Alpha"]
        assert listed[0]["id"] == second["id"]
        followed = client.get(f"/v1/positions/{position}", headers=trader.headers).json()
        assert followed["playbook"]["name"] == "Alpha"

    def test_deleting_a_playbook_detaches_its_positions(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        playbook = create(client, trader)
        [position] = round_trips(client, workers, trader, ["50"])
        put(
            client,
            trader,
            position,
            playbook_id=playbook["id"],
            criteria_met=criteria_ids(playbook),
        )
        response = client.delete(f"/v1/playbooks/{playbook['id']}", headers=trader.headers)
        assert response.status_code == 204
        assert (
            client.get(f"/v1/playbooks/{playbook['id']}", headers=trader.headers).status_code == 404
        )
        followed = client.get(f"/v1/positions/{position}", headers=trader.headers)
        assert followed.status_code == 200
        assert followed.json()["playbook"] is None


class TestAdherence:
    def test_adherence_is_criteria_met_over_criteria_checked(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        playbook = create(client, trader)
        a, b, c = criteria_ids(playbook)
        first, second, third, untouched = round_trips(
            client, workers, trader, ["50", "-30", "20", "10"]
        )
        ticks = {first: [a, b], second: [c], third: [a, b, c]}
        for position, met in ticks.items():
            response = put(client, trader, position, playbook_id=playbook["id"], criteria_met=met)
            assert response.status_code == 200, response.text
        # By hand: 2 + 1 + 3 = 6 met of 3 positions x 3 criteria = 9 checked.
        read = client.get(f"/v1/playbooks/{playbook['id']}", headers=trader.headers).json()
        assert read["positions"] == 3
        assert read["adherence_rate"] == "0.6667"
        listed = client.get("/v1/positions?sort=opened_at", headers=trader.headers).json()
        adherence = {
            item["id"]: item["playbook"] and item["playbook"]["adherence"]
            for item in listed["items"]
        }
        assert adherence == {first: "0.6667", second: "0.3333", third: "1.0000", untouched: None}

    def test_a_playbook_without_criteria_has_no_adherence(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        playbook = create(client, trader, {"name": "Gut feel"})
        [position] = round_trips(client, workers, trader, ["50"])
        followed = put(client, trader, position, playbook_id=playbook["id"]).json()["playbook"]
        assert followed["criteria_total"] == 0
        assert followed["adherence"] is None
        read = client.get(f"/v1/playbooks/{playbook['id']}", headers=trader.headers).json()
        assert (read["positions"], read["adherence_rate"]) == (1, None)


class TestPositionPlaybook:
    def test_a_position_moves_between_playbooks_and_is_cleared(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        orb = create(client, trader)
        pullback = create(
            client, trader, {"name": "Pullback", "criteria": [{"text": "Higher low"}]}
        )
        [position] = round_trips(client, workers, trader, ["50"])
        put(client, trader, position, playbook_id=orb["id"], criteria_met=criteria_ids(orb))
        moved = put(client, trader, position, playbook_id=pullback["id"], criteria_met=[]).json()[
            "playbook"
        ]
        assert moved["playbook_id"] == pullback["id"]
        assert moved["criteria_met"] == []
        assert (
            client.get(f"/v1/playbooks/{orb['id']}", headers=trader.headers).json()["positions"]
            == 0
        )
        cleared = put(client, trader, position, playbook_id=None)
        assert cleared.status_code == 200
        assert cleared.json()["playbook"] is None
        assert (
            client.get(f"/v1/playbooks/{pullback['id']}", headers=trader.headers).json()[
                "positions"
            ]
            == 0
        )

    def test_criteria_must_belong_to_the_playbook(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        orb = create(client, trader)
        pullback = create(
            client, trader, {"name": "Pullback", "criteria": [{"text": "Higher low"}]}
        )
        theirs = create(client, other_trader)
        [position] = round_trips(client, workers, trader, ["50"])
        a = criteria_ids(orb)[0]
        cases = [
            ([a, criteria_ids(pullback)[0]], "body.criteria_met.1"),
            ([a, criteria_ids(theirs)[0]], "body.criteria_met.1"),
            ([a, a], "body.criteria_met.1"),
            ([str(uuid.uuid4())], "body.criteria_met.0"),
        ]
        for met, where in cases:
            response = put(client, trader, position, playbook_id=orb["id"], criteria_met=met)
            assert location(response) == where
        without = put(client, trader, position, playbook_id=None, criteria_met=[a])
        assert location(without) == "body.criteria_met"
        read = client.get(f"/v1/positions/{position}", headers=trader.headers).json()
        assert read["playbook"] is None

    def test_another_trader_s_playbook_or_position_is_not_found(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        theirs = create(client, other_trader)
        [mine] = round_trips(client, workers, trader, ["50"])
        [their_position] = round_trips(client, workers, other_trader, ["50"])
        assert put(client, trader, mine, playbook_id=theirs["id"]).status_code == 404
        mine_playbook = create(client, trader)
        assert (
            put(client, trader, their_position, playbook_id=mine_playbook["id"]).status_code == 404
        )
        listed = client.get(f"/v1/positions?playbook_id={theirs['id']}", headers=trader.headers)
        assert listed.status_code == 404

    def test_the_list_filters_by_playbook(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        orb = create(client, trader)
        first, second, third = round_trips(client, workers, trader, ["50", "-30", "20"])
        put(client, trader, first, playbook_id=orb["id"])
        put(client, trader, third, playbook_id=orb["id"])
        listed = client.get(f"/v1/positions?playbook_id={orb['id']}", headers=trader.headers).json()
        assert {item["id"] for item in listed["items"]} == {first, third}
        assert all(item["playbook"]["name"] == ORB["name"] for item in listed["items"])

    def test_the_list_reads_playbooks_in_the_same_number_of_queries_however_many(
        self, client: TestClient, workers: dict[str, str], trader: Trader, connection: Connection
    ) -> None:
        orb = create(client, trader)
        pullback = create(
            client, trader, {"name": "Pullback", "criteria": [{"text": "Higher low"}]}
        )
        ids = round_trips(client, workers, trader, ["50", "-30", "20", "10", "-10"])
        put(client, trader, ids[0], playbook_id=orb["id"], criteria_met=criteria_ids(orb)[:1])
        with counted(connection) as one:
            client.get("/v1/positions", headers=trader.headers)
        for index, position in enumerate(ids[1:]):
            playbook = orb if index % 2 else pullback
            put(
                client,
                trader,
                position,
                playbook_id=playbook["id"],
                criteria_met=criteria_ids(playbook),
            )
        with counted(connection) as five:
            listed = client.get("/v1/positions", headers=trader.headers).json()
        assert all(item["playbook"] is not None for item in listed["items"])
        assert len(five) == len(one)

    def test_a_service_reads_a_trader_s_playbooks(self, client: TestClient, trader: Trader) -> None:
        playbook = create(client, trader)
        response = client.get(
            f"/internal/users/{trader.id}/playbooks", headers=service_headers(client, "ai-coach")
        )
        assert response.status_code == 200, response.text
        assert response.json()["items"] == [playbook]
