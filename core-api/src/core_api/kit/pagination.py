"""Opaque keyset cursors: the sort key and id of the last item of a page."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass

from core_api.errors import AppError, FieldError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Cursor:
    """A position in a list sorted by (at, id) descending."""

    at: dt.datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps({"at": self.at.isoformat(), "id": str(self.id)}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        """The cursor a previous page handed out; a malformed one is a 400 problem."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            data = json.loads(raw)
            at = dt.datetime.fromisoformat(data["at"])
            if at.tzinfo is None:
                raise ValueError("naive")
            return cls(at=at, id=uuid.UUID(data["id"]))
        except (ValueError, KeyError, TypeError) as error:
            raise AppError(
                400,
                "Invalid cursor",
                errors=[FieldError("query.cursor", "not a cursor this API handed out")],
            ) from error
