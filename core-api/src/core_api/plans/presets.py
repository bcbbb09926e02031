"""Ready-made rule sets to start a plan from: generic prop-firm evaluations and funded
accounts, named by what they hold rather than by any firm."""

from __future__ import annotations

from typing import Any

from tradeloop_contracts import PlanPreset, PlanPresetList


def _preset(preset_id: str, name: str, description: str, *rules: dict[str, Any]) -> PlanPreset:
    return PlanPreset.model_validate(
        {"id": preset_id, "name": name, "description": description, "rules": list(rules)}
    )


def _rule(name: str, **params: Any) -> dict[str, Any]:
    return {"name": name, "enabled": True, "params": params}


PRESETS = PlanPresetList(
    items=[
        _preset(
            "futures-evaluation-50k",
            "Futures evaluation, 50,000",
            "Daily loss 1,100, end-of-day trailing drawdown 2,000 locked at the start balance "
            "plus 100, best day at most 50% of profit, 5 trading days, 5 contracts.",
            _rule("Daily loss", kind="max_daily_loss", amount="1100"),
            _rule(
                "Trailing drawdown",
                kind="trailing_drawdown",
                amount="2000",
                basis="end_of_day",
                lock_at="100",
            ),
            _rule("Consistency", kind="consistency", max_day_share_percent="50"),
            _rule("Trading days", kind="min_trading_days", count=5),
            _rule("Contracts", kind="max_open_contracts", count="5", asset_class="future"),
        ),
        _preset(
            "futures-evaluation-100k",
            "Futures evaluation, 100,000",
            "Daily loss 2,200, end-of-day trailing drawdown 3,000 locked at the start balance "
            "plus 100, best day at most 50% of profit, 5 trading days, 10 contracts.",
            _rule("Daily loss", kind="max_daily_loss", amount="2200"),
            _rule(
                "Trailing drawdown",
                kind="trailing_drawdown",
                amount="3000",
                basis="end_of_day",
                lock_at="100",
            ),
            _rule("Consistency", kind="consistency", max_day_share_percent="50"),
            _rule("Trading days", kind="min_trading_days", count=5),
            _rule("Contracts", kind="max_open_contracts", count="10", asset_class="future"),
        ),
        _preset(
            "futures-evaluation-50k-intraday",
            "Futures evaluation, 50,000, intraday trailing",
            "No daily loss limit; a trailing drawdown of 2,500 that follows every close, "
            "locked at the start balance plus 100; best day at most 30% of profit, "
            "7 trading days, 10 contracts.",
            _rule(
                "Trailing drawdown",
                kind="trailing_drawdown",
                amount="2500",
                basis="intraday",
                lock_at="100",
            ),
            _rule("Consistency", kind="consistency", max_day_share_percent="30"),
            _rule("Trading days", kind="min_trading_days", count=7),
            _rule("Contracts", kind="max_open_contracts", count="10", asset_class="future"),
        ),
        _preset(
            "futures-funded-50k",
            "Funded futures account, 50,000",
            "After passing: daily loss 1,000, end-of-day trailing drawdown 2,000 locked at the "
            "start balance plus 100, best day at most 30% of profit between payouts, "
            "5 contracts, and a stop after 3 losers in a row.",
            _rule("Daily loss", kind="max_daily_loss", amount="1000"),
            _rule(
                "Trailing drawdown",
                kind="trailing_drawdown",
                amount="2000",
                basis="end_of_day",
                lock_at="100",
            ),
            _rule("Consistency", kind="consistency", max_day_share_percent="30"),
            _rule("Contracts", kind="max_open_contracts", count="5", asset_class="future"),
            _rule("Losing streak", kind="max_consecutive_losses", count=3),
        ),
    ]
)
