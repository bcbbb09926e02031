"""Every broker connection query: a trader's own, or (for workers) any by id."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from core_api.brokers.models import BrokerConnectionRecord, BrokerSecretRecord
from core_api.errors import NotFoundError


@dataclass(frozen=True)
class BrokerConnectionRepository:
    """The connections of one trader; another trader's ids are not found."""

    session: Session
    user_id: uuid.UUID

    def list(self) -> Sequence[BrokerConnectionRecord]:
        return self.session.scalars(
            select(BrokerConnectionRecord)
            .where(BrokerConnectionRecord.user_id == self.user_id)
            .order_by(BrokerConnectionRecord.created_at, BrokerConnectionRecord.id)
        ).all()

    def get(self, connection_id: uuid.UUID) -> BrokerConnectionRecord:
        """The trader's connection; NotFoundError when it is missing or someone else's."""
        record = self.session.scalar(
            select(BrokerConnectionRecord).where(
                BrokerConnectionRecord.id == connection_id,
                BrokerConnectionRecord.user_id == self.user_id,
            )
        )
        if record is None:
            raise NotFoundError("broker connection")
        return record

    def add(self, record: BrokerConnectionRecord) -> BrokerConnectionRecord:
        record.user_id = self.user_id
        self.session.add(record)
        self.session.flush()
        return record


@dataclass(frozen=True)
class ServiceConnectionRepository:
    """Connections by id for the sync workers (service token only), across traders."""

    session: Session

    def get(self, connection_id: uuid.UUID) -> BrokerConnectionRecord:
        """The connection, locked until the transaction ends; NotFoundError when gone."""
        record = self.session.scalar(
            select(BrokerConnectionRecord)
            .where(BrokerConnectionRecord.id == connection_id)
            .with_for_update()
        )
        if record is None:
            raise NotFoundError("broker connection")
        return record

    def due(self, synced_before: dt.datetime, limit: int) -> Sequence[BrokerConnectionRecord]:
        """Active connections asked to sync or not synced since `synced_before`, most
        overdue first (never synced before all)."""
        return self.session.scalars(
            select(BrokerConnectionRecord)
            .where(
                BrokerConnectionRecord.status == "active",
                or_(
                    BrokerConnectionRecord.sync_requested_at.is_not(None),
                    BrokerConnectionRecord.last_synced_at.is_(None),
                    BrokerConnectionRecord.last_synced_at < synced_before,
                ),
            )
            .order_by(
                BrokerConnectionRecord.last_synced_at.is_not(None),
                BrokerConnectionRecord.last_synced_at,
                BrokerConnectionRecord.id,
            )
            .limit(limit)
        ).all()


@dataclass(frozen=True)
class SecretRepository:
    """The sealed secrets of connections. Callers scope the connection first."""

    session: Session

    def of(self, connection_id: uuid.UUID) -> dict[str, bytes]:
        rows = self.session.execute(
            select(BrokerSecretRecord.kind, BrokerSecretRecord.blob).where(
                BrokerSecretRecord.connection_id == connection_id
            )
        ).all()
        return {kind: bytes(blob) for kind, blob in rows}

    def put(self, connection_id: uuid.UUID, kind: str, blob: bytes) -> None:
        """Stores the blob of `kind`, replacing the one held before."""
        record = self.session.scalar(
            select(BrokerSecretRecord).where(
                BrokerSecretRecord.connection_id == connection_id,
                BrokerSecretRecord.kind == kind,
            )
        )
        if record is None:
            self.session.add(BrokerSecretRecord(connection_id=connection_id, kind=kind, blob=blob))
        else:
            record.blob = blob
        self.session.flush()

    def destroy(self, connection_id: uuid.UUID) -> None:
        self.session.execute(
            delete(BrokerSecretRecord).where(BrokerSecretRecord.connection_id == connection_id)
        )

    def page(
        self, after: uuid.UUID | None, limit: int
    ) -> Sequence[tuple[BrokerSecretRecord, uuid.UUID]]:
        """Up to `limit` stored secrets after the id `after`, each with its connection's user."""
        statement = select(BrokerSecretRecord, BrokerConnectionRecord.user_id).join(
            BrokerConnectionRecord
        )
        if after is not None:
            statement = statement.where(BrokerSecretRecord.id > after)
        rows = self.session.execute(statement.order_by(BrokerSecretRecord.id).limit(limit))
        return [(record, user_id) for record, user_id in rows]
