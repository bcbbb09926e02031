"""Alpaca's trading API: account, FILL activities with paging, OAuth tokens.

Requests carry `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY` for an API key pair, or
`Authorization: Bearer` for an OAuth token. Paper and live accounts have their own base
URLs. Activities are read oldest first (`direction=asc`), 100 per page; the next page
starts after the last activity's id (`page_token`).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import SecretStr, ValidationError
from tradeloop_contracts import ExecutionIn, Instrument

from .adapter import (
    BrokerAccount,
    BrokerAuthError,
    BrokerCredentials,
    BrokerRejectedError,
    Environment,
    FillPage,
    OAuthTokens,
)
from .transport import RetryingHttp, json_body

PAGE_SIZE = 100
_OCC = re.compile(r"^(?P<root>[A-Z.]{1,6})(?P<expiry>\d{6})(?P<right>[CP])(?P<strike>\d{8})$")
_SIDES = {"buy": "buy", "sell": "sell", "sell_short": "sell"}


class AlpacaAdapter:
    """The BrokerAdapter for Alpaca (see the module docstring for the wire details)."""

    broker = "alpaca"

    def __init__(
        self,
        http: RetryingHttp,
        *,
        paper_url: str,
        live_url: str,
        oauth_token_url: str,
        oauth_client_id: str = "",
        oauth_client_secret: SecretStr | None = None,
    ) -> None:
        self._http = http
        self._base = {"paper": paper_url.rstrip("/"), "live": live_url.rstrip("/")}
        self._token_url = oauth_token_url
        self._client_id = oauth_client_id
        self._client_secret = oauth_client_secret or SecretStr("")

    async def exchange_code(self, code: SecretStr, redirect_uri: str) -> OAuthTokens:
        """Tokens for an authorisation code from Alpaca's consent page."""
        return await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code.get_secret_value(),
                "redirect_uri": redirect_uri,
            }
        )

    async def refresh(self, credentials: BrokerCredentials) -> OAuthTokens:
        """New tokens from the refresh token (RFC 6749 section 6).

        Alpaca's access tokens do not expire today and come without a refresh token; a
        connection without one whose token is refused is broken.
        """
        if credentials.refresh_token is None:
            raise BrokerAuthError("credentials_rejected", 401)
        tokens = await self._token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": credentials.refresh_token.get_secret_value(),
            }
        )
        # A server that does not rotate refresh tokens keeps the old one valid.
        return OAuthTokens(tokens.access_token, tokens.refresh_token or credentials.refresh_token)

    async def list_accounts(
        self, credentials: BrokerCredentials, environment: Environment
    ) -> list[BrokerAccount]:
        """The one account an Alpaca key pair or token reaches."""
        body = await self._get(credentials, environment, "/v2/account", None)
        if not isinstance(body, dict):
            raise BrokerRejectedError("Alpaca's account answer is not an object")
        try:
            return [
                BrokerAccount(
                    broker_account_id=str(body["id"]),
                    number=str(body["account_number"]),
                    currency=str(body.get("currency") or "USD"),
                    status=str(body["status"]),
                )
            ]
        except KeyError as missing:
            raise BrokerRejectedError(f"Alpaca's account answer lacks {missing}") from None

    async def fetch_fills(
        self,
        credentials: BrokerCredentials,
        environment: Environment,
        page_token: str | None,
    ) -> FillPage:
        """The FILL activities after `page_token`, oldest first."""
        params = {"direction": "asc", "page_size": str(PAGE_SIZE)}
        if page_token is not None:
            params["page_token"] = page_token
        body = await self._get(credentials, environment, "/v2/account/activities/FILL", params)
        if not isinstance(body, list):
            raise BrokerRejectedError("Alpaca's activities answer is not a list")
        fills = [fill_of(activity, index) for index, activity in enumerate(body)]
        last_id = str(body[-1]["id"]) if body else None
        return FillPage(
            fills=fills,
            page_token=page_token,
            next_token=last_id if len(body) == PAGE_SIZE else None,
        )

    async def _get(
        self,
        credentials: BrokerCredentials,
        environment: Environment,
        path: str,
        params: dict[str, str] | None,
    ) -> Any:
        response = await self._http.request(
            "GET",
            self._base[environment] + path,
            headers=_auth_headers(credentials),
            params=params,
        )
        if response.status_code == 401:
            code = (
                "access_token_expired"
                if credentials.access_token is not None
                else "credentials_rejected"
            )
            raise BrokerAuthError(code, 401)
        if response.status_code == 403:
            raise BrokerAuthError("access_forbidden", 403)
        if response.status_code >= 400:
            raise BrokerRejectedError(_error_summary(response.status_code, json_body(response)))
        return json_body(response)

    async def _token_request(self, form: dict[str, str]) -> OAuthTokens:
        form = form | {
            "client_id": self._client_id,
            "client_secret": self._client_secret.get_secret_value(),
        }
        response = await self._http.request(
            "POST", self._token_url, headers={"Accept": "application/json"}, data=form
        )
        if response.status_code in (400, 401, 403):
            # invalid_grant and friends: the code or refresh token is dead.
            raise BrokerAuthError("credentials_rejected", response.status_code)
        if response.status_code >= 400:
            raise BrokerRejectedError(f"Alpaca's token endpoint answered {response.status_code}")
        body = json_body(response)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise BrokerRejectedError("Alpaca's token answer has no access_token")
        refresh = body.get("refresh_token")
        return OAuthTokens(
            SecretStr(body["access_token"]),
            SecretStr(refresh) if isinstance(refresh, str) else None,
        )


class FillNotReadableError(BrokerRejectedError):
    """An activity the adapter cannot turn into an execution; names the activity and field."""


def fill_of(activity: Any, index: int) -> ExecutionIn:
    """The execution an Alpaca FILL activity records.

    Raises FillNotReadableError naming the activity (by id, else its place on the page)
    and the field.
    """
    if not isinstance(activity, dict):
        raise FillNotReadableError(f"activity {index} of the page is not an object")
    where = f"activity {activity.get('id', f'#{index}')}"

    def field(name: str) -> Any:
        if activity.get(name) in (None, ""):
            raise FillNotReadableError(f"{where}: field {name} is missing")
        return activity[name]

    side = _SIDES.get(str(field("side")))
    if side is None:
        raise FillNotReadableError(f"{where}: field side {activity['side']!r} is not buy or sell")
    try:
        quantity = Decimal(str(field("qty")))
        price = Decimal(str(field("price")))
        executed_at = dt.datetime.fromisoformat(str(field("transaction_time")))
        return ExecutionIn(
            broker_execution_id=str(field("id")),
            executed_at=executed_at,
            instrument=instrument_of(str(field("symbol"))),
            side=side,
            quantity=quantity,
            price=price,
            order_id=str(activity["order_id"]) if activity.get("order_id") else None,
        )
    except (InvalidOperation, ValueError, ValidationError) as error:
        reason = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        raise FillNotReadableError(f"{where}: {reason}") from None


def instrument_of(symbol: str) -> Instrument:
    """A stock, an OCC option (`AAPL240119C00190000`) or a crypto pair (`BTC/USD`)."""
    if "/" in symbol:
        return Instrument(asset_class="crypto", symbol=symbol.replace("/", "-"))
    option = _OCC.match(symbol)
    if option is None:
        return Instrument(asset_class="stock", symbol=symbol)
    expiry = dt.datetime.strptime(option["expiry"], "%y%m%d").date()
    return Instrument(
        asset_class="option",
        symbol=symbol,
        underlying=option["root"],
        expiry=expiry,
        strike=Decimal(option["strike"]) / 1000,
        right="call" if option["right"] == "C" else "put",
        multiplier=Decimal(100),
    )


def _auth_headers(credentials: BrokerCredentials) -> dict[str, str]:
    if credentials.access_token is not None:
        return {"Authorization": f"Bearer {credentials.access_token.get_secret_value()}"}
    if credentials.api_key_id is not None and credentials.api_secret is not None:
        return {
            "APCA-API-KEY-ID": credentials.api_key_id.get_secret_value(),
            "APCA-API-SECRET-KEY": credentials.api_secret.get_secret_value(),
        }
    raise BrokerAuthError("credentials_missing", 401)


def _error_summary(status: int, body: Any) -> str:
    message = body.get("message") if isinstance(body, dict) else None
    return f"Alpaca answered {status}" + (f": {message}" if isinstance(message, str) else "")
