"""Listing and creating accounts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response
from tradeloop_contracts import (
    Account,
    AccountCreate,
    AccountList,
    ContractSpecOverride,
    ContractSpecOverrideList,
)

from core_api.accounts import specs
from core_api.accounts.repository import AccountRepository
from core_api.accounts.service import create_account, to_account
from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser
from core_api.kit.tracing import Traceparent

router = APIRouter(tags=["accounts"])

Root = Annotated[str, Path(min_length=1, max_length=16, pattern="^[A-Za-z0-9]+$")]


@router.get("/v1/accounts")
def list_accounts(user: CurrentUser, session: DbSession) -> AccountList:
    """Every account of the trader."""
    accounts = AccountRepository(session, user.id).list()
    return AccountList(items=[to_account(account) for account in accounts])


@router.post("/v1/accounts", status_code=201)
def add_account(body: AccountCreate, user: CurrentUser, session: DbSession) -> Account:
    """Add a brokerage account."""
    return to_account(create_account(session, user.id, body))


@router.get("/v1/accounts/{account_id}/contract-specs")
def list_contract_specs(
    account_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> ContractSpecOverrideList:
    """The account's own futures contract specs, by root."""
    records = specs.list_overrides(session, user.id, account_id)
    return ContractSpecOverrideList(items=[specs.to_override(record) for record in records])


@router.get("/v1/accounts/{account_id}/contract-specs/{root}")
def get_contract_spec(
    account_id: uuid.UUID, root: Root, user: CurrentUser, session: DbSession
) -> ContractSpecOverride:
    """The account's own spec of one futures root; 404 when it uses the built-in one."""
    return specs.to_override(specs.get_override(session, user.id, account_id, root))


@router.put("/v1/accounts/{account_id}/contract-specs/{root}")
def put_contract_spec(
    account_id: uuid.UUID,
    root: Root,
    body: ContractSpecOverride,
    user: CurrentUser,
    session: DbSession,
    traceparent: Traceparent,
) -> ContractSpecOverride:
    """Use this spec for the root in this account; its positions of that root are recomputed."""
    record = specs.put_override(session, user.id, account_id, root, body, traceparent)
    return specs.to_override(record)


@router.delete("/v1/accounts/{account_id}/contract-specs/{root}", status_code=204)
def delete_contract_spec(
    account_id: uuid.UUID,
    root: Root,
    user: CurrentUser,
    session: DbSession,
    traceparent: Traceparent,
) -> Response:
    """Go back to the built-in spec of the root; its positions are recomputed."""
    specs.delete_override(session, user.id, account_id, root, traceparent)
    return Response(status_code=204)
