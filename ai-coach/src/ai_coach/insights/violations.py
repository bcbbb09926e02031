"""The cost of breaking the trading plan: what keeping each rule would have saved."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from uuid import UUID

from ai_coach.analytics import ClosedTrade
from ai_coach.contracts.insight_create import Evidence, InsightCreate
from ai_coach.contracts.violation_page import Violation
from ai_coach.insights.evidence import figure, money, period
from ai_coach.insights.findings import Candidate, confidence, mean_pnl, worse_than

MIN_SAMPLE = 10

# What each kind of rule is called in a sentence, and the rule that keeps it.
RULES: dict[str, tuple[str, str]] = {
    "max_daily_loss": (
        "daily loss limit",
        "When the day's loss reaches the limit, close the platform for the day.",
    ),
    "max_trades_per_day": (
        "trades-per-day limit",
        "Count the day's trades before each entry; at the limit, stop for the day.",
    ),
    "max_position_size": (
        "position size limit",
        "Set the order size from the plan's limit before the entry, never at the entry.",
    ),
    "max_risk_per_trade": (
        "risk per trade limit",
        "Place the stop first and size the trade so the risk stays within the plan.",
    ),
    "trading_window": (
        "trading window",
        "No new entries outside the plan's trading window.",
    ),
    "cooldown_after_loss": (
        "cooldown after a loss",
        "After a loss, wait out the plan's cooldown before the next entry.",
    ),
    "max_consecutive_losses": (
        "consecutive losses limit",
        "After the plan's number of losses in a row, stop for the day.",
    ),
    "symbols": ("symbol list", "Trade only the symbols the plan allows."),
    "journal_required": (
        "journal rule",
        "Write the journal entry of each closed trade before the next entry.",
    ),
    "custom": ("custom rule", "Check the custom rule before every entry."),
}


def violation_candidates(
    trades: Sequence[ClosedTrade], violations: Sequence[Violation], currency: str
) -> list[Candidate]:
    """Each plan rule whose broken trades do worse than the trades that kept it.

    Only violations of this currency that name one of these closed positions count (a
    day's violation names the position that broke it). One-sided Mann-Whitney U on net
    P&L, the positions behind the rule's violations against every other position; at
    least 10 of each. The cost is what the plan would have saved: the negated sum of the
    violations' costs (core's P&L of the positions behind each), when that is a saving.
    """
    by_id = {trade.id: trade for trade in trades}
    by_rule: dict[UUID, list[Violation]] = defaultdict(list)
    for violation in violations:
        if violation.currency == currency and violation.position_id in by_id:
            by_rule[violation.rule_id].append(violation)
    candidates = []
    for rule_violations in by_rule.values():
        broken_ids = {violation.position_id for violation in rule_violations}
        broken = [trade for trade in trades if trade.id in broken_ids]
        kept = [trade for trade in trades if trade.id not in broken_ids]
        if len(broken) < MIN_SAMPLE or len(kept) < MIN_SAMPLE:
            continue
        p_value = worse_than(broken, kept)
        candidates.append(
            Candidate(
                f"rule_violation_cost_{rule_violations[0].rule_kind}",
                p_value,
                _builder(rule_violations, broken, kept, p_value, currency),
            )
        )
    return candidates


def _builder(
    rule_violations: list[Violation],
    broken: list[ClosedTrade],
    kept: list[ClosedTrade],
    p_value: float,
    currency: str,
) -> Callable[[float], InsightCreate]:
    first = rule_violations[0]
    name, keep_it = RULES[first.rule_kind]
    saved = -sum((violation.cost for violation in rule_violations), Decimal(0))

    def build(q_value: float) -> InsightCreate:
        start, end = period(broken)
        title = (
            f"Breaking your {name} cost you {money(saved)} {currency}"
            if saved > 0
            else f"Trades that break your {name} do worse"
        )
        return InsightCreate(
            kind=f"rule_violation_cost_{first.rule_kind}",
            title=title,
            body=(
                f"You broke your {name} {len(rule_violations)} times, on {len(broken)} "
                f"trades that made {money(mean_pnl(broken))} {currency} per trade; the "
                f"{len(kept)} trades that kept it made {money(mean_pnl(kept))} {currency}. "
                f"Keeping it would have changed your P&L by {money(saved)} {currency}."
            ),
            evidence=Evidence(
                metrics={
                    "rule_id": str(first.rule_id),
                    "rule_kind": first.rule_kind,
                    "violations": str(len(rule_violations)),
                    "positions_breaking": str(len(broken)),
                    "positions_keeping": str(len(kept)),
                    "expectancy_breaking": figure(mean_pnl(broken)),
                    "expectancy_keeping": figure(mean_pnl(kept)),
                    "pnl_of_violations": figure(-saved),
                    "p_value": f"{p_value:.4g}",
                    "q_value": f"{q_value:.4g}",
                },
                sample_size=len(broken) + len(kept),
                position_ids=[trade.id for trade in broken],
            ),
            confidence=confidence("one-sided Mann-Whitney U", p_value, q_value),
            cost=money(saved) if saved > 0 else None,
            currency=currency,
            suggested_rule=keep_it,
            period_start=start,
            period_end=end,
        )

    return build
