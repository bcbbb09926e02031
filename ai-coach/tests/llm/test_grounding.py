"""Only numbers the model was given may appear in what it writes."""

from __future__ import annotations

from ai_coach.llm.grounding import numbers_in, ungrounded


class TestNumbersIn:
    def test_reads_signs_decimals_separators_and_percentages(self) -> None:
        text = "You made -1,234.50 USD over 12 trades (55.1%), since 2026-06-01."
        assert numbers_in(text) == ["-1,234.50", "12", "55.1%", "2026", "06", "01"]


class TestUngrounded:
    def test_numbers_rounded_from_the_results_are_grounded(self) -> None:
        sources = ['{"net_pnl": "-1234.5", "win_rate": "0.5512", "trades": "12"}']
        text = "You lost 1,234.50 USD, won 55.1% of 12 trades; that is 1234 dollars."
        assert ungrounded(text, sources) == []

    def test_an_invented_number_is_reported(self) -> None:
        sources = ['{"net_pnl": "420.00", "trades": "9"}']
        assert ungrounded("You made 420.00 USD on 9 trades, 46.67 per trade.", sources) == ["46.67"]

    def test_a_percentage_must_come_from_a_fraction_it_was_given(self) -> None:
        assert ungrounded("Your win rate is 60%.", ["0.55"]) == ["60%"]
        assert ungrounded("Your win rate is 55%.", ["0.55"]) == []

    def test_numbers_of_the_question_may_be_repeated(self) -> None:
        assert ungrounded("On Mondays after 11 you made 20.00.", ["after 11", "20"]) == []
