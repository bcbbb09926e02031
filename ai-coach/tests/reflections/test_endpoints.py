"""GET /v1/reflections/themes of the real app against the stand-in core."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

from tests.factories import daily_trader, journal_entry, positions_of, trading_days
from tests.stub_core import StubCore


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def journaling_trader(core: StubCore) -> tuple[uuid.UUID, list[dt.date]]:
    user_id = uuid.uuid4()
    trades = daily_trader(5, 10, set())
    days = trading_days(trades)
    core.positions[user_id] = positions_of(trades)
    core.journal[user_id] = [
        journal_entry("Felt anxious, I was chasing the move. FOMO.", days[0]),
        journal_entry("Not anxious today, calm and patient.", days[1]),
        journal_entry("I moved my stop and regret it.", days[7]),
    ]
    return user_id, days


def test_themes_name_labels_phrases_weeks_and_performance(
    coach: httpx.Client, core: StubCore
) -> None:
    core.page_size = 2
    user_id, days = journaling_trader(core)
    body = coach.get("/v1/reflections/themes", headers=bearer(core.user_token(user_id))).json()
    assert body["entries"] == 3
    labels = {theme["label"]: theme for theme in body["themes"]}
    assert set(labels) == {"fear", "fomo", "calm", "moved_stop", "regret"}
    assert labels["fear"]["entries"] == 1  # "Not anxious" is not fear
    assert labels["fomo"]["suggested_rule"].startswith("Enter only")
    assert [week["week"] for week in body["weeks"]] == ["2026-01-05", "2026-01-12"]
    fear = next(row for row in body["performance"] if row["label"] == "fear")
    assert fear["currency"] == "USD"
    assert (fear["days_with"], fear["days_without"]) == (1, 2)
    assert {entry["day"] for entry in body["evidence"]} == {
        str(d) for d in (days[0], days[1], days[7])
    }


def test_the_range_selects_entries_by_day(coach: httpx.Client, core: StubCore) -> None:
    user_id, days = journaling_trader(core)
    response = coach.get(
        "/v1/reflections/themes",
        params={"start": str(days[5]), "end": str(days[9])},
        headers=bearer(core.user_token(user_id)),
    )
    body = response.json()
    assert body["entries"] == 1
    assert {theme["label"] for theme in body["themes"]} == {"moved_stop", "regret"}


def test_a_range_that_ends_before_it_starts_is_a_problem(
    coach: httpx.Client, core: StubCore
) -> None:
    response = coach.get(
        "/v1/reflections/themes",
        params={"start": "2026-02-01", "end": "2026-01-01"},
        headers=bearer(core.user_token(uuid.uuid4())),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "query/start"


def test_only_the_callers_journal_is_read(coach: httpx.Client, core: StubCore) -> None:
    journaling_trader(core)
    body = coach.get("/v1/reflections/themes", headers=bearer(core.user_token(uuid.uuid4()))).json()
    assert body["entries"] == 0
    assert body["themes"] == []
