"""The trades page: every position, filtered, sorted and paged; and its CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import AsyncIterator, Iterable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from tradeloop_contracts import AccountList, PlaybookList, Position, PositionPage

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.edge import Edge, EdgeClient, EdgeError
from web_ui.filters import TradeFilters, read_query
from web_ui.plan import current_plan
from web_ui.rendering import render
from web_ui.strategies import KIND_NAMES, trade_rows

router = APIRouter()
logger = logging.getLogger("web_ui")

PAGE_SIZE = "50"
EXPORT_PAGE_SIZE = "500"

# Columns that can be sorted, with the sort each one starts at.
SORTABLE = {
    "opened_at": "-opened_at",
    "closed_at": "-closed_at",
    "realised_pnl_net": "-realised_pnl_net",
}


def _sort_links(filters: TradeFilters) -> dict[str, dict[str, str]]:
    # A column's link toggles its direction when it is the current sort; the page restarts.
    current = filters.sort or "-opened_at"
    base = filters.without("sort", "cursor")
    links: dict[str, dict[str, str]] = {}
    for column, first in SORTABLE.items():
        if current.lstrip("-") == column:
            target = column if current.startswith("-") else f"-{column}"
            state = "descending" if current.startswith("-") else "ascending"
        else:
            target, state = first, "none"
        links[column] = {"href": "/trades?" + urlencode({**base, "sort": target}), "state": state}
    return links


@router.get("/trades", response_class=HTMLResponse)
async def trades(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Positions matching the filters, one page at a time."""
    filters = read_query(request, TradeFilters)
    params = {"limit": PAGE_SIZE, **filters.params()}
    page, accounts, user, plan, playbooks = await asyncio.gather(
        edge.get(browser, "/api/v1/positions", PositionPage, params=params),
        edge.get(browser, "/api/v1/accounts", AccountList),
        signed_in_trader(edge, browser),
        current_plan(edge, browser),
        edge.get(browser, "/api/v1/playbooks", PlaybookList),
    )
    rows = await trade_rows(edge, browser, page.items)
    next_href = None
    if page.next_cursor:
        next_href = "/trades?" + urlencode(
            {**filters.without("cursor"), "cursor": page.next_cursor}
        )
    return render(
        request,
        "trades.html",
        {
            "filters": filters,
            "positions": page.items,
            "rows": rows,
            "kinds": KIND_NAMES,
            "accounts": accounts.items,
            # The filter offers the rules of the plan in force (a trade breaks those).
            "rules": [(str(rule.id), rule.name) for rule in plan.rules] if plan else [],
            # Archived playbooks too: their trades are still the trader's history.
            "playbooks": [(str(playbook.id), playbook.name) for playbook in playbooks.items],
            "user": user,
            "sort_links": _sort_links(filters),
            "next_href": next_href,
            "first_href": "/trades?" + urlencode(filters.without("cursor"))
            if filters.cursor
            else None,
            "export_href": "/trades.csv?" + urlencode(filters.without("cursor", "limit")),
        },
    )


CSV_COLUMNS = (
    "id",
    "account_id",
    "symbol",
    "asset_class",
    "direction",
    "status",
    "opened_at",
    "closed_at",
    "max_quantity",
    "avg_entry_price",
    "avg_exit_price",
    "realised_pnl_gross",
    "fees",
    "realised_pnl_net",
    "currency",
    "r_multiple",
    "outcome",
    "holding_seconds",
    "tags",
)


def _text_cell(value: str) -> str:
    # A spreadsheet runs a cell that starts with one of these as a formula.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_rows(positions: Iterable[Position]) -> list[list[str]]:
    """One CSV row per position, in CSV_COLUMNS order; numbers exact, times in UTC ISO 8601."""
    rows: list[list[str]] = []
    for p in positions:
        rows.append(
            [
                str(p.id),
                str(p.account_id),
                _text_cell(p.instrument.symbol),
                p.instrument.asset_class,
                p.direction,
                p.status,
                p.opened_at.isoformat(),
                p.closed_at.isoformat() if p.closed_at else "",
                str(p.max_quantity),
                str(p.avg_entry_price),
                "" if p.avg_exit_price is None else str(p.avg_exit_price),
                str(p.realised_pnl_gross),
                str(p.fees),
                str(p.realised_pnl_net),
                p.currency,
                "" if p.r_multiple is None else str(p.r_multiple),
                p.outcome or "",
                "" if p.holding_seconds is None else str(p.holding_seconds),
                _text_cell(";".join(p.tags)),
            ]
        )
    return rows


def _csv_text(rows: Iterable[Iterable[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


async def _export(
    edge: EdgeClient, browser: BrowserContext, params: dict[str, str], first: PositionPage
) -> AsyncIterator[bytes]:
    yield _csv_text([list(CSV_COLUMNS), *csv_rows(first.items)])
    cursor = first.next_cursor
    while cursor:
        try:
            page = await edge.get(
                browser, "/api/v1/positions", PositionPage, params={**params, "cursor": cursor}
            )
        except EdgeError:
            # The headers are sent: cutting the response makes the download fail visibly
            # rather than look complete.
            logger.warning("trades export stopped: edge failed on a later page")
            raise
        yield _csv_text(csv_rows(page.items))
        cursor = page.next_cursor


@router.get("/trades.csv")
async def trades_csv(request: Request, browser: Browser, edge: Edge) -> StreamingResponse:
    """Every position matching the filters as CSV, fetched and sent page by page."""
    filters = read_query(request, TradeFilters)
    params = {**filters.without("cursor", "limit"), "limit": EXPORT_PAGE_SIZE}
    # The first page is fetched before answering, so a missing session or an unreachable
    # edge still gets its proper error page instead of a broken file.
    first = await edge.get(browser, "/api/v1/positions", PositionPage, params=params)
    return StreamingResponse(
        _export(edge, browser, params, first),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": 'attachment; filename="trades.csv"',
            "cache-control": "no-store",
        },
    )
