"""Typed builders for the rules engine's inputs."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from core_api.plans.engine import PlanRule, PositionFacts, VersionRules, rule_of

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in New York
EARLY = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def rule(params: dict[str, Any], name: str | None = None, enabled: bool = True) -> PlanRule:
    return rule_of(
        {
            "id": uuid.uuid4(),
            "name": name or str(params["kind"]),
            "enabled": enabled,
            "params": params,
        }
    )


def plan(*rules: PlanRule, version: int = 1, since: dt.datetime = EARLY) -> VersionRules:
    return VersionRules(version=version, effective_from=since, rules=rules)


def position(
    opened_at: dt.datetime,
    pnl: str = "0",
    closed_after: dt.timedelta | None = dt.timedelta(minutes=5),
    *,
    quantity: str = "100",
    entry: str = "10",
    symbol: str = "AAPL",
    asset_class: str = "stock",
    stop: str | None = None,
    journal_at: dt.datetime | None = None,
    **extra: Any,
) -> PositionFacts:
    """A position in New York trading days; closed `closed_after` its open unless None."""
    closed_at = opened_at + closed_after if closed_after is not None else None
    net = Decimal(pnl)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "account_id": uuid.UUID(int=1),
        "asset_class": asset_class,
        "symbol": symbol,
        "underlying": None,
        "direction": "long",
        "status": "closed" if closed_at else "open",
        "opened_at": opened_at,
        "closed_at": closed_at,
        "opened_day": _ny_day(opened_at),
        "closed_day": _ny_day(closed_at) if closed_at else None,
        "max_quantity": Decimal(quantity),
        "avg_entry_price": Decimal(entry),
        "avg_exit_price": Decimal(entry) if closed_at else None,
        "multiplier": Decimal(1),
        "pnl": net,
        "currency": "USD",
        "fees": Decimal(0),
        "outcome": (
            None if closed_at is None else "win" if net > 0 else "loss" if net < 0 else "breakeven"
        ),
        "tags": (),
        "initial_stop": Decimal(stop) if stop is not None else None,
        "holding_seconds": int(closed_after.total_seconds()) if closed_after else None,
        "opening_execution_id": uuid.uuid4(),
        "opening_side": "buy",
        "opening_quantity": Decimal(quantity),
        "opening_price": Decimal(entry),
        "opening_commission": Decimal(0),
        "opening_fees": Decimal(0),
        "first_journal_at": journal_at,
    }
    values.update(extra)
    return PositionFacts(**values)


def _ny_day(moment: dt.datetime) -> dt.date:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("America/New_York")).date()
