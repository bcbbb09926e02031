"""Cutting winners early and letting losers run, from MFE and MAE where market data exists."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from scipy.stats import binomtest, mannwhitneyu

from ai_coach.analytics import ClosedTrade
from ai_coach.contracts.insight_create import Evidence, InsightCreate
from ai_coach.insights.evidence import figure, money, period
from ai_coach.insights.findings import Candidate, confidence

MIN_TRADES = 15
CAPTURE_TARGET = Decimal("0.5")


def excursion_candidates(trades: Sequence[ClosedTrade], currency: str) -> list[Candidate]:
    """Two tests on trades whose MFE/MAE is known (unknown is skipped, never 0).

    - cutting winners: winners that keep less than half of their MFE (gross P&L / MFE)
      are the majority, by a one-sided binomial test against 1/2; 15+ winners.
    - letting losers run: losers' adverse excursion |MAE| is larger than winners' MFE,
      by a one-sided Mann-Whitney U; 15+ of each.
    """
    winners = [
        t for t in trades if t.outcome == "win" and t.mfe and t.mfe > 0 and t.gross_pnl is not None
    ]
    losers = [t for t in trades if t.outcome == "loss" and t.mae is not None]
    candidates = []
    if len(winners) >= MIN_TRADES:
        cut = [t for t in winners if (t.gross_pnl or Decimal(0)) < CAPTURE_TARGET * (t.mfe or 0)]
        p_value = float(binomtest(len(cut), len(winners), 0.5, alternative="greater").pvalue)
        left = sum(
            (CAPTURE_TARGET * (t.mfe or 0) - (t.gross_pnl or Decimal(0)) for t in cut), Decimal(0)
        )

        def build_cut(q_value: float) -> InsightCreate:
            start, end = period(winners)
            return InsightCreate(
                kind="cutting_winners",
                title="You cut your winners early",
                body=(
                    f"{len(cut)} of your {len(winners)} winners kept less than half of the "
                    f"best open profit they reached; keeping half would have added "
                    f"{money(left)} {currency}."
                ),
                evidence=Evidence(
                    metrics={
                        "winners_with_mfe": str(len(winners)),
                        "winners_below_half_mfe": str(len(cut)),
                        "p_value": f"{p_value:.4g}",
                        "q_value": f"{q_value:.4g}",
                    },
                    sample_size=len(winners),
                    position_ids=[t.id for t in cut],
                ),
                confidence=confidence("one-sided binomial test", p_value, q_value),
                cost=money(left),
                currency=currency,
                suggested_rule="Trail the stop instead of taking profit before half the MFE.",
                period_start=start,
                period_end=end,
            )

        candidates.append(Candidate("cutting_winners", p_value, build_cut))
    winners_mfe = [t for t in trades if t.outcome == "win" and t.mfe is not None]
    if len(losers) >= MIN_TRADES and len(winners_mfe) >= MIN_TRADES:
        heat = [float(abs(t.mae or Decimal(0))) for t in losers]
        gain = [float(abs(t.mfe or Decimal(0))) for t in winners_mfe]
        p_run = float(mannwhitneyu(heat, gain, alternative="greater").pvalue)

        def build_run(q_value: float) -> InsightCreate:
            start, end = period([*losers, *winners_mfe])
            mean_heat = Decimal(str(sum(heat) / len(heat)))
            mean_gain = Decimal(str(sum(gain) / len(gain)))
            stop = money(mean_gain)
            saved, stopped = stop_saving(trades, stop)
            return InsightCreate(
                kind="letting_losers_run",
                title="You let losers run further than winners",
                body=(
                    f"Your {len(losers)} losers went {money(mean_heat)} {currency} against "
                    f"you on average; your {len(winners_mfe)} winners only went "
                    f"{money(mean_gain)} {currency} in your favour. A hard stop {stop} "
                    f"{currency} from entry would have closed {len(stopped)} trades there and "
                    f"changed your P&L by {money(saved)} {currency}."
                ),
                evidence=Evidence(
                    metrics={
                        "losers_with_mae": str(len(losers)),
                        "winners_with_mfe": str(len(winners_mfe)),
                        "mean_mae_losers": figure(mean_heat),
                        "mean_mfe_winners": figure(mean_gain),
                        "trades_reaching_stop": str(len(stopped)),
                        "stop_would_change_pnl_by": figure(saved),
                        "p_value": f"{p_run:.4g}",
                        "q_value": f"{q_value:.4g}",
                    },
                    sample_size=len(losers) + len(winners_mfe),
                    position_ids=[t.id for t in losers],
                ),
                confidence=confidence("one-sided Mann-Whitney U", p_run, q_value),
                cost=money(saved) if saved > 0 else None,
                currency=currency,
                suggested_rule=(
                    f"Place a hard stop no further than {stop} {currency} "
                    "(your winners' typical MFE) from entry."
                ),
                period_start=start,
                period_end=end,
            )

        candidates.append(Candidate("letting_losers_run", p_run, build_run))
    return candidates


def stop_saving(trades: Sequence[ClosedTrade], stop: Decimal) -> tuple[Decimal, list[ClosedTrade]]:
    """What a hard stop `stop` from entry would have changed, and the trades it would close.

    A trade whose adverse excursion reached the stop would have closed at -stop (gross;
    fees are paid either way) instead of its gross P&L; winners that dipped that far count
    too, as lost wins. Trades without MAE are left out (unknown is never 0).
    """
    stopped = [t for t in trades if t.mae is not None and abs(t.mae) >= stop]
    saved = sum(
        (-stop - (t.gross_pnl if t.gross_pnl is not None else t.net_pnl) for t in stopped),
        Decimal(0),
    )
    return saved, stopped
