from __future__ import annotations

import codecs
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tradeloop_contracts import ImportFormat

from tests.imports.parsing import (
    FORMAT_OF_SAMPLE,
    SAMPLES,
    executions,
    net_pnl,
    of_symbols,
    parse_bytes,
    parse_sample,
    problems,
)
from workers.imports.decoding import LineTooLongError, detect_encoding
from workers.imports.detect import detect_format
from workers.imports.generic_csv import FormatNotRecognisedError, ParsedRow, RowProblem
from workers.imports.instruments import future_from_code, occ_option

AAPL_CALL = "AAPL  240315C00180000"


@pytest.mark.parametrize(("name", "expected"), FORMAT_OF_SAMPLE.items())
def test_each_sample_is_detected_from_its_content(name: str, expected: ImportFormat) -> None:
    assert detect_format((SAMPLES / name).read_text()) == expected


def test_text_that_is_no_export_is_not_detected() -> None:
    assert detect_format("hello\nworld\n") is None
    assert detect_format("<html><body>hi</body></html>") is None


class TestIbkrFlex:
    @pytest.mark.parametrize("name", ["ibkr_flex.xml", "ibkr_flex.csv"])
    def test_xml_and_csv_reports_give_the_same_executions(self, name: str) -> None:
        rows = executions(parse_sample(name))
        stock_buy, stock_sell, call_buy, call_expiry, future, fx, sap, put_assigned = (
            row.execution for row in rows
        )
        assert stock_buy.executed_at == dt.datetime(2024, 3, 4, 14, 31, 12, tzinfo=dt.UTC)
        assert (stock_buy.side, stock_buy.quantity, stock_buy.price) == (
            "buy",
            Decimal(100),
            Decimal("175.2"),
        )
        assert (stock_buy.commission, stock_buy.open_close) == (Decimal(1), "open")
        assert stock_buy.broker_execution_id == "0000e0d5.65e5a1b2.01.01"
        assert (stock_sell.side, stock_sell.commission, stock_sell.fees) == (
            "sell",
            Decimal("1.0012"),
            Decimal("0.03"),
        )
        assert call_buy.instrument.symbol == "AAPL  240315C00180000"
        assert (call_buy.instrument.strike, call_buy.instrument.multiplier) == (
            Decimal(180),
            Decimal(100),
        )
        assert (call_expiry.kind, call_expiry.price, call_expiry.broker_execution_id) == (
            "expiry",
            Decimal(0),
            "611000004",
        )
        assert future.instrument.asset_class == "future"
        assert (future.instrument.root, future.instrument.expiry) == ("ES", dt.date(2024, 3, 15))
        assert future.instrument.multiplier == Decimal(50)
        assert (fx.instrument.symbol, fx.instrument.asset_class) == ("EUR.USD", "forex")
        assert (sap.instrument.currency, sap.fx_rate_to_base) == ("EUR", Decimal("1.0871"))
        assert (put_assigned.kind, put_assigned.instrument.right) == ("assignment", "put")

    @pytest.mark.parametrize("name", ["ibkr_flex.xml", "ibkr_flex.csv"])
    def test_round_trips_realise_their_pnl_after_costs_to_the_cent(self, name: str) -> None:
        # AAPL: (176.05 - 175.20) x 100 less commissions 1 + 1.0012 and taxes 0.03; the
        # call: 2 bought at 1.25 x 100 with 1.30 commission, expired worthless.
        rows = of_symbols(parse_sample(name), "AAPL", AAPL_CALL)
        assert net_pnl(rows) == {"AAPL": Decimal("82.9688"), AAPL_CALL: Decimal("-251.30")}

    def test_rows_name_the_line_and_the_attribute_as_the_file_writes_it(self) -> None:
        assert problems(parse_sample("ibkr_flex.xml")) == [(15, "tradePrice")]
        assert problems(parse_sample("ibkr_flex.csv")) == [(13, "TradePrice")]

    def test_order_level_rows_and_other_sections_are_not_executions(self) -> None:
        assert len(parse_sample("ibkr_flex.xml")) == 9
        assert len(parse_sample("ibkr_flex.csv")) == 9

    def test_a_cut_short_xml_keeps_what_came_before_and_says_where_it_stopped(self) -> None:
        data = (SAMPLES / "ibkr_flex.xml").read_bytes()
        cut = data[: data.index(b"<Trade", data.index(b"611000003")) + 40]
        rows = parse_bytes(cut, "ibkr_flex_xml")
        assert len(executions(rows)) == 3
        last = rows[-1]
        assert isinstance(last, RowProblem)
        assert "cut short" in last.reason

    def test_xml_that_declares_entities_is_refused(self) -> None:
        bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><FlexQueryResponse/>'
        with pytest.raises(FormatNotRecognisedError, match="entity"):
            parse_bytes(bomb, "ibkr_flex_xml")

    def test_a_csv_without_the_trade_price_column_is_not_a_flex_report(self) -> None:
        with pytest.raises(FormatNotRecognisedError, match="Flex Trades"):
            parse_bytes(b"AssetClass,Symbol,Quantity\nSTK,AAPL,1\n", "ibkr_flex_csv")

    def test_a_plain_csv_without_section_codes_is_read(self) -> None:
        rows = parse_bytes(
            b"AssetClass,Symbol,Quantity,TradePrice,DateTime,IBCommission,TradeID\n"
            b"STK,AAPL,-5,190.5,20240304;093112,-0.35,77\n",
            "ibkr_flex_csv",
        )
        [row] = executions(rows)
        assert (row.execution.side, row.execution.commission) == ("sell", Decimal("0.35"))
        assert row.execution.broker_execution_id == "77"


class TestOfx:
    def test_a_statement_gives_trades_and_option_closures_with_their_lines(self) -> None:
        rows = parse_sample("schwab_statement.ofx")
        buy, sell, call, expiry = (row.execution for row in executions(rows))
        assert buy.executed_at == dt.datetime(2024, 3, 4, 14, 31, 12, tzinfo=dt.UTC)
        assert (buy.instrument.symbol, buy.price, buy.open_close) == (
            "AAPL",
            Decimal("175.20"),
            "open",
        )
        assert (sell.side, sell.quantity, sell.fees) == ("sell", Decimal(100), Decimal("0.03"))
        assert (call.instrument.asset_class, call.commission, call.fees) == (
            "option",
            Decimal("1.30"),
            Decimal("0.04"),
        )
        assert (expiry.kind, expiry.side, expiry.quantity) == ("expiry", "sell", Decimal(2))
        assert [row.line for row in executions(rows)] == [36, 54, 71, 88]
        assert problems(rows) == [(100, "SELLSTOCK")]

    def test_round_trips_realise_their_pnl_after_costs_to_the_cent(self) -> None:
        # AAPL: (176.05 - 175.20) x 100 less 0.03 fees; the call: 2 bought at 1.25 x 100
        # with 1.30 commission and 0.04 fees, closed by expiry.
        assert net_pnl(parse_sample("schwab_statement.ofx")) == {
            "AAPL": Decimal("84.97"),
            AAPL_CALL: Decimal("-251.34"),
        }

    def test_content_without_an_ofx_body_is_not_recognised(self) -> None:
        with pytest.raises(FormatNotRecognisedError, match="OFX"):
            parse_bytes(b"OFXHEADER:100\nDATA:OFXSGML\n", "ofx")


class TestFuturesFormats:
    def test_tradovate_fills_map_contracts_to_their_specs(self) -> None:
        rows = parse_sample("tradovate_fills.csv")
        first, *_, crude = (row.execution for row in executions(rows))
        assert first.executed_at == dt.datetime(2024, 3, 4, 14, 31, 12, tzinfo=dt.UTC)
        assert (first.instrument.symbol, first.instrument.multiplier) == ("ESH4", Decimal(50))
        assert (first.commission, first.broker_execution_id, first.order_id) == (
            Decimal("4.18"),
            "281000101",
            "281000100",
        )
        assert (crude.instrument.root, crude.instrument.expiry) == ("CL", dt.date(2024, 3, 20))
        assert problems(rows) == [(7, "Price"), (8, "Contract")]

    def test_tradovate_round_trips_realise_their_pnl_to_the_cent(self) -> None:
        # ESH4: 6.25 points x 2 x $50 less 2 x 4.18; MNQM4 short: 11.75 x 3 x $2 less
        # 2 x 1.29. The crude oil buy is still open.
        rows = of_symbols(parse_sample("tradovate_fills.csv"), "ESH4", "MNQM4")
        assert net_pnl(rows) == {"ESH4": Decimal("616.64"), "MNQM4": Decimal("67.92")}

    def test_ninjatrader_round_trips_realise_their_pnl_to_the_cent(self) -> None:
        # MESH4: 6.25 points x 3 x $5 less 2 x 1.86; GCJ4 short: 3.5 x $100 less 2 x 2.09.
        assert net_pnl(parse_sample("ninjatrader_executions.csv")) == {
            "MESH4": Decimal("90.03"),
            "GCJ4": Decimal("345.82"),
        }

    def test_ninjatrader_executions_read_twelve_hour_times_and_entry_exit(self) -> None:
        rows = parse_sample("ninjatrader_executions.csv")
        entry, exit_, short, cover = (row.execution for row in executions(rows))
        assert short.executed_at == dt.datetime(2024, 3, 4, 18, 15, tzinfo=dt.UTC)
        assert (entry.open_close, exit_.open_close) == ("open", "close")
        assert (short.side, cover.side, short.instrument.symbol) == ("sell", "buy", "GCJ4")
        assert (entry.instrument.multiplier, entry.commission) == (Decimal(5), Decimal("1.86"))
        assert problems(rows) == [(6, "Action")]

    def test_a_csv_missing_a_needed_column_is_not_recognised(self) -> None:
        with pytest.raises(FormatNotRecognisedError, match="NinjaTrader"):
            parse_bytes(
                b"Instrument,Action,Quantity,Price\nES 03-24,Buy,1,5000\n", "ninjatrader_csv"
            )


class TestInstruments:
    @pytest.mark.parametrize(
        ("code", "traded", "symbol", "expiry"),
        [
            ("ESZ4", dt.date(2024, 11, 1), "ESZ4", dt.date(2024, 12, 20)),
            ("ESH5", dt.date(2024, 12, 30), "ESH5", dt.date(2025, 3, 21)),
            ("MNQH25", dt.date(2025, 1, 2), "MNQH5", dt.date(2025, 3, 21)),
            ("GCJ2024", dt.date(2024, 3, 4), "GCJ4", dt.date(2024, 4, 26)),
            ("ZNU4", dt.date(2024, 7, 1), "ZNU4", dt.date(2024, 9, 19)),
        ],
    )
    def test_futures_codes_resolve_year_and_last_trading_day(
        self, code: str, traded: dt.date, symbol: str, expiry: dt.date
    ) -> None:
        instrument = future_from_code(code, traded)
        assert (instrument.symbol, instrument.expiry) == (symbol, expiry)

    def test_occ_symbols_with_or_without_padding_are_the_same_option(self) -> None:
        assert occ_option("SPY240621P00500500") == occ_option("SPY   240621P00500500")
        assert occ_option("SPY240621P00500500").strike == Decimal("500.5")


@pytest.mark.parametrize(
    ("name", "known", "unknown", "column"),
    [
        ("ibkr_flex.xml", 'assetCategory="CASH"', 'assetCategory="BOND"', "assetCategory"),
        ("ibkr_flex.csv", '"USD","1","CASH"', '"USD","1","BOND"', "AssetClass"),
        ("tradovate_fills.csv", "CLJ4,CL", "QQJ4,QQ", "Contract"),
        ("ninjatrader_executions.csv", "GC 04-24", "GX 04-24", "Instrument"),
        ("schwab_statement.csv", "SPY,15 MAR 24", "SPY,31 FEB 24", "Symbol"),
        ("schwab_transactions.csv", "AAPL 03/15/2024 180.00 C", "AAPL 03/15/2024 180 X", "Symbol"),
        ("webull_orders.csv", "AAPL240315C00180000", "AAPL240399C00180000", "Symbol"),
        ("robinhood_activity.csv", "Call $180.00", "Cal", "Description"),
        ("tradestation_orders.csv", "ESH24", "XYH24", "Symbol"),
        ("alpaca_activities.csv", "AAPL240315C00180000", "AAPL240399C00180000", "symbol"),
    ],
)
def test_an_unknown_instrument_is_a_rejected_row_naming_its_column(
    name: str, known: str, unknown: str, column: str
) -> None:
    text = (SAMPLES / name).read_text()
    line = text[: text.index(known)].count("\n") + 1
    rows = parse_bytes(text.replace(known, unknown, 1).encode(), FORMAT_OF_SAMPLE[name])
    [problem] = [row for row in rows if isinstance(row, RowProblem) and row.line == line]
    assert problem.field == column
    assert problem.reason.startswith("unknown instrument: ")


@pytest.mark.parametrize("name", list(FORMAT_OF_SAMPLE))
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "latin-1"])
def test_every_encoding_reads_like_utf8(name: str, encoding: str) -> None:
    text = (SAMPLES / name).read_text()
    if encoding != "utf-16" and name.endswith(".xml"):
        text = text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
    data = text.encode(encoding)
    assert detect_format(data.decode(detect_encoding([data]))) == FORMAT_OF_SAMPLE[name]
    expected = [(row.line, row.execution) for row in executions(parse_sample(name))]
    got = [
        (row.line, row.execution) for row in executions(parse_bytes(data, FORMAT_OF_SAMPLE[name]))
    ]
    assert got == expected
    assert codecs.lookup(encoding)


def mutated(name: str) -> st.SearchStrategy[bytes]:
    data = (SAMPLES / name).read_bytes()
    return st.tuples(st.integers(0, len(data)), st.integers(0, 64), st.binary(max_size=64)).map(
        lambda cut: data[: cut[0]] + cut[2] + data[cut[0] + cut[1] :]
    )


@pytest.mark.parametrize("name", list(FORMAT_OF_SAMPLE))
@settings(max_examples=30, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_arbitrary_or_mutated_bytes_never_crash_a_parser(name: str, data: st.DataObject) -> None:
    content = data.draw(st.one_of(st.binary(max_size=2048), mutated(name)))
    try:
        rows = parse_bytes(content, FORMAT_OF_SAMPLE[name])
    except (FormatNotRecognisedError, LineTooLongError):
        return
    assert all(isinstance(row, ParsedRow | RowProblem) for row in rows)
