"""Sessions in a local SQLite file: the embedded default."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from pathlib import Path

from .store import Session, storage_key

_SCHEMA = "CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, record TEXT NOT NULL)"
_USER_INDEX = "CREATE INDEX IF NOT EXISTS sessions_user_id ON sessions (user_id)"


class SqliteSessionStore:
    """Sessions as JSON rows keyed by the hashed id, with the user id in a column of its own
    (so every session of a user can be ended); each call runs off the event loop."""

    def __init__(self, path: Path) -> None:
        self._path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(sessions)")}
            if "user_id" not in columns:
                # Files written before the column existed: fill it from the records.
                connection.execute("ALTER TABLE sessions ADD COLUMN user_id TEXT")
                connection.execute(
                    "UPDATE sessions SET user_id = json_extract(record, '$.user_id')"
                )
            connection.execute(_USER_INDEX)

    @classmethod
    def from_url(cls, url: str) -> SqliteSessionStore:
        """A store for `sqlite:///relative/path.db` or `sqlite:////absolute/path.db`."""
        return cls(Path(url.removeprefix("sqlite:///")))

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=5, isolation_level=None)

    def _get(self, session_id: str) -> Session | None:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT record FROM sessions WHERE key = ?", (storage_key(session_id),)
            ).fetchone()
        return None if row is None else Session.from_record(session_id, json.loads(row[0]))

    def _save(self, session: Session) -> None:
        with self._connect() as connection:
            connection.execute(
                "INSERT INTO sessions (key, record, user_id) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET record = excluded.record,"
                " user_id = excluded.user_id",
                (storage_key(session.id), json.dumps(session.to_record()), session.user_id),
            )

    def _update(self, session: Session) -> bool:
        with self._connect() as connection:
            cursor = connection.execute(
                "UPDATE sessions SET record = ?, user_id = ? WHERE key = ?",
                (json.dumps(session.to_record()), session.user_id, storage_key(session.id)),
            )
        return cursor.rowcount == 1

    def _delete(self, session_id: str) -> None:
        with self._connect() as connection:
            connection.execute("DELETE FROM sessions WHERE key = ?", (storage_key(session_id),))

    def _delete_user_sessions(self, user_id: str, keep: str | None) -> list[str]:
        kept = storage_key(keep) if keep is not None else ""
        with self._connect() as connection:
            rows = connection.execute(
                "DELETE FROM sessions WHERE user_id = ? AND key != ? RETURNING record",
                (user_id, kept),
            ).fetchall()
        tokens = [json.loads(row[0]).get("refresh_token") for row in rows]
        return [token for token in tokens if token]

    def _purge_expired(self, seen_before: str, created_before: str) -> int:
        # ISO 8601 times in UTC sort as text.
        with self._connect() as connection:
            cursor = connection.execute(
                "DELETE FROM sessions WHERE json_extract(record, '$.last_seen_at') < ?"
                " OR json_extract(record, '$.created_at') < ?",
                (seen_before, created_before),
            )
        return cursor.rowcount

    def _ping(self) -> None:
        with self._connect() as connection:
            connection.execute("SELECT 1 FROM sessions LIMIT 1")

    async def get(self, session_id: str) -> Session | None:
        """The stored session, or None."""
        return await asyncio.to_thread(self._get, session_id)

    async def save(self, session: Session) -> None:
        """Create or replace the session."""
        await asyncio.to_thread(self._save, session)

    async def update(self, session: Session) -> bool:
        """Replace the session only while its row exists."""
        return await asyncio.to_thread(self._update, session)

    async def delete(self, session_id: str) -> None:
        """Forget the session."""
        await asyncio.to_thread(self._delete, session_id)

    async def delete_user_sessions(self, user_id: str, *, keep: str | None = None) -> list[str]:
        """Forget every session of the user but `keep`; the refresh tokens they held."""
        return await asyncio.to_thread(self._delete_user_sessions, user_id, keep)

    async def purge_expired(self, *, seen_before: dt.datetime, created_before: dt.datetime) -> int:
        """Delete the sessions that timed out; how many went."""
        return await asyncio.to_thread(
            self._purge_expired,
            seen_before.astimezone(dt.UTC).isoformat(),
            created_before.astimezone(dt.UTC).isoformat(),
        )

    async def ping(self) -> None:
        """Raise sqlite3.Error when the file cannot be read."""
        await asyncio.to_thread(self._ping)

    async def close(self) -> None:
        """Nothing to release: every call opens and closes its own connection."""
