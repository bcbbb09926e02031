"""Instruments: stocks, options (OCC), futures, futures options, forex and crypto."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal, Self

from pydantic import Field, model_validator

from ._base import Amount, Currency, RequestBody, ResponseBody

AssetClass = Literal["stock", "option", "future", "future_option", "forex", "crypto"]
OptionRight = Literal["call", "put"]


class Instrument(ResponseBody):
    """What was traded. Option fields follow OCC symbology; futures name root and expiry.

    `symbol` is the broker's identifier as normalised by the importer (an OCC symbol for
    listed options, `ESZ6` style for futures, `EUR.USD` for forex, `BTC-USD` for crypto).
    """

    asset_class: AssetClass
    symbol: str = Field(min_length=1, max_length=64)
    currency: Currency = "USD"
    multiplier: Amount = Field(
        default=Decimal(1), gt=0, description="Contract size or point value."
    )
    underlying: str | None = Field(default=None, max_length=32)
    expiry: dt.date | None = None
    strike: Amount | None = None
    right: OptionRight | None = None
    root: str | None = Field(default=None, max_length=16, description="Futures root, e.g. ES.")
    exchange: str | None = Field(default=None, max_length=16)
    tick_size: Amount | None = None

    @model_validator(mode="after")
    def _fields_of_its_class(self) -> Self:
        needed: tuple[str, ...] = ()
        if self.asset_class in ("option", "future_option"):
            needed = ("underlying", "expiry", "strike", "right")
        elif self.asset_class == "future":
            needed = ("root", "expiry")
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.asset_class} needs {', '.join(missing)}")
        return self


class ContractSpecOverride(RequestBody):
    """An account's own spec of a futures root, used instead of the built-in table's."""

    root: str = Field(
        min_length=1, max_length=16, pattern=r"^[A-Z0-9]+$", description="Futures root, e.g. ES."
    )
    point_value: Amount = Field(gt=0, description="Money per full point per contract.")
    tick_size: Amount = Field(gt=0)
    currency: Currency = "USD"
    exchange: str | None = Field(default=None, max_length=16)
    session: str | None = Field(
        default=None, max_length=16, description="Exchange calendar code, e.g. CMES."
    )


class ContractSpecOverrideList(ResponseBody):
    """An account's futures spec overrides, by root."""

    items: list[ContractSpecOverride]
