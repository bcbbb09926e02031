"""A personal API token (the CLI's and scripts' credential) works as far as a session does:
the dashboard it reads is whole, the coach's part included."""

from __future__ import annotations

import httpx

from .traders import Trader


def test_the_dashboard_read_with_a_personal_token_is_not_partial(
    api: httpx.Client, trader: Trader
) -> None:
    dashboard = api.get("/api/v1/dashboard", headers=trader.bearer)

    assert dashboard.status_code == 200, dashboard.text
    assert dashboard.json()["partial"] == [], dashboard.json()
