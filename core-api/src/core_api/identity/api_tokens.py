"""Personal API tokens: created once, stored as digests, scoped, revocable."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts import ApiToken, ApiTokenCreate, ApiTokenCreated

from core_api.errors import AppError, FieldError, NotFoundError, UnauthorizedError
from core_api.identity.models import ApiTokenRecord
from core_api.kit.clock import utcnow

PREFIX = "tlp_"
READ, WRITE = "read", "write"


def digest(token: str) -> str:
    # The secret is 256 random bits, so a fast hash hides it as well as a slow one would.
    return hashlib.sha256(token.encode()).hexdigest()


def to_api_token(record: ApiTokenRecord) -> ApiToken:
    return ApiToken(
        id=record.id,
        name=record.name,
        scopes=[scope for scope in (READ, WRITE) if scope in record.scopes],
        created_at=record.created_at,
        expires_at=record.expires_at,
        last_used_at=record.last_used_at,
        revoked_at=record.revoked_at,
    )


@dataclass(frozen=True)
class ApiTokenRepository:
    """A trader's personal API tokens; other traders' ids are not found."""

    session: Session
    user_id: uuid.UUID

    def create(self, request: ApiTokenCreate) -> ApiTokenCreated:
        """The new token with its secret, the only time it is shown.

        A 422 problem naming `body.expires_at` when it is not in the future.
        """
        if request.expires_at is not None and request.expires_at <= utcnow():
            raise AppError(
                422,
                "Invalid request",
                errors=[FieldError("body.expires_at", "must be in the future")],
            )
        secret = PREFIX + secrets.token_urlsafe(32)
        record = ApiTokenRecord(
            user_id=self.user_id,
            name=request.name,
            scopes=sorted(set(request.scopes)),
            token_hash=digest(secret),
            expires_at=request.expires_at,
        )
        self.session.add(record)
        self.session.flush()
        return ApiTokenCreated(**to_api_token(record).model_dump(), token=secret)

    def list(self) -> Sequence[ApiTokenRecord]:
        return self.session.scalars(
            select(ApiTokenRecord)
            .where(ApiTokenRecord.user_id == self.user_id)
            .order_by(ApiTokenRecord.created_at.desc(), ApiTokenRecord.id)
        ).all()

    def revoke(self, token_id: uuid.UUID) -> None:
        """Revokes the token (again is fine); NotFoundError when it is missing or not theirs."""
        record = self.session.scalar(
            select(ApiTokenRecord).where(
                ApiTokenRecord.id == token_id, ApiTokenRecord.user_id == self.user_id
            )
        )
        if record is None:
            raise NotFoundError("API token")
        if record.revoked_at is None:
            record.revoked_at = utcnow()


def authenticate(session: Session, token: str, needed: str) -> ApiTokenRecord:
    """The live token `token` is the secret of, with its use recorded.

    UnauthorizedError when it is unknown, revoked or expired; a 403 problem when it lacks
    the `needed` scope (`write` includes `read`).
    """
    record = session.scalar(
        select(ApiTokenRecord).where(ApiTokenRecord.token_hash == digest(token))
    )
    now = utcnow()
    if (
        record is None
        or record.revoked_at is not None
        or (record.expires_at is not None and record.expires_at <= now)
    ):
        raise UnauthorizedError("The API token is invalid, revoked or expired.")
    if needed not in record.scopes and WRITE not in record.scopes:
        raise AppError(403, "Forbidden", f"The API token lacks the {needed} scope.")
    record.last_used_at = now
    return record
