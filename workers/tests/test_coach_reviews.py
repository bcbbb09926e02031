from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.stub_coach import StubCoach, serve_stub_coach
from tests.stub_core import StubCore
from workers.coach_reviews import (
    CoachClient,
    WeeklyCoachReview,
    candidate_weeks,
    coach_http,
    due_week,
)
from workers.core import CoreClient

pytestmark = pytest.mark.anyio
WEEK = dt.date(2026, 11, 16)  # Monday; its reviews are due from Monday 23 November, 06:00
EARLIER_WEEK = dt.date(2026, 11, 9)
NEW_YORK, TOKYO = "America/New_York", "Asia/Tokyo"


@pytest.fixture
def stub_coach(stub_core: StubCore) -> Iterator[StubCoach]:
    with serve_stub_coach(stub_core) as coach:
        yield coach


@pytest.fixture
async def coach(stub_coach: StubCoach, core: CoreClient) -> AsyncIterator[CoachClient]:
    async with coach_http(stub_coach.url, timeout=5) as http:
        yield CoachClient(http, core, retry_seconds=0.5)


def trader(stub_core: StubCore, zone: str, *weeks: dt.date) -> uuid.UUID:
    user_id = uuid.uuid4()
    stub_core.traded_weeks[user_id] = (zone, set(weeks))
    return user_id


def job(core: CoreClient, coach: CoachClient, moment: str) -> WeeklyCoachReview:
    """The job with a clock that reads `moment`."""
    now = dt.datetime.fromisoformat(moment)
    return WeeklyCoachReview(core, coach, clock=lambda: now)


class TestWeeklyCoachReview:
    async def test_each_trader_is_reviewed_once_from_their_own_monday_morning(
        self, core: CoreClient, coach: CoachClient, stub_core: StubCore, stub_coach: StubCoach
    ) -> None:
        tokyo = trader(stub_core, TOKYO, WEEK)
        new_york = trader(stub_core, NEW_YORK, WEEK, EARLIER_WEEK)
        idle = trader(stub_core, NEW_YORK)

        # 06:30 on Monday in Tokyo is 16:30 on Sunday in New York.
        first = await job(core, coach, "2026-11-22T21:30:00+00:00").run()
        # 06:30 on Monday in New York; Tokyo's week is already stored.
        second = await job(core, coach, "2026-11-23T11:30:00+00:00").run()
        third = await job(core, coach, "2026-11-23T12:30:00+00:00").run()

        # New York's earlier week, missed by last week's runs, is caught up at once.
        assert sorted(first.reviewed) == sorted([(tokyo, WEEK), (new_york, EARLIER_WEEK)])
        assert second.reviewed == [(new_york, WEEK)]
        assert (third.reviewed, third.failed) == ([], [])
        assert sorted(stub_coach.asked) == sorted(
            [(tokyo, WEEK, TOKYO), (new_york, EARLIER_WEEK, NEW_YORK), (new_york, WEEK, NEW_YORK)]
        )
        assert all(user != idle for user, _, _ in stub_coach.asked)

    async def test_a_failing_review_leaves_the_others_and_is_asked_again_next_run(
        self, core: CoreClient, coach: CoachClient, stub_core: StubCore, stub_coach: StubCoach
    ) -> None:
        # Five traders: the stub's pages of two make the job follow the cursor.
        traders = [trader(stub_core, NEW_YORK, WEEK) for _ in range(5)]
        stub_coach.fail_for(traders[2])

        first = await job(core, coach, "2026-11-23T11:30:00+00:00").run()
        stub_coach.fail_for(traders[2], failing=False)
        second = await job(core, coach, "2026-11-23T12:30:00+00:00").run()

        assert sorted(first.reviewed) == sorted((t, WEEK) for t in traders if t != traders[2])
        assert first.failed == [(traders[2], WEEK)]
        assert second.reviewed == [(traders[2], WEEK)]
        assert stub_core.reviews == {(t, WEEK) for t in traders}

    async def test_a_refused_service_token_is_replaced_once(
        self, core: CoreClient, coach: CoachClient, stub_core: StubCore, stub_coach: StubCoach
    ) -> None:
        await core.service_token()
        stub_core.revoke_tokens()  # as if core's signing key had rotated
        user = trader(stub_core, NEW_YORK, WEEK)

        run = await job(core, coach, "2026-11-23T11:30:00+00:00").run()

        assert run.reviewed == [(user, WEEK)]
        assert stub_core.token_requests == 2
        assert [asked for asked, _, _ in stub_coach.asked] == [user]  # the 401 stored nothing


class TestDueWeek:
    @pytest.mark.parametrize(
        ("moment", "zone", "expected"),
        [
            ("2026-11-23T10:59:00+00:00", NEW_YORK, EARLIER_WEEK),  # 05:59 EST
            ("2026-11-23T11:00:00+00:00", NEW_YORK, WEEK),  # 06:00 EST
            ("2026-11-22T20:59:00+00:00", TOKYO, EARLIER_WEEK),
            ("2026-11-22T21:00:00+00:00", TOKYO, WEEK),
            ("2026-03-09T09:59:00+00:00", NEW_YORK, dt.date(2026, 2, 23)),  # 05:59 EDT
            ("2026-03-09T10:00:00+00:00", NEW_YORK, dt.date(2026, 3, 2)),  # 06:00 EDT
        ],
    )
    def test_a_week_is_due_from_the_next_monday_06_00_in_the_trader_s_zone(
        self, moment: str, zone: str, expected: dt.date
    ) -> None:
        assert due_week(dt.datetime.fromisoformat(moment), ZoneInfo(zone)) == expected

    @given(
        st.datetimes(
            min_value=dt.datetime(2000, 1, 1),
            max_value=dt.datetime(2040, 1, 1),
            timezones=st.just(dt.UTC),
        ),
        st.sampled_from(sorted(available_timezones())),
    )
    def test_every_zone_s_due_week_is_one_the_job_asks_core_about(
        self, now: dt.datetime, zone: str
    ) -> None:
        assert due_week(now, ZoneInfo(zone)) in candidate_weeks(now)
