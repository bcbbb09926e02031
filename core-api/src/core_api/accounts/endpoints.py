"""Listing and creating accounts."""

from __future__ import annotations

from fastapi import APIRouter
from tradeloop_contracts import Account, AccountCreate, AccountList

from core_api.accounts.repository import AccountRepository
from core_api.accounts.service import create_account, to_account
from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser

router = APIRouter(tags=["accounts"])


@router.get("/v1/accounts")
def list_accounts(user: CurrentUser, session: DbSession) -> AccountList:
    """Every account of the trader."""
    accounts = AccountRepository(session, user.id).list()
    return AccountList(items=[to_account(account) for account in accounts])


@router.post("/v1/accounts", status_code=201)
def add_account(body: AccountCreate, user: CurrentUser, session: DbSession) -> Account:
    """Add a brokerage account."""
    return to_account(create_account(session, user.id, body))
