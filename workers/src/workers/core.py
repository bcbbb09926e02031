"""Client of core's internal API, with the service credential and retries while core is down."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, SecretStr, ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential_jitter,
)
from tradeloop_contracts import (
    BrokerSyncUpdate,
    CsvPreview,
    DueBrokerConnectionList,
    ExecutionBatch,
    ExecutionBatchResult,
    ImportDetail,
    ImportOutcome,
    ImportProgress,
    OutboxAck,
    OutboxBatch,
    OutboxClaim,
    PositionBars,
    PositionDetail,
    PositionExcursions,
    PositionPage,
    SealedBrokerCredentials,
    ServiceToken,
    ServiceTokenRequest,
    WeeklyReviewDuePage,
)
from tradeloop_contracts.telemetry import TracedTransport

CLIENT_ID = "workers"
# How long an import's outcome may take: core settles the import before it answers.
DEFAULT_SETTLE_TIMEOUT_SECONDS = 900.0
ModelT = TypeVar("ModelT", bound=BaseModel)

logger = logging.getLogger(__name__)


def core_http(base_url: str, *, timeout: float) -> httpx.AsyncClient:
    """An httpx client for core's API: each call is a CLIENT span that sends core the
    current `traceparent`, so core's work joins the trace of the event or job."""
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=TracedTransport())


class CoreError(Exception):
    """Core's internal API did not do what was asked."""


class CoreUnavailableError(CoreError):
    """Core did not answer, or answered 429 or 5xx: worth retrying later."""


class CoreRejectedError(CoreError):
    """Core refused the request (4xx); retrying the same request will not help."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"core answered {status_code}: {message}")
        self.status_code = status_code


class CoreClient:
    """Calls core's `/internal/...` routes as the `workers` service.

    The service token is cached until shortly before it expires and fetched again
    when core answers 401. Every call retries with capped exponential backoff for
    `retry_seconds` while core is unreachable or answers 429/5xx, then raises
    CoreUnavailableError; a 4xx answer raises CoreRejectedError at once. Each call
    waits for its answer as long as the `http` client's timeout, except an import's
    outcome: core settles the import (rematch, statistics, plan) before it answers,
    which takes seconds for a large one, so that call waits `settle_timeout_seconds`.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        client_secret: SecretStr,
        retry_seconds: float,
        settle_timeout_seconds: float = DEFAULT_SETTLE_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._credentials = ServiceTokenRequest(client_id=CLIENT_ID, client_secret=client_secret)
        self._retry_seconds = retry_seconds
        self._settle_timeout = httpx.Timeout(settle_timeout_seconds)
        self._clock = clock
        self._token: str | None = None
        self._token_renew_at = 0.0
        self._token_lock = asyncio.Lock()

    async def claim_outbox(self, claim: OutboxClaim) -> OutboxBatch:
        """Lease the next unsent outbox events, oldest first."""
        response = await self._call("POST", "/internal/outbox/claim", claim)
        return _parse(OutboxBatch, response)

    async def ack_outbox(self, ack: OutboxAck) -> None:
        """Mark outbox events as delivered to the bus."""
        await self._call("POST", "/internal/outbox/ack", ack)

    async def get_import(self, user_id: UUID, import_id: UUID) -> ImportDetail | None:
        """The import as core holds it, or None when core has no such import for that user."""
        try:
            response = await self._call("GET", f"/internal/users/{user_id}/imports/{import_id}")
        except CoreRejectedError as error:
            if error.status_code == 404:
                return None
            raise
        return _parse(ImportDetail, response)

    async def report_progress(
        self, user_id: UUID, import_id: UUID, progress: ImportProgress
    ) -> None:
        """Tell core how far a running import got."""
        path = f"/internal/users/{user_id}/imports/{import_id}/progress"
        await self._call("POST", path, progress)

    async def report_outcome(self, user_id: UUID, import_id: UUID, outcome: ImportOutcome) -> None:
        """Tell core how an import ended; core settles what the import stored, then emits
        import.completed or import.failed. A retry after a timeout waits for the settle
        in progress and changes nothing more."""
        path = f"/internal/users/{user_id}/imports/{import_id}/outcome"
        await self._call("POST", path, outcome, timeout=self._settle_timeout)

    async def store_import_preview(
        self, user_id: UUID, import_id: UUID, preview: CsvPreview
    ) -> None:
        """Hand core the first rows of a generic CSV that needs the trader's column mapping;
        core stops the import (failed, `needs_mapping`) until the trader resubmits it."""
        path = f"/internal/users/{user_id}/imports/{import_id}/preview"
        await self._call("PUT", path, preview)

    async def record_executions(
        self, user_id: UUID, batch: ExecutionBatch | bytes
    ) -> ExecutionBatchResult:
        """Upsert a batch of executions, the model or its JSON already encoded; core counts
        the ones it already held as duplicates."""
        path = f"/internal/users/{user_id}/executions/batch"
        response = await self._call("POST", path, batch)
        return _parse(ExecutionBatchResult, response)

    async def list_positions(
        self, user_id: UUID, *, status: str = "closed", cursor: str | None = None
    ) -> PositionPage:
        """One page of the user's positions, most recently opened first."""
        query = f"?status={status}&limit=100" + (f"&cursor={cursor}" if cursor else "")
        response = await self._call("GET", f"/internal/users/{user_id}/positions{query}")
        return _parse(PositionPage, response)

    async def get_position(self, user_id: UUID, position_id: UUID) -> PositionDetail | None:
        """The position with its executions, or None when the user has no such position."""
        try:
            response = await self._call("GET", f"/internal/users/{user_id}/positions/{position_id}")
        except CoreRejectedError as error:
            if error.status_code == 404:
                return None
            raise
        return _parse(PositionDetail, response)

    async def store_excursions(
        self, user_id: UUID, position_id: UUID, excursions: PositionExcursions
    ) -> None:
        """Store a position's MAE/MFE; core announces market_data.enriched.v1."""
        path = f"/internal/users/{user_id}/positions/{position_id}/excursions"
        await self._call("PUT", path, excursions)

    async def store_position_bars(self, user_id: UUID, bars: PositionBars) -> None:
        """Store the bars of a position's chart."""
        path = f"/internal/users/{user_id}/positions/{bars.position_id}/bars"
        await self._call("PUT", path, bars)

    async def due_broker_connections(self) -> DueBrokerConnectionList:
        """The broker connections whose sync is due, most overdue first."""
        response = await self._call("GET", "/internal/v1/broker-connections/due")
        return _parse(DueBrokerConnectionList, response)

    async def broker_credentials(self, connection_id: UUID) -> SealedBrokerCredentials | None:
        """A connection's sealed secrets and cursor, or None when core no longer has it."""
        path = f"/internal/v1/broker-connections/{connection_id}/credentials"
        try:
            response = await self._call("GET", path)
        except CoreRejectedError as error:
            if error.status_code == 404:
                return None
            raise
        return _parse(SealedBrokerCredentials, response)

    async def report_broker_sync(self, connection_id: UUID, update: BrokerSyncUpdate) -> None:
        """Store a connection's cursor and state; refreshed tokens go to core to be sealed."""
        payload = update.model_dump(mode="json", exclude={"access_token", "refresh_token"})
        for name in ("access_token", "refresh_token"):
            token = getattr(update, name)
            if token is not None:
                payload[name] = token.get_secret_value()
        path = f"/internal/v1/broker-connections/{connection_id}/sync"
        await self._call("POST", path, payload)

    async def weekly_review_due(
        self, week_start: dt.date, cursor: str | None = None
    ) -> WeeklyReviewDuePage:
        """One page of the traders who closed a position in the week starting `week_start`
        (in their own time zone) and have no review of it stored yet."""
        query = f"?week_start={week_start.isoformat()}" + (f"&cursor={cursor}" if cursor else "")
        response = await self._call("GET", f"/internal/v1/users/weekly-review-due{query}")
        return _parse(WeeklyReviewDuePage, response)

    async def service_token(self, *, stale: str | None = None) -> str:
        """The `workers` service token core issued, for the other internal APIs that trust
        core's tokens (ai-coach); `stale` is one they refused, which is then replaced."""
        return await self._current_token(stale=stale)

    async def is_healthy(self) -> bool:
        """True when core answers its liveness probe within the client timeout."""
        try:
            response = await self._http.get("/healthz")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def _call(
        self,
        method: str,
        path: str,
        body: BaseModel | dict[str, Any] | bytes | None = None,
        *,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(CoreUnavailableError),
            stop=stop_after_delay(self._retry_seconds),
            wait=wait_exponential_jitter(multiplier=0.1, max=5.0),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._call_once(method, path, body, timeout)
        raise AssertionError("tenacity re-raises the last error")  # pragma: no cover

    async def _call_once(
        self,
        method: str,
        path: str,
        body: BaseModel | dict[str, Any] | bytes | None,
        timeout: httpx.Timeout | None,
    ) -> httpx.Response:
        # Models are encoded by pydantic in one step: a dict of a thousand executions
        # dumped and then encoded by `json` costs several times as much, on the event loop.
        # Bytes are a body already encoded (an import's batch, by its parse process).
        payload = body.model_dump_json().encode() if isinstance(body, BaseModel) else body
        token = await self._current_token()
        response = await self._send(method, path, payload, token, timeout)
        if response.status_code == 401:
            # The token may have been revoked or core's signing key rotated: fetch a new one once.
            token = await self._current_token(stale=token)
            response = await self._send(method, path, payload, token, timeout)
        _raise_for_status(response)
        return response

    async def _send(
        self,
        method: str,
        path: str,
        payload: bytes | dict[str, Any] | None,
        token: str,
        timeout: httpx.Timeout | None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if isinstance(payload, bytes):
            headers["Content-Type"] = "application/json"
        try:
            return await self._http.request(
                method,
                path,
                content=payload if isinstance(payload, bytes) else None,
                json=payload if not isinstance(payload, bytes) else None,
                headers=headers,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
        except httpx.HTTPError as error:
            raise CoreUnavailableError(f"core did not answer {method} {path}: {error}") from error

    async def _current_token(self, *, stale: str | None = None) -> str:
        async with self._token_lock:
            fresh = self._token is not None and self._token != stale
            if fresh and self._clock() < self._token_renew_at and self._token is not None:
                return self._token
            token = await self._fetch_token()
            self._token = token.access_token
            # Renew a little early so a request never leaves with a token about to expire.
            margin = min(60.0, token.expires_in / 10)
            self._token_renew_at = self._clock() + token.expires_in - margin
            return self._token

    async def _fetch_token(self) -> ServiceToken:
        payload = {
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret.get_secret_value(),
        }
        try:
            response = await self._http.post("/internal/token", json=payload)
        except httpx.HTTPError as error:
            raise CoreUnavailableError(f"core did not answer the token request: {error}") from error
        _raise_for_status(response)
        return _parse(ServiceToken, response)


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 429 or status >= 500:
        raise CoreUnavailableError(f"core answered {status} to {response.request.url.path}")
    raise CoreRejectedError(status, _problem_summary(response))


def _problem_summary(response: httpx.Response) -> str:
    try:
        problem = response.json()
    except ValueError:
        return response.reason_phrase
    if not isinstance(problem, dict):
        return response.reason_phrase
    parts = [str(problem.get(key)) for key in ("title", "detail") if problem.get(key)]
    return "; ".join(parts) or response.reason_phrase


def _parse(model: type[ModelT], response: httpx.Response) -> ModelT:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as error:
        raise CoreRejectedError(
            response.status_code, f"unexpected {model.__name__} body: {error.error_count()} errors"
        ) from error
