"""Contracts bodies as edge would answer them, with defaults a test can override."""

from __future__ import annotations

import datetime as dt
import struct
import uuid
import zlib
from decimal import Decimal
from typing import Any

from tradeloop_contracts import (
    Account,
    AccountBalance,
    AccountList,
    Adherence,
    Analytics,
    Attachment,
    AttachmentList,
    BrokerConnection,
    BrokerConnectionList,
    CashMovement,
    CashMovementList,
    ChatReply,
    CsvPreview,
    Dashboard,
    FeeSchedule,
    ImportDetail,
    ImportJob,
    ImportPage,
    Insight,
    InsightList,
    JournalEntry,
    JournalEntryPage,
    PlanLimits,
    PlanPresetList,
    PlanPreview,
    PlanVersionList,
    Playbook,
    PositionBars,
    PositionDetail,
    PositionPage,
    PositionPlaybook,
    SavedColumnMapping,
    SavedColumnMappingList,
    Statistics,
    Strategy,
    TradingPlan,
    User,
    Violation,
    ViolationPage,
    WeeklyReview,
    WeeklyReviewList,
)

OPENED = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
CLOSED = dt.datetime(2026, 3, 2, 16, 45, tzinfo=dt.UTC)
ACCOUNT_ID = uuid.UUID("0b0d6f4c-4c0a-4d8e-9d6b-5d2f0c6c1a01")


def a_user(**overrides: Any) -> User:
    return User.model_validate(
        {
            "id": uuid.uuid4(),
            "email": "trader@example.com",
            "time_zone": "UTC",
            "base_currency": "USD",
            "created_at": OPENED,
            **overrides,
        }
    )


def an_account(**overrides: Any) -> Account:
    return Account.model_validate(
        {
            "id": ACCOUNT_ID,
            "name": "Main margin",
            "broker": "ibkr",
            "account_number_masked": "••••1234",
            "base_currency": "USD",
            "time_zone": "America/New_York",
            "matching_method": "fifo",
            "breakeven_band": Decimal("1.00"),
            "created_at": OPENED,
            **overrides,
        }
    )


def an_account_balance(**overrides: Any) -> AccountBalance:
    return AccountBalance.model_validate(
        {
            "account_id": ACCOUNT_ID,
            "currency": "USD",
            "as_of": OPENED,
            "starting_balance": Decimal(25000),
            "cash_movements": Decimal("2500.00"),
            "realised_pnl_net": Decimal("1234.56"),
            "balance": Decimal("28734.56"),
            **overrides,
        }
    )


def a_cash_movement(**overrides: Any) -> CashMovement:
    return CashMovement.model_validate(
        {
            "id": uuid.uuid4(),
            "account_id": ACCOUNT_ID,
            "occurred_at": dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC),
            "amount": Decimal("5000.00"),
            "currency": "USD",
            "note": None,
            "created_at": OPENED,
            **overrides,
        }
    )


def a_cash_movement_list(*movements: CashMovement) -> CashMovementList:
    return CashMovementList(items=list(movements))


def a_fee_schedule(*rules: dict[str, str]) -> FeeSchedule:
    """An account's schedule: the rules given, or an ES rule, futures and stocks."""
    return FeeSchedule.model_validate(
        {
            "account_id": ACCOUNT_ID,
            "rules": list(rules)
            or [
                {"asset_class": "future", "root": "ES", "per_contract": "2.25"},
                {"asset_class": "future", "per_contract": "2.50"},
                {"asset_class": "stock", "per_share": "0.005", "minimum": "1.00"},
            ],
            "updated_at": "2026-03-02T18:00:00Z",
        }
    )


def an_execution(position_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "account_id": ACCOUNT_ID,
        "position_id": position_id,
        "executed_at": OPENED,
        "instrument": {"asset_class": "stock", "symbol": "AAPL"},
        "side": "buy",
        "quantity": Decimal("100"),
        "price": Decimal("187.25"),
        "commission": Decimal("1.00"),
        "fees": Decimal("0.02"),
        "currency": "USD",
        **overrides,
    }


def a_position(**overrides: Any) -> PositionDetail:
    position_id = overrides.pop("id", None) or uuid.uuid4()
    return PositionDetail.model_validate(
        {
            "id": position_id,
            "account_id": ACCOUNT_ID,
            "instrument": {"asset_class": "stock", "symbol": "AAPL"},
            "direction": "long",
            "status": "closed",
            "opened_at": OPENED,
            "closed_at": CLOSED,
            "open_quantity": Decimal("0"),
            "max_quantity": Decimal("100"),
            "avg_entry_price": Decimal("187.25"),
            "avg_exit_price": Decimal("189.10"),
            "realised_pnl_gross": Decimal("185.00"),
            "fees": Decimal("2.04"),
            "realised_pnl_net": Decimal("182.96"),
            "currency": "USD",
            "holding_seconds": 8100,
            "initial_stop": Decimal("186.25"),
            "stop_source": "trader",
            "r_multiple": Decimal("1.83"),
            "outcome": "win",
            "execution_count": 2,
            "executions": [
                an_execution(position_id),
                an_execution(
                    position_id,
                    executed_at=CLOSED,
                    side="sell",
                    price=Decimal("189.10"),
                ),
            ],
            **overrides,
        }
    )


def a_position_page(*positions: PositionDetail) -> PositionPage:
    return PositionPage(items=list(positions))


def an_option_leg(
    strategy_id: uuid.UUID,
    right: str,
    strike: str,
    direction: str,
    prices: tuple[str, str],
    net: str,
) -> PositionDetail:
    """A closed SPY option position, one leg of the strategy."""
    return a_position(
        instrument={
            "asset_class": "option",
            "symbol": f"SPY   260320{right[0].upper()}{int(strike) * 1000:08d}",
            "underlying": "SPY",
            "expiry": "2026-03-20",
            "strike": strike,
            "right": right,
            "multiplier": "100",
        },
        direction=direction,
        max_quantity=Decimal(1),
        avg_entry_price=Decimal(prices[0]),
        avg_exit_price=Decimal(prices[1]),
        realised_pnl_net=Decimal(net),
        strategy_id=strategy_id,
    )


def a_strategy(**overrides: Any) -> Strategy:
    """A closed SPY 510/515 call vertical: its long leg won 208.70, its short lost 26.30."""
    strategy_id = overrides.pop("id", None) or uuid.uuid4()
    legs = [
        an_option_leg(strategy_id, "call", "510", "long", ("4.10", "6.20"), "208.70"),
        an_option_leg(strategy_id, "call", "515", "short", ("2.05", "2.30"), "-26.30"),
    ]
    return Strategy.model_validate(
        {
            "id": strategy_id,
            "account_id": ACCOUNT_ID,
            "kind": "vertical",
            "underlying": "SPY",
            "status": "closed",
            "opened_at": OPENED,
            "closed_at": CLOSED,
            "realised_pnl_net": Decimal("182.40"),
            "fees": Decimal("2.60"),
            "currency": "USD",
            "legs": [leg.model_dump() for leg in legs],
            **overrides,
        }
    )


def statistics(**overrides: Any) -> Statistics:
    return Statistics.model_validate(
        {
            "currency": "USD",
            "trades": 4,
            "wins": 2,
            "losses": 1,
            "breakevens": 1,
            "net_pnl": Decimal("1234.50"),
            "gross_pnl": Decimal("1250.00"),
            "fees": Decimal("15.50"),
            "win_rate": Decimal("0.5"),
            "win_rate_excluding_breakevens": Decimal("0.6667"),
            "profit_factor": Decimal("3.25"),
            "payoff_ratio": Decimal("1.6"),
            "expectancy": Decimal("308.625"),
            "average_win": Decimal("800.00"),
            "average_loss": Decimal("-365.50"),
            "max_drawdown": Decimal("-365.50"),
            "equity_curve": [],
            "calendar": [],
            **overrides,
        }
    )


def an_insight(**overrides: Any) -> Insight:
    return Insight.model_validate(
        {
            "id": uuid.uuid4(),
            "kind": "revenge_trading",
            "title": "Trades after a loss lose more",
            "body": "Positions opened within 15 minutes of a loss averaged -120 USD.",
            "evidence": {
                "metrics": {"mean_net_pnl_after_loss": "-120.00", "mean_net_pnl": "35.10"},
                "sample_size": 18,
            },
            "confidence": "p=0.03",
            "cost": Decimal("-960.00"),
            "currency": "USD",
            "created_at": CLOSED,
            **overrides,
        }
    )


def a_dashboard(**overrides: Any) -> Dashboard:
    return Dashboard.model_validate(
        {
            "statistics": statistics(),
            "positions": a_position_page(a_position()),
            "insights": InsightList(items=[an_insight()]),
            "partial": [],
            **overrides,
        }
    )


def a_journal_entry(**overrides: Any) -> JournalEntry:
    return JournalEntry.model_validate(
        {
            "id": uuid.uuid4(),
            "body": "Waited for the **retest** this time.",
            "mood": 4,
            "created_at": CLOSED,
            "updated_at": CLOSED,
            **overrides,
        }
    )


def a_journal_page(*entries: JournalEntry) -> JournalEntryPage:
    return JournalEntryPage(items=list(entries))


def an_import(**overrides: Any) -> ImportDetail:
    return ImportDetail.model_validate(
        {
            "id": uuid.uuid4(),
            "account_id": ACCOUNT_ID,
            "filename": "flex-2026-03.csv",
            "format": "auto",
            "detected_format": "ibkr_flex_csv",
            "mode": "valid_only",
            "status": "completed",
            "size_bytes": 2048,
            "counts": {"new": 40, "duplicate": 2, "rejected": 1},
            "created_at": OPENED,
            "finished_at": CLOSED,
            "rejected_rows": [],
            **overrides,
        }
    )


def an_import_page(*jobs: ImportJob) -> ImportPage:
    return ImportPage(items=list(jobs))


def an_account_list(*accounts: Account) -> AccountList:
    return AccountList(items=list(accounts))


def a_calendar(*days: tuple[str, str, int]) -> dict[str, Any]:
    """`calendar` and `equity_curve` of Statistics for (day, net P&L, trades) triples."""
    calendar = [{"day": day, "net_pnl": Decimal(pnl), "trades": n} for day, pnl, n in days]
    running = Decimal(0)
    curve = []
    for day, pnl, _ in days:
        running += Decimal(pnl)
        curve.append({"day": day, "cumulative_net_pnl": running})
    return {"calendar": calendar, "equity_curve": curve}


def an_api_token(**overrides: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "name": "phone",
        "scopes": ["read"],
        "created_at": OPENED,
        **overrides,
    }


def a_position_bars(
    closes: list[str],
    *,
    start: dt.datetime = OPENED,
    interval: str = "15m",
    position_id: uuid.UUID | None = None,
    complete: bool = True,
) -> PositionBars:
    """A position's bars one interval apart from `start`, each opening at the previous
    close."""
    step = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "1d": 1440}[interval]
    bars = []
    previous = Decimal(closes[0])
    for index, close in enumerate(closes):
        value = Decimal(close)
        bars.append(
            {
                "time": start + dt.timedelta(minutes=step * index),
                "open": previous,
                "high": max(previous, value) + Decimal("0.10"),
                "low": min(previous, value) - Decimal("0.10"),
                "close": value,
                "volume": Decimal(1000 + index),
            }
        )
        previous = value
    return PositionBars.model_validate(
        {
            "symbol": "AAPL",
            "interval": interval,
            "bars": bars,
            "position_id": position_id or uuid.uuid4(),
            "complete": complete,
        }
    )


def a_rule(kind: str, name: str, **params: Any) -> dict[str, Any]:
    """A stored rule as core answers it: its params carry the kind, decimals as strings."""
    return {
        "id": uuid.uuid4(),
        "name": name,
        "enabled": True,
        "kind": kind,
        "params": {"kind": kind, **params},
    }


def a_plan(*rules: dict[str, Any], **overrides: Any) -> TradingPlan:
    return TradingPlan.model_validate(
        {
            "id": uuid.uuid4(),
            "version": 3,
            "effective_from": OPENED,
            "rules": list(rules),
            **overrides,
        }
    )


def a_violation(**overrides: Any) -> Violation:
    return Violation.model_validate(
        {
            "id": uuid.uuid4(),
            "rule_id": uuid.uuid4(),
            "rule_kind": "max_trades_per_day",
            "plan_version": 3,
            "day": dt.date(2026, 3, 2),
            "observed": "7 positions opened",
            "allowed": "at most 5",
            "cost": Decimal("-240.50"),
            "currency": "USD",
            "detected_at": CLOSED,
            **overrides,
        }
    )


def a_violation_page(*violations: Violation, next_cursor: str | None = None) -> ViolationPage:
    return ViolationPage(items=list(violations), next_cursor=next_cursor)


def a_broker_connection(**overrides: Any) -> BrokerConnection:
    return BrokerConnection.model_validate(
        {
            "id": uuid.uuid4(),
            "broker": "alpaca",
            "environment": "paper",
            "label": "Alpaca paper",
            "account_id": ACCOUNT_ID,
            "status": "active",
            "last_synced_at": CLOSED,
            "created_at": OPENED,
            **overrides,
        }
    )


def a_broker_connection_list(*connections: BrokerConnection) -> BrokerConnectionList:
    return BrokerConnectionList(items=list(connections))


def a_weekly_review(**overrides: Any) -> WeeklyReview:
    return WeeklyReview.model_validate(
        {
            "id": uuid.uuid4(),
            "week_start": dt.date(2026, 2, 23),
            "summary": "A **calmer** week: 9 trades against your usual 14.",
            "focus": "No new position within 15 minutes of closing a loser.",
            "metrics": {"trades": "9", "net_pnl": "412.50", "win_rate": "0.56"},
            "created_at": CLOSED,
            **overrides,
        }
    )


def a_weekly_review_list(*reviews: WeeklyReview) -> WeeklyReviewList:
    return WeeklyReviewList(items=list(reviews))


def a_version_history(plan: TradingPlan) -> PlanVersionList:
    """Versions 1..plan.version, a day apart, the newest in force."""
    versions = []
    for number in range(plan.version, 0, -1):
        starts = plan.effective_from - dt.timedelta(days=plan.version - number)
        versions.append(
            {
                **plan.model_dump(),
                "version": number,
                "effective_from": starts,
                "effective_until": None
                if number == plan.version
                else starts + dt.timedelta(days=1),
            }
        )
    return PlanVersionList.model_validate({"items": versions})


def an_adherence(plan: TradingPlan, **overrides: Any) -> Adherence:
    return Adherence.model_validate(
        {
            "adherence_rate": Decimal("0.875"),
            "rules": [
                {
                    "rule_id": plan.rules[1].id,
                    "kind": plan.rules[1].kind,
                    "name": plan.rules[1].name,
                    "evaluated": 40,
                    "violated": 5,
                    "adherence_rate": Decimal("0.875"),
                    "costs": [{"amount": Decimal("-812.40"), "currency": "USD"}],
                }
            ],
            "pnl": [
                {
                    "currency": "USD",
                    "net_pnl": Decimal("1234.50"),
                    "net_pnl_without_violations": Decimal("2046.90"),
                    "violating_positions": 5,
                }
            ],
            "current_streak_days": 3,
            "longest_streak_days": 11,
            **overrides,
        }
    )


def a_plan_preview(**overrides: Any) -> PlanPreview:
    return PlanPreview.model_validate(
        {
            "positions_evaluated": 120,
            "positions_flagged": 9,
            "days_flagged": 2,
            "violations": 11,
            "costs": [{"amount": Decimal("-640.25"), "currency": "USD"}],
            "rules": [
                {
                    "rule_index": 0,
                    "name": "Four a day",
                    "kind": "max_trades_per_day",
                    "positions_flagged": 9,
                    "days_flagged": 2,
                    "violations": 11,
                    "costs": [{"amount": Decimal("-640.25"), "currency": "USD"}],
                }
            ],
            **overrides,
        }
    )


def a_limit(kind: str, name: str, **figures: Any) -> dict[str, Any]:
    """One LimitDistance of the default account; `figures` as strings or values."""
    return {
        "rule_id": uuid.uuid4(),
        "name": name,
        "kind": kind,
        "account_id": ACCOUNT_ID,
        "breached": False,
        **figures,
    }


def plan_limits(*items: dict[str, Any]) -> PlanLimits:
    return PlanLimits.model_validate({"as_of": OPENED, "items": list(items)})


def some_limits() -> PlanLimits:
    """A futures evaluation's limits part-way through a day, the consistency one broken."""
    return plan_limits(
        a_limit(
            "max_daily_loss",
            "Daily loss",
            unit="currency",
            currency="USD",
            limit="1100",
            current="350.00",
            remaining="750.00",
        ),
        a_limit(
            "trailing_drawdown",
            "Trailing drawdown",
            unit="currency",
            currency="USD",
            limit="2000",
            current="1240.50",
            remaining="759.50",
        ),
        a_limit(
            "consistency",
            "Consistency",
            unit="percent",
            limit="50",
            current="62.40",
            remaining="-12.40",
            breached=True,
        ),
        a_limit(
            "min_trading_days", "Trading days", unit="days", limit="5", current="3", remaining="2"
        ),
        a_limit(
            "max_open_contracts",
            "Contracts",
            unit="contracts",
            limit="5",
            current="2",
            remaining="3",
        ),
    )


def some_presets() -> PlanPresetList:
    return PlanPresetList.model_validate(
        {
            "items": [
                {
                    "id": "futures-evaluation-50k",
                    "name": "Futures evaluation, 50,000",
                    "description": "Daily loss 1,100, end-of-day trailing drawdown 2,000.",
                    "rules": [
                        {
                            "name": "Daily loss",
                            "params": {"kind": "max_daily_loss", "amount": "1100"},
                        },
                        {
                            "name": "Trailing drawdown",
                            "params": {
                                "kind": "trailing_drawdown",
                                "amount": "2000",
                                "basis": "end_of_day",
                                "lock_at": "100",
                            },
                        },
                        {
                            "name": "Contracts",
                            "params": {
                                "kind": "max_open_contracts",
                                "count": "5",
                                "asset_class": "future",
                            },
                        },
                    ],
                },
                {
                    "id": "futures-evaluation-50k-intraday",
                    "name": "Futures evaluation, 50,000, intraday trailing",
                    "description": "A trailing drawdown of 2,500 that follows every close.",
                    "rules": [
                        {
                            "name": "Trailing drawdown",
                            "params": {
                                "kind": "trailing_drawdown",
                                "amount": "2500",
                                "basis": "intraday",
                            },
                        }
                    ],
                },
            ]
        }
    )


def a_chat_reply(**overrides: Any) -> ChatReply:
    return ChatReply.model_validate(
        {
            "conversation_id": uuid.uuid4(),
            "answer": "On **Mondays** after 11:00 you closed 14 trades for -310.20 USD.",
            "numbers": [
                {
                    "name": "net P&L, Monday after 11:00",
                    "value": "-310.20",
                    "source": "GET /v1/analytics?group_by=hour",
                },
                {"name": "trades", "value": "14", "source": "GET /v1/analytics?group_by=hour"},
            ],
            "chart": {
                "kind": "bar",
                "title": "Net P&L by hour on Mondays",
                "series": [
                    {
                        "name": "net P&L",
                        "points": [
                            {"x": "10:00", "y": Decimal("120.50")},
                            {"x": "11:00", "y": Decimal("-200.00")},
                            {"x": "12:00", "y": Decimal("-110.20")},
                        ],
                    }
                ],
            },
            "llm_used": False,
            "tool_calls": [{"name": "analytics", "arguments": {"group_by": "hour"}}],
            **overrides,
        }
    )


def a_csv_preview(**overrides: Any) -> CsvPreview:
    return CsvPreview.model_validate(
        {
            "delimiter": ";",
            "header": ["Datum", "Wert", "Stk", "Kurs", "Gebühr"],
            "rows": [
                ["03.02.2026 15:31", "AAPL", "100", "187,25", "1,00"],
                ["03.02.2026 16:02", "AAPL", "-100", "189,10", "1,00"],
            ],
            "guesses": [
                {"field": "datetime", "column": "Datum", "confidence": Decimal("0.9")},
                {"field": "symbol", "column": "Wert", "confidence": Decimal("0.6")},
                {"field": "quantity", "column": "Stk", "confidence": Decimal("0.55")},
                {"field": "price", "column": "Kurs", "confidence": Decimal("0.8")},
                {"field": "fees", "column": None, "confidence": Decimal("0")},
            ],
            **overrides,
        }
    )


def a_saved_mapping(**overrides: Any) -> SavedColumnMapping:
    return SavedColumnMapping.model_validate(
        {
            "id": uuid.uuid4(),
            "account_id": ACCOUNT_ID,
            "name": "Comdirect export",
            "mapping": {
                "columns": {
                    "datetime": "Datum",
                    "symbol": "Wert",
                    "quantity": "Stk",
                    "price": "Kurs",
                    "fees": "Gebühr",
                },
                "day_first": True,
                "decimal_comma": True,
                "date_format": "%d.%m.%Y %H:%M",
            },
            "created_at": OPENED,
            **overrides,
        }
    )


def a_saved_mapping_list(*mappings: SavedColumnMapping) -> SavedColumnMappingList:
    return SavedColumnMappingList(items=list(mappings))


def an_attachment(**overrides: Any) -> Attachment:
    return Attachment.model_validate(
        {
            "id": uuid.uuid4(),
            "owner_kind": "position",
            "owner_id": uuid.uuid4(),
            "filename": "entry-setup.png",
            "content_type": "image/png",
            "size_bytes": 48213,
            "width": 1280,
            "height": 800,
            "created_at": CLOSED,
            **overrides,
        }
    )


def an_attachment_list(*attachments: Attachment) -> AttachmentList:
    return AttachmentList(items=list(attachments))


def a_png(width: int, height: int, rgb: tuple[int, int, int] = (11, 87, 208)) -> bytes:
    """A real PNG picture of one colour (8-bit RGB), as a screenshot tool would write one."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width  # filter type 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(row * height)),
            chunk(b"IEND", b""),
        )
    )


def a_playbook(name: str = "Opening range breakout", *criteria: str, **overrides: Any) -> Playbook:
    """A playbook with these criteria (new ids), 12 positions and 75% adherence."""
    texts = criteria or ("Above VWAP", "Volume over 2x average", "Stop below the range")
    return Playbook.model_validate(
        {
            "id": uuid.uuid4(),
            "name": name,
            "description": None,
            "criteria": [{"id": uuid.uuid4(), "text": text} for text in texts],
            "archived": False,
            "positions": 12,
            "adherence_rate": Decimal("0.75"),
            "created_at": OPENED,
            "updated_at": OPENED,
            **overrides,
        }
    )


def following(playbook: Playbook, *met: str) -> PositionPlaybook:
    """A position's place under `playbook`, having met the criteria of those texts."""
    ids = [item.id for item in playbook.criteria if item.text in met]
    return PositionPlaybook(
        playbook_id=playbook.id,
        name=playbook.name,
        criteria_met=ids,
        criteria_total=len(playbook.criteria),
        adherence=(Decimal(len(ids)) / len(playbook.criteria)).quantize(Decimal("0.0001")),
    )


def an_analytics(group_by: str, *groups: tuple[str, int, str]) -> Analytics:
    """The coach's analytics in USD with one group per (key, trades, net P&L)."""

    def metrics(trades: int, net: str) -> dict[str, Any]:
        # Every trade of a group won, or every one lost, as its net says.
        won = Decimal(net) > 0
        return {
            "trades": trades,
            "wins": trades if won else 0,
            "losses": 0 if won else trades,
            "breakevens": 0,
            "net_pnl": net,
            "max_drawdown": "0",
            "win_rate": "1" if won else "0",
            "expectancy": str(Decimal(net) / trades),
        }

    return Analytics.model_validate(
        {
            "group_by": group_by,
            "time_zone": "UTC",
            "items": [
                {
                    "currency": "USD",
                    "overall": metrics(
                        sum(g[1] for g in groups), str(sum(Decimal(g[2]) for g in groups))
                    ),
                    "groups": [{"key": key, "metrics": metrics(n, net)} for key, n, net in groups],
                }
            ],
        }
    )
