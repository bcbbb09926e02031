"""Events written in bulk are the envelopes the contracts build, one id each, and every
event lives or dies with the transaction of its state change."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tradeloop_contracts import PlanUpdated, RuleViolatedV2, make_event

from core_api.outbox.service import SOURCE, record_events
from core_api.plans import endpoints as plans_endpoints
from tests.conftest import Trader, assert_valid_event, events_of

TRACEPARENT = "00-" + "c" * 32 + "-" + "d" * 16 + "-01"


def violated(user_id: uuid.UUID, position_id: uuid.UUID | None, cost: str) -> RuleViolatedV2:
    return RuleViolatedV2(
        user_id=user_id,
        violation_id=uuid.uuid4(),
        rule_id=uuid.uuid4(),
        rule_kind="max_trades_per_day",
        position_id=position_id,
        day=dt.date(2026, 3, 2),
        cost=Decimal(cost),
        currency="USD",
    )


class TestRecordEvents:
    def test_each_event_is_the_contracts_envelope_with_its_own_id_and_data(
        self, session: Session, trader: Trader, other_trader: Trader
    ) -> None:
        items = [
            violated(trader.id, uuid.uuid4(), "-12.5"),
            violated(other_trader.id, uuid.uuid4(), "3"),
            violated(trader.id, None, "-1"),
            violated(trader.id, uuid.uuid4(), "0"),
        ]
        record_events(session, "rule.violated.v2", items, TRACEPARENT)
        session.flush()
        mine = events_of(session, trader.id, "rule.violated.v2")
        theirs = events_of(session, other_trader.id, "rule.violated.v2")
        assert [event["data"]["violation_id"] for event in mine] == [
            str(item.violation_id) for item in items if item.user_id == trader.id
        ]
        assert [event["data"]["violation_id"] for event in theirs] == [str(items[1].violation_id)]
        for event, data in zip(
            mine + theirs, [items[0], items[2], items[3], items[1]], strict=True
        ):
            assert_valid_event(event)
            expected = make_event(
                "rule.violated.v2", data, source=SOURCE, traceparent=TRACEPARENT
            ).model_dump(mode="json", exclude_none=True)
            ignored = {"id", "time"}
            assert {k: v for k, v in event.items() if k not in ignored} == {
                k: v for k, v in expected.items() if k not in ignored
            }
        ids = [event["id"] for event in mine + theirs]
        assert len(set(ids)) == len(ids)

    def test_data_of_another_type_is_refused_even_after_a_good_one(
        self, session: Session, trader: Trader
    ) -> None:
        wrong = PlanUpdated(user_id=trader.id, plan_id=uuid.uuid4(), version=1)
        with pytest.raises(ValueError, match="carries RuleViolatedV2"):
            record_events(
                session,
                "rule.violated.v2",
                [violated(trader.id, None, "1"), wrong],
                None,
            )


class TestEventsShareTheirTransaction:
    def test_a_state_change_that_fails_after_its_event_leaves_neither(
        self,
        client: TestClient,
        trader: Trader,
        session: Session,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def fail(*_: object, **__: object) -> None:
            raise RuntimeError("answering broke after plan.updated.v1 was recorded")

        monkeypatch.setattr(plans_endpoints, "to_plan", fail)
        plan = {"rules": [{"name": "one", "params": {"kind": "max_trades_per_day", "count": 1}}]}
        response = client.put("/v1/plan", json=plan, headers=trader.headers)
        assert response.status_code == 500
        assert "answering broke" not in response.text
        assert events_of(session, trader.id, "plan.updated.v1") == []
        assert client.get("/v1/plan", headers=trader.headers).status_code == 404
