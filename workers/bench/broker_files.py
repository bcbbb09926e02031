"""Broker export files of N valid executions, one writer per format, written streaming.

Every file holds round trips of stock fills (a buy then a sell of 100 shares, a second
apart, across a few symbols) in the broker's layout, so each parser reads N executions.
Futures formats trade ES and MNQ contracts instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from tradeloop_contracts import ImportFormat

SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMD", "TSLA")
FUTURES = ("ESH5", "MNQH5")
START = dt.datetime(2025, 1, 6, 9, 30)


@dataclass(frozen=True)
class Fill:
    """The n-th fill: local (New York) time, symbol, side, quantity and price."""

    number: int
    at: dt.datetime
    symbol: str
    buy: bool
    quantity: int
    price: Decimal


def fills(count: int, symbols: tuple[str, ...] = SYMBOLS) -> Iterator[Fill]:
    """`count` fills of round trips, one second apart, trading days 09:30 to 16:00."""
    for number in range(count):
        day, second = divmod(number, 6 * 3600)
        at = START + dt.timedelta(days=day, seconds=second)
        symbol = symbols[(number // 2) % len(symbols)]
        price = Decimal(100 + number % 97) + Decimal("0.25") * (number % 2)
        yield Fill(number, at, symbol, number % 2 == 0, 100, price)


def _write_rows(out: TextIO, header: str, rows: Iterator[str]) -> None:
    out.write(header + "\n")
    for row in rows:
        out.write(row + "\n")


def write_generic(out: TextIO, count: int) -> None:
    rows = (
        f"{f.at.isoformat()},{f.symbol},{'BUY' if f.buy else 'SELL'},{f.quantity},{f.price},"
        f"1.00,X{f.number}"
        for f in fills(count)
    )
    _write_rows(out, "Time,Symbol,Side,Quantity,Price,Commission,Exec ID", rows)


def write_flex_xml(out: TextIO, count: int) -> None:
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<FlexQueryResponse queryName="bench" type="AF">'
        '\n<FlexStatements count="1">\n<FlexStatement accountId="U1234567">\n<Trades>\n'
    )
    for f in fills(count):
        sign = "" if f.buy else "-"
        out.write(
            f'<Trade accountId="U1234567" currency="USD" fxRateToBase="1" assetCategory="STK" '
            f'symbol="{f.symbol}" description="" multiplier="1" tradeID="{f.number}" '
            f'dateTime="{f.at:%Y%m%d;%H%M%S}" transactionType="ExchTrade" exchange="NASDAQ" '
            f'quantity="{sign}{f.quantity}" tradePrice="{f.price}" taxes="0" '
            f'ibCommission="-1" openCloseIndicator="{"O" if f.buy else "C"}" notes="" '
            f'buySell="{"BUY" if f.buy else "SELL"}" ibOrderID="{f.number}" '
            f'ibExecID="e.{f.number}" levelOfDetail="EXECUTION" />\n'
        )
    out.write("</Trades>\n</FlexStatement>\n</FlexStatements>\n</FlexQueryResponse>\n")


def write_flex_csv(out: TextIO, count: int) -> None:
    rows = (
        f"STK,{f.symbol},{'' if f.buy else '-'}{f.quantity},{f.price},{f.at:%Y%m%d;%H%M%S},"
        f"-1,e.{f.number},{'BUY' if f.buy else 'SELL'}"
        for f in fills(count)
    )
    header = "AssetClass,Symbol,Quantity,TradePrice,DateTime,IBCommission,IBExecID,Buy/Sell"
    _write_rows(out, header, rows)


def write_ofx(out: TextIO, count: int) -> None:
    out.write(
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
        "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX>\n"
        "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
        "<DTSERVER>20250301080000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n"
        "<INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n"
        "<INVSTMTRS><DTASOF>20250301080000<CURDEF>USD\n"
        "<INVACCTFROM><BROKERID>bench.example<ACCTID>1</INVACCTFROM>\n"
        "<INVTRANLIST><DTSTART>20250101<DTEND>20250301\n"
    )
    for f in fills(count):
        kind, inner = ("BUYSTOCK", "INVBUY") if f.buy else ("SELLSTOCK", "INVSELL")
        units = f.quantity if f.buy else -f.quantity
        out.write(
            f"<{kind}><{inner}><INVTRAN><FITID>F{f.number}"
            f"<DTTRADE>{f.at:%Y%m%d%H%M%S}.000[-5:EST]</INVTRAN>"
            f"<SECID><UNIQUEID>{f.symbol}<UNIQUEIDTYPE>TICKER</SECID>"
            f"<UNITS>{units}<UNITPRICE>{f.price}<COMMISSION>1<FEES>0<TOTAL>0"
            f"<SUBACCTSEC>CASH<SUBACCTFUND>CASH</{inner}>"
            f"<{'BUYTYPE>BUY' if f.buy else 'SELLTYPE>SELL'}</{kind}>\n"
        )
    out.write("</INVTRANLIST></INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1>\n")
    out.write("<SECLISTMSGSRSV1><SECLIST>\n")
    for symbol in SYMBOLS:
        out.write(
            f"<STOCKINFO><SECINFO><SECID><UNIQUEID>{symbol}<UNIQUEIDTYPE>TICKER</SECID>"
            f"<SECNAME>{symbol}<TICKER>{symbol}</SECINFO></STOCKINFO>\n"
        )
    out.write("</SECLIST></SECLISTMSGSRSV1>\n</OFX>\n")


def write_tradovate(out: TextIO, count: int) -> None:
    rows = (
        f"{f.number},{f.number},{f.at:%m/%d/%Y %H:%M:%S},{f.at:%m/%d/%y},DEMO1,"
        f"{'Buy' if f.buy else 'Sell'},1,{f.price * 50},{f.symbol},{f.symbol[:-2]},,1.29"
        for f in fills(count, FUTURES)
    )
    header = (
        "Fill ID,Order ID,Timestamp,Date,Account,B/S,Quantity,Price,Contract,Product,"
        "Product Description,commission"
    )
    _write_rows(out, header, rows)


def write_ninjatrader(out: TextIO, count: int) -> None:
    rows = (
        f"{f.symbol[:-2]} 03-25,{'Buy' if f.buy else 'Sell'},1,{f.price * 50},"
        f"{f.at:%m/%d/%Y %I:%M:%S %p},n{f.number},{'Entry' if f.buy else 'Exit'},,o{f.number},"
        f",$1.29,1,Sim101,Sim"
        for f in fills(count, FUTURES)
    )
    header = (
        "Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,"
        "Rate,Account,Connection"
    )
    _write_rows(out, header, rows)


def write_thinkorswim(out: TextIO, count: int) -> None:
    out.write("Account Statement for 12345678SCHW (Individual) since 1/6/25 through 3/1/25\n\n")
    out.write("Account Trade History\n")
    rows = (
        f",{f.at:%m/%d/%y %H:%M:%S},STOCK,{'BUY' if f.buy else 'SELL'},"
        f"{'+' if f.buy else '-'}{f.quantity},{'TO OPEN' if f.buy else 'TO CLOSE'},{f.symbol},"
        f",,STOCK,{f.price},{f.price},LMT"
        for f in fills(count)
    )
    header = (
        ",Exec Time,Spread,Side,Qty,Pos Effect,Symbol,Exp,Strike,Type,Price,Net Price,Order Type"
    )
    _write_rows(out, header, rows)


def write_schwab(out: TextIO, count: int) -> None:
    out.write('"Transactions  for account Individual ...123 as of 03/01/2025 10:00:00 ET"\n')
    rows = (
        f'"{f.at:%m/%d/%Y}","{"Buy" if f.buy else "Sell"}","{f.symbol}","{f.symbol} INC",'
        f'"{f.quantity}","${f.price}","$0.01",""'
        for f in fills(count)
    )
    header = '"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"'
    _write_rows(out, header, rows)


def write_webull(out: TextIO, count: int) -> None:
    rows = (
        f"{f.symbol} Inc,{f.symbol},{'Buy' if f.buy else 'Sell'},Filled,{f.quantity},"
        f"{f.quantity},@{f.price},{f.price},DAY,{f.at:%m/%d/%Y %H:%M:%S} EST,"
        f"{f.at:%m/%d/%Y %H:%M:%S} EST"
        for f in fills(count)
    )
    header = (
        "Name,Symbol,Side,Status,Filled,Total Qty,Price,Avg Price,Time-in-Force,Placed Time,"
        "Filled Time"
    )
    _write_rows(out, header, rows)


def write_robinhood(out: TextIO, count: int) -> None:
    rows = (
        f'"{f.at.month}/{f.at.day}/{f.at.year}","{f.at.month}/{f.at.day}/{f.at.year}",'
        f'"{f.at.month}/{f.at.day}/{f.at.year}","{f.symbol}","{f.symbol}\nCUSIP: 000000000",'
        f'"{"Buy" if f.buy else "Sell"}","{f.quantity}","${f.price}",'
        f'"{"(" if f.buy else ""}${f.price * f.quantity:,}{")" if f.buy else ""}"'
        for f in fills(count)
    )
    header = (
        '"Activity Date","Process Date","Settle Date","Instrument","Description","Trans Code",'
        '"Quantity","Price","Amount"'
    )
    _write_rows(out, header, rows)


def write_tradestation(out: TextIO, count: int) -> None:
    rows = (
        f"11512345,{f.number},{f.symbol},{'Buy' if f.buy else 'Sell'},{f.quantity},{f.quantity},"
        f"0,{f.price},{f.price},,FLL,{f.at:%m/%d/%Y %I:%M:%S %p},{f.at:%m/%d/%Y %I:%M:%S %p},"
        f"1.00,Intelligent,DAY"
        for f in fills(count)
    )
    header = (
        "AccountID,OrderID,Symbol,Type,Quantity,ExecuteQuantity,QuantityLeft,FilledPriceText,"
        "LimitPriceText,StopPriceText,Status,TimeStamp,FilledCanceled,CommissionFee,Routing,"
        "Duration"
    )
    _write_rows(out, header, rows)


def write_alpaca(out: TextIO, count: int) -> None:
    rows = (
        f"FILL,{f.at:%Y%m%d%H%M%S}::{f.number:012d},{f.at.isoformat()}-05:00,fill,{f.price},"
        f"{f.quantity},{'buy' if f.buy else 'sell'},{f.symbol},0,o-{f.number},{f.quantity},filled"
        for f in fills(count)
    )
    header = (
        "activity_type,id,transaction_time,type,price,qty,side,symbol,leaves_qty,order_id,"
        "cum_qty,order_status"
    )
    _write_rows(out, header, rows)


# Name shown in the results, the format the parser is asked for, and the writer.
WRITERS: tuple[tuple[str, ImportFormat, Callable[[TextIO, int], None]], ...] = (
    ("generic CSV", "generic_csv", write_generic),
    ("IBKR Flex XML", "ibkr_flex_xml", write_flex_xml),
    ("IBKR Flex CSV", "ibkr_flex_csv", write_flex_csv),
    ("OFX", "ofx", write_ofx),
    ("Tradovate", "tradovate_csv", write_tradovate),
    ("NinjaTrader", "ninjatrader_csv", write_ninjatrader),
    ("thinkorswim statement", "schwab_csv", write_thinkorswim),
    ("Schwab transactions", "schwab_csv", write_schwab),
    ("Webull", "webull_csv", write_webull),
    ("Robinhood", "robinhood_csv", write_robinhood),
    ("TradeStation", "tradestation_csv", write_tradestation),
    ("Alpaca", "alpaca_csv", write_alpaca),
)


def write_file(path: Path, writer: Callable[[TextIO, int], None], count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer(out, count)
