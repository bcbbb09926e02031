"""A transparent lexicon tagger of emotions and mistakes in journal text.

Every label is a list of phrases (lower case, whole words; a trailing `*` matches any
word ending). A phrase counts unless a negation word ("not", "no", "never", "didn't",
...) stands within the three words before it in the same clause, so "not anxious"
is not fear. The matched phrases are kept as evidence; nothing leaves the process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Category = Literal["emotion", "mistake"]


@dataclass(frozen=True)
class Label:
    """One emotion or mistake: its phrases and, for mistakes, the rule that prevents it."""

    name: str
    category: Category
    phrases: tuple[str, ...]
    rule: str | None = None


LABELS: tuple[Label, ...] = (
    Label(
        "fear",
        "emotion",
        (
            "afraid",
            "anxious",
            "anxiety",
            "fear*",
            "nervous",
            "scared",
            "panic*",
            "worried",
            "hesitat*",
        ),
    ),
    Label(
        "greed",
        "emotion",
        (
            "greed*",
            "wanted more",
            "get rich",
            "all in",
            "double down",
            "easy money",
            "could not stop",
            "couldn't stop",
        ),
    ),
    Label(
        "frustration",
        "emotion",
        ("frustrat*", "angry", "annoyed", "pissed", "furious", "irritated", "mad at"),
    ),
    Label(
        "confidence",
        "emotion",
        ("confident", "confidence", "sure of", "conviction", "trusted my", "in control"),
    ),
    Label(
        "boredom",
        "emotion",
        ("bored", "boredom", "nothing to do", "slow day", "for something to do"),
    ),
    Label(
        "regret",
        "emotion",
        ("regret*", "should have", "shouldn't have", "wish i had", "kicking myself"),
    ),
    Label("calm", "emotion", ("calm", "relaxed", "patient", "focused", "disciplined", "at ease")),
    Label(
        "fomo",
        "mistake",
        ("fomo", "fear of missing", "missing out", "chased", "chasing", "jumped in late"),
        "Enter only at your planned level; if price has left it, let the trade go.",
    ),
    Label(
        "revenge",
        "mistake",
        ("revenge", "get it back", "win it back", "make it back", "get even"),
        "After a loss, wait 15 minutes before the next entry.",
    ),
    Label(
        "moved_stop",
        "mistake",
        (
            "moved my stop",
            "moved the stop",
            "widened my stop",
            "widened the stop",
            "pulled my stop",
            "removed my stop",
            "no stop",
        ),
        "Set the stop with the entry and never widen it.",
    ),
    Label(
        "oversized",
        "mistake",
        (
            "oversized",
            "too big",
            "too large",
            "size was too",
            "too much size",
            "over-leveraged",
            "overleveraged",
        ),
        "Size every trade from the plan's risk per trade before entering.",
    ),
    Label(
        "early_exit",
        "mistake",
        (
            "exited early",
            "exited too early",
            "cut it early",
            "took profit too early",
            "sold too early",
            "closed too early",
            "got out too early",
            "left money",
        ),
        "Exit winners only at the target or the trailing stop.",
    ),
    Label(
        "no_plan",
        "mistake",
        (
            "no plan",
            "without a plan",
            "impulsive",
            "impulse",
            "gut feeling",
            "off plan",
            "not in my plan",
            "random trade",
        ),
        "Write the setup, entry, stop and target before every trade.",
    ),
)
LABELS_BY_NAME = {label.name: label for label in LABELS}

NEGATIONS = frozenset(
    {
        "not",
        "no",
        "never",
        "without",
        "nor",
        "hardly",
        "wasn't",
        "weren't",
        "isn't",
        "didn't",
        "don't",
        "doesn't",
        "wasnt",
        "didnt",
        "dont",
        "barely",
        "neither",
        "nothing",
    }
)
NEGATION_WINDOW = 3
# Words and clause breaks; apostrophes stay inside words.
_TOKEN = re.compile(r"[a-z0-9]+(?:['\u2019-][a-z0-9]+)*|[.,;:!?]")
_CLAUSE_BREAKS = frozenset(".,;:!?") | {"but", "though", "although", "however"}


@dataclass(frozen=True)
class Match:
    """A phrase found in a text: the label, the words as written and whether it was negated."""

    label: str
    category: Category
    phrase: str
    negated: bool


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


def _word_matches(pattern: str, word: str) -> bool:
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return word == pattern


def _negated(tokens: list[str], start: int) -> bool:
    for index in range(start - 1, max(start - 1 - NEGATION_WINDOW, -1), -1):
        if tokens[index] in _CLAUSE_BREAKS:
            return False
        if tokens[index] in NEGATIONS:
            return True
    return False


def analyse(text: str) -> list[Match]:
    """Every phrase of every label in the text, in order, negated ones marked.

    Never fails: any text, empty included, gives a (possibly empty) list.
    """
    tokens = _tokens(text)
    found: list[tuple[int, int, Match]] = []
    for label in LABELS:
        for phrase in label.phrases:
            words = _tokens(phrase.replace("*", "")) if "*" not in phrase else [phrase]
            size = len(words)
            for start in range(len(tokens) - size + 1):
                if all(
                    _word_matches(word, tokens[start + offset]) for offset, word in enumerate(words)
                ):
                    written = " ".join(tokens[start : start + size])
                    # "no stop" and "no plan" carry their own negation.
                    negated = words[0] not in NEGATIONS and _negated(tokens, start)
                    match = Match(label.name, label.category, written, negated)
                    found.append((start, start + size, match))
    # A phrase inside a longer one ("fear" in "fear of missing") belongs to the longer one.
    kept = [
        (start, end, match)
        for start, end, match in found
        if not any(
            other_start <= start and end <= other_end and (other_end - other_start) > end - start
            for other_start, other_end, _ in found
        )
    ]
    kept.sort(key=lambda item: (item[0], item[1]))
    return [match for _, _, match in kept]


def labels_of(text: str) -> dict[str, list[str]]:
    """The labels the text expresses (negations removed), each with its matched phrases."""
    labels: dict[str, list[str]] = {}
    for match in analyse(text):
        if not match.negated:
            labels.setdefault(match.label, [])
            if match.phrase not in labels[match.label]:
                labels[match.label].append(match.phrase)
    return labels
