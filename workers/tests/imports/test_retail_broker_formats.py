"""Schwab / thinkorswim, Webull, Robinhood, TradeStation and Alpaca exports.

P&L figures are worked out by hand from each sample file (price differences × quantity
× multiplier, less the costs the file states) and checked to the cent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tradeloop_contracts import ImportFormat

from tests.imports.parsing import (
    FORMAT_OF_SAMPLE,
    SAMPLES,
    executions,
    net_pnl,
    parse_bytes,
    parse_sample,
    problems,
)
from workers.imports.generic_csv import FormatNotRecognisedError, RowProblem
from workers.imports.instruments import (
    occ_option,
    option_from_parts,
    option_from_robinhood,
    option_from_schwab,
    option_from_tradestation,
)

AAPL_CALL = "AAPL  240315C00180000"


class TestThinkorswimStatement:
    def test_the_trade_history_section_realises_its_pnl_to_the_cent(self) -> None:
        assert net_pnl(parse_sample("schwab_statement.csv")) == {
            "AAPL": Decimal("85.00"),
            "SPY   240315C00510000": Decimal("150.00"),
            "SPY   240315C00515000": Decimal("-50.00"),
            "ESH4": Decimal("412.50"),
        }

    def test_a_spreads_later_legs_share_the_first_legs_time(self) -> None:
        rows = executions(parse_sample("schwab_statement.csv"))
        close_long, close_short = (row.execution for row in rows if row.line in (23, 24))
        assert close_long.executed_at == close_short.executed_at
        assert close_long.executed_at == dt.datetime(2024, 3, 5, 15, 15, tzinfo=dt.UTC)
        assert (close_short.side, close_short.open_close) == ("buy", "close")

    def test_only_the_trade_history_section_is_read(self) -> None:
        rows = parse_sample("schwab_statement.csv")
        assert len(rows) == 10
        assert min(row.line for row in rows) == 20

    def test_bad_rows_name_their_line_and_column(self) -> None:
        rows = parse_sample("schwab_statement.csv")
        assert problems(rows) == [(22, "Price"), (27, "Exec Time")]

    def test_options_on_futures_are_rejected_as_unknown_instruments(self) -> None:
        [row] = parse_bytes(
            b"Account Statement for 1 since 3/4/24 through 3/8/24\n\nAccount Trade History\n"
            b",Exec Time,Spread,Side,Qty,Pos Effect,Symbol,Exp,Strike,Type,Price,Net Price\n"
            b",3/4/24 10:00:00,SINGLE,BUY,+1,TO OPEN,/ESH24,15 MAR 24,5100,CALL,20,20\n",
            "schwab_csv",
        )
        assert isinstance(row, RowProblem)
        assert (row.line, row.reason) == (
            5,
            "unknown instrument: /ESH24 CALL: options on futures are not imported",
        )

    def test_a_statement_without_the_trade_history_section_is_not_recognised(self) -> None:
        data = (SAMPLES / "schwab_statement.csv").read_bytes()
        cut = data[: data.index(b"Account Trade History")]
        with pytest.raises(FormatNotRecognisedError, match="Account Trade History"):
            parse_bytes(cut, "schwab_csv")


class TestSchwabTransactions:
    def test_trades_realise_their_pnl_after_fees_to_the_cent(self) -> None:
        assert net_pnl(parse_sample("schwab_transactions.csv")) == {
            AAPL_CALL: Decimal("117.36"),
            "NVDA": Decimal("254.98"),
            "AMD": Decimal("225.00"),
        }

    def test_rows_of_one_date_keep_the_brokers_newest_first_order(self) -> None:
        rows = executions(parse_sample("schwab_transactions.csv"))
        cover, short = (row.execution for row in rows if row.execution.instrument.symbol == "AMD")
        assert (short.side, short.open_close, cover.open_close) == ("sell", "open", "close")
        assert short.executed_at < cover.executed_at
        assert cover.executed_at == dt.datetime(2024, 3, 4, 21, tzinfo=dt.UTC)

    def test_bad_rows_name_their_line_and_column_and_cash_lines_are_skipped(self) -> None:
        rows = parse_sample("schwab_transactions.csv")
        assert problems(rows) == [(6, "Price"), (9, "Date")]
        assert len(rows) == 8

    def test_an_expiry_without_a_side_is_rejected_with_its_reason(self) -> None:
        [row] = parse_bytes(
            b'"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"\n'
            b'"03/15/2024","Expired","AAPL 03/15/2024 180.00 C","CALL","2","","",""\n',
            "schwab_csv",
        )
        assert isinstance(row, RowProblem)
        assert (row.line, row.field) == (2, "Action")
        assert "Expired" in row.reason


class TestWebull:
    def test_filled_orders_realise_their_pnl_to_the_cent(self) -> None:
        assert net_pnl(parse_sample("webull_orders.csv")) == {
            "AAPL": Decimal("85.00"),
            "AMD": Decimal("120.00"),
            AAPL_CALL: Decimal("120.00"),
        }

    def test_the_printed_zone_is_honoured_and_cancelled_orders_are_skipped(self) -> None:
        rows = parse_sample("webull_orders.csv")
        assert executions(rows)[1].execution.executed_at == dt.datetime(
            2024, 3, 4, 14, 31, 12, tzinfo=dt.UTC
        )
        assert 4 not in [row.line for row in rows]

    def test_bad_rows_name_their_line_and_column(self) -> None:
        assert problems(parse_sample("webull_orders.csv")) == [(7, "Avg Price"), (8, "Filled Time")]


class TestRobinhood:
    def test_trades_and_expiries_realise_their_pnl_after_fees_to_the_cent(self) -> None:
        assert net_pnl(parse_sample("robinhood_activity.csv")) == {
            "AAPL": Decimal("84.97"),
            AAPL_CALL: Decimal("119.94"),
            "SPY   240301P00500000": Decimal("89.95"),
        }

    def test_an_expired_short_option_is_bought_back_at_zero(self) -> None:
        rows = executions(parse_sample("robinhood_activity.csv"))
        expiry = next(row.execution for row in rows if row.execution.kind == "expiry")
        assert (expiry.side, expiry.price, expiry.open_close) == ("buy", Decimal(0), "close")

    def test_rows_spanning_lines_report_the_line_they_start_on(self) -> None:
        rows = parse_sample("robinhood_activity.csv")
        assert problems(rows) == [(5, "Price"), (11, "Activity Date")]
        assert [row.line for row in executions(rows)] == [2, 3, 7, 9, 13, 14]


class TestTradeStation:
    def test_filled_orders_realise_their_pnl_after_commissions_to_the_cent(self) -> None:
        assert net_pnl(parse_sample("tradestation_orders.csv")) == {
            "AAPL": Decimal("83.00"),
            "ESH4": Decimal("407.50"),
            AAPL_CALL: Decimal("117.40"),
        }

    def test_times_are_utc_and_the_order_id_is_the_broker_id(self) -> None:
        first = executions(parse_sample("tradestation_orders.csv"))[0]
        assert first.execution.executed_at == dt.datetime(2024, 3, 4, 14, 31, 12, tzinfo=dt.UTC)
        assert (first.execution.broker_execution_id, first.account) == ("672001", "11512345")

    def test_bad_rows_name_their_line_and_column(self) -> None:
        rows = parse_sample("tradestation_orders.csv")
        assert problems(rows) == [(9, "FilledPriceText"), (10, "FilledCanceled")]


class TestAlpaca:
    def test_fills_realise_their_pnl_to_the_cent(self) -> None:
        assert net_pnl(parse_sample("alpaca_activities.csv")) == {
            "AAPL": Decimal("87.00"),
            "AMD": Decimal("120.00"),
            "BTC-USD": Decimal("39.90"),
            AAPL_CALL: Decimal("120.00"),
        }

    def test_each_fill_keeps_its_activity_id_and_short_sales_open(self) -> None:
        rows = executions(parse_sample("alpaca_activities.csv"))
        assert rows[0].execution.broker_execution_id == (
            "20240304093112123::8efc7b9a-8b2b-4000-9955-d36e7db0df74"
        )
        assert rows[3].execution.open_close == "open"

    def test_bad_rows_name_their_line_and_column(self) -> None:
        rows = parse_sample("alpaca_activities.csv")
        assert problems(rows) == [(7, "price"), (8, "transaction_time")]


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("schwab_transactions.csv", "Fees & Comm"),
        ("webull_orders.csv", "Avg Price"),
        ("robinhood_activity.csv", "Trans Code"),
        ("tradestation_orders.csv", "ExecuteQuantity"),
        ("alpaca_activities.csv", "transaction_time"),
        ("schwab_statement.csv", "Exec Time"),
        ("tradovate_fills.csv", "B/S"),
        ("ninjatrader_executions.csv", "E/X"),
        ("ibkr_flex.csv", "TradePrice"),
    ],
)
def test_an_export_missing_a_needed_column_is_not_recognised(name: str, column: str) -> None:
    data = (SAMPLES / name).read_text().replace(column, "Something Else")
    file_format: ImportFormat = FORMAT_OF_SAMPLE[name]
    with pytest.raises(FormatNotRecognisedError):
        parse_bytes(data.encode(), file_format)


def test_every_brokers_option_style_names_the_same_occ_option() -> None:
    expected = occ_option("AAPL240315C00180000")
    assert option_from_schwab("AAPL 03/15/2024 180.00 C") == expected
    assert option_from_robinhood("Option Expiration for AAPL 3/15/2024 Call $180.00") == expected
    assert option_from_tradestation("AAPL 240315C180") == expected
    assert option_from_parts("AAPL", "15 MAR 24", "180", "CALL") == expected
