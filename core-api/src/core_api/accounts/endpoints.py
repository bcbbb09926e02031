"""Listing and creating accounts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Response
from pydantic import AwareDatetime
from tradeloop_contracts import (
    Account,
    AccountBalance,
    AccountCreate,
    AccountList,
    AccountUpdate,
    CashMovement,
    CashMovementCreate,
    CashMovementList,
    ContractSpecOverride,
    ContractSpecOverrideList,
    FeeSchedule,
    FeeScheduleUpdate,
)

from core_api.accounts import balances, fees, specs
from core_api.accounts.repository import AccountRepository
from core_api.accounts.service import create_account, to_account, update_account
from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser
from core_api.kit.clock import utcnow
from core_api.kit.tracing import Traceparent
from core_api.plans.judging import (
    Judge,
    rejudge_after_account_change,
    rejudge_after_stop_change,
)

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


@router.patch("/v1/accounts/{account_id}")
def change_account(
    account_id: uuid.UUID,
    body: AccountUpdate,
    user: CurrentUser,
    session: DbSession,
    judge: Judge,
    tasks: BackgroundTasks,
) -> Account:
    """Rename an account or set its starting balance, risk unit and default stop."""
    account, change = update_account(session, user.id, account_id, body)
    rejudge = change.limits_moved and rejudge_after_account_change(session, user.id)
    if change.stops_moved and rejudge_after_stop_change(session, user.id):
        rejudge = True
    if rejudge:
        tasks.add_task(judge.request, user.id)
    return to_account(account)


@router.get("/v1/accounts/{account_id}/balance")
def get_balance(
    account_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    at: AwareDatetime | None = None,
) -> AccountBalance:
    """The account's balance at `at` (default now); 409 without a starting balance."""
    return balances.balance_at(session, user.id, account_id, at or utcnow())


@router.get("/v1/accounts/{account_id}/cash-movements")
def list_cash_movements(
    account_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> CashMovementList:
    """The account's deposits and withdrawals, newest first."""
    account = AccountRepository(session, user.id).get(account_id)
    records = balances.list_movements(session, account)
    return CashMovementList(
        items=[balances.to_movement(record, account.base_currency) for record in records]
    )


@router.post("/v1/accounts/{account_id}/cash-movements", status_code=201)
def add_cash_movement(
    account_id: uuid.UUID,
    body: CashMovementCreate,
    user: CurrentUser,
    session: DbSession,
    judge: Judge,
    tasks: BackgroundTasks,
) -> CashMovement:
    """Record a deposit (positive) or a withdrawal (negative)."""
    account = AccountRepository(session, user.id).get(account_id)
    record = balances.add_movement(session, account, body)
    if rejudge_after_account_change(session, user.id):
        tasks.add_task(judge.request, user.id)
    return balances.to_movement(record, account.base_currency)


@router.delete("/v1/accounts/{account_id}/cash-movements/{movement_id}", status_code=204)
def delete_cash_movement(
    account_id: uuid.UUID,
    movement_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    judge: Judge,
    tasks: BackgroundTasks,
) -> Response:
    """Remove a deposit or withdrawal."""
    account = AccountRepository(session, user.id).get(account_id)
    balances.delete_movement(session, account, movement_id)
    if rejudge_after_account_change(session, user.id):
        tasks.add_task(judge.request, user.id)
    return Response(status_code=204)


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


@router.get("/v1/accounts/{account_id}/fee-schedule")
def get_fee_schedule(account_id: uuid.UUID, user: CurrentUser, session: DbSession) -> FeeSchedule:
    """The account's costs for fills whose source reported none."""
    return fees.get_schedule(session, user.id, account_id)


@router.put("/v1/accounts/{account_id}/fee-schedule")
def put_fee_schedule(
    account_id: uuid.UUID,
    body: FeeScheduleUpdate,
    user: CurrentUser,
    session: DbSession,
    traceparent: Traceparent,
) -> FeeSchedule:
    """Replace the account's fee schedule; the fills it prices and their positions follow."""
    return fees.put_schedule(session, user.id, account_id, body, traceparent)
