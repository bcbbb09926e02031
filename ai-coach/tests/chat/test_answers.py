"""Answers from the analytics on hand-computed trades."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from ai_coach.analytics import ClosedTrade
from ai_coach.chat.answers import answer
from ai_coach.chat.questions import parse_question
from tests.factories import START, trade

UTC = ZoneInfo("UTC")
TODAY = dt.date(2026, 1, 30)


def on(symbol: str, pnl: str, days: int, hour: int, tags: tuple[str, ...] = ()) -> ClosedTrade:
    closed = START.replace(hour=hour) + dt.timedelta(days=days)
    return dataclasses.replace(trade(pnl, 600, closed), symbol=symbol, tags=tags)


# START is Monday 2026-01-05; entries are 10 minutes before the close.
TRADES = [
    on("NQ", "100.00", 0, 12, ("breakout",)),  # Monday after 11
    on("NQ", "-40.00", 0, 10, ("pullback",)),  # Monday before 11
    on("ES", "-25.50", 7, 13, ("breakout",)),  # Monday after 11
    on("ES", "60.00", 1, 12, ("pullback",)),  # Tuesday
]


class TestAnswer:
    def test_a_filtered_question_is_answered_against_the_rest(self) -> None:
        question = parse_question("how do I do on Mondays after 11?", TODAY, ["NQ", "ES"])
        result = answer(question, {"USD": TRADES}, UTC)
        values = {number.name: number.value for number in result.numbers}
        assert values["trades (USD)"] == "2"
        assert values["net_pnl (USD)"] == "74.50"
        assert values["win_rate (USD)"] == "0.5000"
        assert values["expectancy (USD)"] == "37.25"
        assert values["expectancy (USD, other)"] == "10.00"
        assert "net P&L 74.50 USD" in result.text
        assert "50.0%" in result.text
        assert result.chart is not None
        assert [(p.x, p.y) for p in result.chart.series["USD"]][1] == ("other trades", "10.00")

    def test_worst_setup_and_symbols_compared(self) -> None:
        worst = answer(parse_question("worst setup", TODAY), {"USD": TRADES}, UTC)
        assert "is pullback" in worst.text  # 20.00 against breakout's 74.50
        compared = answer(
            parse_question("P&L on NQ vs ES", TODAY, ["NQ", "ES"]), {"USD": TRADES}, UTC
        )
        assert compared.chart is not None
        assert [(p.x, p.y) for p in compared.chart.series["USD"]] == [
            ("ES", "34.50"),
            ("NQ", "60.00"),
        ]

    def test_worst_playbook_names_a_playbook_not_the_trades_under_none(self) -> None:
        playbooks = [
            dataclasses.replace(TRADES[0], playbook="ORB"),  # +100.00
            dataclasses.replace(TRADES[1], playbook="Pullback"),  # -40.00
            TRADES[2],  # -25.50 under no playbook: not a playbook to rank
            dataclasses.replace(TRADES[3], playbook="Pullback"),  # +60.00
        ]
        worst = answer(parse_question("my worst playbook", TODAY), {"USD": playbooks}, UTC)
        assert worst.text.startswith(
            "Your worst playbook by net P&L, all closed trades (USD), is Pullback:"
        )
        assert ("net_pnl (USD, Pullback)", "20.00") in [(n.name, n.value) for n in worst.numbers]
        assert worst.chart is not None
        assert [(p.x, p.y) for p in worst.chart.series["USD"]] == [
            ("(no playbook)", "-25.50"),
            ("ORB", "100.00"),
            ("Pullback", "20.00"),
        ]

    def test_no_trades_in_the_period_says_so(self) -> None:
        result = answer(parse_question("P&L in 2024", TODAY), {"USD": TRADES}, UTC)
        assert result.text == "You have no closed trades in 2024."
        assert result.numbers == []
        assert result.chart is None
