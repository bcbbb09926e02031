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
ExecutionSource = Literal["import", "broker", "manual"]
FeeSource = Literal["broker", "schedule", "none"]
EditableField = Literal["executed_at", "quantity", "price", "commission", "fees", "note"]


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


class ExecutionFieldEdit(ResponseBody):
    """One field the trader changed: what the source reported and what it is now."""

    field: EditableField
    original: str | None = Field(description="As reported; decimals and times as strings.")
    value: str | None


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
    source: ExecutionSource = "import"
    fingerprint: str | None = Field(
        default=None,
        description="The source's identity of a fill without a broker id; re-imports match on it.",
    )
    open_close: OpenClose | None = None
    fee_source: FeeSource = Field(
        default="broker",
        description="broker: reported in the file or by the API; schedule: the account's fee "
        "schedule applied, as the source reported none; none: no costs known.",
    )
    note: str | None = None
    edits: list[ExecutionFieldEdit] = Field(
        default_factory=list, description="The trader's changes over what the source reported."
    )


class ExecutionCreate(RequestBody):
    """A fill entered by hand; validated as an imported one is."""

    account_id: UUID
    executed_at: Timestamp
    instrument: Instrument
    side: Side
    quantity: Amount = Field(gt=0)
    price: Amount = Field(ge=0)
    commission: Amount = Field(default=Decimal(0), ge=0)
    fees: Amount = Field(default=Decimal(0), ge=0)
    fx_rate_to_base: Amount | None = Field(default=None, gt=0)
    order_id: str | None = Field(default=None, max_length=128)
    open_close: OpenClose | None = None
    kind: ExecutionKind = "trade"
    note: str | None = Field(default=None, max_length=2000)


class ExecutionEdit(RequestBody):
    """The trader's layer over a stored fill: fields sent are set, `revert` ones go back.

    Edits are kept apart from what the source reported, by the fill's broker id or
    fingerprint, so they survive importing the same file again.
    """

    executed_at: Timestamp | None = None
    quantity: Amount | None = Field(default=None, gt=0)
    price: Amount | None = Field(default=None, ge=0)
    commission: Amount | None = Field(default=None, ge=0)
    fees: Amount | None = Field(default=None, ge=0)
    note: str | None = Field(default=None, max_length=2000)
    revert: list[EditableField] = Field(default_factory=list, max_length=6)


class ExecutionPage(Page):
    """A page of executions, newest first."""

    items: list[Execution]
