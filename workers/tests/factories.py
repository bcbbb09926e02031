"""Typed factories of the events and files the tests feed the worker."""

from __future__ import annotations

import uuid

from tradeloop_contracts import (
    Event,
    ImportFormat,
    ImportMode,
    ImportRequested,
    UserEventData,
    make_event,
)


def import_requested(
    *,
    object_key: str = "imports/raw.csv",
    filename: str = "trades.csv",
    file_format: ImportFormat = "auto",
    mode: ImportMode = "valid_only",
) -> ImportRequested:
    return ImportRequested(
        user_id=uuid.uuid4(),
        import_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        object_key=object_key,
        filename=filename,
        format=file_format,
        mode=mode,
    )


def event_of(data: ImportRequested) -> Event[UserEventData]:
    return make_event("import.requested.v1", data, source="/core-api")


def generic_csv(rows: int, *, first_id: int = 1) -> bytes:
    """A generic CSV export of `rows` valid executions with ids E-<first_id>, E-<first_id+1>..."""
    lines = ["Date/Time,Symbol,Side,Quantity,Price,Exec ID"]
    for number in range(first_id, first_id + rows):
        side = "BUY" if number % 2 else "SELL"
        lines.append(
            f"2024-03-04 09:{number % 60:02d}:00,AAPL,{side},10,175.{number % 100:02d},E-{number}"
        )
    return ("\n".join(lines) + "\n").encode()
