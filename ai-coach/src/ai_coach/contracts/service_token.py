# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/ServiceToken.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class ServiceToken(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    access_token: Annotated[str, Field(title="Access Token")]
    expires_in: Annotated[int, Field(title="Expires In")]
    token_type: Annotated[Literal["Bearer"], Field(title="Token Type")] = "Bearer"
