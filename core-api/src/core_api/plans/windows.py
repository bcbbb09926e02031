"""Trading windows: weekdays and local hours in the trader's zone, and exchange sessions.

Exchange sessions come from `exchange_calendars` (holidays and early closes included).
It pulls in pandas, which takes seconds to import, so it is imported the first time a
plan names an exchange rather than when core starts.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from tradeloop_contracts import TradingWindow

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Session:
    """One exchange session in UTC; `close` is the early close on a half day."""

    open: dt.datetime
    close: dt.datetime


class UnknownExchangeError(ValueError):
    """The exchange code is not one the calendar library knows."""


@cache
def exchange_codes() -> frozenset[str]:
    """Every calendar code (`XNYS`, `XLON`, `CMES`, …) the library knows."""
    import exchange_calendars

    return frozenset(exchange_calendars.get_calendar_names(include_aliases=True))


@dataclass(frozen=True)
class ExchangeCalendar:
    zone: ZoneInfo
    sessions: dict[dt.date, Session]


@cache
def exchange_calendar(exchange: str) -> ExchangeCalendar:
    """The exchange's zone and sessions; UnknownExchangeError for a code the library lacks."""
    import exchange_calendars

    if exchange not in exchange_codes():
        raise UnknownExchangeError(exchange)
    with warnings.catch_warnings():
        # The library still reads Series.values, which newer pandas warns about; the
        # values it reads are right, and the warning is not ours to act on.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        calendar: Any = exchange_calendars.get_calendar(exchange)
        opens, closes = list(calendar.opens), list(calendar.closes)
    sessions = {
        day.date(): Session(
            open=opened.to_pydatetime().astimezone(dt.UTC),
            close=closed.to_pydatetime().astimezone(dt.UTC),
        )
        for day, opened, closed in zip(calendar.schedule.index, opens, closes, strict=True)
    }
    return ExchangeCalendar(zone=ZoneInfo(str(calendar.tz)), sessions=sessions)


def window_problems(window: TradingWindow) -> list[tuple[str, str]]:
    """What makes the window impossible, as (field, message) pairs; empty when it is fine."""
    problems: list[tuple[str, str]] = []
    if len(set(window.weekdays)) != len(window.weekdays):
        problems.append(("weekdays", "names a weekday twice"))
    for field, value in (("start", window.start), ("end", window.end)):
        if value is not None and value.tzinfo is not None:
            problems.append((field, "is a local time in your time zone; leave out the offset"))
    if (window.start is None) != (window.end is None):
        problems.append(("end" if window.end is None else "start", "needs both start and end"))
    elif window.start is not None and window.start == window.end:
        problems.append(("end", "equals start, so the window is empty"))
    if window.exchange is None:
        if window.skip_first_minutes is not None or window.skip_last_minutes is not None:
            problems.append(("exchange", "skipping minutes after the open needs an exchange"))
    elif window.exchange not in exchange_codes():
        problems.append(("exchange", f"unknown exchange calendar {window.exchange!r}"))
    return problems


def outside_window(window: TradingWindow, at: dt.datetime, time_zone: str) -> str | None:
    """Why a position opened at `at` is outside the window, or None when it is inside.

    The weekday and hours are read in the trader's `time_zone` (so they follow daylight
    saving); a window whose end is before its start runs across midnight and belongs to
    the weekday it starts on.
    """
    local = at.astimezone(ZoneInfo(time_zone))
    if window.start is not None and window.end is not None:
        moment = local.time().replace(tzinfo=None)
        if window.start < window.end:
            inside = window.start <= moment < window.end
            weekday = local.weekday()
        else:
            inside = moment >= window.start or moment < window.end
            weekday = local.weekday() if moment >= window.start else (local.weekday() - 1) % 7
        if not inside:
            return f"opened at {moment:%H:%M} {WEEKDAYS[local.weekday()]}"
    else:
        weekday = local.weekday()
    if WEEKDAYS[weekday] not in window.weekdays:
        return f"opened on a {WEEKDAYS[weekday]}"
    if window.exchange is not None:
        return _outside_session(window, window.exchange, at)
    return None


def _outside_session(window: TradingWindow, exchange: str, at: dt.datetime) -> str | None:
    calendar = exchange_calendar(exchange)
    day = at.astimezone(calendar.zone).date()
    session = calendar.sessions.get(day)
    if session is None:
        return f"opened when {exchange} had no session ({day.isoformat()})"
    start = session.open + dt.timedelta(minutes=window.skip_first_minutes or 0)
    end = session.close - dt.timedelta(minutes=window.skip_last_minutes or 0)
    if at < session.open:
        return f"opened before the {exchange} open"
    if at < start:
        return f"opened {_minutes(at - session.open)} after the {exchange} open"
    if at >= session.close:
        return f"opened after the {exchange} close"
    if at >= end:
        return f"opened {_minutes(session.close - at)} before the {exchange} close"
    return None


def _minutes(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 60:g} min"
