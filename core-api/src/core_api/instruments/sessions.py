"""Trading days: the exchange session a moment belongs to.

Stocks, options, forex and crypto: the calendar date in the account's time zone.
Futures and futures options trade in sessions that open the evening before on CME
Globex (17:00 Chicago time); a fill from that evening belongs to the next day's
session. Shifting Chicago time by seven hours maps 17:00 onto midnight, so the session
date is the shifted moment's date, whatever the daylight-saving state.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SESSION_ASSET_CLASSES = frozenset({"future", "future_option"})
EXCHANGE_ZONE = ZoneInfo("America/Chicago")
SESSION_SHIFT = dt.timedelta(hours=7)


def trading_day(at: dt.datetime, asset_class: str, time_zone: str) -> dt.date:
    """The trading day of a moment for an instrument of `asset_class`.

    `at` must be timezone-aware; `time_zone` an IANA zone (ZoneInfoNotFoundError otherwise).
    """
    if asset_class in SESSION_ASSET_CLASSES:
        return (at.astimezone(EXCHANGE_ZONE) + SESSION_SHIFT).date()
    return at.astimezone(ZoneInfo(time_zone)).date()
