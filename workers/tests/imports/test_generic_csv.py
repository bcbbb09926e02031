from __future__ import annotations

import codecs
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imports.parsing import net_pnl, of_symbols, parse_sample
from workers.imports.decoding import LineTooLongError, detect_encoding, open_text, read_lines
from workers.imports.generic_csv import (
    FormatNotRecognisedError,
    ParsedRow,
    RowProblem,
    parse_amount,
    parse_generic_csv,
)

NEW_YORK = ZoneInfo("America/New_York")


def parse(text: str) -> list[ParsedRow | RowProblem]:
    return list(parse_generic_csv(io.StringIO(text, newline="")))


def parse_bytes(data: bytes) -> list[ParsedRow | RowProblem]:
    encoding = detect_encoding([data[i : i + 7] for i in range(0, len(data), 7)])
    with open_text(io.BytesIO(data), encoding) as text:
        return list(parse_generic_csv(read_lines(text)))


class TestParseAmount:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("1,234.50", "1234.50"),
            ("$12", "12"),
            ("(3.20)", "-3.20"),
            ("-$5.5", "-5.5"),
            ("1.234,50", "1234.50"),
            ("0,25", "0.25"),
            ("USD 7", "7"),
        ],
    )
    def test_broker_numbers_become_exact_decimals(self, text: str, expected: str) -> None:
        assert parse_amount(text) == Decimal(expected)

    @pytest.mark.parametrize(
        ("text", "decimal_comma", "expected"),
        [
            ("1.234", True, "1234"),
            ("1.234", False, "1.234"),
            ("1,234", True, "1.234"),
            ("1 234,5 €", True, "1234.5"),
            ("(1,234.50)", False, "-1234.50"),
        ],
    )
    def test_a_stated_decimal_mark_settles_ambiguous_numbers(
        self, text: str, decimal_comma: bool, expected: str
    ) -> None:
        assert parse_amount(text, decimal_comma=decimal_comma) == Decimal(expected)

    @pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", "1e5", "", "1.2.3"])
    def test_anything_else_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="not a number"):
            parse_amount(text)


class TestParseGenericCsv:
    def test_semicolon_files_with_separate_date_and_time_columns_are_read(self) -> None:
        [row] = parse(
            "Date;Time;Ticker;Action;Qty;Fill Price\n2024-01-02;09:30:00;spy;SLD;5;470,10\n"
        )
        assert isinstance(row, ParsedRow)
        assert row.execution.executed_at == dt.datetime(2024, 1, 2, 14, 30, tzinfo=dt.UTC)
        assert (row.execution.instrument.symbol, row.execution.side) == ("SPY", "sell")
        assert row.execution.price == Decimal("470.10")

    def test_a_negative_quantity_without_a_side_is_a_sell(self) -> None:
        [row] = parse("time,symbol,qty,price\n2024-01-02 09:30:00,AAPL,-10,190\n")
        assert isinstance(row, ParsedRow)
        assert (row.execution.side, row.execution.quantity) == ("sell", Decimal(10))

    def test_identical_rows_without_ids_get_distinct_stable_fingerprints(self) -> None:
        text = "time,symbol,side,qty,price\n" + "2024-01-02 09:30:00,AAPL,buy,1,190\n" * 2
        first, second = parse(text)
        assert isinstance(first, ParsedRow)
        assert isinstance(second, ParsedRow)
        assert first.execution.fingerprint != second.execution.fingerprint
        again = parse(text)[0]
        assert isinstance(again, ParsedRow)
        assert again.execution.fingerprint == first.execution.fingerprint

    def test_the_sample_realises_its_pnl_after_costs_to_the_cent(self) -> None:
        # AAPL: (176.05 - 175.20) x 100 less commissions (1.00) twice and fees 0.05;
        # MSFT: 0.75 x 1,200 less 2 x 1.2. The TSLA rows are rejected (a bad price, a time
        # the clock skipped).
        rows = of_symbols(parse_sample("generic.csv"), "AAPL", "MSFT")
        assert net_pnl(rows) == {"AAPL": Decimal("82.95"), "MSFT": Decimal("897.60")}

    def test_a_header_after_a_preamble_is_found(self) -> None:
        rows = parse("Trades export\n\nTime,Symbol,Side,Quantity,Price\n2024-01-02 09:30,A,B,1,2\n")
        assert [row.line for row in rows] == [4]

    def test_every_rejected_row_names_its_line_and_field(self) -> None:
        rows = parse(
            "Time,Symbol,Side,Quantity,Price\n"
            "2024-01-02 09:30:00,,buy,1,2\n"
            "2024-01-02,AAPL,buy,1,2\n"
            "2024-01-02 09:30:00,AAPL,hold,1,2\n"
            "2024-01-02 09:30:00,AAPL,buy,0,2\n"
            '2024-01-02 09:30:00,"AAPL\nX",buy,1,-2\n'
            "2024-01-02 09:30:00,AAPL,buy,1,2\n"
        )
        problems = [(row.line, row.field) for row in rows if isinstance(row, RowProblem)]
        assert problems == [
            (2, "Symbol"),
            (3, "Time"),
            (4, "Side"),
            (5, "Quantity"),
            (6, "Price"),
        ]
        assert isinstance(rows[-1], ParsedRow)
        assert rows[-1].line == 8

    def test_content_without_a_trade_header_is_not_recognised(self) -> None:
        with pytest.raises(FormatNotRecognisedError, match="no header row"):
            parse("name,age\nalice,3\n")

    def test_utf16_and_latin1_files_read_like_utf8(self) -> None:
        text = "Time,Symbol,Side,Quantity,Price,Account\n2024-01-02 09:30:00,AAPL,buy,1,2,Zoë\n"
        for data in (
            codecs.BOM_UTF8 + text.encode(),
            text.encode("utf-16"),
            text.encode("latin-1"),
        ):
            [row] = parse_bytes(data)
            assert isinstance(row, ParsedRow)
            assert row.account == "Zoë"

    def test_a_file_without_line_breaks_is_refused_not_read_whole(self) -> None:
        with pytest.raises(LineTooLongError):
            parse_bytes(b"time,symbol,qty,price\n" + b"x" * 1_100_000)

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=2000))
    def test_arbitrary_bytes_never_crash(self, data: bytes) -> None:
        try:
            rows = parse_bytes(data)
        except FormatNotRecognisedError:
            return
        assert all(isinstance(row, ParsedRow | RowProblem) for row in rows)

    @settings(max_examples=100, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.datetimes(
                    min_value=dt.datetime(1971, 1, 1),
                    max_value=dt.datetime(2099, 1, 1),
                    timezones=st.just(dt.UTC),
                ),
                st.from_regex(r"[A-Z]{1,5}", fullmatch=True),
                st.sampled_from(["buy", "sell"]),
                st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10**6), places=4),
                st.decimals(min_value=Decimal(0), max_value=Decimal(10**5), places=4),
            ),
            min_size=1,
            max_size=20,
        ),
        st.sampled_from([",", ";", "\t", "|"]),
    )
    def test_generated_valid_rows_survive_a_round_trip(
        self,
        rows: list[tuple[dt.datetime, str, str, Decimal, Decimal]],
        delimiter: str,
    ) -> None:
        lines = [delimiter.join(["Executed At", "Symbol", "Side", "Quantity", "Price"])]
        lines += [
            delimiter.join([at.isoformat(), symbol, side, str(quantity), str(price)])
            for at, symbol, side, quantity, price in rows
        ]
        parsed = parse("\n".join(lines) + "\n")
        assert [
            (
                row.execution.executed_at,
                row.execution.instrument.symbol,
                row.execution.side,
                row.execution.quantity,
                row.execution.price,
            )
            for row in parsed
            if isinstance(row, ParsedRow)
        ] == rows
