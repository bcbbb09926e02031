"""Traders and their refresh tokens."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Base, Entity


class UserRecord(Entity):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    time_zone: Mapped[str] = mapped_column(String(64))
    base_currency: Mapped[str] = mapped_column(String(3))


class RefreshTokenRecord(Entity):
    """One refresh token, stored as a SHA-256 digest; a family is one login's chain."""

    __tablename__ = "refresh_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime]
    rotated_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class ApiTokenRecord(Entity):
    """A personal API token, stored as the SHA-256 digest of its secret."""

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class LoginThrottleRecord(Base):
    """Recent failed log-ins of one account (by email digest) or one client address."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[dt.datetime]
    locked_until: Mapped[dt.datetime | None]


class AuditLineRecord(Entity):
    """Something that must be provable later, without personal data (no ids, no emails)."""

    __tablename__ = "audit_log"

    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]
