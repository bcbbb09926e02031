"""Session lifecycle: create, load with timeouts, rotate at login and password change, end
at logout."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from ..clock import Clock
from .redis_store import RedisSessionStore
from .sqlite_store import SqliteSessionStore
from .store import Session, SessionStore

# 32 random bytes: 256 bits, well above the 128 the session id needs.
_ID_BYTES = 32


def _new_secrets() -> tuple[str, str]:
    """A fresh session id and CSRF secret."""
    return secrets.token_urlsafe(_ID_BYTES), secrets.token_urlsafe(32)


# How often creating a session also clears out the sessions that timed out.
_PURGE_EVERY = dt.timedelta(minutes=1)


def open_session_store(
    url: str, *, idle_seconds: int, absolute_seconds: int, key_prefix: str = "edge:"
) -> SessionStore:
    """The store for a `sqlite:///` or `redis://` URL; ValueError for any other scheme."""
    if url.startswith("sqlite:///"):
        return SqliteSessionStore.from_url(url)
    if url.startswith(("redis://", "rediss://")):
        return RedisSessionStore.from_url(
            url,
            ttl_seconds=min(idle_seconds, absolute_seconds),
            key_prefix=f"{key_prefix}session:",
        )
    raise ValueError("EDGE_SESSION_STORE_URL must start with sqlite:/// or redis://")


class SessionService:
    """Sessions with an idle and an absolute timeout, measured on the injected clock."""

    def __init__(
        self, store: SessionStore, clock: Clock, *, idle_seconds: int, absolute_seconds: int
    ) -> None:
        self.store = store
        self._clock = clock
        self._idle = dt.timedelta(seconds=idle_seconds)
        self._absolute = dt.timedelta(seconds=absolute_seconds)
        self._purged_at: dt.datetime | None = None

    async def create(self) -> Session:
        """A new anonymous session, stored.

        Every first visit makes one, so now and then the sessions that timed out (and that
        nobody will load again) are deleted too: the store never grows without bound.
        """
        now = self._clock.now()
        if self._purged_at is None or now - self._purged_at >= _PURGE_EVERY:
            self._purged_at = now
            await self.store.purge_expired(
                seen_before=now - self._idle, created_before=now - self._absolute
            )
        session_id, csrf_secret = _new_secrets()
        session = Session(id=session_id, csrf_secret=csrf_secret, created_at=now, last_seen_at=now)
        await self.store.save(session)
        return session

    async def load(self, session_id: str) -> Session | None:
        """The live session with its last-seen time moved to now; None when unknown or expired.

        An expired session is deleted, so its id never works again.
        """
        try:
            session = await self.store.get(session_id)
        except (KeyError, ValueError):
            session = None
        if session is None:
            return None
        now = self._clock.now()
        if now - session.last_seen_at > self._idle or now - session.created_at > self._absolute:
            await self.store.delete(session_id)
            return None
        session = dataclasses.replace(session, last_seen_at=now)
        # Ended by another request or instance since the read: it stays ended.
        return session if await self.store.update(session) else None

    async def is_live(self, session_id: str) -> bool:
        """True while the session exists and is within its timeouts (its times untouched)."""
        try:
            session = await self.store.get(session_id)
        except (KeyError, ValueError):
            return False
        if session is None:
            return False
        now = self._clock.now()
        return (
            now - session.last_seen_at <= self._idle and now - session.created_at <= self._absolute
        )

    async def log_in(
        self, previous: Session | None, *, user_id: str, access_token: str, refresh_token: str
    ) -> Session:
        """A fresh session (new id and CSRF secret) holding the user's tokens.

        The previous session is deleted, so an id planted before login is useless after it.
        """
        if previous is not None:
            await self.store.delete(previous.id)
        fresh = await self.create()
        session = dataclasses.replace(
            fresh, user_id=user_id, access_token=access_token, refresh_token=refresh_token
        )
        await self.store.save(session)
        return session

    async def rotate(self, session: Session) -> Session:
        """The same signed-in session under a new id and CSRF secret; the old id is deleted.

        For a change of privilege (a new password): whoever held the old id holds nothing.
        The absolute timeout still counts from the session's start.
        """
        await self.store.delete(session.id)
        session_id, csrf_secret = _new_secrets()
        rotated = dataclasses.replace(
            session, id=session_id, csrf_secret=csrf_secret, last_seen_at=self._clock.now()
        )
        await self.store.save(rotated)
        return rotated

    async def store_tokens(
        self, session: Session, *, access_token: str, refresh_token: str
    ) -> Session:
        """The session with a rotated token pair, stored."""
        updated = dataclasses.replace(
            session, access_token=access_token, refresh_token=refresh_token
        )
        await self.store.update(updated)
        return updated

    async def end(self, session: Session) -> None:
        """Delete the session."""
        await self.store.delete(session.id)

    async def end_all(self, user_id: str, *, keep: Session | None = None) -> list[str]:
        """Delete every session of the user (but `keep`); the refresh tokens they held."""
        return await self.store.delete_user_sessions(
            user_id, keep=keep.id if keep is not None else None
        )
