"""Generic CSV column mappings: which column holds which field, and how values are written."""

from __future__ import annotations

from typing import Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from ._base import Amount, RequestBody, ResponseBody, Timestamp

MappingField = Literal[
    "datetime",
    "date",
    "time",
    "symbol",
    "side",
    "quantity",
    "price",
    "commission",
    "fees",
    "id",
    "order_id",
    "currency",
    "account",
]
"""The execution fields a generic CSV column can feed."""

Delimiter = Literal[",", ";", "\t", "|"]


class ColumnMapping(RequestBody):
    """How to read a generic CSV: target field to source column header, and value formats."""

    columns: dict[MappingField, str] = Field(
        description="Execution field to the header name of the column that holds it."
    )
    delimiter: Delimiter | None = Field(default=None, description="Absent: detected.")
    date_format: str | None = Field(
        default=None,
        max_length=64,
        description="strftime pattern such as %d/%m/%Y %H:%M; absent: ISO 8601 or guessed.",
    )
    day_first: bool = Field(default=False, description="03/04/2026 is 3 April, not 4 March.")
    decimal_comma: bool = Field(default=False, description="1.234,56 rather than 1,234.56.")
    currency_symbols: bool = Field(
        default=True, description="Strip $, €, £, ¥ and ISO codes around numbers."
    )
    parentheses_negative: bool = Field(default=True, description="(12.50) is -12.50.")
    time_zone: str | None = Field(
        default=None, max_length=64, description="IANA zone of times without an offset."
    )

    @model_validator(mode="after")
    def _the_fields_an_execution_needs(self) -> Self:
        if any(not column.strip() for column in self.columns.values()):
            raise ValueError("a mapped column needs a header name")
        missing = [name for name in ("symbol", "quantity", "price") if name not in self.columns]
        if "datetime" not in self.columns and "date" not in self.columns:
            missing.insert(0, "datetime or date")
        if missing:
            raise ValueError(f"a mapping needs columns for {', '.join(missing)}")
        return self


class SavedColumnMappingCreate(RequestBody):
    """A mapping kept under a name, to reuse on the next file of the same account."""

    account_id: UUID
    name: str = Field(min_length=1, max_length=100)
    mapping: ColumnMapping


class SavedColumnMapping(ResponseBody):
    """A stored mapping of an account."""

    id: UUID
    account_id: UUID
    name: str
    mapping: ColumnMapping
    created_at: Timestamp


class SavedColumnMappingList(ResponseBody):
    """The saved mappings of the trader, newest first."""

    items: list[SavedColumnMapping]


class FieldGuess(ResponseBody):
    """The column guessed for one field from the header names, and how sure the guess is."""

    field: MappingField
    column: str | None = Field(default=None, description="Absent: no column looks like it.")
    confidence: Amount = Field(ge=0, le=1, description="0..1.")


class CsvPreview(ResponseBody):
    """The first rows of an uploaded CSV and the mapping guessed from its header."""

    delimiter: Delimiter
    header: list[str]
    rows: list[list[str]] = Field(max_length=50, description="The first data rows, as read.")
    guesses: list[FieldGuess]
    saved_mapping_id: UUID | None = Field(
        default=None, description="A saved mapping of the account whose columns all match."
    )
