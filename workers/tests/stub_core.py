"""A local stand-in for core's internal API, speaking the contracts bodies and recording calls."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, FastAPI, Header, HTTPException, Response
from tradeloop_contracts import (
    BrokerSyncUpdate,
    CsvPreview,
    DueBrokerConnection,
    DueBrokerConnectionList,
    Event,
    ExecutionBatch,
    ExecutionBatchResult,
    ExecutionIn,
    ImportCounts,
    ImportDetail,
    ImportOutcome,
    ImportProgress,
    ImportRequested,
    OutboxAck,
    OutboxBatch,
    OutboxClaim,
    OutboxEntry,
    PositionBars,
    PositionDetail,
    PositionExcursions,
    PositionPage,
    SealedBrokerCredentials,
    ServiceToken,
    ServiceTokenRequest,
    UserEventData,
)

from tests.serving import serve_in_thread

CLIENT_SECRET = "stub-workers-secret"


@dataclass
class StubCore:
    """What the stub holds and what it was sent; `lock` guards every field."""

    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    unavailable_calls: int = 0
    outbox: list[tuple[int, Event[dict[str, Any]]]] = field(default_factory=list)
    leased_until: dict[int, float] = field(default_factory=dict)
    acked: list[int] = field(default_factory=list)
    imports: dict[UUID, ImportDetail] = field(default_factory=dict)
    progress: list[ImportProgress] = field(default_factory=list)
    outcomes: list[ImportOutcome] = field(default_factory=list)
    previews: dict[UUID, CsvPreview] = field(default_factory=dict)
    batches: list[ExecutionBatch] = field(default_factory=list)
    executions: dict[tuple[UUID, UUID, str], ExecutionIn] = field(default_factory=dict)
    owners: dict[UUID, UUID] = field(default_factory=dict)
    finished: list[UUID] = field(default_factory=list)
    import_reads: Counter[UUID] = field(default_factory=Counter)
    rejected_imports: set[UUID] = field(default_factory=set)
    unavailable_until: float = 0.0
    batch_delay_seconds: float = 0.0
    # Batches being answered now, and the most there were at once.
    batches_waiting: int = 0
    most_batches_waiting: int = 0
    # A batch holding an execution with one of these broker ids is answered 422.
    refused_executions: set[str] = field(default_factory=set)
    # When set, each batch waits (up to 10 s) until this many are waiting together.
    batch_meeting: threading.Barrier | None = None
    # The next outcome calls take this long each, as core settling a large import does.
    outcome_delays: list[float] = field(default_factory=list)
    connections: dict[UUID, SealedBrokerCredentials] = field(default_factory=dict)
    connection_status: dict[UUID, BrokerSyncUpdate] = field(default_factory=dict)
    sync_updates: list[dict[str, Any]] = field(default_factory=list)
    seal: Callable[[SealedBrokerCredentials, str, str], str] | None = None
    positions: dict[tuple[UUID, UUID], PositionDetail] = field(default_factory=dict)
    excursions: dict[UUID, PositionExcursions] = field(default_factory=dict)
    position_bars: dict[UUID, PositionBars] = field(default_factory=dict)
    traceparents: list[str | None] = field(default_factory=list)
    # Per trader: their time zone and the Mondays of the weeks they closed a position in.
    traded_weeks: dict[UUID, tuple[str, set[dt.date]]] = field(default_factory=dict)
    reviews: set[tuple[UUID, dt.date]] = field(default_factory=set)

    def fail_for(self, seconds: float) -> None:
        """Answer every call with 503 for `seconds`, as a core that is down for a while."""
        with self.lock:
            self.unavailable_until = time.monotonic() + seconds

    def slow_down_batches(self, seconds: float) -> None:
        """Take `seconds` over every batch of executions, so an import is caught in flight."""
        with self.lock:
            self.batch_delay_seconds = seconds

    def meet_batches(self, count: int) -> None:
        """Hold every batch until `count` batches wait together (a worker sending fewer at
        once has each wait 10 s and then answered)."""
        with self.lock:
            self.batch_meeting = threading.Barrier(count, timeout=10)

    def slow_down_outcomes(self, *seconds: float) -> None:
        """Take `seconds[i]` over the i-th next outcome call, as core settling an import."""
        with self.lock:
            self.outcome_delays = list(seconds)

    def reject_import(self, import_id: UUID, *, rejected: bool = True) -> None:
        """Answer 422 to every read of the import: a message no worker can handle."""
        with self.lock:
            if rejected:
                self.rejected_imports.add(import_id)
            else:
                self.rejected_imports.discard(import_id)

    def fail_next_calls(self, count: int) -> None:
        """Answer the next `count` internal calls with 503, as a core restarting would."""
        with self.lock:
            self.unavailable_calls = count

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def add_to_outbox(self, event: Event[UserEventData]) -> int:
        with self.lock:
            sequence = len(self.outbox) + 1
            raw = Event[dict[str, Any]].model_validate(event.model_dump(mode="json"))
            self.outbox.append((sequence, raw))
            return sequence

    def add_import(
        self, request: ImportRequested, *, status: str = "queued", time_zone: str | None = None
    ) -> None:
        with self.lock:
            self.imports[request.import_id] = ImportDetail.model_validate(
                {
                    "id": request.import_id,
                    "account_id": request.account_id,
                    "filename": request.filename,
                    "format": request.format,
                    "mode": request.mode,
                    "status": status,
                    "size_bytes": 0,
                    "counts": ImportCounts(),
                    "time_zone": time_zone,
                    "created_at": dt.datetime.now(dt.UTC),
                }
            )
            self.owners[request.import_id] = request.user_id

    def add_position(self, user_id: UUID, position: PositionDetail) -> None:
        with self.lock:
            self.positions[(user_id, position.id)] = position

    def add_connection(self, connection: SealedBrokerCredentials) -> None:
        with self.lock:
            self.connections[connection.connection_id] = connection

    def set_import_status(self, import_id: UUID, status: str) -> None:
        with self.lock:
            detail = self.imports[import_id]
            self.imports[import_id] = detail.model_copy(update={"status": status})


def create_stub_app(state: StubCore) -> FastAPI:
    app = FastAPI()

    def authorised(
        authorization: Annotated[str | None, Header()] = None,
        traceparent: Annotated[str | None, Header()] = None,
    ) -> None:
        with state.lock:
            state.traceparents.append(traceparent)
            if time.monotonic() < state.unavailable_until:
                raise HTTPException(503, "core is down")
            if state.unavailable_calls > 0:
                state.unavailable_calls -= 1
                raise HTTPException(503, "core is restarting")
            if authorization is None or authorization.removeprefix("Bearer ") not in state.tokens:
                raise HTTPException(401, "unknown service token")

    def import_of(user_id: UUID, import_id: UUID) -> ImportDetail:
        detail = state.imports.get(import_id)
        if detail is None or state.owners.get(import_id) != user_id:
            raise HTTPException(404, "no such import")
        return detail

    service = [Depends(authorised)]

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/internal/token")
    def issue_token(body: ServiceTokenRequest) -> ServiceToken:
        with state.lock:
            if time.monotonic() < state.unavailable_until:
                raise HTTPException(503, "core is down")
            if state.unavailable_calls > 0:
                state.unavailable_calls -= 1
                raise HTTPException(503, "core is restarting")
            state.token_requests += 1
            if (
                body.client_id != "workers"
                or body.client_secret.get_secret_value() != CLIENT_SECRET
            ):
                raise HTTPException(401, "unknown client")
            token = uuid.uuid4().hex
            state.tokens.add(token)
        return ServiceToken(access_token=token, expires_in=300)

    @app.post("/internal/outbox/claim", dependencies=service)
    def claim(body: OutboxClaim) -> OutboxBatch:
        now = time.monotonic()
        with state.lock:
            free = [
                OutboxEntry(sequence=sequence, event=event)
                for sequence, event in state.outbox
                if sequence not in state.acked and state.leased_until.get(sequence, 0) <= now
            ][: body.limit]
            for entry in free:
                state.leased_until[entry.sequence] = now + body.lease_seconds
        return OutboxBatch(items=free)

    @app.post("/internal/outbox/ack", dependencies=service, status_code=204)
    def ack(body: OutboxAck) -> Response:
        with state.lock:
            state.acked.extend(body.sequences)
        return Response(status_code=204)

    @app.get("/internal/users/{user_id}/imports/{import_id}", dependencies=service)
    def get_import(user_id: UUID, import_id: UUID) -> ImportDetail:
        with state.lock:
            state.import_reads[import_id] += 1
            if import_id in state.rejected_imports:
                raise HTTPException(422, "this import cannot be read")
            return import_of(user_id, import_id)

    @app.post("/internal/users/{user_id}/imports/{import_id}/progress", dependencies=service)
    def progress(user_id: UUID, import_id: UUID, body: ImportProgress) -> Response:
        with state.lock:
            import_of(user_id, import_id)
            state.progress.append(body)
        return Response(status_code=204)

    @app.post("/internal/users/{user_id}/imports/{import_id}/outcome", dependencies=service)
    def outcome(user_id: UUID, import_id: UUID, body: ImportOutcome) -> Response:
        with state.lock:
            delay = state.outcome_delays.pop(0) if state.outcome_delays else 0.0
        # Outside the lock, like a batch: core settles while it answers other calls.
        time.sleep(delay)
        with state.lock:
            detail = import_of(user_id, import_id)
            state.outcomes.append(body)
            state.finished.append(import_id)
            state.imports[import_id] = detail.model_copy(
                update={"status": body.status, "counts": body.counts}
            )
        return Response(status_code=204)

    @app.put("/internal/users/{user_id}/imports/{import_id}/preview", dependencies=service)
    def preview(user_id: UUID, import_id: UUID, body: CsvPreview) -> Response:
        # Like core: the import stops, failed with `needs_mapping`, until it is resubmitted.
        with state.lock:
            detail = import_of(user_id, import_id)
            if detail.status == "completed":
                raise HTTPException(409, "the import is completed")
            state.previews[import_id] = body
            state.imports[import_id] = detail.model_copy(
                update={"status": "failed", "error": "needs_mapping: choose the columns"}
            )
        return Response(status_code=204)

    @app.post("/internal/users/{user_id}/executions/batch", dependencies=service)
    def record(user_id: UUID, body: ExecutionBatch) -> ExecutionBatchResult:
        inserted = duplicates = 0
        with state.lock:
            if any(e.broker_execution_id in state.refused_executions for e in body.executions):
                raise HTTPException(422, "a refused batch")
            delay = state.batch_delay_seconds
            meeting = state.batch_meeting
            state.batches_waiting += 1
            state.most_batches_waiting = max(state.most_batches_waiting, state.batches_waiting)
        # Outside the lock: other calls go on while this batch is slow.
        time.sleep(delay)
        if meeting is not None:
            with suppress(threading.BrokenBarrierError):
                meeting.wait()
        with state.lock:
            state.batches_waiting -= 1
            state.batches.append(body)
            for execution in body.executions:
                key = execution.broker_execution_id or f"fp:{execution.fingerprint}"
                if (user_id, body.account_id, key) in state.executions:
                    duplicates += 1
                else:
                    state.executions[(user_id, body.account_id, key)] = execution
                    inserted += 1
        return ExecutionBatchResult(inserted=inserted, duplicates=duplicates)

    @app.get("/internal/users/{user_id}/positions", dependencies=service)
    def list_positions(
        user_id: UUID, status: str | None = None, cursor: str | None = None, limit: int = 50
    ) -> PositionPage:
        with state.lock:
            mine = sorted(
                (
                    position
                    for (owner, _), position in state.positions.items()
                    if owner == user_id and status in (None, position.status)
                ),
                key=lambda position: position.opened_at,
                reverse=True,
            )
        start = int(cursor or 0)
        more = start + limit < len(mine)
        return PositionPage(
            items=mine[start : start + limit], next_cursor=str(start + limit) if more else None
        )

    @app.get("/internal/users/{user_id}/positions/{position_id}", dependencies=service)
    def get_position(user_id: UUID, position_id: UUID) -> PositionDetail:
        with state.lock:
            position = state.positions.get((user_id, position_id))
        if position is None:
            raise HTTPException(404, "no such position")
        return position

    @app.put("/internal/users/{user_id}/positions/{position_id}/excursions", dependencies=service)
    def store_excursions(user_id: UUID, position_id: UUID, body: PositionExcursions) -> Response:
        with state.lock:
            if (user_id, position_id) not in state.positions:
                raise HTTPException(404, "no such position")
            state.excursions[position_id] = body
        return Response(status_code=204)

    @app.put("/internal/users/{user_id}/positions/{position_id}/bars", dependencies=service)
    def store_bars(user_id: UUID, position_id: UUID, body: PositionBars) -> Response:
        with state.lock:
            if (user_id, position_id) not in state.positions:
                raise HTTPException(404, "no such position")
            state.position_bars[position_id] = body
        return Response(status_code=204)

    @app.get("/internal/v1/broker-connections/due", dependencies=service)
    def due_connections() -> DueBrokerConnectionList:
        with state.lock:
            due = [
                DueBrokerConnection(
                    connection_id=connection.connection_id,
                    user_id=connection.user_id,
                    account_id=connection.account_id,
                    broker=connection.broker,
                    environment=connection.environment,
                )
                for connection in state.connections.values()
                if getattr(state.connection_status.get(connection.connection_id), "status", "")
                != "broken"
            ]
        return DueBrokerConnectionList(items=due)

    @app.get("/internal/v1/broker-connections/{connection_id}/credentials", dependencies=service)
    def credentials(connection_id: UUID) -> SealedBrokerCredentials:
        with state.lock:
            connection = state.connections.get(connection_id)
            if connection is None:
                raise HTTPException(404, "no such connection")
            return connection

    @app.post("/internal/v1/broker-connections/{connection_id}/sync", dependencies=service)
    def sync(connection_id: UUID, body: dict[str, Any]) -> Response:
        update = BrokerSyncUpdate.model_validate(body)
        with state.lock:
            connection = state.connections.get(connection_id)
            if connection is None:
                raise HTTPException(404, "no such connection")
            state.sync_updates.append(body)
            state.connection_status[connection_id] = update
            secrets = dict(connection.secrets)
            # Like core: refreshed tokens are sealed and replace the old ones.
            for kind in ("access_token", "refresh_token"):
                token = body.get(kind)
                if token is not None and state.seal is not None:
                    secrets[kind] = state.seal(connection, kind, token)
            state.connections[connection_id] = connection.model_copy(
                update={"cursor": update.cursor, "secrets": secrets}
            )
        return Response(status_code=204)

    @app.get("/internal/v1/users/weekly-review-due", dependencies=service)
    def weekly_review_due(week_start: dt.date, cursor: UUID | None = None) -> dict[str, Any]:
        # Like core, by user id; pages of two so that callers must follow the cursor.
        with state.lock:
            due = sorted(
                (user_id, zone)
                for user_id, (zone, weeks) in state.traded_weeks.items()
                if week_start in weeks
                and (user_id, week_start) not in state.reviews
                and (cursor is None or user_id > cursor)
            )
        page = due[:2]
        return {
            "week_start": week_start.isoformat(),
            "items": [{"user_id": str(user_id), "time_zone": zone} for user_id, zone in page],
            "next_cursor": str(page[-1][0]) if len(due) > 2 else None,
        }

    return app


@contextmanager
def serve_stub_core() -> Iterator[StubCore]:
    """A running stub core on a free local port; stopped on exit."""
    state = StubCore()
    with serve_in_thread(create_stub_app(state)) as url:
        state.url = url
        yield state
