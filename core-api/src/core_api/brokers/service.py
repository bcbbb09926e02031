"""Connecting brokers: secrets sealed on arrival, handed to workers still sealed, and the
state each sync leaves."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid
from collections.abc import Mapping

from pydantic import SecretStr
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    SEALING_PURPOSE,
    BrokerConnection,
    BrokerConnectionCreate,
    BrokerConnectionCreated,
    BrokerConnectionSynced,
    BrokerSyncRequested,
    BrokerSyncUpdate,
    DueBrokerConnection,
    SealedBrokerCredentials,
)
from tradeloop_contracts.sealing import KeyRing, SealContext, Sealer, key_id_of

from core_api.accounts.repository import AccountRepository
from core_api.brokers.models import BrokerConnectionRecord
from core_api.brokers.repository import (
    BrokerConnectionRepository,
    SecretRepository,
    ServiceConnectionRepository,
)
from core_api.errors import AppError, FieldError
from core_api.kit.clock import utcnow
from core_api.outbox.service import record_event

logger = logging.getLogger(__name__)

DUE_LIMIT = 100
KEY_RETIRED = "sealing_key_retired"


def secret_context(user_id: uuid.UUID, connection_id: uuid.UUID, kind: str) -> SealContext:
    """What a connection's secret of `kind` is sealed to: its user, connection and kind."""
    return SealContext(
        purpose=SEALING_PURPOSE, user_id=user_id, connection_id=connection_id, kind=kind
    )


def create_connection(
    session: Session,
    ring: KeyRing,
    user_id: uuid.UUID,
    body: BrokerConnectionCreate,
    traceparent: str | None,
) -> BrokerConnectionRecord:
    """The new connection, its key pair sealed at once, with `broker_connection.created.v1`.

    NotFoundError for another trader's account; 422 naming the field when the key pair is
    incomplete or an OAuth code is sent (core does not exchange codes with brokers).
    """
    AccountRepository(session, user_id).get(body.account_id)
    secrets = _key_pair(body)
    record = BrokerConnectionRepository(session, user_id).add(
        BrokerConnectionRecord(
            account_id=body.account_id,
            broker=body.broker,
            environment=body.environment,
            label=body.label,
            status="active",
        )
    )
    _seal_into(session, ring, record, secrets)
    record_event(
        session,
        "broker_connection.created.v1",
        BrokerConnectionCreated(user_id=user_id, connection_id=record.id, broker=record.broker),
        traceparent,
    )
    logger.info("broker connection %s created for account %s", record.id, record.account_id)
    return record


def _key_pair(body: BrokerConnectionCreate) -> dict[str, SecretStr]:
    if body.oauth_code is not None:
        raise AppError(
            422,
            "Invalid request",
            "Connect this broker with an API key pair.",
            errors=[FieldError("body.oauth_code", "OAuth connections are not supported yet")],
        )
    pair = {"api_key_id": body.api_key_id, "api_secret": body.api_secret}
    missing = [FieldError(f"body.{kind}", "required") for kind, value in pair.items() if not value]
    if missing:
        raise AppError(422, "Invalid request", "The API key pair is incomplete.", errors=missing)
    return {kind: value for kind, value in pair.items() if value is not None}


def _seal_into(
    session: Session,
    ring: KeyRing,
    record: BrokerConnectionRecord,
    secrets: Mapping[str, SecretStr],
) -> None:
    sealer = Sealer(ring)
    repository = SecretRepository(session)
    for kind, secret in secrets.items():
        blob = sealer.seal(secret, secret_context(record.user_id, record.id, kind))
        repository.put(record.id, kind, blob)


def delete_connection(session: Session, user_id: uuid.UUID, connection_id: uuid.UUID) -> None:
    """Forgets the connection and destroys its sealed secrets; NotFoundError if not the
    trader's."""
    record = BrokerConnectionRepository(session, user_id).get(connection_id)
    SecretRepository(session).destroy(record.id)
    session.delete(record)
    session.flush()
    logger.info("broker connection %s revoked", connection_id)


def request_sync(
    session: Session, user_id: uuid.UUID, connection_id: uuid.UUID, traceparent: str | None
) -> BrokerConnectionRecord:
    """Marks the connection due now and writes `broker_connection.sync_requested.v1`.

    409 when the connection is not active (a broken one needs reconnecting first).
    """
    record = BrokerConnectionRepository(session, user_id).get(connection_id)
    if record.status != "active":
        raise AppError(
            409, "Conflict", f"The connection is {record.status}; connect the broker again."
        )
    record.sync_requested_at = utcnow()
    session.flush()
    record_event(
        session,
        "broker_connection.sync_requested.v1",
        BrokerSyncRequested(user_id=user_id, connection_id=record.id, broker=record.broker),
        traceparent,
    )
    return record


def due_connections(session: Session, interval_seconds: int) -> list[DueBrokerConnection]:
    """The active connections to sync now, most overdue first."""
    synced_before = utcnow() - dt.timedelta(seconds=interval_seconds)
    records = ServiceConnectionRepository(session).due(synced_before, DUE_LIMIT)
    return [
        DueBrokerConnection(
            connection_id=record.id,
            user_id=record.user_id,
            account_id=record.account_id,
            broker=record.broker,
            environment=record.environment,
            last_synced_at=record.last_synced_at,
        )
        for record in records
    ]


def sealed_credentials(
    session: Session, ring: KeyRing, connection_id: uuid.UUID
) -> SealedBrokerCredentials:
    """The connection's blobs (base64url) and cursor, for a worker to open in memory.

    A blob under a retired key can never open again: the connection is marked broken
    (`sealing_key_retired`, the trader reconnects) and a 409 problem names the key id.
    """
    record = ServiceConnectionRepository(session).get(connection_id)
    blobs = SecretRepository(session).of(record.id)
    retired = sorted({key_id_of(blob) for blob in blobs.values()} & ring.retired)
    if retired:
        record.status, record.status_detail = "broken", KEY_RETIRED
        session.flush()
        logger.warning("broker connection %s is sealed under retired key %s", record.id, retired[0])
        raise AppError(
            409,
            "Sealed under a retired key",
            f"The connection's secrets are sealed under the retired key {retired[0]!r}; "
            "the trader has to connect the broker again.",
            keep_changes=True,
        )
    return SealedBrokerCredentials(
        connection_id=record.id,
        user_id=record.user_id,
        account_id=record.account_id,
        broker=record.broker,
        environment=record.environment,
        secrets={
            kind: base64.urlsafe_b64encode(blob).decode("ascii") for kind, blob in blobs.items()
        },
        cursor=record.cursor,
    )


def record_sync(
    session: Session,
    ring: KeyRing,
    connection_id: uuid.UUID,
    update: BrokerSyncUpdate,
    traceparent: str | None,
) -> BrokerConnectionRecord:
    """Stores a worker's report: state, cursor (kept when absent), refreshed tokens sealed,
    and `broker_connection.synced.v1` for the trader's open pages."""
    record = ServiceConnectionRepository(session).get(connection_id)
    record.status = update.status
    record.status_detail = update.status_detail
    record.sync_requested_at = None
    if update.last_synced_at is not None:
        record.last_synced_at = update.last_synced_at
    if update.cursor is not None:
        record.cursor = update.cursor
    refreshed = {
        kind: token
        for kind, token in (
            ("access_token", update.access_token),
            ("refresh_token", update.refresh_token),
        )
        if token is not None
    }
    _seal_into(session, ring, record, refreshed)
    session.flush()
    record_event(
        session,
        "broker_connection.synced.v1",
        BrokerConnectionSynced(
            user_id=record.user_id,
            connection_id=record.id,
            status=update.status,
            status_detail=update.status_detail,
            executions=update.executions,
            synced_at=update.last_synced_at or utcnow(),
        ),
        traceparent,
    )
    return record


def to_connection(record: BrokerConnectionRecord) -> BrokerConnection:
    return BrokerConnection(
        id=record.id,
        broker=record.broker,
        environment=record.environment,
        label=record.label,
        account_id=record.account_id,
        status=record.status,
        status_detail=record.status_detail,
        last_synced_at=record.last_synced_at,
        created_at=record.created_at,
    )
