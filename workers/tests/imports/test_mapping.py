from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tradeloop_contracts import ColumnMapping

from tests.imports.parsing import executions, net_pnl, problems
from workers.imports.decoding import detect_encoding, open_text, read_lines
from workers.imports.generic_csv import FormatNotRecognisedError, ParsedRow, RowProblem
from workers.imports.mapping import (
    MappingError,
    guess_columns,
    parse_mapped_csv,
    preview_csv,
    suggest_mapping,
)

EUROPEAN = (
    "Export Depot 4711\n"
    "\n"
    "Datum;Wertpapier;Richtung;Stück;Kurs;Provision\n"
    "04.03.2024 15:31:12;SAP;Kauf;1.000;175,20 €;(4,90)\n"
    "14.03.2024 16:45:03;SAP;Verkauf;1.000;176,05 €;4,90\n"
    "31.02.2024 10:00:00;SAP;Kauf;10;175,00 €;0\n"
)
EUROPEAN_MAPPING = ColumnMapping(
    columns={
        "datetime": "Datum",
        "symbol": "Wertpapier",
        "quantity": "Stück",
        "price": "Kurs",
        "commission": "Provision",
    },
    day_first=True,
    decimal_comma=True,
    time_zone="Europe/Berlin",
)


def parse(text: str, mapping: ColumnMapping) -> list[ParsedRow | RowProblem]:
    return list(parse_mapped_csv(io.StringIO(text, newline=""), mapping))


def guessed(header: list[str]) -> dict[str, tuple[str | None, Decimal]]:
    return {g.field: (g.column, g.confidence) for g in guess_columns(header) if g.column}


class TestGuessColumns:
    def test_known_names_are_certain_and_near_names_less_so(self) -> None:
        assert guessed(["Trade Price (USD)", "Qty", "Tickr", "Executed At", "Notes"]) == {
            "price": ("Trade Price (USD)", Decimal("0.7")),
            "quantity": ("Qty", Decimal(1)),
            "symbol": ("Tickr", Decimal("0.63")),
            "datetime": ("Executed At", Decimal(1)),
        }

    def test_every_field_is_answered_and_unguessed_ones_have_no_column(self) -> None:
        guesses = guess_columns(["Qty"])
        assert len(guesses) == 13
        assert next(g for g in guesses if g.field == "price").column is None

    def test_each_column_is_offered_for_one_field_only(self) -> None:
        assert [column for column, _ in guessed(["Price", "Price"]).values()] == ["Price"]

    def test_names_like_nothing_known_are_not_guessed(self) -> None:
        assert guessed(["Wertpapier", "Kurs", "Bemerkung"]) == {}


class TestPreviewCsv:
    def test_a_european_file_shows_its_layout_and_format_guesses(self) -> None:
        preview = preview_csv(
            io.StringIO(
                "Trades\n\nDate;Symbol;Side;Quantity;Price\n"
                "04/03/2024 15:31;SAP;buy;10;175,20\n"
                "14/03/2024 16:45;SAP;sell;10;176,05\n",
                newline="",
            )
        )
        assert preview.delimiter == ";"
        assert preview.header == ["Date", "Symbol", "Side", "Quantity", "Price"]
        assert preview.rows[1] == ["14/03/2024 16:45", "SAP", "sell", "10", "176,05"]
        assert [g.field for g in preview.guesses if g.column] == [
            "date",
            "symbol",
            "side",
            "quantity",
            "price",
        ]
        mapping = suggest_mapping(preview)
        assert mapping is not None
        assert (mapping.columns["date"], mapping.day_first, mapping.decimal_comma) == (
            "Date",
            True,
            True,
        )

    def test_us_dates_and_points_are_told_apart_from_the_values(self) -> None:
        preview = preview_csv(
            io.StringIO('Time,Ticker,Qty,Price\n3/14/2024 9:31 AM,AAPL,1,"$1,175.20"\n')
        )
        mapping = suggest_mapping(preview)
        assert mapping is not None
        assert (mapping.day_first, mapping.decimal_comma) == (False, False)

    def test_no_mapping_is_suggested_while_a_required_field_has_no_column(self) -> None:
        preview = preview_csv(io.StringIO("Time,Ticker,Qty,Notes\n2024-03-04 10:00,A,1,x\n"))
        assert suggest_mapping(preview) is None

    def test_only_the_first_rows_are_shown(self) -> None:
        text = "Time,Ticker,Qty,Price\n" + "2024-03-04 10:00,A,1,2\n" * 50
        assert len(preview_csv(io.StringIO(text), rows=5).rows) == 5

    def test_text_without_columns_is_not_previewed(self) -> None:
        with pytest.raises(FormatNotRecognisedError, match="delimiter"):
            preview_csv(io.StringIO("just some words\nand more\n"))


class TestParseMappedCsv:
    def test_day_first_dates_comma_decimals_and_currency_marks_read_to_the_cent(self) -> None:
        rows = parse(EUROPEAN, EUROPEAN_MAPPING)
        buy, sell = (row.execution for row in executions(rows))
        assert buy.executed_at == dt.datetime(2024, 3, 4, 14, 31, 12, tzinfo=dt.UTC)
        assert (buy.quantity, buy.price, buy.commission) == (
            Decimal(1000),
            Decimal("175.20"),
            Decimal("4.90"),
        )
        assert sell.side == "buy"  # no side column: a positive quantity is a buy
        assert problems(rows) == [(6, "Datum")]

    def test_a_mapped_side_column_and_us_formats_give_the_pnl_to_the_cent(self) -> None:
        mapping = ColumnMapping(
            columns={
                "date": "Trade Date",
                "time": "Exec Time",
                "symbol": "Security",
                "side": "B/S",
                "quantity": "Shares",
                "price": "Avg Px",
                "fees": "Charges",
            },
        )
        rows = parse(
            "Trade Date,Exec Time,Security,B/S,Shares,Avg Px,Charges\n"
            '3/4/2024,9:31:12 AM,AAPL,B,"1,200",$175.20,($1.00)\n'
            '3/4/2024,1:45:03 PM,AAPL,S,"1,200",$176.05,($1.00)\n',
            mapping,
        )
        assert executions(rows)[1].execution.executed_at == dt.datetime(
            2024, 3, 4, 18, 45, 3, tzinfo=dt.UTC
        )
        assert net_pnl(rows) == {"AAPL": Decimal("1018.00")}

    def test_a_bad_time_names_the_mapped_column_and_the_expected_format(self) -> None:
        [problem] = [
            row for row in parse(EUROPEAN, EUROPEAN_MAPPING) if isinstance(row, RowProblem)
        ]
        assert problem.reason == "time '31.02.2024 10:00:00' is not DD/MM/YYYY HH:MM:SS"

    def test_a_strftime_pattern_reads_times_the_orders_cannot(self) -> None:
        mapping = ColumnMapping(
            columns={"datetime": "When", "symbol": "Sym", "quantity": "Qty", "price": "Px"},
            date_format="%Y%m%d-%H%M%S",
            time_zone="UTC",
        )
        rows = parse(
            "When,Sym,Qty,Px\n20240304-093112,AAPL,1,2\n2024-03-04 09:31,AAPL,1,2\n", mapping
        )
        assert executions(rows)[0].execution.executed_at == dt.datetime(
            2024, 3, 4, 9, 31, 12, tzinfo=dt.UTC
        )
        [problem] = [row for row in rows if isinstance(row, RowProblem)]
        assert (problem.field, problem.reason) == (
            "When",
            "time '2024-03-04 09:31' is not %Y%m%d-%H%M%S",
        )

    def test_currency_marks_and_parentheses_can_be_refused(self) -> None:
        mapping = ColumnMapping(
            columns={"datetime": "When", "symbol": "Sym", "quantity": "Qty", "price": "Px"},
            currency_symbols=False,
            parentheses_negative=False,
        )
        rows = parse(
            "When,Sym,Qty,Px\n2024-03-04 09:31,A,(1),2\n2024-03-04 09:31,A,1,$2\n", mapping
        )
        assert problems(rows) == [(2, "Qty"), (3, "Px")]

    def test_a_mapping_naming_columns_the_file_lacks_is_refused(self) -> None:
        mapping = ColumnMapping(columns={**EUROPEAN_MAPPING.columns, "price": "Preis"})
        with pytest.raises(FormatNotRecognisedError, match="'Preis'"):
            parse(EUROPEAN, mapping)

    def test_an_unknown_time_zone_is_refused(self) -> None:
        mapping = ColumnMapping(columns=EUROPEAN_MAPPING.columns, time_zone="Mars/Olympus")
        with pytest.raises(MappingError, match="Mars/Olympus"):
            parse(EUROPEAN, mapping)

    def test_latin1_files_read_like_utf8(self) -> None:
        data = EUROPEAN.replace("€", "EUR").encode("latin-1")
        with open_text(io.BytesIO(data), detect_encoding([data])) as text:
            rows = list(parse_mapped_csv(read_lines(text), EUROPEAN_MAPPING))
        assert len(executions(rows)) == 2

    @settings(max_examples=200, deadline=None)
    @given(st.binary(max_size=2000))
    def test_arbitrary_bytes_never_crash(self, data: bytes) -> None:
        with open_text(io.BytesIO(data), detect_encoding([data])) as text:
            try:
                rows = list(parse_mapped_csv(read_lines(text), EUROPEAN_MAPPING))
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
                    timezones=st.just(ZoneInfo("UTC")),
                ).map(lambda at: at.replace(microsecond=0)),
                st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**6), places=2),
            ),
            min_size=1,
            max_size=20,
        )
    )
    def test_day_first_comma_decimal_rows_survive_a_round_trip(
        self, rows: list[tuple[dt.datetime, Decimal]]
    ) -> None:
        mapping = ColumnMapping(
            columns={"datetime": "Zeit", "symbol": "Titel", "quantity": "Anzahl", "price": "Preis"},
            day_first=True,
            decimal_comma=True,
            time_zone="UTC",
        )
        lines = ["Zeit;Titel;Anzahl;Preis"] + [
            f"{at:%d.%m.%Y %H:%M:%S};X;1;" + f"{price:,.2f}".replace(",", " ").replace(".", ",")
            for at, price in rows
        ]
        parsed = parse("\n".join(lines) + "\n", mapping)
        assert [(row.execution.executed_at, row.execution.price) for row in executions(parsed)] == [
            (at, price) for at, price in rows
        ]
