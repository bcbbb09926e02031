"""Executions (fills) as brokers report them, normalised."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field

from ._base import Amount, Currency, RequestBody, ResponseBody, Timestamp
from ._instruments import Instrument
from ._pagination import Page

Side = Literal["buy", "sell"]
OpenClose = Literal["open", "close"]
ExecutionKind = Literal["trade", "expiry", "exercise", "assignment"]


class ExecutionIn(RequestBody):
    """One normalised fill, as a parser or a broker sync produces it.

    `broker_execution_id` makes re-imports idempotent; when the broker gives none the
    importer sends `fingerprint` (a stable hash of the row plus its per-file sequence).
    """

    broker_execution_id: str | None = Field(default=None, max_length=128)
    fingerprint: str | None = Field(default=None, max_length=128)
    executed_at: Timestamp
    instrument: Instrument
    side: Side
    quantity: Amount = Field(gt=0)
    price: Amount = Field(ge=0)
    commission: Amount = Field(
        default=Decimal(0), description="Broker commission, a positive cost."
    )
    fees: Amount = Field(
        default=Decimal(0), description="Exchange and regulatory fees, a positive cost."
    )
    fx_rate_to_base: Amount | None = Field(default=None, gt=0)
    order_id: str | None = Field(default=None, max_length=128)
    open_close: OpenClose | None = None
    kind: ExecutionKind = "trade"
    source_line: int | None = Field(default=None, ge=1, description="Line in the raw file.")


class ExecutionBatch(RequestBody):
    """A batch of an import's executions; core upserts it idempotently."""

    account_id: UUID
    import_id: UUID | None = None
    executions: list[ExecutionIn] = Field(max_length=5000)


class ExecutionBatchResult(ResponseBody):
    """How many executions of a batch were new and how many core already held."""

    inserted: int
    duplicates: int


class Execution(ResponseBody):
    """A stored execution."""

    id: UUID
    account_id: UUID
    import_id: UUID | None = None
    position_id: UUID | None = None
    broker_execution_id: str | None = None
    executed_at: Timestamp
    instrument: Instrument
    side: Side
    quantity: Amount
    price: Amount
    commission: Amount
    fees: Amount
    currency: Currency
    fx_rate_to_base: Amount | None = None
    order_id: str | None = None
    kind: ExecutionKind = "trade"
    source_line: int | None = None


class ExecutionPage(Page):
    """A page of executions, newest first."""

    items: list[Execution]
