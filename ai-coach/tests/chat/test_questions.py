"""The question grammar: plain words to analytics queries."""

from __future__ import annotations

import datetime as dt

import pytest

from ai_coach.chat.questions import NotUnderstoodError, Question, parse_question

TODAY = dt.date(2026, 11, 26)  # a Thursday in the fourth quarter
SYMBOLS = ("NQ", "ES", "AAPL")
TAGS = ("breakout", "pullback")


def ask(text: str) -> Question:
    return parse_question(text, TODAY, SYMBOLS, TAGS)


class TestParseQuestion:
    def test_mondays_after_11_filters_entry_weekday_and_hour(self) -> None:
        question = ask("how do I do on Mondays after 11?")
        assert question.weekdays == ("monday",)
        assert (question.hour_from, question.hour_to) == (11, None)
        assert question.group_by is None
        assert question.shown == ("trades", "net_pnl", "win_rate", "expectancy")

    def test_worst_setup_this_quarter_ranks_setups_by_pnl(self) -> None:
        question = ask("my worst setup this quarter")
        assert (question.group_by, question.rank, question.ranked_by) == ("tag", "worst", "net_pnl")
        assert (question.start, question.end) == (dt.date(2026, 10, 1), TODAY)

    def test_worst_playbook_this_quarter_ranks_playbooks_not_tags(self) -> None:
        question = ask("my worst playbook this quarter")
        assert (question.group_by, question.rank) == ("playbook", "worst")
        assert (question.start, question.end) == (dt.date(2026, 10, 1), TODAY)
        assert ask("win rate by criterion").group_by == "criterion"
        assert ask("best checklist item").group_by == "criterion"

    def test_two_symbols_compare_them_since_the_last_june(self) -> None:
        question = ask("P&L on NQ vs ES since June")
        assert question.symbols == ("NQ", "ES")
        assert question.group_by == "symbol"
        assert question.metrics == ("net_pnl",)
        assert (question.start, question.end) == (dt.date(2026, 6, 1), TODAY)
        assert ask("since December").start == dt.date(2025, 12, 1)

    @pytest.mark.parametrize(
        ("text", "start", "end"),
        [
            ("win rate last week", dt.date(2026, 11, 16), dt.date(2026, 11, 22)),
            ("win rate this week", dt.date(2026, 11, 23), TODAY),
            ("expectancy last month", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
            ("expectancy last quarter", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
            ("profit factor in 2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
            ("profit factor in March 2025", dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
            ("P&L last 30 days", dt.date(2026, 10, 28), TODAY),
            ("P&L yesterday", dt.date(2026, 11, 25), dt.date(2026, 11, 25)),
            ("trade count since 2024", dt.date(2024, 1, 1), TODAY),
        ],
    )
    def test_periods(self, text: str, start: dt.date, end: dt.date) -> None:
        question = ask(text)
        assert (question.start, question.end) == (start, end)

    def test_groupings_metrics_and_hour_ranges(self) -> None:
        question = ask("win rate and profit factor by hour between 9am and 2pm for breakout")
        assert question.metrics == ("win_rate", "profit_factor")
        assert question.group_by == "hour"
        assert (question.hour_from, question.hour_to) == (9, 14)
        assert question.tags == ("breakout",)
        assert ask("how many trades per day of week").group_by == "weekday"
        assert ask("best asset class").group_by == "asset_class"

    def test_an_unknown_question_lists_what_is_understood(self) -> None:
        with pytest.raises(NotUnderstoodError, match="since June") as raised:
            ask("what is the weather like?")
        assert "worst or best setup" in str(raised.value)

    def test_words_that_are_not_the_traders_symbols_are_ignored(self) -> None:
        assert ask("P&L on TSLA").symbols == ()
