"""core's positions as the coach's closed trades, per currency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

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
        size=abs(position.max_quantity * position.avg_entry_price * position.instrument.multiplier),
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


def trades_by_currency(
    positions: Sequence[Position], playbooks: Sequence[Playbook] = ()
) -> dict[str, list[ClosedTrade]]:
    """The closed trades of each currency, currencies in order (amounts never mix)."""
    by_currency: dict[str, list[ClosedTrade]] = defaultdict(list)
    for position in positions:
        trade = to_trade(position, playbooks)
        if trade is not None:
            by_currency[position.currency].append(trade)
    return dict(sorted(by_currency.items()))
