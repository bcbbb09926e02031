"""Broker connections: the trader's routes, and the sync workers' internal routes."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from tradeloop_contracts import (
    BrokerConnection,
    BrokerConnectionCreate,
    BrokerConnectionList,
    BrokerSyncUpdate,
    DueBrokerConnectionList,
    SealedBrokerCredentials,
)

from core_api.brokers import service
from core_api.brokers.repository import BrokerConnectionRepository
from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.kit.tracing import Traceparent
from core_api.state import State

public = APIRouter(tags=["broker connections"])
internal = APIRouter(tags=["broker connections"])


@public.get("/v1/broker-connections")
def list_broker_connections(user: CurrentUser, session: DbSession) -> BrokerConnectionList:
    """The trader's broker connections; credentials are never returned."""
    records = BrokerConnectionRepository(session, user.id).list()
    return BrokerConnectionList(items=[service.to_connection(record) for record in records])


@public.post("/v1/broker-connections", status_code=201)
def create_broker_connection(
    body: BrokerConnectionCreate,
    user: CurrentUser,
    session: DbSession,
    state: State,
    traceparent: Traceparent,
) -> BrokerConnection:
    """Connect a broker API with an API key pair; the keys are sealed at once."""
    record = service.create_connection(session, state.sealing, user.id, body, traceparent)
    return service.to_connection(record)


@public.get("/v1/broker-connections/{connection_id}")
def get_broker_connection(
    connection_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> BrokerConnection:
    """One connection's state and last sync."""
    return service.to_connection(BrokerConnectionRepository(session, user.id).get(connection_id))


@public.delete("/v1/broker-connections/{connection_id}", status_code=204)
def delete_broker_connection(
    connection_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> Response:
    """Disconnect: the connection and its sealed credentials are destroyed."""
    service.delete_connection(session, user.id, connection_id)
    return Response(status_code=204)


@public.post("/v1/broker-connections/{connection_id}/sync", status_code=202)
def request_broker_sync(
    connection_id: uuid.UUID, user: CurrentUser, session: DbSession, traceparent: Traceparent
) -> BrokerConnection:
    """Sync now rather than at the connection's next turn."""
    record = service.request_sync(session, user.id, connection_id, traceparent)
    return service.to_connection(record)


@internal.get("/internal/v1/broker-connections/due")
def list_due_broker_connections(
    _caller: ServiceCaller, session: DbSession, state: State
) -> DueBrokerConnectionList:
    """The connections whose sync is due, most overdue first."""
    interval = state.settings.broker_sync_interval_seconds
    return DueBrokerConnectionList(items=service.due_connections(session, interval))


@internal.get("/internal/v1/broker-connections/{connection_id}/credentials")
def get_broker_credentials(
    connection_id: uuid.UUID, _caller: ServiceCaller, session: DbSession, state: State
) -> SealedBrokerCredentials:
    """A connection's secrets, still sealed, and its sync cursor."""
    return service.sealed_credentials(session, state.sealing, connection_id)


@internal.post("/internal/v1/broker-connections/{connection_id}/sync", status_code=204)
def report_broker_sync(
    connection_id: uuid.UUID,
    body: BrokerSyncUpdate,
    _caller: ServiceCaller,
    session: DbSession,
    state: State,
    traceparent: Traceparent,
) -> Response:
    """Store a sync's outcome: state, cursor, refreshed tokens (sealed here)."""
    service.record_sync(session, state.sealing, connection_id, body, traceparent)
    return Response(status_code=204)
