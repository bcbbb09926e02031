import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tradeloop_contracts import ExecutionIn, Instrument

STOCK = {"asset_class": "stock", "symbol": "AAPL"}


def _execution(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "executed_at": "2026-03-02T14:30:00-05:00",
        "instrument": STOCK,
        "side": "buy",
        "quantity": "100",
        "price": "187.25",
    }
    body.update(overrides)
    return body


class TestDecimalFields:
    def test_floats_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="never as floats"):
            ExecutionIn.model_validate(_execution(price=187.25))

    def test_decimals_travel_as_plain_strings(self) -> None:
        execution = ExecutionIn.model_validate(_execution(price="1E+2"))
        assert json.loads(execution.model_dump_json())["price"] == "100"

    @given(st.decimals(allow_nan=False, allow_infinity=False, places=8))
    def test_round_trip_is_exact(self, value: Decimal) -> None:
        execution = ExecutionIn.model_validate(_execution(price=str(abs(value))))
        again = ExecutionIn.model_validate_json(execution.model_dump_json())
        assert again.price == abs(value)

    def test_not_a_number_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            ExecutionIn.model_validate(_execution(price="NaN"))


class TestTimes:
    def test_naive_times_are_refused(self) -> None:
        with pytest.raises(ValidationError):
            ExecutionIn.model_validate(_execution(executed_at="2026-03-02T14:30:00"))

    def test_offset_is_kept(self) -> None:
        execution = ExecutionIn.model_validate(_execution())
        assert execution.executed_at.utcoffset() == dt.timedelta(hours=-5)


class TestInstruments:
    def test_an_option_needs_its_occ_fields(self) -> None:
        with pytest.raises(ValidationError, match="needs underlying, expiry, strike, right"):
            Instrument(asset_class="option", symbol="AAPL  260320C00190000")

    def test_a_future_needs_root_and_expiry(self) -> None:
        with pytest.raises(ValidationError, match="needs root, expiry"):
            Instrument(asset_class="future", symbol="ESZ6")

    def test_requests_refuse_unknown_fields(self) -> None:
        with pytest.raises(ValidationError, match="extra"):
            ExecutionIn.model_validate(_execution(colour="red"))
