# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (requests/ServiceTokenRequest.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class ServiceTokenRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    client_id: Annotated[str, Field(max_length=64, min_length=1, title="Client Id")]
    client_secret: Annotated[SecretStr, Field(title="Client Secret")]
