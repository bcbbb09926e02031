"""Query-string filters of the list pages, checked before they are passed on to edge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from tradeloop_contracts import Account, AssetClass, Direction, Outcome

from web_ui.edge import EdgeNotFoundError


def _blank_is_absent(value: Any) -> Any:
    # An empty form field submits `name=`; it means "no filter", not an invalid value.
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


BlankIsNone = BeforeValidator(_blank_is_absent)

Sort = Literal[
    "opened_at", "-opened_at", "closed_at", "-closed_at", "realised_pnl_net", "-realised_pnl_net"
]


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    def params(self) -> dict[str, str]:
        """The filters that are set, as edge's query parameters."""
        return {
            name: value.isoformat() if isinstance(value, dt.date) else str(value)
            for name, value in self.model_dump().items()
            if value is not None
        }


QueryT = TypeVar("QueryT", bound=_Query)


class AccountChoice(_Query):
    """One account, or all of them when absent: every page's view."""

    account_id: Annotated[UUID | None, BlankIsNone] = None

    def require_among(self, accounts: Sequence[Account]) -> None:
        """Raises EdgeNotFoundError when the chosen account is none of `accounts` (the
        trader's), for pages whose edge calls would not say so themselves."""
        if self.account_id is not None and all(a.id != self.account_id for a in accounts):
            raise EdgeNotFoundError(f"account {self.account_id}")


class Period(_Query):
    """A period and account of the dashboard; every part optional."""

    start: Annotated[dt.date | None, BlankIsNone] = None
    end: Annotated[dt.date | None, BlankIsNone] = None
    account_id: Annotated[UUID | None, BlankIsNone] = None

    @model_validator(mode="after")
    def _start_before_end(self) -> Period:
        if self.start and self.end and self.start > self.end:
            raise ValueError("the start date must be on or before the end date")
        return self


class TradeFilters(Period):
    """The trades page's filters, sort and page, as core's position list accepts them."""

    symbol: Annotated[Annotated[str, Field(max_length=32)] | None, BlankIsNone] = None
    direction: Annotated[Direction | None, BlankIsNone] = None
    asset_class: Annotated[AssetClass | None, BlankIsNone] = None
    outcome: Annotated[Outcome | None, BlankIsNone] = None
    tag: Annotated[Annotated[str, Field(max_length=50)] | None, BlankIsNone] = None
    rule_id: Annotated[UUID | None, BlankIsNone] = None
    playbook_id: Annotated[UUID | None, BlankIsNone] = None
    sort: Annotated[Sort | None, BlankIsNone] = None
    cursor: Annotated[Annotated[str, Field(max_length=512)] | None, BlankIsNone] = None
    limit: Annotated[Annotated[int, Field(ge=1, le=500)] | None, BlankIsNone] = None

    def without(self, *names: str) -> dict[str, str]:
        """The set filters except `names` (e.g. the cursor, when building a sort link)."""
        return {name: value for name, value in self.params().items() if name not in names}


def read_query(request: Request, model: type[QueryT]) -> QueryT:
    """The request's query string as `model`; a 422 problem naming each bad parameter."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("query", *error["loc"])}
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise RequestValidationError(errors) from exc
