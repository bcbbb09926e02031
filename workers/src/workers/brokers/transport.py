"""Calls to a broker's HTTP API with retries: 429 honours Retry-After, 5xx backs off."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_delay,
    stop_any,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from .adapter import BrokerUnavailableError

logger = logging.getLogger(__name__)
MAX_WAIT_SECONDS = 60.0


class RetryLaterError(BrokerUnavailableError):
    """One attempt failed in a way worth repeating; `retry_after` is the broker's hint."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetryingHttp:
    """Sends requests, repeating those that hit 429, 5xx or a network error.

    Waits what the broker's Retry-After (or X-RateLimit-Reset) says, else a capped
    exponential backoff with jitter, for up to `retry_seconds` in all; then raises
    BrokerUnavailableError. URLs and headers are never put in messages: they may carry
    credentials.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        retry_seconds: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._retry_seconds = retry_seconds
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(multiplier=0.2, max=10.0)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """The first answer that is neither 429 nor 5xx.

        Raises BrokerUnavailableError when none came within the retry budget.
        """
        retry_seconds = self._retry_seconds
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(RetryLaterError),
            # The budget counts time spent waiting (so a fake sleep in tests counts too)
            # and wall time (so a broker that hangs until the timeout cannot stretch it).
            stop=stop_any(stop_after_delay(retry_seconds), _StopAfterWaiting(retry_seconds)),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(method, url, headers, params, data)
        raise AssertionError("tenacity re-raises the last error")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryLaterError) and error.retry_after is not None:
            return min(error.retry_after, MAX_WAIT_SECONDS)
        return float(self._backoff(state))

    async def _once(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
    ) -> httpx.Response:
        path = httpx.URL(url).path
        try:
            response = await self._http.request(
                method, url, headers=dict(headers), params=params, data=data
            )
        except httpx.HTTPError as error:
            raise RetryLaterError(
                f"the broker did not answer {method} {path}: {type(error).__name__}"
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            wait = retry_after_seconds(response.headers)
            logger.info(
                "broker answered %s to %s %s; retrying%s",
                response.status_code,
                method,
                path,
                f" after {wait:.1f} s" if wait is not None else "",
            )
            raise RetryLaterError(
                f"the broker answered {response.status_code} to {method} {path}", wait
            )
        return response


class _StopAfterWaiting(stop_base):
    """Stop once the waits between attempts add up to `seconds`."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.idle_for >= self._seconds


def retry_after_seconds(headers: Mapping[str, str], now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from Retry-After (seconds or an HTTP date) or X-RateLimit-Reset
    (a Unix time); None when neither is usable."""
    now = now or dt.datetime.now(dt.UTC)
    value = headers.get("retry-after")
    if value is not None:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, (when - now).total_seconds())
    reset = headers.get("x-ratelimit-reset")
    if reset is not None and reset.strip().isdigit():
        return max(0.0, int(reset) - now.timestamp())
    return None


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON body, decimals kept exact; BrokerUnavailableError if it is not JSON."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        raise BrokerUnavailableError(
            f"the broker answered {response.status_code} with a body that is not JSON"
        ) from None
