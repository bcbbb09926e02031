"""Request bodies core needs that tradeloop-contracts 1.0.0 does not define yet."""

from __future__ import annotations

from pydantic import Field, SecretStr
from tradeloop_contracts import RequestBody


class AccountDeletion(RequestBody):
    """Local stand-in until contracts define it: the password, re-entered to delete the account."""

    password: SecretStr = Field(max_length=256)
