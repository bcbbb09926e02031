"""What every broker adapter offers: connect, list accounts, fetch fills since a cursor, refresh."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import SecretStr
from tradeloop_contracts import ExecutionIn

Environment = Literal["paper", "live"]


@dataclass(frozen=True)
class BrokerCredentials:
    """Opened secrets of one connection, held in memory for one sync only.

    A connection has an API key pair, or OAuth tokens (an access token and, where the
    broker issues one, a refresh token), or a fresh authorisation code still to exchange.
    """

    api_key_id: SecretStr | None = None
    api_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    oauth_code: SecretStr | None = None

    def __repr__(self) -> str:
        held = [name for name, value in vars(self).items() if value is not None]
        return f"BrokerCredentials(holding={held})"


@dataclass(frozen=True)
class OAuthTokens:
    """Tokens the broker issued; core seals them."""

    access_token: SecretStr
    refresh_token: SecretStr | None = None


@dataclass(frozen=True)
class BrokerAccount:
    """One account the credentials reach."""

    broker_account_id: str
    number: str
    currency: str
    status: str


@dataclass(frozen=True)
class FillPage:
    """One page of fills, oldest first.

    `page_token` is where this page started (None: the beginning of history); a sync
    that resumes from it reads this page again, which core drops as duplicates.
    `next_token` is where the next page starts, None when this is the last one.
    """

    fills: Sequence[ExecutionIn]
    page_token: str | None
    next_token: str | None


class BrokerError(Exception):
    """The broker did not do what was asked. Messages never carry a secret."""


class BrokerUnavailableError(BrokerError):
    """The broker did not answer, or answered 429 or 5xx after every retry."""


class BrokerAuthError(BrokerError):
    """The broker refused the credentials.

    `code` says why, in words safe to store and show: `access_token_expired` (a refresh
    may help), `credentials_rejected` (revoked or wrong), `access_forbidden`.
    """

    def __init__(self, code: str, status_code: int) -> None:
        super().__init__(f"the broker refused the credentials ({code}, HTTP {status_code})")
        self.code = code
        self.status_code = status_code


class BrokerRejectedError(BrokerError):
    """The broker refused the request itself (4xx other than auth); retrying will not help."""


class BrokerAdapter(Protocol):
    """One broker's API. Each call may raise BrokerAuthError, BrokerUnavailableError or
    BrokerRejectedError."""

    broker: str

    async def exchange_code(self, code: SecretStr, redirect_uri: str) -> OAuthTokens:
        """Tokens for an OAuth authorisation code (connect via OAuth)."""
        ...

    async def refresh(self, credentials: BrokerCredentials) -> OAuthTokens:
        """New tokens from the refresh token; BrokerAuthError when there is none or it is dead."""
        ...

    async def list_accounts(
        self, credentials: BrokerCredentials, environment: Environment
    ) -> list[BrokerAccount]:
        """The accounts the credentials reach (connect via API key checks them this way)."""
        ...

    async def fetch_fills(
        self,
        credentials: BrokerCredentials,
        environment: Environment,
        page_token: str | None,
    ) -> FillPage:
        """The page of fills after `page_token` (None: from the beginning), oldest first."""
        ...
