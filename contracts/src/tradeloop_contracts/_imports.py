"""Import jobs: a raw file in, a report out."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from ._base import RequestBody, ResponseBody, Timestamp
from ._mappings import ColumnMapping
from ._pagination import Page

ImportFormat = Literal[
    "auto",
    "generic_csv",
    "ibkr_flex_xml",
    "ibkr_flex_csv",
    "ofx",
    "schwab_csv",
    "tradovate_csv",
    "ninjatrader_csv",
    "webull_csv",
    "robinhood_csv",
    "tradestation_csv",
    "alpaca_csv",
]
ImportStatus = Literal["queued", "running", "completed", "failed"]
ImportMode = Literal["valid_only", "all_or_nothing"]


class ImportOptions(RequestBody):
    """The form fields sent with an uploaded file (multipart `file` plus these)."""

    account_id: UUID
    format: ImportFormat = "auto"
    mode: ImportMode = Field(
        default="valid_only",
        description="valid_only stores the valid rows; all_or_nothing stores none if any is bad.",
    )
    mapping_id: UUID | None = Field(
        default=None, description="A saved column mapping for a generic CSV."
    )
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA zone of the file's times that carry no offset; default per format.",
    )


class ImportCounts(ResponseBody):
    """What an import did: new executions, ones already held, rows refused."""

    new: int = 0
    duplicate: int = 0
    rejected: int = 0


class RejectedRow(ResponseBody):
    """One row an import refused, and exactly where and why."""

    file: str
    line: int | None = None
    field: str | None = None
    reason: str


class ImportJob(ResponseBody):
    """An import and how far it got."""

    id: UUID
    account_id: UUID
    filename: str
    format: ImportFormat
    detected_format: ImportFormat | None = None
    mode: ImportMode
    status: ImportStatus
    size_bytes: int
    counts: ImportCounts
    error: str | None = None
    mapping: ColumnMapping | None = Field(
        default=None, description="The column mapping a generic CSV is read with."
    )
    time_zone: str | None = Field(
        default=None, description="The zone the file's times without an offset were read in."
    )
    created_at: Timestamp
    finished_at: Timestamp | None = None
    undone_at: Timestamp | None = Field(
        default=None,
        description="When the trader undid it: what only it brought is gone; the row stays "
        "in the history with its counts.",
    )


class ImportDetail(ImportJob):
    """An import with every rejected row."""

    rejected_rows: list[RejectedRow] = Field(default_factory=list)


class ImportPage(Page):
    """A page of imports, newest first."""

    items: list[ImportJob]


class ImportProgress(RequestBody):
    """A worker's progress report on a running import."""

    detected_format: ImportFormat | None = None
    rows_processed: int = Field(ge=0)
    rows_total: int | None = Field(default=None, ge=0)


class ImportOutcome(RequestBody):
    """A worker's final word on an import: completed with counts, or failed with a reason."""

    status: Literal["completed", "failed"]
    detected_format: ImportFormat | None = None
    counts: ImportCounts
    rejected_rows: list[RejectedRow] = Field(default_factory=list, max_length=10000)
    error: str | None = Field(default=None, max_length=2000)


class ImportUndo(ResponseBody):
    """What undoing an import removes: the executions only it brought.

    An execution another import also brought stays, credited to that import.
    """

    import_id: UUID
    dry_run: bool = Field(description="True: nothing was changed; this is what undo would do.")
    executions_removed: int = Field(ge=0)
    executions_kept: int = Field(ge=0, description="Also brought by another import.")
    positions_affected: int = Field(ge=0, description="Positions rebuilt or removed.")
