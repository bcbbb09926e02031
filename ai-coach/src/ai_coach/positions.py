"""core's positions as the coach's closed trades, per currency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from ai_coach.analytics import ClosedTrade, classify
from ai_coach.contracts.playbook_list import Playbook
from ai_coach.contracts.position_page import Position


def to_trade(position: Position, playbooks: Sequence[Playbook] = ()) -> ClosedTrade | None:
    """The closed trade of a position, or None while it is still open.

    Its criteria groups need the position's playbook among `playbooks` (core's list).
    """
    if position.closed_at is None:
        return None
    holding = position.holding_seconds
    if holding is None:
        holding = int((position.closed_at - position.opened_at).total_seconds())
    followed = position.playbook
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
        size=_size(position),
        gross_pnl=position.realised_pnl_gross,
        r_multiple=position.r_multiple,
        mfe=position.mfe,
        mae=position.mae,
        playbook=followed.name if followed is not None else None,
        criteria=_criteria(position, playbooks),
    )


def _criteria(position: Position, playbooks: Sequence[Playbook]) -> tuple[str, ...]:
    """`<playbook> · <criterion> · met|missed` for each criterion of the position's playbook:
    checked against every criterion it holds now (core's definition of adherence)."""
    followed = position.playbook
    if followed is None:
        return ()
    met = set(followed.criteria_met)
    for playbook in playbooks:
        if playbook.id == followed.playbook_id:
            return tuple(
                f"{playbook.name} · {item.text} · {'met' if item.id in met else 'missed'}"
                for item in playbook.criteria
            )
    return ()


def strategy_trade(
    strategy_id: UUID, legs: Sequence[Position], playbooks: Sequence[Playbook] = ()
) -> ClosedTrade:
    """The closed legs of one multi-leg strategy as one trade, as core's statistics count it.

    Net and gross P&L and size are the legs' sums, the outcome is judged on the net sum
    (band zero: core sends no verdict for the whole), holding runs from the first leg's
    open to the last leg's close, tags are every leg's, and the playbook is the first
    leg's; R, MAE and MFE are unknown.
    """
    opened_at = min(leg.opened_at for leg in legs)
    closed_at = max(leg.closed_at for leg in legs if leg.closed_at is not None)
    net = sum((leg.realised_pnl_net for leg in legs), Decimal(0))
    first = min(legs, key=lambda leg: leg.opened_at)
    return ClosedTrade(
        id=strategy_id,
        net_pnl=net,
        outcome=classify(net),
        opened_at=opened_at,
        closed_at=closed_at,
        holding_seconds=int((closed_at - opened_at).total_seconds()),
        account_id=first.account_id,
        symbol=first.instrument.underlying or first.instrument.symbol,
        asset_class=first.instrument.asset_class,
        tags=tuple(dict.fromkeys(tag for leg in legs for tag in leg.tags or ())),
        size=sum((_size(leg) for leg in legs), Decimal(0)),
        gross_pnl=sum((leg.realised_pnl_gross for leg in legs), Decimal(0)),
        playbook=first.playbook.name if first.playbook is not None else None,
        criteria=_criteria(first, playbooks),
    )


def _size(position: Position) -> Decimal:
    return abs(position.max_quantity * position.avg_entry_price * position.instrument.multiplier)


def trades_by_currency(
    positions: Sequence[Position], playbooks: Sequence[Playbook] = ()
) -> dict[str, list[ClosedTrade]]:
    """The closed trades of each currency, currencies in order (amounts never mix).

    The closed legs of one strategy (`strategy_id`) are one trade, where its first leg
    comes in `positions`.
    """
    strategies: dict[UUID, list[Position]] = defaultdict(list)
    for position in positions:
        if position.strategy_id is not None and position.closed_at is not None:
            strategies[position.strategy_id].append(position)
    by_currency: dict[str, list[ClosedTrade]] = defaultdict(list)
    for position in positions:
        if position.strategy_id in strategies:
            legs = strategies.pop(position.strategy_id)
            by_currency[position.currency].append(
                strategy_trade(position.strategy_id, legs, playbooks)
            )
        elif position.strategy_id is None and (trade := to_trade(position, playbooks)) is not None:
            by_currency[position.currency].append(trade)
    return dict(sorted(by_currency.items()))
