"""`POST /v1/chat`: a question about the trader's own numbers, answered from the analytics."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Request

from ai_coach.analytics import trading_day
from ai_coach.analytics.endpoints import resolve_time_zone
from ai_coach.auth import CurrentUser
from ai_coach.chat.service import ChatModel, template_reply
from ai_coach.contracts.chat_reply import ChatReply
from ai_coach.contracts.chat_request import ChatRequest
from ai_coach.contracts.problem import Problem
from ai_coach.core import CoreClient, positions_and_playbooks
from ai_coach.positions import trades_by_currency

router = APIRouter(prefix="/v1", tags=["chat"])


@router.post(
    "/chat",
    response_model=ChatReply,
    responses={
        401: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
        502: {"model": Problem},
    },
)
async def chat(
    request: Request, user: CurrentUser, body: ChatRequest, time_zone: str | None = None
) -> ChatReply:
    """An answer with the numbers it uses and a chart spec, from every account's trades or
    from one account's (`account_id`: 404 when it is not the trader's)."""
    zone = resolve_time_zone(time_zone or request.app.state.settings.time_zone)
    # Conversations are not stored yet: the id is echoed, or a new one is given.
    conversation_id = body.conversation_id or uuid.uuid4()
    today = trading_day(dt.datetime.now(dt.UTC), zone)
    core: CoreClient = request.app.state.core
    account = None
    if body.account_id is not None:
        account = (await core.chosen_account(user.token, body.account_id)).name
    trades = trades_by_currency(*await positions_and_playbooks(core, user.id, body.account_id))
    model: ChatModel | None = request.app.state.chat_model
    reply = None
    if model is not None:
        reply = await model.reply(
            user.id, body.message, trades, zone, today, conversation_id, account=account
        )
    if reply is None:
        reply = template_reply(body.message, trades, zone, today, conversation_id, account=account)
    if account is not None and account not in reply.answer:
        # The model was asked to name the account; an answer that does not still says it.
        reply = reply.model_copy(update={"answer": f"In the account {account}: {reply.answer}"})
    return reply
