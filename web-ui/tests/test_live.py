"""static/live.js, run by Node against a fake browser."""

import json
import shutil
import subprocess
from typing import Any

import jsonschema
from tradeloop_contracts import EVENT_CATALOGUE, build_schemas, make_event

from web_ui.rendering import PACKAGE_DIR

HARNESS = PACKAGE_DIR.parents[1] / "tests" / "live_harness.js"
IMPORT_ID = "11111111-1111-1111-1111-111111111111"
OTHER_IMPORT_ID = "22222222-2222-2222-2222-222222222222"
USER_ID = "33333333-3333-3333-3333-333333333333"
SCHEMAS = build_schemas()
# Complete data of each event type the page listens to; a test overrides what it needs.
EXAMPLES: dict[str, dict[str, Any]] = {
    "import.progressed.v1": {"import_id": IMPORT_ID, "rows_processed": 0},
    "import.completed.v1": {"import_id": IMPORT_ID, "counts": {"new": 1}},
    "position.closed.v1": {
        "position_id": "44444444-4444-4444-4444-444444444444",
        "account_id": "55555555-5555-5555-5555-555555555555",
        "symbol": "AAPL",
        "realised_pnl_net": "148.00",
        "currency": "USD",
        "outcome": "win",
    },
    "coach.review_ready.v1": {
        "review_id": "99999999-9999-9999-9999-999999999999",
        "week_start": "2026-02-23",
    },
    "broker_connection.synced.v1": {
        "connection_id": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
        "status": "active",
        "executions": 12,
        "synced_at": "2026-03-02T16:45:00Z",
    },
    "plan.updated.v1": {"plan_id": "66666666-6666-6666-6666-666666666666", "version": 4},
    "rule.violated.v2": {
        "violation_id": "77777777-7777-7777-7777-777777777777",
        "rule_id": "88888888-8888-8888-8888-888888888888",
        "rule_kind": "trailing_drawdown",
        "day": "2026-03-02",
        "cost": "-240.50",
        "currency": "USD",
    },
}


def run_live_script(messages: list[dict[str, Any]]) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed to test static/live.js"
    completed = subprocess.run(
        [node, str(HARNESS), str(PACKAGE_DIR / "static" / "live.js"), json.dumps(messages)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def delivery(position: str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """A socket message as edge sends it: the bus position and a real event envelope.

    Every fixture is a complete event that validates against its contracts schema, so the
    page is tested on what producers actually send.
    """
    payload = EVENT_CATALOGUE[event_type].data.model_validate(
        {"user_id": USER_ID, **EXAMPLES[event_type], **data}
    )
    envelope = json.loads(make_event(event_type, payload, source="/core-api").model_dump_json())
    jsonschema.validate(envelope, SCHEMAS[f"events/{event_type}.json"])
    return {"type": "event", "position": position, "event": envelope}


class TestLiveScript:
    def test_it_connects_to_the_socket_of_the_page_origin(self) -> None:
        result = run_live_script([])

        assert result["urls"][0] == "wss://tradeloop.example/ws"

    def test_import_events_fire_tl_import_and_completion_fires_tl_import_done(self) -> None:
        result = run_live_script(
            [
                delivery(
                    "1-0", "import.progressed.v1", {"import_id": IMPORT_ID, "rows_processed": 5}
                ),
                delivery("2-0", "import.completed.v1", {"import_id": IMPORT_ID}),
            ]
        )

        names = [event["name"] for event in result["triggered"]]
        assert names == ["tl-import", "tl-import", "tl-import-done"]
        assert all(event["body"] for event in result["triggered"])

    def test_a_closed_position_fires_tl_positions(self) -> None:
        result = run_live_script([delivery("3-0", "position.closed.v1", {})])

        assert [event["name"] for event in result["triggered"]] == ["tl-positions"]

    def test_a_new_plan_version_fires_tl_plan_and_a_broken_rule_tl_rules(self) -> None:
        result = run_live_script(
            [delivery("5-0", "plan.updated.v1", {}), delivery("6-0", "rule.violated.v2", {})]
        )

        assert [event["name"] for event in result["triggered"]] == ["tl-plan", "tl-rules"]

    def test_a_finished_broker_sync_fires_tl_brokers(self) -> None:
        result = run_live_script([delivery("8-0", "broker_connection.synced.v1", {})])

        assert [event["name"] for event in result["triggered"]] == ["tl-brokers"]

    def test_a_ready_review_fires_tl_insights_and_tl_reviews(self) -> None:
        result = run_live_script([delivery("7-0", "coach.review_ready.v1", {})])

        assert [event["name"] for event in result["triggered"]] == ["tl-insights", "tl-reviews"]

    def test_progress_shows_rows_processed_of_the_matching_import(self) -> None:
        progressed = {"import_id": IMPORT_ID, "rows_processed": 40, "rows_total": 160}

        result = run_live_script([delivery("4-0", "import.progressed.v1", progressed)])

        assert result["progress"] == {"max": 160, "value": 40, "text": "40 of 160 rows"}

    def test_heartbeats_and_garbage_fire_nothing(self) -> None:
        result = run_live_script([{"type": "heartbeat"}, {"nonsense": True}])

        assert result["triggered"] == []

    def test_after_a_drop_it_reconnects_after_the_last_position_it_saw(self) -> None:
        result = run_live_script(
            [
                delivery("1700000000000-0", "import.progressed.v1", {"import_id": OTHER_IMPORT_ID}),
                delivery("1700000000001-3", "position.closed.v1", {}),
                {"type": "heartbeat"},
            ]
        )

        assert result["reconnectScheduled"] == 1
        assert result["urls"] == [
            "wss://tradeloop.example/ws",
            "wss://tradeloop.example/ws?after=1700000000001-3",
        ]
