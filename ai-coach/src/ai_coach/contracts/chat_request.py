# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (requests/ChatRequest.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class ChatRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    account_id: Annotated[
        UUID | None,
        Field(
            description="Answer from this account's trades alone; absent: every account.",
            title="Account Id",
        ),
    ] = None
    conversation_id: Annotated[UUID | None, Field(title="Conversation Id")] = None
    message: Annotated[str, Field(max_length=4000, min_length=1, title="Message")]
