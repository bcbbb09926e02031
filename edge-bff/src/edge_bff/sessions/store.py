"""The session record and the small interface every session store implements."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Session:
    """One browser's state on the server; `user_id` is None until the browser logs in."""

    id: str
    csrf_secret: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    user_id: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None

    def to_record(self) -> dict[str, str | None]:
        """The session as plain strings, for a store to persist (the id is stored hashed)."""
        return {
            "csrf_secret": self.csrf_secret,
            "created_at": self.created_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "user_id": self.user_id,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
        }

    @classmethod
    def from_record(cls, session_id: str, record: dict[str, str | None]) -> Session:
        """The session a store persisted with `to_record`; KeyError/ValueError when damaged."""
        created_at, last_seen_at = record["created_at"], record["last_seen_at"]
        csrf_secret = record["csrf_secret"]
        if created_at is None or last_seen_at is None or csrf_secret is None:
            raise ValueError("incomplete session record")
        return cls(
            id=session_id,
            csrf_secret=csrf_secret,
            created_at=dt.datetime.fromisoformat(created_at),
            last_seen_at=dt.datetime.fromisoformat(last_seen_at),
            user_id=record.get("user_id"),
            access_token=record.get("access_token"),
            refresh_token=record.get("refresh_token"),
        )


def storage_key(session_id: str) -> str:
    """What a store files a session under: a hash, so a leaked store holds no live cookie."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore(Protocol):
    """Where sessions live between requests."""

    async def get(self, session_id: str) -> Session | None:
        """The stored session, or None when there is none."""
        ...

    async def save(self, session: Session) -> None:
        """Create or replace the session."""
        ...

    async def update(self, session: Session) -> bool:
        """Replace the session if it is still stored; False (and nothing stored) when it
        was deleted meanwhile, so a request in flight never revives an ended session."""
        ...

    async def delete(self, session_id: str) -> None:
        """Forget the session; deleting an unknown id is not an error."""
        ...

    async def delete_user_sessions(self, user_id: str, *, keep: str | None = None) -> list[str]:
        """Forget every session of the user but the one with id `keep`; the refresh tokens
        they held, so their families can be revoked."""
        ...

    async def purge_expired(self, *, seen_before: dt.datetime, created_before: dt.datetime) -> int:
        """Delete the sessions last seen before `seen_before` or created before
        `created_before` (sessions nobody will load again); how many went."""
        ...

    async def ping(self) -> None:
        """Return when the store answers; raise when it does not."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
