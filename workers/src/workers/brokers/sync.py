"""The scheduled broker sync: each due connection's new fills, sent to core like an import.

Per connection: read its sealed secrets and cursor from core, open them in memory, read
the fills page by page from the cursor, send each page to core as an ExecutionBatch, then
store the cursor. The stored cursor is where the last non-empty page started, so a sync
that resumes (after a crash, or at its next turn) reads that page again: core drops those
fills as duplicates by broker execution id, and nothing between two syncs is skipped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from uuid import UUID

from tradeloop_contracts import (
    BrokerConnectionCreated,
    BrokerSyncRequested,
    BrokerSyncUpdate,
    DueBrokerConnection,
    Event,
    ExecutionBatch,
    SealedBrokerCredentials,
    UserEventData,
)

from ..core import CoreClient
from .adapter import (
    BrokerAdapter,
    BrokerAuthError,
    BrokerCredentials,
    BrokerRejectedError,
    BrokerUnavailableError,
    Environment,
    FillPage,
)
from .credentials import OpenSecret, credentials_of

SYNC_NOW = frozenset({"broker_connection.created.v1", "broker_connection.sync_requested.v1"})
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    """How one connection's sync ended."""

    connection_id: str
    status: str
    status_detail: str | None
    new: int
    duplicates: int
    pages: int


class BrokerSync:
    """Syncs every due connection, a few at a time; one connection's failure spares the rest."""

    def __init__(
        self,
        core: CoreClient,
        adapters: Mapping[str, BrokerAdapter],
        open_secret: OpenSecret,
        *,
        concurrency: int = 4,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._core = core
        self._adapters = adapters
        self._open_secret = open_secret
        self._concurrency = asyncio.Semaphore(concurrency)
        self._clock = clock

    async def run(self) -> list[SyncResult]:
        """Sync every connection core says is due; the result of each one that ran.

        Raises CoreError when core cannot list them.
        """
        due = await self._core.due_broker_connections()
        results = await asyncio.gather(*(self._guarded(connection) for connection in due.items))
        return [result for result in results if result is not None]

    async def handle(self, event: Event[UserEventData]) -> None:
        """Sync the connection a `broker_connection.created.v1` or `.sync_requested.v1`
        names, now rather than at its next turn; other events are ignored.

        Raises CoreError while core cannot be reached, so the bus delivers it again.
        """
        data = event.data
        if event.type in SYNC_NOW and isinstance(
            data, BrokerConnectionCreated | BrokerSyncRequested
        ):
            async with self._concurrency:
                await self.sync(data.connection_id, data.broker)

    async def _guarded(self, connection: DueBrokerConnection) -> SyncResult | None:
        async with self._concurrency:
            try:
                return await self.sync(connection.connection_id, connection.broker)
            except Exception:
                # The cursor stays where the last stored page left it; the next turn resumes.
                logger.exception("broker sync of connection %s failed", connection.connection_id)
                return None

    async def sync(self, connection_id: UUID, broker: str) -> SyncResult | None:
        """Sync one connection; None when core no longer has it or no adapter knows its broker.

        Raises CoreError when core cannot be reached, and the sealing library's errors when
        a secret does not open.
        """
        adapter = self._adapters.get(broker)
        if adapter is None:
            logger.warning(
                "connection %s is on broker %r, which this worker cannot sync",
                connection_id,
                broker,
            )
            return None
        sealed = await self._core.broker_credentials(connection_id)
        if sealed is None:
            logger.info("connection %s is gone; skipped", connection_id)
            return None
        run = _Run(self._core, adapter, sealed, credentials_of(sealed, self._open_secret))
        try:
            await run.read_everything()
        except BrokerAuthError as error:
            return await run.finish("broken", error.code, self._clock())
        except BrokerUnavailableError:
            # Not the connection's fault: it stays active and the next turn tries again.
            logger.warning(
                "broker of connection %s unavailable; %d pages stored before it stopped",
                connection_id,
                run.pages,
            )
            return run.result("active", "broker_unavailable")
        except BrokerRejectedError as error:
            logger.error("connection %s: %s", connection_id, error)
            return await run.finish("broken", "broker_answer_unreadable", self._clock())
        return await run.finish("active", None, self._clock())


class _Run:
    """One connection's sync in progress: its credentials in memory and its cursor."""

    def __init__(
        self,
        core: CoreClient,
        adapter: BrokerAdapter,
        sealed: SealedBrokerCredentials,
        credentials: BrokerCredentials,
    ) -> None:
        self._core = core
        self._adapter = adapter
        self._sealed = sealed
        self._credentials = credentials
        self._environment: Environment = sealed.environment
        self.cursor = sealed.cursor
        self.new = self.duplicates = self.pages = 0

    async def read_everything(self) -> None:
        token = self.cursor
        while True:
            page = await self._fetch(token)
            self.pages += 1
            if page.fills:
                await self._store(page)
            if page.next_token is None:
                return
            token = page.next_token

    async def _fetch(self, token: str | None) -> FillPage:
        try:
            return await self._adapter.fetch_fills(self._credentials, self._environment, token)
        except BrokerAuthError as error:
            if error.code != "access_token_expired" or self._credentials.refresh_token is None:
                raise
        tokens = await self._adapter.refresh(self._credentials)
        self._credentials = replace(
            self._credentials, access_token=tokens.access_token, refresh_token=tokens.refresh_token
        )
        # Stored at once: the broker may have retired the old refresh token already.
        await self._report(
            BrokerSyncUpdate(
                status="active",
                cursor=self.cursor,
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
            )
        )
        logger.info("connection %s: access token refreshed", self._sealed.connection_id)
        return await self._adapter.fetch_fills(self._credentials, self._environment, token)

    async def _store(self, page: FillPage) -> None:
        batch = ExecutionBatch(account_id=self._sealed.account_id, executions=list(page.fills))
        result = await self._core.record_executions(self._sealed.user_id, batch)
        self.new += result.inserted
        self.duplicates += result.duplicates
        # Only after core holds the page does the cursor move to its start.
        self.cursor = page.page_token
        await self._report(BrokerSyncUpdate(status="active", cursor=self.cursor))

    async def finish(self, status: str, detail: str | None, now: dt.datetime) -> SyncResult:
        update = BrokerSyncUpdate.model_validate(
            {
                "status": status,
                "status_detail": detail,
                "last_synced_at": now if status == "active" else None,
                "cursor": self.cursor,
                "executions": self.new,
            }
        )
        await self._report(update)
        result = self.result(status, detail)
        logger.info(
            "connection %s synced: %s%s, %d new, %d already held, %d pages",
            result.connection_id,
            status,
            f" ({detail})" if detail else "",
            result.new,
            result.duplicates,
            result.pages,
        )
        return result

    def result(self, status: str, detail: str | None) -> SyncResult:
        return SyncResult(
            str(self._sealed.connection_id), status, detail, self.new, self.duplicates, self.pages
        )

    async def _report(self, update: BrokerSyncUpdate) -> None:
        await self._core.report_broker_sync(self._sealed.connection_id, update)
