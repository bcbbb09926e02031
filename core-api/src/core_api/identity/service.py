"""Sign-up, log-in, refresh-token rotation and service credentials."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid
from typing import Any

import obstore
from obstore.store import ObjectStore
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    AccountCreate,
    LoginRequest,
    PasswordChange,
    ServiceToken,
    ServiceTokenRequest,
    SignupRequest,
    TokenPair,
    UserDeleted,
    UserUpdate,
)

from core_api.accounts.service import create_account, is_time_zone
from core_api.attachments.service import delete_files_of_user
from core_api.config import Settings
from core_api.errors import AppError, FieldError, NotFoundError, UnauthorizedError
from core_api.identity import throttling
from core_api.identity.dependencies import SERVICE_PREFIX
from core_api.identity.models import AuditLineRecord, RefreshTokenRecord, UserRecord
from core_api.identity.passwords import hash_password, verify_password
from core_api.identity.tokens import INTERNAL_AUDIENCE, PUBLIC_AUDIENCE, TokenIssuer
from core_api.kit.clock import utcnow
from core_api.outbox.models import OutboxRecord
from core_api.outbox.service import record_event

logger = logging.getLogger(__name__)

DEFAULT_ACCOUNT = AccountCreate(
    name="Main", broker="manual", base_currency="USD", time_zone="America/New_York"
)


class EmailTakenError(AppError):
    def __init__(self) -> None:
        super().__init__(409, "Email already registered", "Log in instead, or use another email.")


def signup(session: Session, request: SignupRequest) -> UserRecord:
    """The new trader with a default account.

    EmailTakenError when the email is registered; a 422 problem for an unknown time zone.
    """
    if not is_time_zone(request.time_zone):
        raise AppError(
            422, "Invalid request", errors=[FieldError("body.time_zone", "not an IANA time zone")]
        )
    if session.scalar(select(UserRecord.id).where(UserRecord.email == request.email)):
        raise EmailTakenError
    user = UserRecord(
        email=request.email,
        password_hash=hash_password(request.password.get_secret_value()),
        time_zone=request.time_zone,
        base_currency=request.base_currency,
    )
    session.add(user)
    session.flush()
    create_account(session, user.id, DEFAULT_ACCOUNT)
    return user


def update_user(session: Session, user_id: uuid.UUID, body: UserUpdate) -> UserRecord:
    """The trader with the preferences the body sets; a 422 problem for an unknown time zone."""
    user = get_user(session, user_id)
    if body.time_zone is not None:
        if not is_time_zone(body.time_zone):
            raise AppError(
                422,
                "Invalid request",
                errors=[FieldError("body.time_zone", "not an IANA time zone")],
            )
        user.time_zone = body.time_zone
    if body.base_currency is not None:
        user.base_currency = body.base_currency
    session.flush()
    return user


def get_user(session: Session, user_id: uuid.UUID) -> UserRecord:
    """The trader; NotFoundError when the account was removed since the token was issued."""
    user = session.get(UserRecord, user_id)
    if user is None:
        raise NotFoundError("user")
    return user


def login(
    session: Session,
    tokens: TokenIssuer,
    settings: Settings,
    request: LoginRequest,
    address: str,
) -> TokenPair:
    """A new token family.

    The same UnauthorizedError for an unknown email or a wrong password; LockedOutError (429)
    while the email or the client address is locked out after too many failures.
    """
    now = utcnow()
    account = _account_subject(settings, request.email)
    subjects = [account, throttling.Subject(throttling.address_key(address), _policy(settings))]
    throttling.refuse_if_locked(session, subjects, now)
    user = session.scalar(select(UserRecord).where(UserRecord.email == request.email))
    password_ok = verify_password(
        user.password_hash if user else None, request.password.get_secret_value()
    )
    if user is None or not password_ok:
        throttling.record_failure(session, subjects, now)
        raise UnauthorizedError("Email or password is wrong.", keep_changes=True)
    throttling.forget_failures(session, account)
    return _issue_pair(session, tokens, settings, user.id, family_id=uuid.uuid4())


def _account_subject(settings: Settings, email: str) -> throttling.Subject:
    policy = throttling.Policy(
        settings.login_account_failures,
        settings.login_lockout_seconds,
        settings.login_max_lockout_seconds,
    )
    return throttling.Subject(throttling.account_key(email), policy)


def _policy(settings: Settings) -> throttling.Policy:
    return throttling.Policy(
        settings.login_address_failures,
        settings.login_lockout_seconds,
        settings.login_max_lockout_seconds,
    )


def _check_password(
    session: Session, settings: Settings, user: UserRecord, password: str, location: str
) -> None:
    # Re-entered passwords count against the account like log-ins, so a stolen access
    # token cannot be used to guess the password.
    now = utcnow()
    account = _account_subject(settings, user.email)
    throttling.refuse_if_locked(session, [account], now)
    if not verify_password(user.password_hash, password):
        throttling.record_failure(session, [account], now)
        raise WrongPasswordError(location)


def refresh(session: Session, tokens: TokenIssuer, settings: Settings, token: str) -> TokenPair:
    """A rotated pair. A token used twice revokes its whole family (it was stolen or replayed)."""
    record = session.scalar(
        select(RefreshTokenRecord).where(RefreshTokenRecord.token_hash == _digest(token))
    )
    now = utcnow()
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        raise UnauthorizedError("The refresh token is invalid or expired.")
    if record.rotated_at is not None:
        _revoke_family(session, record.family_id)
        raise UnauthorizedError("The refresh token was already used.", keep_changes=True)
    record.rotated_at = now
    return _issue_pair(session, tokens, settings, record.user_id, family_id=record.family_id)


def logout(session: Session, token: str) -> None:
    """Ends the token's family; an unknown token is ignored, so logout is idempotent."""
    family_id = session.scalar(
        select(RefreshTokenRecord.family_id).where(RefreshTokenRecord.token_hash == _digest(token))
    )
    if family_id is not None:
        _revoke_family(session, family_id)


def service_token(
    tokens: TokenIssuer, settings: Settings, request: ServiceTokenRequest
) -> ServiceToken:
    """A token for the internal API; UnauthorizedError for an unknown client or wrong secret."""
    expected = settings.service_clients.get(request.client_id)
    given = request.client_secret.get_secret_value().encode()
    # Compare even for unknown clients, so timing does not reveal which ids exist.
    known = hmac.compare_digest(
        given, (expected.get_secret_value() if expected else secrets.token_hex(16)).encode()
    )
    if expected is None or not known:
        raise UnauthorizedError("Unknown client or wrong secret.")
    ttl = settings.service_token_ttl_seconds
    access = tokens.issue(SERVICE_PREFIX + request.client_id, INTERNAL_AUDIENCE, ttl)
    return ServiceToken(access_token=access, expires_in=ttl)


def _issue_pair(
    session: Session,
    tokens: TokenIssuer,
    settings: Settings,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
) -> TokenPair:
    refresh_token = secrets.token_urlsafe(32)
    session.add(
        RefreshTokenRecord(
            user_id=user_id,
            family_id=family_id,
            token_hash=_digest(refresh_token),
            expires_at=utcnow() + dt.timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    session.flush()
    ttl = settings.access_token_ttl_seconds
    return TokenPair(
        access_token=tokens.issue(str(user_id), PUBLIC_AUDIENCE, ttl, session_id=family_id),
        refresh_token=refresh_token,
        expires_in=ttl,
    )


def change_password(
    session: Session,
    settings: Settings,
    user_id: uuid.UUID,
    keep_family: uuid.UUID | None,
    request: PasswordChange,
) -> None:
    """Stores the new password and ends every refresh family but `keep_family`.

    A 422 problem naming `body.current_password` when it is wrong; 429 while locked out.
    """
    user = get_user(session, user_id)
    _check_password(
        session,
        settings,
        user,
        request.current_password.get_secret_value(),
        "body.current_password",
    )
    user.password_hash = hash_password(request.new_password.get_secret_value())
    statement = update(RefreshTokenRecord).where(
        RefreshTokenRecord.user_id == user_id, RefreshTokenRecord.revoked_at.is_(None)
    )
    if keep_family is not None:
        statement = statement.where(RefreshTokenRecord.family_id != keep_family)
    session.execute(
        statement.values(revoked_at=utcnow()).execution_options(synchronize_session=False)
    )


def delete_account(
    session: Session,
    settings: Settings,
    store: ObjectStore,
    user_id: uuid.UUID,
    password: str,
    traceparent: str | None,
) -> None:
    """Removes the trader, every row they own and their stored files; keeps one audit line
    and writes `user.deleted.v1` (every service forgets the trader, edge ends their sockets).

    A 422 problem naming `body.password` when the password is wrong; 429 while locked out.
    """
    user = get_user(session, user_id)
    _check_password(session, settings, user, password, "body.password")
    # Files go first: if the rows then fail to go, the trader retries and nothing is left
    # behind; the other order could leave files nobody can reach or delete.
    objects = _delete_objects(store, f"imports/{user_id}/") + delete_files_of_user(store, user_id)
    # Events not yet relayed would carry the trader's data out after they are gone.
    events: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(OutboxRecord).where(OutboxRecord.user_id == user_id)
    )
    # Everything else the trader owns references the user row and goes with it (ON DELETE CASCADE).
    session.delete(user)
    session.flush()
    session.add(
        AuditLineRecord(
            action="account.deleted",
            detail={"stored_files": objects, "outbox_events": events.rowcount},
        )
    )
    record_event(
        session, "user.deleted.v1", UserDeleted(user_id=user_id, deleted_at=utcnow()), traceparent
    )
    logger.info("account deleted; %d stored files removed", objects)


def _delete_objects(store: ObjectStore, prefix: str) -> int:
    paths = [meta["path"] for chunk in obstore.list(store, prefix) for meta in chunk]
    if paths:
        obstore.delete(store, paths)
    return len(paths)


class WrongPasswordError(AppError):
    def __init__(self, location: str) -> None:
        super().__init__(
            422,
            "Wrong password",
            "The password does not match.",
            errors=[FieldError(location, "does not match the current password")],
            keep_changes=True,
        )


def _revoke_family(session: Session, family_id: uuid.UUID) -> None:
    session.execute(
        update(RefreshTokenRecord)
        .where(RefreshTokenRecord.family_id == family_id, RefreshTokenRecord.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _digest(token: str) -> str:
    # Refresh tokens are 256 random bits, so a fast hash is enough to hide them at rest.
    return hashlib.sha256(token.encode()).hexdigest()
