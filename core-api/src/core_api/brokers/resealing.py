"""Re-sealing: after a new primary key is promoted, every stored secret is rewrapped under it."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import Session
from tradeloop_contracts.sealing import KeyRing, Sealer, SealError, key_id_of

from core_api.brokers.repository import SecretRepository
from core_api.brokers.service import secret_context

BATCH = 500


@dataclass(frozen=True)
class SecretFailure:
    """A secret that could not be re-sealed and was left as it was."""

    connection_id: uuid.UUID
    kind: str
    reason: str

    def __str__(self) -> str:
        return f"broker connection {self.connection_id}, secret {self.kind}: {self.reason}"


@dataclass
class ResealReport:
    """What a re-seal did: secrets rewrapped, already under the primary, and refused."""

    rewrapped: int = 0
    unchanged: int = 0
    failures: list[SecretFailure] = field(default_factory=list)
    # Secrets per key id after the run; a key may be retired once it holds none.
    by_key: Counter[str] = field(default_factory=Counter)


def reseal_secrets(session: Session, ring: KeyRing) -> ResealReport:
    """Rewraps every secret not under the ring's primary key, in batches (flushed, not
    committed: the caller's transaction decides).

    A secret under a retired or unknown key, or one that fails to open (moved or changed),
    is left untouched and reported with the error's reason; the others still proceed.
    """
    sealer = Sealer(ring)
    repository = SecretRepository(session)
    report = ResealReport()
    after: uuid.UUID | None = None
    while batch := repository.page(after, BATCH):
        for record, user_id in batch:
            context = secret_context(user_id, record.connection_id, record.kind)
            try:
                blob = sealer.reseal(record.blob, context)
            except SealError as error:
                report.failures.append(SecretFailure(record.connection_id, record.kind, str(error)))
                report.by_key[_key_id(record.blob)] += 1
                continue
            if blob == record.blob:
                report.unchanged += 1
            else:
                record.blob = blob
                report.rewrapped += 1
            report.by_key[key_id_of(blob)] += 1
        session.flush()
        after = batch[-1][0].id
    return report


def _key_id(blob: bytes) -> str:
    try:
        return key_id_of(blob)
    except SealError:
        return "(malformed)"
