"""core's API as ai-coach uses it: service token, accounts, positions, playbooks, journal,
insights, violations, plan adherence."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from ai_coach.contracts.account_list import Account, AccountList
from ai_coach.contracts.adherence import Adherence
from ai_coach.contracts.insight_create import InsightCreate
from ai_coach.contracts.insight_list import Insight, InsightList
from ai_coach.contracts.journal_entry_page import JournalEntry, JournalEntryPage
from ai_coach.contracts.playbook_list import Playbook, PlaybookList
from ai_coach.contracts.position_page import Position, PositionPage
from ai_coach.contracts.service_token import ServiceToken
from ai_coach.contracts.service_token_request import ServiceTokenRequest
from ai_coach.contracts.violation_page import Violation, ViolationPage
from ai_coach.contracts.weekly_review import WeeklyReview
from ai_coach.contracts.weekly_review_create import WeeklyReviewCreate
from ai_coach.errors import CoreUnavailableError, NotFoundError

PAGE_LIMIT = 200


# Renew a service token this long before core says it expires.
TOKEN_MARGIN_SECONDS = 30
Model = TypeVar("Model", bound=BaseModel)
Item = TypeVar("Item", covariant=True)


class CoreClient:
    """Calls core with a cached service token; every failure is a CoreUnavailableError."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        client_id: str,
        client_secret: SecretStr,
        clock: Callable[[], float] = time.monotonic,
        probe: httpx.AsyncClient | None = None,
    ) -> None:
        self._http = http
        # Health checks may go through a client of their own (an untraced one).
        self._probe = probe if probe is not None else http
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = asyncio.Lock()

    async def is_ready(self) -> bool:
        """True when core answers its health check."""
        try:
            response = await self._probe.get("/healthz")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def list_closed_positions(
        self, user_id: UUID, account_id: UUID | None = None
    ) -> list[Position]:
        """Every closed position of the user, of one account when `account_id` is given,
        following the cursor to the last page; NotFoundError when the account is not theirs."""
        chosen: dict[str, str | int] = {"status": "closed"}
        if account_id is not None:
            chosen["account_id"] = str(account_id)
        # A 404 names the account only when one was asked for; otherwise it is core's fault.
        missing = "account" if account_id is not None else None

        async def page(params: dict[str, str | int]) -> PositionPage:
            path = f"/internal/users/{user_id}/positions"
            return await self._internal(
                "GET", path, PositionPage, params={**chosen, **params}, missing=missing
            )

        return await _every_page(page, "positions")

    async def list_playbooks(self, user_id: UUID) -> list[Playbook]:
        """Every playbook of the user with its criteria, archived ones too."""
        path = f"/internal/users/{user_id}/playbooks"
        return (await self._internal("GET", path, PlaybookList)).items

    async def list_journal_entries(self, user_id: UUID) -> list[JournalEntry]:
        """Every journal entry of the user, following the cursor to the last page."""

        async def page(params: dict[str, str | int]) -> JournalEntryPage:
            path = f"/internal/users/{user_id}/journal/entries"
            return await self._internal("GET", path, JournalEntryPage, params=params)

        return await _every_page(page, "journal")

    async def list_violations(self, user_id: UUID) -> list[Violation]:
        """Every rule violation of the user's plan, following the cursor to the last page."""

        async def page(params: dict[str, str | int]) -> ViolationPage:
            path = f"/internal/users/{user_id}/violations"
            return await self._internal("GET", path, ViolationPage, params=params)

        return await _every_page(page, "violations")

    async def plan_adherence(self, user_id: UUID, start: dt.date, end: dt.date) -> Adherence:
        """How the user's trades opened on trading days `start`..`end` kept to the plan."""
        return await self._internal(
            "GET",
            f"/internal/users/{user_id}/plan/adherence",
            Adherence,
            params={"start": start.isoformat(), "end": end.isoformat()},
        )

    async def create_insight(self, user_id: UUID, insight: InsightCreate) -> Insight:
        """The insight as core stored it."""
        return await self._internal(
            "POST",
            f"/internal/users/{user_id}/insights",
            Insight,
            json=insight.model_dump(mode="json", exclude_none=True),
        )

    async def create_review(self, user_id: UUID, review: WeeklyReviewCreate) -> WeeklyReview:
        """Stores a weekly review (core announces it once committed); what core stored."""
        return await self._internal(
            "POST",
            f"/internal/users/{user_id}/reviews",
            WeeklyReview,
            json=review.model_dump(mode="json", exclude_none=True),
        )

    async def chosen_account(self, user_token: str, account_id: UUID) -> Account:
        """The user's account of that id, read with the user's own token; NotFoundError when
        none of their accounts has it."""
        headers = {"Authorization": f"Bearer {user_token}"}
        accounts = _parse(await self._send("GET", "/v1/accounts", headers=headers), AccountList)
        for account in accounts.items:
            if account.id == account_id:
                return account
        raise NotFoundError("No such account.")

    async def list_insights(self, user_token: str) -> InsightList:
        """The insights core already holds for the user, read with the user's own token."""
        headers = {"Authorization": f"Bearer {user_token}"}
        response = await self._send("GET", "/v1/insights", headers=headers)
        return _parse(response, InsightList)

    async def _internal(
        self,
        method: str,
        path: str,
        model: type[Model],
        missing: str | None = None,
        **kwargs: Any,
    ) -> Model:
        """core's answer as `model`; a 404 is NotFoundError naming `missing` when given (an
        id the trader chose), else core's fault like any other failure."""
        # A token core no longer accepts (key rotated, restarted) is renewed once.
        for attempt in range(2):
            token = await self._service_token(renew=attempt > 0)
            headers = {"Authorization": f"Bearer {token}"}
            response = await self._send(method, path, headers=headers, **kwargs)
            if response.status_code == 404 and missing is not None:
                raise NotFoundError(f"No such {missing}.")
            if response.status_code != 401:
                return _parse(response, model)
        raise CoreUnavailableError("core refused ai-coach's service credentials.")

    async def _service_token(self, renew: bool) -> str:
        async with self._token_lock:
            now = self._clock()
            if renew or self._token is None or now >= self._token_expires_at:
                request = ServiceTokenRequest(
                    client_id=self._client_id, client_secret=self._client_secret
                )
                body = {
                    "client_id": request.client_id,
                    "client_secret": request.client_secret.get_secret_value(),
                }
                response = await self._send("POST", "/internal/token", json=body)
                if response.status_code in (400, 401, 403, 422):
                    raise CoreUnavailableError("core refused ai-coach's service credentials.")
                token = _parse(response, ServiceToken)
                self._token = token.access_token
                self._token_expires_at = now + max(token.expires_in - TOKEN_MARGIN_SECONDS, 0)
            return self._token

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise CoreUnavailableError(f"core did not answer {method} {path}.") from error


async def positions_and_playbooks(
    core: CoreClient, user_id: UUID, account_id: UUID | None = None
) -> tuple[list[Position], list[Playbook]]:
    """The user's closed positions (of one account when `account_id` is given) and
    playbooks, read at the same time."""
    positions, playbooks = await asyncio.gather(
        core.list_closed_positions(user_id, account_id), core.list_playbooks(user_id)
    )
    return positions, playbooks


class _Page(Protocol[Item]):
    @property
    def items(self) -> Sequence[Item]: ...

    @property
    def next_cursor(self) -> str | None: ...


async def _every_page(
    fetch: Callable[[dict[str, str | int]], Awaitable[_Page[Item]]], what: str
) -> list[Item]:
    """The items of every page, following the cursor; a cursor seen twice is core's fault."""
    items: list[Item] = []
    params: dict[str, str | int] = {"limit": PAGE_LIMIT}
    seen: set[str] = set()
    while True:
        page = await fetch(params)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        if page.next_cursor in seen:
            raise CoreUnavailableError(f"core returned the same {what} cursor twice.")
        seen.add(page.next_cursor)
        params = {"limit": PAGE_LIMIT, "cursor": page.next_cursor}


def _parse(response: httpx.Response, model: type[Model]) -> Model:
    if not response.is_success:
        raise CoreUnavailableError(
            f"core answered {response.request.method} {response.request.url.path} "
            f"with {response.status_code}."
        )
    try:
        return model.model_validate_json(response.content)
    except ValidationError as error:
        raise CoreUnavailableError(
            f"core's answer to {response.request.url.path} is not a {model.__name__}."
        ) from error
