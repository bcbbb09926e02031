"""The distributed bus: Redis Streams with consumer groups (works on Upstash too)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import redis.asyncio as redis
from pydantic import ValidationError
from redis.exceptions import ResponseError

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

# The longest a blocking read waits, which bounds how late `stop` is noticed.
MAX_BLOCK_SECONDS = 1.0
TAIL_BATCH = 100
# Stream ids are "<ms>-<seq>" with a 64-bit sequence.
MAX_SEQUENCE = 2**64 - 1

StreamRef = tuple[str, str]


class RedisBus(GroupBus[StreamRef]):
    """Streams `<prefix>tradeloop:events:<family>`, one consumer group per consuming service.

    Dead letters live in the stream `tradeloop:dead:<group>`; replayed ones go to
    `tradeloop:replay:<group>`, which only that group reads. Every key carries the
    optional prefix so environments and test runs can share one server.
    """

    def __init__(
        self, client: redis.Redis, *, prefix: str = "", stream_max_length: int = 100_000
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}:" if prefix else ""
        self._stream_max_length = stream_max_length
        # A stream is trimmed once per this many appends from this process, so it grows at
        # most about 1 % past the cap between trims.
        self._trim_every = max(1, stream_max_length // 100)
        self._appended: dict[str, int] = {}

    def _stream(self, family: str) -> str:
        return f"{self._prefix}tradeloop:events:{family}"

    def _dead(self, group: str) -> str:
        return f"{self._prefix}tradeloop:dead:{group}"

    def _replays(self, group: str) -> str:
        return f"{self._prefix}tradeloop:replay:{group}"

    def _family_of_stream(self, key: str) -> str:
        return key.rsplit(":", 1)[1]

    async def publish(self, event: Event[UserEventData]) -> str:
        """Append `event` to its family's stream and return its position ("<family>:<id>").

        Raises redis' ConnectionError when the server cannot be reached.
        """
        family = family_of(event.type)
        key = self._stream(family)
        entry_id = await self._client.xadd(
            key, {"event": with_traceparent(event).model_dump_json()}
        )
        await self._cap(key)
        return f"{family}:{_text(entry_id)}"

    async def _cap(self, key: str) -> None:
        """Now and then, trim the stream `key` to its cap, never past an entry that a group
        has not yet read or has read and not acknowledged (MAXLEN would drop those too)."""
        appended = self._appended[key] = self._appended.get(key, 0) + 1
        if appended % self._trim_every:
            return
        excess = int(await self._client.xlen(key)) - self._stream_max_length
        if excess <= 0:
            return
        needed = await self._oldest_needed(key)
        if needed == "0-0":
            return
        # The oldest entries over the cap, stopping short of the oldest one still needed.
        end = "+" if needed is None else f"({needed}"
        oldest: Any = await self._client.xrange(key, "-", end, count=excess + 1)
        if not oldest:
            return
        keep_from = needed if needed is not None and len(oldest) <= excess else oldest[-1][0]
        await self._client.xtrim(key, minid=_text(keep_from), approximate=False)

    async def _oldest_needed(self, key: str) -> str | None:
        """The id of the oldest entry of `key` some group still needs (None with no group):
        its oldest unacknowledged entry, or else the last one it read."""
        needed: list[str] = []
        groups: Any = await self._client.xinfo_groups(key)
        for group in groups:
            last_read = _text(group["last-delivered-id"])
            if int(group["pending"]):
                summary: Any = await self._client.xpending(key, group["name"])
                # Acknowledged between the two reads: then the last one it read is needed.
                oldest = summary["min"]
                needed.append(last_read if oldest is None else _text(oldest))
            else:
                needed.append(last_read)
        return min(needed, key=_stream_id, default=None)

    async def _join(self, sub: Subscription) -> None:
        for key in self._keys(sub):
            try:
                # From the start of what is kept, so events published before the group's
                # first consumer started are not lost.
                await self._client.xgroup_create(key, sub.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def _keys(self, sub: Subscription) -> list[str]:
        return [self._replays(sub.group)] + [self._stream(family) for family in sub.families]

    async def _claim(self, sub: Subscription) -> list[Claim[StreamRef]]:
        claims = await self._reclaim(sub)
        room = sub.batch - len(claims)
        if room == 0:
            return claims
        block = min(MAX_BLOCK_SECONDS, sub.visibility_timeout / 10)
        response: Any = await self._client.xreadgroup(
            sub.group,
            sub.consumer,
            dict.fromkeys(self._keys(sub), ">"),
            count=room,
            block=None if claims else max(1, int(block * 1000)),
        )
        for key, entries in response or []:
            for entry_id, fields in entries:
                claims.append(self._to_claim(_text(key), _text(entry_id), fields, attempts=1))
        return claims

    async def _reclaim(self, sub: Subscription) -> list[Claim[StreamRef]]:
        claims: list[Claim[StreamRef]] = []
        for key in self._keys(sub):
            room = sub.batch - len(claims)
            if room == 0:
                break
            response: Any = await self._client.xautoclaim(
                key,
                sub.group,
                sub.consumer,
                min_idle_time=int(sub.visibility_timeout * 1000),
                start_id="0-0",
                count=room,
            )
            entries = response[1]
            for entry_id in response[2] if len(response) > 2 else []:
                await self._bury_trimmed(sub.group, key, _text(entry_id))
            if not entries:
                continue
            async with self._client.pipeline(transaction=False) as pipe:
                for entry_id, _ in entries:
                    pipe.xpending_range(key, sub.group, entry_id, entry_id, 1)
                details: Any = await pipe.execute()
            for (entry_id, fields), detail in zip(entries, details, strict=True):
                # XAUTOCLAIM counted this delivery; the count is the attempt number.
                attempts = int(detail[0]["times_delivered"]) if detail else 1
                claims.append(self._to_claim(key, _text(entry_id), fields, attempts))
        return claims

    async def _bury_trimmed(self, group: str, key: str, entry_id: str) -> None:
        # The entry was deleted while it was pending (the cap never does that, an operator's
        # XTRIM or XDEL can): its payload is gone, so leave a visible trace for operators
        # instead of losing it silently.
        position = self._position(key, entry_id, {})
        error = "deleted from the stream before it was acknowledged"
        await self._client.xadd(
            self._dead(group),
            _dead_fields(position, "", error, 0),
            maxlen=self._stream_max_length,
            approximate=True,
        )
        logger.error("group %s lost %s: %s", group, position, error)

    def _position(self, key: str, entry_id: str, fields: Mapping[str, str]) -> str:
        if "position" in fields:
            return fields["position"]
        return f"{self._family_of_stream(key)}:{entry_id}"

    def _to_claim(
        self, key: str, entry_id: str, raw_fields: Any, attempts: int
    ) -> Claim[StreamRef]:
        fields = _fields(raw_fields)
        return Claim(
            ref=(key, entry_id),
            position=self._position(key, entry_id, fields),
            payload=fields.get("event", ""),
            attempts=attempts,
        )

    async def _backlog(self, sub: Subscription) -> Backlog:
        lag: dict[str, int] = {}
        for family in sub.families:
            groups: Any = await self._client.xinfo_groups(self._stream(family))
            for info in groups:
                # Redis reports no lag (nil) when trimming made it unknowable; skip then.
                if _text(info["name"]) == sub.group and info.get("lag") is not None:
                    lag[family] = int(info["lag"]) + int(info["pending"])
        dead = dict.fromkeys(sub.families, 0)
        entries: Any = await self._client.xrange(self._dead(sub.group), "-", "+")
        for _, fields in entries:
            family = _fields(fields).get("position", "").partition(":")[0]
            if family in dead:
                dead[family] += 1
        return Backlog(lag=lag, dead_letters=dead)

    async def _ack(self, sub: Subscription, claim: Claim[StreamRef]) -> None:
        key, entry_id = claim.ref
        await self._client.xack(key, sub.group, entry_id)

    async def _retry_later(self, sub: Subscription, claim: Claim[StreamRef], delay: float) -> None:
        key, entry_id = claim.ref
        # Reclaiming goes by idle time: setting it to (timeout - delay) makes the entry
        # claimable by any consumer in `delay` seconds. JUSTID keeps the count unchanged.
        await self._client.xclaim(
            key,
            sub.group,
            sub.consumer,
            min_idle_time=0,
            message_ids=[entry_id],
            idle=max(0, int((sub.visibility_timeout - delay) * 1000)),
            justid=True,
        )

    async def _release(self, sub: Subscription, claims: Sequence[Claim[StreamRef]]) -> None:
        for claim in claims:
            key, entry_id = claim.ref
            await self._client.xclaim(
                key,
                sub.group,
                sub.consumer,
                min_idle_time=0,
                message_ids=[entry_id],
                idle=int(sub.visibility_timeout * 1000),
                retrycount=claim.attempts - 1,
                justid=True,
            )

    async def _bury(
        self, sub: Subscription, claim: Claim[StreamRef], error: str, attempts: int
    ) -> None:
        key, entry_id = claim.ref
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self._dead(sub.group),
                _dead_fields(claim.position, claim.payload, error, attempts),
                maxlen=self._stream_max_length,
                approximate=True,
            )
            pipe.xack(key, sub.group, entry_id)
            await pipe.execute()

    async def tail(
        self, families: Sequence[str], *, after: str | None = None
    ) -> AsyncIterator[Delivery]:
        """Every event of `families` published from now on, or after position `after`.

        Every reader sees every event; no group, no acknowledgement. Order is exact within a
        family and by publication time (to the millisecond) across families. Resuming is exact on
        the family of `after`; the other families restart at the start of that millisecond,
        so an event may be seen twice but never skipped. Unreadable events are logged and
        skipped. Raises ValueError for a malformed `after`.
        """
        if isinstance(families, str) or not families:
            raise ValueError("families must be a non-empty sequence of family names")
        last_ids = await self._tail_start(families, after)
        block = int(MAX_BLOCK_SECONDS * 1000)
        while True:
            response: Any = await self._client.xread(last_ids, count=TAIL_BATCH, block=block)
            # Streams answer one after the other; ids are times, so merge them by time.
            entries = sorted(
                (
                    (_id_order(_text(raw_id)), _text(raw_key), _text(raw_id), raw_fields)
                    for raw_key, stream_entries in response or []
                    for raw_id, raw_fields in stream_entries
                ),
                key=lambda entry: entry[0],
            )
            for _, key, entry_id, raw_fields in entries:
                last_ids[key] = entry_id
                position = self._position(key, entry_id, {})
                try:
                    event = parse_event(_fields(raw_fields).get("event", ""))
                except (ValidationError, UnknownEventTypeError):
                    logger.error("tail skips the unreadable event at %s", position)
                    continue
                yield Delivery(position, event)

    async def _tail_start(self, families: Sequence[str], after: str | None) -> dict[Any, Any]:
        if after is None:
            starts: dict[Any, Any] = {}
            for family in families:
                key = self._stream(family)
                newest: Any = await self._client.xrevrange(key, "+", "-", count=1)
                starts[key] = _text(newest[0][0]) if newest else "0-0"
            return starts
        after_family, _, entry_id = after.partition(":")
        milliseconds, dash, sequence = entry_id.partition("-")
        if not (after_family and milliseconds.isdigit() and dash and sequence.isdigit()):
            raise ValueError(f"not a position of the Redis bus: {after!r}")
        same_millisecond = (
            f"{int(milliseconds) - 1}-{MAX_SEQUENCE}" if int(milliseconds) > 0 else "0-0"
        )
        return {
            self._stream(family): entry_id if family == after_family else same_millisecond
            for family in families
        }

    async def dead_letters(self, group: str) -> list[DeadLetter]:
        """The messages `group` gave up on, oldest first."""
        entries: Any = await self._client.xrange(self._dead(group), "-", "+")
        return [_dead_letter(group, _text(entry_id), fields) for entry_id, fields in entries]

    async def replay(self, group: str, dead_letter_id: str) -> None:
        """Deliver a dead letter to `group` again, with a fresh count of attempts.

        Raises DeadLetterNotFoundError when the group has no dead letter with that id.
        """
        dead_key = self._dead(group)
        try:
            entries: Any = await self._client.xrange(dead_key, dead_letter_id, dead_letter_id)
        except ResponseError as exc:
            raise DeadLetterNotFoundError(dead_letter_id) from exc
        if not entries:
            raise DeadLetterNotFoundError(dead_letter_id)
        letter = _dead_letter(group, dead_letter_id, entries[0][1])
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.xadd(self._replays(group), {"event": letter.payload, "position": letter.position})
            pipe.xdel(dead_key, dead_letter_id)
            await pipe.execute()
        await self._cap(self._replays(group))

    async def close(self) -> None:
        """Close the connections; the bus is unusable afterwards."""
        await self._client.aclose()


def _stream_id(text: str) -> tuple[int, int]:
    """A stream id ("<ms>-<seq>") as a pair that orders like the ids do."""
    milliseconds, _, sequence = text.partition("-")
    return int(milliseconds), int(sequence or 0)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _dead_fields(position: str, payload: str, error: str, attempts: int) -> dict[Any, Any]:
    return {
        "position": position,
        "event": payload,
        "error": error,
        "attempts": attempts,
        "failed_at": f"{time.time():.6f}",
    }


def _id_order(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence)


def _fields(raw_fields: Any) -> dict[str, str]:
    return {_text(name): _text(value) for name, value in raw_fields.items()}


def _dead_letter(group: str, entry_id: str, raw_fields: Any) -> DeadLetter:
    fields = _fields(raw_fields)
    return DeadLetter(
        id=entry_id,
        group=group,
        position=fields["position"],
        payload=fields["event"],
        error=fields["error"],
        attempts=int(fields["attempts"]),
        failed_at=dt.datetime.fromtimestamp(float(fields["failed_at"]), dt.UTC),
    )
