"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from obstore.store import ObjectStore, from_url
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import Route
from tradeloop_contracts.telemetry import TelemetryMiddleware, metrics_app
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core_api import coach_schedule, health
from core_api.accounts import endpoints as accounts
from core_api.archive import endpoints as archive
from core_api.attachments import endpoints as attachments
from core_api.bars import endpoints as bars
from core_api.brokers import endpoints as brokers
from core_api.brokers.keys import load_sealing_ring
from core_api.config import Settings
from core_api.db import make_engine, make_sessions
from core_api.errors import install_error_handlers
from core_api.executions import endpoints as executions
from core_api.identity import endpoints as identity
from core_api.identity.tokens import TokenIssuer, load_key_ring
from core_api.imports import endpoints as imports
from core_api.insights import endpoints as insights
from core_api.journal import endpoints as journal
from core_api.kit.limits import BodySizeLimit
from core_api.kit.offload import Offload
from core_api.kit.openapi import document_json_bodies
from core_api.kit.telemetry import SERVICE, UNTRACED_PATHS, instrument
from core_api.mappings import endpoints as mappings
from core_api.outbox import endpoints as outbox
from core_api.plans import endpoints as plans
from core_api.plans.judging import PlanJudge, Worker
from core_api.playbooks import endpoints as playbooks
from core_api.positions import endpoints as positions
from core_api.reviews import endpoints as reviews
from core_api.state import CoreState
from core_api.statistics import endpoints as statistics
from core_api.strategies import endpoints as strategies
from core_api.tags import endpoints as tags


def create_app(
    settings: Settings | None = None,
    sessions: sessionmaker[Session] | None = None,
    judge_worker: Worker | None = None,
) -> FastAPI:
    """The app, wired to the database and object store the settings name.

    `sessions` replaces the session factory (tests bind it to one rolled-back transaction);
    long work then runs in the app's threads rather than in work processes (`settle_processes`,
    `batch_processes`).
    `judge_worker` is the background thread that judges plans after a change (tests run it
    inline). At start it judges the plans a stopped process left pending.
    Raises SigningKeyError when no usable signing key is configured, KeyRingError when the
    sealing key ring is unusable.
    """
    settings = settings or Settings()
    engine = make_engine(settings.resolved_database_url)
    own_sessions = sessions is None
    sessions = sessions or make_sessions(engine)
    # Given sessions (tests' rolled-back transaction) are out of another process's sight.
    offload, batches = (
        Offload(
            sessions,
            settings.resolved_database_url,
            processes if own_sessions else 0,
            settings.log_level,
            settings.work_nice,
        )
        for processes in (settings.settle_processes, settings.batch_processes)
    )
    judge = PlanJudge(sessions, offload, judge_worker)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        offload.start()
        batches.start()
        judge.resume()
        try:
            yield
        finally:
            batches.close()
            offload.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Tradeloop core-api",
        version="0.1.0",
        # The contracts middleware below is the one source of spans and RED series, the
        # same in every service; FastAPI's own would double each request's server span.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    sealing = load_sealing_ring(settings)
    app.state.core = CoreState(
        settings=settings,
        engine=engine,
        sessions=sessions,
        tokens=TokenIssuer(keys=load_key_ring(settings), issuer=settings.issuer),
        store=open_store(settings.resolved_object_store_url),
        sealing=sealing,
        judge=judge,
        offload=offload,
        batches=batches,
    )
    instrument(engine, sealing)
    install_error_handlers(app)
    document_json_bodies(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    # Behind edge, the client's address comes from X-Forwarded-For of trusted peers only.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    for router in (
        health.router,
        identity.public,
        identity.internal,
        accounts.router,
        imports.public,
        imports.internal,
        executions.public,
        executions.internal,
        positions.public,
        positions.internal,
        attachments.router,
        bars.public,
        bars.internal,
        statistics.router,
        strategies.router,
        journal.public,
        journal.internal,
        tags.router,
        insights.public,
        insights.internal,
        plans.router,
        plans.internal,
        playbooks.public,
        playbooks.internal,
        brokers.public,
        brokers.internal,
        reviews.public,
        reviews.internal,
        coach_schedule.internal,
        mappings.public,
        mappings.internal,
        outbox.router,
        archive.router,
    ):
        app.include_router(router)
    app.router.routes.append(Route("/metrics", metrics_app(), include_in_schema=False))
    # Added last, so it is outermost: refused bodies and error answers are traced and
    # measured too, and the span is current for every handler and the events it writes.
    app.add_middleware(TelemetryMiddleware, service=SERVICE, untraced_paths=UNTRACED_PATHS)
    return app


def open_store(url: str) -> ObjectStore:
    """The object store at `url`; a local folder is created when missing."""
    if url.startswith("file://"):
        return from_url(url, mkdir=True)
    return from_url(url)
