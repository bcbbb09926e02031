"""The event bus: durable, at-least-once delivery of events between services.

`open_bus("sqlite:///path/bus.db")` gives the embedded bus (a local file, no server);
`open_bus("redis://host:port/db")` gives Redis Streams (needs the `redis` extra).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ._core import (
    Bus,
    DeadLetter,
    DeadLetterNotFoundError,
    Delivery,
    Handler,
    family_of,
)
from ._embedded import EmbeddedBus

__all__ = [
    "Bus",
    "DeadLetter",
    "DeadLetterNotFoundError",
    "Delivery",
    "EmbeddedBus",
    "Handler",
    "family_of",
    "open_bus",
]


def open_bus(url: str, *, stream_max_length: int = 100_000) -> Bus:
    """The bus at `url`; nothing is connected or created until first use.

    `sqlite:///relative/path.db` or `sqlite:////absolute/path.db` opens the embedded bus
    (the folder is created when missing). `redis://` or `rediss://` opens Redis Streams;
    a `prefix` query parameter (`redis://host:6379/0?prefix=staging`) puts every key
    under that prefix. Each stream keeps about `stream_max_length` newest entries, and
    more while a consumer group has not yet read or acknowledged them: the cap never drops
    those.
    Raises ValueError for another scheme or an unusable setting, ImportError when the
    `redis` extra is not installed.
    """
    if stream_max_length < 1:
        raise ValueError(f"stream_max_length must be at least 1, got {stream_max_length}")
    scheme = url.partition(":")[0].lower()
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or len(url) == len("sqlite:///"):
            raise ValueError("an embedded bus URL looks like sqlite:///path/to/bus.db")
        return EmbeddedBus(Path(url[len("sqlite:///") :]), stream_max_length=stream_max_length)
    if scheme in {"redis", "rediss"}:
        return _open_redis(url, stream_max_length)
    raise ValueError(
        f"the bus URL must start with sqlite:///, redis:// or rediss://, not {scheme}:"
    )


def _open_redis(url: str, stream_max_length: int) -> Bus:
    import redis.asyncio as redis

    from ._redis_streams import RedisBus

    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = "".join(value for name, value in query if name == "prefix")
    rest = urlencode([(name, value) for name, value in query if name != "prefix"])
    # RESP2 replies have the same shape on every supported redis-py and server version.
    client = redis.Redis.from_url(
        urlunsplit(parts._replace(query=rest)), protocol=2, decode_responses=True
    )
    return RedisBus(client, prefix=prefix, stream_max_length=stream_max_length)
