# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/User.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class User(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    base_currency: Annotated[str, Field(pattern="^[A-Z]{3}$", title="Base Currency")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    email: Annotated[str, Field(title="Email")]
    id: Annotated[UUID, Field(title="Id")]
    time_zone: Annotated[str, Field(title="Time Zone")]
