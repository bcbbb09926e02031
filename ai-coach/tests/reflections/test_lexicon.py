"""The lexicon tagger: emotions and mistakes with their phrases, negations respected."""

from __future__ import annotations

import pytest

from ai_coach.reflections.lexicon import analyse, labels_of


@pytest.mark.parametrize(
    ("text", "label", "phrase"),
    [
        ("I was so anxious at the open", "fear", "anxious"),
        ("Pure greed, I wanted more from the runner", "greed", "wanted more"),
        ("Frustrated after the third stop-out", "frustration", "frustrated"),
        ("Felt confident in the setup", "confidence", "confident"),
        ("Bored, took a trade for something to do", "boredom", "for something to do"),
        ("I should have waited for the retest", "regret", "should have"),
        ("Calm and patient all morning", "calm", "calm"),
        ("Total FOMO on NVDA, chased the breakout", "fomo", "fomo"),
        ("Revenge trade to make it back", "revenge", "revenge"),
        ("I moved my stop twice", "moved_stop", "moved my stop"),
        ("Position was way too big", "oversized", "too big"),
        ("Got out too early again", "early_exit", "got out too early"),
        ("Impulsive entry with no plan", "no_plan", "no plan"),
    ],
)
def test_each_label_is_found_with_the_phrase_as_written(text: str, label: str, phrase: str) -> None:
    assert phrase in labels_of(text)[label]


@pytest.mark.parametrize(
    "text",
    [
        "I was not anxious at all",
        "Never scared of this setup",
        "didn't feel nervous today",
        "I wasn't worried",
    ],
)
def test_a_negated_feeling_is_not_tagged(text: str) -> None:
    assert "fear" not in labels_of(text)
    assert any(match.negated for match in analyse(text))


def test_a_negation_in_an_earlier_clause_does_not_carry_over() -> None:
    assert "fear" in labels_of("No size today, but anxious anyway")
    assert "fear" in labels_of("Not a good day. Anxious from the open")


def test_a_phrase_inside_a_longer_one_belongs_to_the_longer_one() -> None:
    labels = labels_of("Fear of missing out again")
    assert "fomo" in labels
    assert "fear" not in labels


def test_no_plan_carries_its_own_negation() -> None:
    assert labels_of("Traded with no plan") == {"no_plan": ["no plan"]}


def test_text_without_feelings_has_no_labels() -> None:
    assert labels_of("Bought 100 AAPL at 187.20, sold at 188.00.") == {}
    assert labels_of("") == {}


def test_curly_apostrophes_negate_like_straight_ones() -> None:
    assert "fear" not in labels_of("I didn\u2019t feel anxious")
