"""The bus the worker publishes to and consumes from (`tradeloop_contracts.bus`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol, cast

from tradeloop_contracts import Event, UserEventData

Handler = Callable[[Event[UserEventData]], Awaitable[None]]


class DeadLetter(Protocol):
    """A message a consumer group gave up on."""

    @property
    def id(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def position(self) -> str: ...
    @property
    def payload(self) -> str: ...
    @property
    def error(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def failed_at(self) -> dt.datetime: ...


class Bus(Protocol):
    """What the worker needs of the contracts bus client."""

    async def publish(self, event: Event[UserEventData]) -> str: ...

    async def consume(
        self,
        *,
        group: str,
        consumer: str,
        families: Sequence[str],
        handler: Handler,
        stop: asyncio.Event,
        max_attempts: int = 5,
        visibility_timeout: float = 60.0,
        batch: int = 10,
    ) -> None: ...

    def tail(self, families: Sequence[str], *, after: str | None = None) -> AsyncIterator[Any]: ...

    async def dead_letters(self, group: str) -> Sequence[DeadLetter]: ...

    async def replay(self, group: str, dead_letter_id: str) -> None: ...

    async def close(self) -> None: ...


class BusUnavailableError(RuntimeError):
    """The installed contracts package has no bus client."""


def open_bus(url: str) -> Bus:
    """The bus at `url` (`sqlite:///path` or `redis://host:port/db`).

    Raises BusUnavailableError when the installed contracts package has no bus client,
    and whatever the client raises for a URL it cannot open.
    """
    try:
        module = importlib.import_module("tradeloop_contracts.bus")
    except ModuleNotFoundError as error:
        raise BusUnavailableError(
            "this tradeloop-contracts release has no bus client (tradeloop_contracts.bus)"
        ) from error
    return cast(Bus, module.open_bus(url))
