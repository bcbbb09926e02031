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
