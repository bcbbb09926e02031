"""The embedded bus: one SQLite file in WAL mode, shared safely by several processes."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

from pydantic import ValidationError

from .._events import Event, UnknownEventTypeError, UserEventData, parse_event
from ._core import (
    Claim,
    DeadLetter,
    DeadLetterNotFoundError,
    Delivery,
    GroupBus,
    Subscription,
    family_of,
    logger,
)
from ._observe import Backlog, with_traceparent

POLL_INTERVAL = 0.05
BUSY_TIMEOUT_MS = 10_000
TAIL_BATCH = 100

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    family TEXT NOT NULL,
    payload TEXT NOT NULL,
    published_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_family_id ON messages (family, id);
CREATE TABLE IF NOT EXISTS stream_lengths (
    family TEXT PRIMARY KEY,
    length INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS group_offsets (
    grp TEXT NOT NULL,
    family TEXT NOT NULL,
    last_id INTEGER NOT NULL,
    PRIMARY KEY (grp, family)
);
CREATE TABLE IF NOT EXISTS pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    grp TEXT NOT NULL,
    family TEXT NOT NULL,
    position TEXT NOT NULL,
    payload TEXT NOT NULL,
    consumer TEXT,
    attempts INTEGER NOT NULL,
    visible_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_due ON pending (grp, visible_at);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    grp TEXT NOT NULL,
    position TEXT NOT NULL,
    payload TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    failed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_grp ON dead_letters (grp, id);
"""


def _placeholders(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class EmbeddedBus(GroupBus[int]):
    """Redis-Streams semantics on a local SQLite file; needs no server.

    Every call runs its SQL in a worker thread, one short transaction at a time; claims
    take the write lock up front (`BEGIN IMMEDIATE`) so two processes never claim the
    same message. Ids are global and assigned under the write lock, so they become
    visible in order and one id is a resumable position across every family.
    """

    idle_seconds = POLL_INTERVAL

    def __init__(self, path: Path, *, stream_max_length: int = 100_000) -> None:
        self._path = path
        self._stream_max_length = stream_max_length
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._closed = False

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the bus is closed")
            connection = self._connection or self._connect()
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _connect(self) -> sqlite3.Connection:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self._path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL survives a crashed process; only a power loss can drop the
        # last commits.
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            # Files written before lengths were kept start with their counted length.
            connection.execute(
                "INSERT OR IGNORE INTO stream_lengths (family, length)"
                " SELECT family, COUNT(*) FROM messages GROUP BY family"
            )
        except BaseException:
            connection.execute("ROLLBACK")
            connection.close()
            raise
        connection.execute("COMMIT")
        self._connection = connection
        return connection

    async def publish(self, event: Event[UserEventData]) -> str:
        """Append `event` to its family's stream and return its position ("<family>:<id>").

        Raises sqlite3.Error when the file cannot be written.
        """
        family = family_of(event.type)
        payload = with_traceparent(event).model_dump_json()
        message_id = await asyncio.to_thread(self._publish, family, payload)
        return f"{family}:{message_id}"

    def _publish(self, family: str, payload: str) -> int:
        with self._transaction(write=True) as db:
            cursor = db.execute(
                "INSERT INTO messages (family, payload, published_at) VALUES (?, ?, ?)",
                (family, payload, time.time()),
            )
            message_id = cursor.lastrowid
            assert message_id is not None
            # A kept length makes the cap O(1) per publish; finding the cut by OFFSET walked
            # the whole stream on every publish.
            db.execute(
                "INSERT INTO stream_lengths (family, length) VALUES (?, 1)"
                " ON CONFLICT (family) DO UPDATE SET length = length + 1",
                (family,),
            )
            (length,) = db.execute(
                "SELECT length FROM stream_lengths WHERE family = ?", (family,)
            ).fetchone()
            excess = int(length) - self._stream_max_length
            if excess > 0:
                # A message past a group's offset is not delivered to that group yet: the
                # cap drops only what every group has taken (claimed messages carry their
                # own copy of the payload until they are acknowledged).
                (taken_by_all,) = db.execute(
                    "SELECT MIN(last_id) FROM group_offsets WHERE family = ?", (family,)
                ).fetchone()
                trimmed = db.execute(
                    "DELETE FROM messages WHERE id IN ("
                    " SELECT id FROM messages WHERE family = ? AND id <= ? ORDER BY id LIMIT ?)",
                    (family, message_id if taken_by_all is None else taken_by_all, excess),
                ).rowcount
                db.execute(
                    "UPDATE stream_lengths SET length = length - ? WHERE family = ?",
                    (trimmed, family),
                )
        return message_id

    async def _join(self, sub: Subscription) -> None:
        await asyncio.to_thread(self._join_sync, sub)

    def _join_sync(self, sub: Subscription) -> None:
        with self._transaction(write=True) as db:
            db.executemany(
                "INSERT OR IGNORE INTO group_offsets (grp, family, last_id) VALUES (?, ?, 0)",
                [(sub.group, family) for family in sub.families],
            )

    async def _claim(self, sub: Subscription) -> list[Claim[int]]:
        return await asyncio.to_thread(self._claim_sync, sub)

    def _claim_sync(self, sub: Subscription) -> list[Claim[int]]:
        now = time.time()
        lease = now + sub.visibility_timeout
        families = _placeholders(sub.families)
        claims: list[Claim[int]] = []
        with self._transaction(write=True) as db:
            due = db.execute(
                "SELECT id, position, payload, attempts FROM pending"
                f" WHERE grp = ? AND visible_at <= ? AND family IN ({families})"
                " ORDER BY visible_at, id LIMIT ?",
                (sub.group, now, *sub.families, sub.batch),
            ).fetchall()
            for pending_id, position, payload, attempts in due:
                db.execute(
                    "UPDATE pending SET consumer = ?, attempts = ?, visible_at = ? WHERE id = ?",
                    (sub.consumer, attempts + 1, lease, pending_id),
                )
                claims.append(Claim(pending_id, position, payload, attempts + 1))
            room = sub.batch - len(claims)
            if room == 0:
                return claims
            last_ids: dict[str, int] = {}
            for message_id, family, payload in self._unread(db, sub, room):
                position = f"{family}:{message_id}"
                cursor = db.execute(
                    "INSERT INTO pending"
                    " (grp, family, position, payload, consumer, attempts, visible_at)"
                    " VALUES (?, ?, ?, ?, ?, 1, ?)",
                    (sub.group, family, position, payload, sub.consumer, lease),
                )
                assert cursor.lastrowid is not None
                claims.append(Claim(cursor.lastrowid, position, payload, 1))
                last_ids[family] = message_id
            # One offset move per family, in the same transaction as the pending rows.
            db.executemany(
                "UPDATE group_offsets SET last_id = ? WHERE grp = ? AND family = ?",
                [(message_id, sub.group, family) for family, message_id in last_ids.items()],
            )
        return claims

    def _unread(
        self, db: sqlite3.Connection, sub: Subscription, limit: int
    ) -> list[tuple[int, str, str]]:
        """The group's next `limit` messages across its families, oldest first.

        One indexed range read per family, merged here: a single query over several
        families sorted every unread message to return the first few.
        """
        unread: list[tuple[int, str, str]] = []
        for family in sub.families:
            unread += db.execute(
                "SELECT m.id, m.family, m.payload FROM messages AS m"
                " JOIN group_offsets AS g ON g.grp = ? AND g.family = m.family"
                " WHERE m.family = ? AND m.id > g.last_id ORDER BY m.id LIMIT ?",
                (sub.group, family, limit),
            ).fetchall()
        return heapq.nsmallest(limit, unread)

    async def _backlog(self, sub: Subscription) -> Backlog:
        return await asyncio.to_thread(self._backlog_sync, sub)

    def _backlog_sync(self, sub: Subscription) -> Backlog:
        lag: dict[str, int] = {}
        dead: dict[str, int] = {}
        with self._transaction(write=False) as db:
            for family in sub.families:
                (undelivered,) = db.execute(
                    "SELECT COUNT(*) FROM messages AS m"
                    " JOIN group_offsets AS g ON g.grp = ? AND g.family = m.family"
                    " WHERE m.family = ? AND m.id > g.last_id",
                    (sub.group, family),
                ).fetchone()
                (pending,) = db.execute(
                    "SELECT COUNT(*) FROM pending WHERE grp = ? AND family = ?",
                    (sub.group, family),
                ).fetchone()
                (buried,) = db.execute(
                    "SELECT COUNT(*) FROM dead_letters"
                    " WHERE grp = ? AND substr(position, 1, instr(position, ':') - 1) = ?",
                    (sub.group, family),
                ).fetchone()
                lag[family] = int(undelivered) + int(pending)
                dead[family] = int(buried)
        return Backlog(lag=lag, dead_letters=dead)

    async def _ack(self, sub: Subscription, claim: Claim[int]) -> None:
        await asyncio.to_thread(
            self._write, "DELETE FROM pending WHERE id = ? AND grp = ?", (claim.ref, sub.group)
        )

    async def _retry_later(self, sub: Subscription, claim: Claim[int], delay: float) -> None:
        await asyncio.to_thread(
            self._write,
            # Only while still ours: a consumer that reclaimed it meanwhile owns its timing.
            "UPDATE pending SET consumer = NULL, visible_at = ? WHERE id = ? AND consumer = ?",
            (time.time() + delay, claim.ref, sub.consumer),
        )

    async def _release(self, sub: Subscription, claims: Sequence[Claim[int]]) -> None:
        await asyncio.to_thread(self._release_sync, sub, claims)

    def _release_sync(self, sub: Subscription, claims: Sequence[Claim[int]]) -> None:
        with self._transaction(write=True) as db:
            db.executemany(
                "UPDATE pending SET consumer = NULL, visible_at = 0, attempts = attempts - 1"
                " WHERE id = ? AND consumer = ?",
                [(claim.ref, sub.consumer) for claim in claims],
            )

    async def _bury(self, sub: Subscription, claim: Claim[int], error: str, attempts: int) -> None:
        await asyncio.to_thread(self._bury_sync, sub.group, claim, error, attempts)

    def _bury_sync(self, group: str, claim: Claim[int], error: str, attempts: int) -> None:
        with self._transaction(write=True) as db:
            db.execute(
                "INSERT INTO dead_letters (grp, position, payload, error, attempts, failed_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (group, claim.position, claim.payload, error, attempts, time.time()),
            )
            db.execute("DELETE FROM pending WHERE id = ?", (claim.ref,))

    def _write(self, sql: str, parameters: tuple[object, ...]) -> None:
        with self._transaction(write=True) as db:
            db.execute(sql, parameters)

    async def tail(
        self, families: Sequence[str], *, after: str | None = None
    ) -> AsyncIterator[Delivery]:
        """Every event of `families` published from now on, or after position `after`.

        Every reader sees every event; no group, no acknowledgement. Unreadable events are
        logged and skipped. Raises ValueError for a malformed `after`.
        """
        if isinstance(families, str) or not families:
            raise ValueError("families must be a non-empty sequence of family names")
        last_id = _message_id(after) if after is not None else None
        if last_id is None:
            last_id = await asyncio.to_thread(self._last_id)
        while True:
            rows = await asyncio.to_thread(self._read_after, families, last_id)
            for message_id, family, payload in rows:
                last_id = message_id
                position = f"{family}:{message_id}"
                try:
                    event = parse_event(payload)
                except (ValidationError, UnknownEventTypeError):
                    logger.error("tail skips the unreadable event at %s", position)
                    continue
                yield Delivery(position, event)
            if len(rows) < TAIL_BATCH:
                await asyncio.sleep(POLL_INTERVAL)

    def _last_id(self) -> int:
        with self._transaction(write=False) as db:
            row = db.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()
        return int(row[0])

    def _read_after(self, families: Sequence[str], last_id: int) -> list[tuple[int, str, str]]:
        with self._transaction(write=False) as db:
            rows = db.execute(
                "SELECT id, family, payload FROM messages"
                f" WHERE id > ? AND family IN ({_placeholders(families)}) ORDER BY id LIMIT ?",
                (last_id, *families, TAIL_BATCH),
            ).fetchall()
        return [(int(i), str(f), str(p)) for i, f, p in rows]

    async def dead_letters(self, group: str) -> list[DeadLetter]:
        """The messages `group` gave up on, oldest first."""
        rows = await asyncio.to_thread(self._dead_letters, group)
        return [
            DeadLetter(
                id=str(row[0]),
                group=group,
                position=row[1],
                payload=row[2],
                error=row[3],
                attempts=row[4],
                failed_at=dt.datetime.fromtimestamp(row[5], dt.UTC),
            )
            for row in rows
        ]

    def _dead_letters(self, group: str) -> list[tuple[int, str, str, str, int, float]]:
        with self._transaction(write=False) as db:
            return db.execute(
                "SELECT id, position, payload, error, attempts, failed_at FROM dead_letters"
                " WHERE grp = ? ORDER BY id",
                (group,),
            ).fetchall()

    async def replay(self, group: str, dead_letter_id: str) -> None:
        """Deliver a dead letter to `group` again, with a fresh count of attempts.

        Raises DeadLetterNotFoundError when the group has no dead letter with that id.
        """
        await asyncio.to_thread(self._replay, group, dead_letter_id)

    def _replay(self, group: str, dead_letter_id: str) -> None:
        if not dead_letter_id.isdigit():
            raise DeadLetterNotFoundError(dead_letter_id)
        with self._transaction(write=True) as db:
            row = db.execute(
                "SELECT position, payload FROM dead_letters WHERE grp = ? AND id = ?",
                (group, int(dead_letter_id)),
            ).fetchone()
            if row is None:
                raise DeadLetterNotFoundError(dead_letter_id)
            position, payload = row
            db.execute(
                "INSERT INTO pending"
                " (grp, family, position, payload, consumer, attempts, visible_at)"
                " VALUES (?, ?, ?, ?, NULL, 0, 0)",
                (group, position.split(":", 1)[0], position, payload),
            )
            db.execute("DELETE FROM dead_letters WHERE id = ?", (int(dead_letter_id),))

    async def close(self) -> None:
        """Close the file; the bus is unusable afterwards."""
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            self._closed = True
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _message_id(position: str) -> int:
    family, _, message_id = position.partition(":")
    if not family or not message_id.isdigit():
        raise ValueError(f"not a position of the embedded bus: {position!r}")
    return int(message_id)
