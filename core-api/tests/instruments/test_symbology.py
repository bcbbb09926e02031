from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tradeloop_contracts import Instrument

from core_api.instruments.futures import (
    ContractSpec,
    FuturesSymbolError,
    futures_symbol,
    parse_futures_symbol,
    specs_with_overrides,
)
from core_api.instruments.normalise import normalise
from core_api.instruments.occ import OccSymbolError, occ_symbol, parse_occ
from core_api.instruments.sessions import trading_day


class TestOcc:
    def test_a_padded_symbol_names_underlying_expiry_right_and_strike(self) -> None:
        option = parse_occ("SPY   260320P00562500")
        assert (option.root, option.expiry, option.right, option.strike) == (
            "SPY",
            dt.date(2026, 3, 20),
            "put",
            Decimal("562.5"),
        )
        assert not option.adjusted

    def test_an_unpadded_symbol_parses_the_same(self) -> None:
        assert parse_occ("AAPL260320C00150000").symbol == "AAPL  260320C00150000"

    def test_a_digit_after_the_root_marks_an_adjusted_option(self) -> None:
        assert parse_occ("AAPL1 260320C00150000").adjusted

    @pytest.mark.parametrize("text", ["AAPL", "AAPL  261320C00150000", "AAPL  260320X00150000"])
    def test_other_text_is_refused(self, text: str) -> None:
        with pytest.raises(OccSymbolError):
            parse_occ(text)

    @given(
        root=st.from_regex(r"[A-Z]{1,5}", fullmatch=True),
        expiry=st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)),
        right=st.sampled_from(["call", "put"]),
        thousandths=st.integers(0, 10**8 - 1),
    )
    def test_producing_then_parsing_gives_the_same_option(
        self, root: str, expiry: dt.date, right: str, thousandths: int
    ) -> None:
        strike = Decimal(thousandths) / 1000
        symbol = occ_symbol(root, expiry, right, strike)  # type: ignore[arg-type]
        parsed = parse_occ(symbol)
        assert len(symbol) == 21
        assert (parsed.root, parsed.expiry, parsed.right, parsed.strike) == (
            root,
            expiry,
            right,
            strike,
        )


class TestFutures:
    @pytest.mark.parametrize(
        ("text", "root", "month", "year"),
        [("ESZ6", "ES", 12, 2026), ("MESH27", "MES", 3, 2027), ("CLF0", "CL", 1, 2030)],
    )
    def test_root_month_code_and_year(self, text: str, root: str, month: int, year: int) -> None:
        parsed = parse_futures_symbol(text, reference_year=2026)
        assert (parsed.root, parsed.month, parsed.year) == (root, month, year)
        assert futures_symbol(root, month, year) == f"{root}{text[len(root)]}{year % 10}"

    def test_a_symbol_without_a_month_code_is_refused(self) -> None:
        with pytest.raises(FuturesSymbolError):
            parse_futures_symbol("ES2026", reference_year=2026)

    def test_micro_and_full_contracts_differ_by_point_value(self) -> None:
        es = normalise(
            Instrument(asset_class="future", symbol="ESZ6", root="ES", expiry=dt.date(2026, 12, 18))
        )
        mes = normalise(
            Instrument(
                asset_class="future", symbol="MESZ6", root="MES", expiry=dt.date(2026, 12, 18)
            )
        )
        assert (es.multiplier, es.tick_size, es.exchange) == (Decimal(50), Decimal("0.25"), "CME")
        assert mes.multiplier == Decimal(5)

    def test_what_the_sender_gave_wins_over_the_table(self) -> None:
        es = normalise(
            Instrument(
                asset_class="future",
                symbol="ESZ6",
                root="ES",
                expiry=dt.date(2026, 12, 18),
                multiplier=Decimal(25),
            )
        )
        assert (es.multiplier, es.tick_size) == (Decimal(25), Decimal("0.25"))

    def test_an_account_override_replaces_the_default_spec(self) -> None:
        specs = specs_with_overrides(
            {"es": ContractSpec("CME", Decimal(50), Decimal("0.5"), "EUR")}
        )
        es = normalise(
            Instrument(
                asset_class="future", symbol="ESZ6", root="ES", expiry=dt.date(2026, 12, 18)
            ),
            specs,
        )
        assert (es.tick_size, es.currency) == (Decimal("0.5"), "EUR")


class TestOptionsDefaults:
    def option(self, symbol: str, **extra: object) -> Instrument:
        parsed = parse_occ(symbol)
        return Instrument.model_validate(
            {
                "asset_class": "option",
                "symbol": symbol,
                "underlying": parsed.root.rstrip("0123456789"),
                "expiry": parsed.expiry,
                "strike": parsed.strike,
                "right": parsed.right,
                **extra,
            }
        )

    def test_a_standard_option_defaults_to_100(self) -> None:
        assert normalise(self.option("AAPL  260320C00150000")).multiplier == Decimal(100)

    def test_an_adjusted_option_keeps_the_broker_s_deliverable(self) -> None:
        adjusted = self.option("AAPL1 260320C00150000")
        assert normalise(adjusted).multiplier == Decimal(1)
        sent = self.option("AAPL1 260320C00150000", multiplier=Decimal(150))
        assert normalise(sent).multiplier == Decimal(150)


class TestTradingDays:
    @pytest.mark.parametrize(
        ("utc", "asset_class", "day"),
        [
            ("2026-03-02T22:59:00+00:00", "future", "2026-03-02"),  # 16:59 Chicago
            ("2026-03-02T23:00:00+00:00", "future", "2026-03-03"),  # 17:00 Chicago
            ("2026-07-06T22:00:00+00:00", "future_option", "2026-07-07"),  # 17:00 CDT
            ("2026-03-08T23:30:00+00:00", "future", "2026-03-09"),  # Sunday evening: Monday
            ("2026-03-03T03:00:00+00:00", "stock", "2026-03-02"),  # 22:00 in New York
        ],
    )
    def test_sessions_that_open_the_evening_before_belong_to_the_next_day(
        self, utc: str, asset_class: str, day: str
    ) -> None:
        at = dt.datetime.fromisoformat(utc)
        assert trading_day(at, asset_class, "America/New_York") == dt.date.fromisoformat(day)
