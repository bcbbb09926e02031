"""A broker key pair handed to the system is sealed in core: no answer carries it back,
and (planted here, scanned by tools/run_tests.py) no service logs it."""

from __future__ import annotations

import secrets
import uuid

import httpx

from .planted import plant
from .traders import Trader


def test_a_broker_key_pair_comes_back_in_no_answer(api: httpx.Client, trader: Trader) -> None:
    key_id, secret = f"PK{secrets.token_hex(10).upper()}", secrets.token_urlsafe(30)
    plant("broker API key id", key_id)
    plant("broker API secret", secret)

    created = api.post(
        "/api/v1/broker-connections",
        json={
            "broker": "alpaca",
            "label": "paper account",
            "account_id": trader.account_id,
            "api_key_id": key_id,
            "api_secret": secret,
        },
        headers={**trader.session, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert created.status_code == 201, created.text
    listed = api.get("/api/v1/broker-connections", headers=trader.session)
    shown = api.get(f"/api/v1/broker-connections/{created.json()['id']}", headers=trader.session)

    for answer in (created, listed, shown):
        assert answer.status_code in (200, 201), answer.text
        assert key_id not in answer.text
        assert secret not in answer.text
    assert created.json()["id"] in listed.text
