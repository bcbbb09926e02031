"""core's positions as the coach's closed trades, per currency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ai_coach.analytics import ClosedTrade, classify
from ai_coach.contracts.position_page import Position


def to_trade(position: Position) -> ClosedTrade | None:
    """The closed trade of a position, or None while it is still open."""
    if position.closed_at is None:
        return None
    holding = position.holding_seconds
    if holding is None:
        holding = int((position.closed_at - position.opened_at).total_seconds())
    return ClosedTrade(
        id=position.id,
        net_pnl=position.realised_pnl_net,
        # core knows the account's breakeven band; without its verdict the band is zero.
        outcome=position.outcome or classify(position.realised_pnl_net),
        opened_at=position.opened_at,
        closed_at=position.closed_at,
        holding_seconds=holding,
        account_id=position.account_id,
        symbol=position.instrument.symbol,
        asset_class=position.instrument.asset_class,
        tags=tuple(position.tags or ()),
        size=abs(position.max_quantity * position.avg_entry_price * position.instrument.multiplier),
        gross_pnl=position.realised_pnl_gross,
        r_multiple=position.r_multiple,
        mfe=position.mfe,
        mae=position.mae,
    )


def trades_by_currency(positions: Sequence[Position]) -> dict[str, list[ClosedTrade]]:
    """The closed trades of each currency, currencies in order (amounts never mix)."""
    by_currency: dict[str, list[ClosedTrade]] = defaultdict(list)
    for position in positions:
        trade = to_trade(position)
        if trade is not None:
            by_currency[position.currency].append(trade)
    return dict(sorted(by_currency.items()))
