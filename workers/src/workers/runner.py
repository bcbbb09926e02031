"""The worker process: relay, import consumer, scheduler and health server in one loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from tradeloop_contracts import Event, UserEventData
from tradeloop_contracts.bus import open_bus
from tradeloop_contracts.sealing import KeyRing
from tradeloop_contracts.telemetry import bind_user, unbind_user

from .brokers.credentials import sealed_secret_opener
from .brokers.setup import alpaca_adapter
from .brokers.sync import BrokerSync
from .coach_reviews import CoachClient, WeeklyCoachReview, coach_http
from .config import WorkersSettings
from .core import CoreClient, core_http
from .health import CONSUMER_GROUP, create_health_app
from .imports.job import ImportJob
from .imports.parse_process import ParseProcess
from .imports.storage import open_object_store
from .leases import open_leases
from .market_data.enrichment import EnrichmentJob
from .market_data.setup import bar_source
from .relay import OutboxRelay
from .scheduler import Scheduler, catalogue, enabled_jobs

IMPORT_FAMILY = "import"
POSITION_FAMILY = "position"
# A group of its own: its replayed dead letters must not reach the import consumer.
MARKET_DATA_GROUP = "workers-market-data"
BROKER_FAMILY = "broker_connection"
BROKER_GROUP = "workers-brokers"
_RESTART_SECONDS = 1.0
logger = logging.getLogger(__name__)


class _HealthServer(uvicorn.Server):
    # The worker owns SIGTERM/SIGINT; uvicorn must not take them over.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_worker(settings: WorkersSettings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop`), then finish in-flight work and return.

    Work still running WORKERS_SHUTDOWN_SECONDS after the stop is cancelled; an import
    cut short is delivered again later and re-runs harmlessly. Raises ValueError for a
    bus or object store URL that cannot be opened or a scheduled job that cannot run, and
    KeyRingError for WORKERS_SEALING_KEYS that cannot be read (naming the field, never a key).
    """
    stop = stop or asyncio.Event()
    ring = settings.sealing_keys.get_secret_value()
    open_secret = sealed_secret_opener(KeyRing.from_setting(ring)) if ring else None
    bus = open_bus(settings.bus_url)
    store = open_object_store(settings.object_store_url)
    leases = open_leases(settings.bus_url)
    parser = ParseProcess(nice=settings.import_parse_nice)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with (
            core_http(settings.core_url, timeout=settings.core_timeout_seconds) as http,
            # Brokers and market data providers: outside calls with their own timeout.
            httpx.AsyncClient(timeout=settings.broker_timeout_seconds) as outside,
            coach_http(settings.coach_url, timeout=settings.coach_timeout_seconds) as coach_api,
        ):
            core = CoreClient(
                http,
                client_secret=settings.core_client_secret,
                retry_seconds=settings.core_retry_seconds,
                settle_timeout_seconds=settings.core_settle_timeout_seconds,
            )
            relay = OutboxRelay(
                core,
                bus,
                batch_size=settings.relay_batch_size,
                lease_seconds=settings.relay_lease_seconds,
                idle_seconds=settings.relay_idle_seconds,
                max_backoff_seconds=settings.relay_max_backoff_seconds,
            )
            job = ImportJob(
                core,
                store,
                parser,
                batch_size=settings.import_batch_size,
                batches_in_flight=settings.import_batches_in_flight,
                progress_seconds=settings.import_progress_seconds,
                time_zone=ZoneInfo(settings.import_time_zone),
                max_file_bytes=settings.import_max_bytes,
                max_ofx_bytes=settings.import_max_ofx_bytes,
            )
            server = _HealthServer(
                uvicorn.Config(
                    create_health_app(core, bus),
                    host=settings.host,
                    port=settings.port,
                    lifespan="off",
                    log_config=None,
                )
            )
            consumer = settings.consumer_name or f"{socket.gethostname()}-{os.getpid()}"
            enrichment = EnrichmentJob(core, bar_source(settings, outside, store))
            broker_sync = (
                BrokerSync(
                    core,
                    {"alpaca": alpaca_adapter(settings, outside)},
                    open_secret,
                    concurrency=settings.broker_sync_concurrency,
                )
                if open_secret is not None
                else None
            )
            weekly_review = WeeklyCoachReview(
                core,
                CoachClient(coach_api, core, retry_seconds=settings.core_retry_seconds),
                concurrency=settings.coach_review_concurrency,
            )
            known = catalogue(
                bus,
                [CONSUMER_GROUP, MARKET_DATA_GROUP, BROKER_GROUP],
                broker_sync=broker_sync.run if broker_sync else None,
                weekly_review=weekly_review.run,
            )
            jobs = enabled_jobs(known, settings.scheduled_job_names)
            scheduler = Scheduler(jobs, leases, holder=consumer)

            def consume(
                group: str, family: str, handler: Callable[[Event[UserEventData]], Awaitable[None]]
            ) -> Callable[[], Awaitable[None]]:
                async def run() -> None:
                    await bus.consume(
                        group=group,
                        consumer=consumer,
                        families=[family],
                        handler=_as_the_user(handler),
                        stop=stop,
                        max_attempts=settings.max_attempts,
                        visibility_timeout=settings.visibility_timeout_seconds,
                        batch=1,
                    )

                return run

            tasks = [
                asyncio.create_task(relay.run(stop), name="relay"),
                asyncio.create_task(
                    _keep_running(
                        "consumer", consume(CONSUMER_GROUP, IMPORT_FAMILY, job.handle), stop
                    ),
                    name="consumer",
                ),
                asyncio.create_task(
                    _keep_running(
                        "position consumer",
                        consume(MARKET_DATA_GROUP, POSITION_FAMILY, enrichment.handle),
                        stop,
                    ),
                    name="position consumer",
                ),
                asyncio.create_task(server.serve(), name="health"),
                asyncio.create_task(scheduler.run(stop), name="scheduler"),
            ]
            if broker_sync is not None:
                # New connections and the trader's "sync now" do not wait for the schedule.
                tasks.append(
                    asyncio.create_task(
                        _keep_running(
                            "broker consumer",
                            consume(BROKER_GROUP, BROKER_FAMILY, broker_sync.handle),
                            stop,
                        ),
                        name="broker consumer",
                    )
                )
            # The first import need not wait the second the parse process takes to start.
            await parser.start()
            logger.info("workers running; health on %s:%s", settings.host, settings.port)
            await stop.wait()
            logger.info(
                "stopping; waiting up to %.0f s for work in flight", settings.shutdown_seconds
            )
            server.should_exit = True
            _, pending = await asyncio.wait(tasks, timeout=settings.shutdown_seconds)
            for task in pending:
                logger.warning("%s did not finish in time; cancelled", task.get_name())
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await parser.aclose()
        await leases.close()
        await bus.close()


def _as_the_user(
    handler: Callable[[Event[UserEventData]], Awaitable[None]],
) -> Callable[[Event[UserEventData]], Awaitable[None]]:
    # Every log line of the handling names the trader the event is about.
    async def handle(event: Event[UserEventData]) -> None:
        token = bind_user(event.data.user_id)
        try:
            await handler(event)
        finally:
            unbind_user(token)

    return handle


async def _keep_running(
    name: str, work: Callable[[], Awaitable[None]], stop: asyncio.Event
) -> None:
    # A bus that is down must not end the process: log, wait a little, start again.
    while not stop.is_set():
        try:
            await work()
        except Exception:
            logger.exception(
                "%s stopped with an error; restarting in %.0f s", name, _RESTART_SECONDS
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), _RESTART_SECONDS)
