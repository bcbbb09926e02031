"""A local stub of ai-coach's internal review route: it trusts the tokens the stub core
issued (as ai-coach trusts core's), records each review asked for, and stores it in the
stub core, as ai-coach does through core's review route."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import FastAPI, Header, HTTPException

from tests.serving import serve_in_thread
from tests.stub_core import StubCore


@dataclass
class StubCoach:
    """What the stub was asked; `lock` guards every field."""

    core: StubCore
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    asked: list[tuple[UUID, dt.date, str]] = field(default_factory=list)
    failing_users: set[UUID] = field(default_factory=set)

    def fail_for(self, user_id: UUID, *, failing: bool = True) -> None:
        """Answer 500 to every review of this trader (or stop doing so)."""
        with self.lock:
            (self.failing_users.add if failing else self.failing_users.discard)(user_id)


def create_stub_coach(state: StubCoach) -> FastAPI:
    app = FastAPI()

    @app.post("/internal/users/{user_id}/reviews/weekly", status_code=201)
    def review_week(
        user_id: UUID,
        week: dt.date,
        time_zone: str,
        authorization: Annotated[str, Header()] = "",
    ) -> dict[str, Any]:
        token = authorization.removeprefix("Bearer ")
        with state.core.lock:
            if token not in state.core.tokens:
                raise HTTPException(401, "not a service token core issued")
        with state.lock:
            state.asked.append((user_id, week, time_zone))
            if user_id in state.failing_users:
                raise HTTPException(500, "the coach failed")
        week_start = week - dt.timedelta(days=week.weekday())
        with state.core.lock:
            state.core.reviews.add((user_id, week_start))
        return {"id": str(uuid4()), "week_start": week_start.isoformat()}

    return app


@contextmanager
def serve_stub_coach(core: StubCore) -> Iterator[StubCoach]:
    """A running stub ai-coach on a free local port, storing reviews in `core`."""
    state = StubCoach(core)
    with serve_in_thread(create_stub_coach(state)) as url:
        state.url = url
        yield state
