"""The CloudEvents 1.0 envelope and the catalogue of event types."""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import Field, SerializeAsAny

from ._base import Amount, Currency, ResponseBody, Timestamp
from ._brokers import BrokerConnectionStatus, StatusCode
from ._imports import ImportCounts, ImportFormat, ImportMode
from ._plans import RuleKind
from ._positions import Outcome

SCHEMA_BASE = "https://schemas.tradeloop.dev/contracts"
TRACEPARENT_PATTERN = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"

DataT = TypeVar("DataT")


class Event(ResponseBody, Generic[DataT]):
    """A CloudEvents 1.0 envelope (structured JSON mode) with the `traceparent` extension."""

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=64, description="Consumers deduplicate by it.")
    source: str = Field(min_length=1, description="The producing service, e.g. /core-api.")
    type: str = Field(description="Name and version, e.g. import.requested.v1.")
    time: Timestamp
    subject: str | None = Field(default=None, description="users/<user id> for user events.")
    dataschema: str
    datacontenttype: Literal["application/json"] = "application/json"
    traceparent: str | None = Field(default=None, pattern=TRACEPARENT_PATTERN)
    data: SerializeAsAny[DataT]


class UserEventData(ResponseBody):
    """Every user-facing event names its user, so it can be routed to their sockets."""

    user_id: UUID


class ImportRequested(UserEventData):
    """A raw file is stored and waits to be parsed."""

    import_id: UUID
    account_id: UUID
    object_key: str
    filename: str
    format: ImportFormat
    mode: ImportMode


class ImportProgressed(UserEventData):
    """Rows parsed so far."""

    import_id: UUID
    rows_processed: int
    rows_total: int | None = None


class ImportCompleted(UserEventData):
    """The import finished; counts of new, duplicate and rejected rows."""

    import_id: UUID
    detected_format: ImportFormat | None = None
    counts: ImportCounts


class ImportFailed(UserEventData):
    """The import stored nothing, and why."""

    import_id: UUID
    reason: str


class ImportUndone(UserEventData):
    """The trader undid an import: the executions only it brought are gone."""

    import_id: UUID
    account_id: UUID
    executions_removed: int = Field(ge=0)


class ExecutionsRecorded(UserEventData):
    """New executions are stored for an account."""

    account_id: UUID
    import_id: UUID | None = None
    count: int
    symbols: list[str]


class PositionClosed(UserEventData):
    """A position went flat."""

    position_id: UUID
    account_id: UUID
    symbol: str
    realised_pnl_net: Amount
    currency: Currency
    outcome: Outcome


class JournalEntrySaved(UserEventData):
    """A journal entry was created or changed."""

    entry_id: UUID
    position_id: UUID | None = None
    day: dt.date | None = None


class PlanUpdated(UserEventData):
    """A new version of the trading plan is in force."""

    plan_id: UUID
    version: int


# The rule kinds `rule.violated.v1` was released with; later kinds travel in v2.
RuleKindV1 = Literal[
    "max_daily_loss",
    "max_trades_per_day",
    "max_position_size",
    "max_risk_per_trade",
    "trading_window",
    "cooldown_after_loss",
    "max_consecutive_losses",
    "symbols",
    "journal_required",
    "custom",
]


class RuleViolated(UserEventData):
    """A trade broke a rule of the plan (the first ten rule kinds; superseded by v2)."""

    violation_id: UUID
    rule_id: UUID
    rule_kind: RuleKindV1
    position_id: UUID | None = None
    day: dt.date | None = None
    cost: Amount
    currency: Currency


class RuleViolatedV2(UserEventData):
    """A trade broke a rule of the plan, of any rule kind."""

    violation_id: UUID
    rule_id: UUID
    rule_kind: RuleKind
    position_id: UUID | None = None
    day: dt.date | None = None
    cost: Amount
    currency: Currency


class CoachInsightCreated(UserEventData):
    """The coach stored a new insight."""

    insight_id: UUID
    kind: str
    title: str


class CoachReviewReady(UserEventData):
    """A weekly review is ready."""

    review_id: UUID
    week_start: dt.date


class BrokerConnectionCreated(UserEventData):
    """A broker API connection was added; its first sync is due."""

    connection_id: UUID
    broker: str


class BrokerSyncRequested(UserEventData):
    """The trader asked for a connection to sync now rather than at its next turn."""

    connection_id: UUID
    broker: str


class BrokerConnectionSynced(UserEventData):
    """A connection's sync finished: what it brought and the state it left."""

    connection_id: UUID
    status: BrokerConnectionStatus
    status_detail: StatusCode | None = None
    executions: int = Field(ge=0)
    synced_at: Timestamp


class UserDeleted(UserEventData):
    """The trader deleted their account: every service forgets what it holds of them."""

    deleted_at: Timestamp


class MarketDataEnriched(UserEventData):
    """Bars cover a position: its excursions are known."""

    position_id: UUID
    mae: Amount
    mfe: Amount
    currency: Currency


@dataclass(frozen=True)
class EventSpec:
    """One event type: its data model, who produces it and who consumes it."""

    type: str
    data: builtins.type[UserEventData]
    producer: str
    consumers: tuple[str, ...]

    @property
    def family(self) -> str:
        """The stream an event travels on: the part of the type before the first dot."""
        return self.type.split(".", 1)[0]

    @property
    def schema_id(self) -> str:
        return f"{SCHEMA_BASE}/events/{self.type}.json"


_SPECS = (
    EventSpec("import.requested.v1", ImportRequested, "core-api", ("workers",)),
    EventSpec("import.progressed.v1", ImportProgressed, "core-api", ("edge-bff",)),
    EventSpec("import.completed.v1", ImportCompleted, "core-api", ("edge-bff", "ai-coach")),
    EventSpec("import.failed.v1", ImportFailed, "core-api", ("edge-bff",)),
    EventSpec("import.undone.v1", ImportUndone, "core-api", ("edge-bff",)),
    EventSpec("executions.recorded.v1", ExecutionsRecorded, "core-api", ("workers",)),
    EventSpec("position.closed.v1", PositionClosed, "core-api", ("edge-bff", "workers")),
    EventSpec("journal.entry_saved.v1", JournalEntrySaved, "core-api", ("ai-coach",)),
    EventSpec("plan.updated.v1", PlanUpdated, "core-api", ("edge-bff",)),
    EventSpec("rule.violated.v1", RuleViolated, "core-api", ("edge-bff", "ai-coach")),
    EventSpec("rule.violated.v2", RuleViolatedV2, "core-api", ("edge-bff",)),
    EventSpec("coach.insight_created.v1", CoachInsightCreated, "core-api", ("edge-bff",)),
    EventSpec("coach.review_ready.v1", CoachReviewReady, "core-api", ("edge-bff",)),
    EventSpec("broker_connection.created.v1", BrokerConnectionCreated, "core-api", ("workers",)),
    EventSpec("broker_connection.sync_requested.v1", BrokerSyncRequested, "core-api", ("workers",)),
    EventSpec("broker_connection.synced.v1", BrokerConnectionSynced, "core-api", ("edge-bff",)),
    EventSpec("market_data.enriched.v1", MarketDataEnriched, "core-api", ("edge-bff",)),
    EventSpec("user.deleted.v1", UserDeleted, "core-api", ("edge-bff", "workers", "ai-coach")),
)

EVENT_CATALOGUE: Mapping[str, EventSpec] = {spec.type: spec for spec in _SPECS}


class UnknownEventTypeError(ValueError):
    """The event's type is not in the catalogue of this contracts version."""


def make_event(
    event_type: str,
    data: UserEventData,
    *,
    source: str,
    traceparent: str | None = None,
    event_id: str | None = None,
    time: dt.datetime | None = None,
) -> Event[UserEventData]:
    """A validated envelope for `data`.

    Raises UnknownEventTypeError for an unknown type, ValueError when `data` is of another type.
    """
    spec = EVENT_CATALOGUE.get(event_type)
    if spec is None:
        raise UnknownEventTypeError(event_type)
    if not isinstance(data, spec.data):
        raise ValueError(f"{event_type} carries {spec.data.__name__}, not {type(data).__name__}")
    return Event[UserEventData](
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=event_type,
        time=time or dt.datetime.now(dt.UTC),
        subject=f"users/{data.user_id}",
        dataschema=spec.schema_id,
        traceparent=traceparent,
        data=data,
    )


def parse_event(raw: str | bytes | Mapping[str, Any]) -> Event[UserEventData]:
    """The envelope with `data` validated as its type's model.

    Raises UnknownEventTypeError for a type this version does not know and
    pydantic's ValidationError for a malformed envelope or data.
    """
    envelope = (
        Event[dict[str, Any]].model_validate(raw)
        if isinstance(raw, Mapping)
        else Event[dict[str, Any]].model_validate_json(raw)
    )
    spec = EVENT_CATALOGUE.get(envelope.type)
    if spec is None:
        raise UnknownEventTypeError(envelope.type)
    data = spec.data.model_validate(envelope.data)
    return Event[UserEventData].model_validate({**envelope.model_dump(), "data": data})
