"""Rematching positions after new executions, and describing positions."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    Executable,
    FromClause,
    Row,
    Select,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    Instrument,
    MarketDataEnriched,
    Position,
    PositionClosed,
    PositionExcursions,
    PositionPlaybook,
    PositionUpdate,
)

from core_api.accounts.models import AccountRecord
from core_api.errors import AppError, FieldError
from core_api.executions.models import ExecutionRecord, instrument_of
from core_api.instruments.sessions import trading_day
from core_api.kit.bulk import insert_rows, update_rows
from core_api.kit.clock import utcnow
from core_api.kit.lookup import BEGINNING, KEYS_PER_STATEMENT, instrument_times, of_instruments
from core_api.outbox.service import record_event, record_events
from core_api.playbooks.models import PlaybookRecord, PositionPlaybookRecord
from core_api.positions.matching import (
    Fill,
    MatchedPosition,
    match,
    method_named,
    outcome,
    remainder_after_close,
)
from core_api.positions.models import (
    PositionFillRecord,
    PositionRecord,
    PositionStopRecord,
    PositionTagRecord,
)
from core_api.positions.repository import expire_held
from core_api.positions.stops import (
    StopRule,
    effective_stop,
    rule_in_effect,
    rule_of,
    rule_stop,
    stop_source,
)
from core_api.statistics import calculations
from core_api.statistics.read_model import refresh_daily_pnl
from core_api.strategies.service import regroup
from core_api.tags.service import register_tags

TAG_MAX_LENGTH = 50


class InstrumentKey(NamedTuple):
    asset_class: str
    symbol: str


def rematch(
    session: Session,
    account: AccountRecord,
    keys: Iterable[InstrumentKey],
    traceparent: str | None,
    since: Mapping[InstrumentKey, dt.datetime] | None = None,
    removing: Executable | None = None,
) -> list[uuid.UUID]:
    """Rebuilds the positions of the given instruments of one account from their fills.

    An instrument in `since` (the time of its earliest new fill) keeps the positions that
    closed before that time and rebuilds only the later ones; the others are rebuilt from
    their first fill. Either way the result equals matching every fill from the start.
    Positions keep their ids while the same fill opens them. Returns the ids of the
    positions that closed now and writes `position.closed.v1` for each.

    It reads and writes plain rows, a few statements per group of instruments: an ORM
    object per position cost more than matching it. Groups hold up to a few hundred
    instruments and about `_FILLS_PER_GROUP` fills, so an import of any size fits in
    memory. Positions the session holds that it rewrites are expired.

    `removing` deletes fills of these instruments first (none before their `since`): the
    positions it takes with it are among those rebuilt, and their days are rebuilt too.
    """
    keys = sorted(set(keys))
    if not keys:
        return []
    # Pending changes (such as fills given new contract specs) must be in what it reads.
    session.flush()
    wanted = set(keys)
    since = {key: at for key, at in (since or {}).items() if key in wanted}
    # Per instrument, the trading days whose closed positions change (None: any day may).
    days: dict[tuple[str, str], set[dt.date] | None] = {
        key: set() if key in since else None for key in keys
    }
    if removing is not None:
        # A fill's delete takes the positions it opened with it: their days are noted first.
        for asset_class, symbol, closed_day in positions_from(
            session,
            account,
            keys,
            since,
            _POSITIONS.c.asset_class,
            _POSITIONS.c.symbol,
            _POSITIONS.c.closed_day,
        ):
            _add_day(days, (asset_class, symbol), closed_day)
        session.execute(removing)
    closed: list[uuid.UUID] = []
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        scope = _Scope.of(session, account, keys[start : start + KEYS_PER_STATEMENT], since)
        for group in scope.groups(_FILLS_PER_GROUP):
            closed += _rebuild(group, days, traceparent)
    refresh_daily_pnl(session, account.user_id, account.id, days)
    regroup(session, account, keys)
    return closed


def positions_from(
    session: Session,
    account: AccountRecord,
    keys: Sequence[InstrumentKey],
    since: Mapping[InstrumentKey, dt.datetime],
    *columns: Any,
) -> Iterator[Row[*tuple[Any, ...]]]:
    """`columns` of the positions a rematch from `since` rebuilds: those of the account's
    instruments open, or closed from the instrument's `since` on (from the start without)."""
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        scope = _Scope(session, account, keys[start : start + KEYS_PER_STATEMENT], since, {})
        yield from session.execute(scope.positions_to_rebuild(*columns))


def _rebuild(
    scope: _Scope, days: dict[tuple[str, str], set[dt.date] | None], traceparent: str | None
) -> list[uuid.UUID]:
    """Rematches the instruments of one group and writes their positions, fill shares and
    `position.closed.v1` events; adds the trading days whose closed positions changed."""
    session, account = scope.session, scope.account
    executions: dict[uuid.UUID, FillRow] = {
        row.id: row for row in session.execute(scope.executions(*_EXECUTION_COLUMNS))
    }
    fills = scope.unsettled_fills(executions.values())
    existing = {
        row.opening_execution_id: row
        for row in session.execute(
            scope.positions_to_rebuild(*_POSITION_COLUMNS, *_PLAYBOOK_RULE_COLUMNS)
            .outerjoin(_POSITION_PLAYBOOKS, _POSITION_PLAYBOOKS.c.position_id == _POSITIONS.c.id)
            .outerjoin(_PLAYBOOKS, _PLAYBOOKS.c.id == _POSITION_PLAYBOOKS.c.playbook_id)
        )
    }
    for replaced in existing.values():
        _add_day(days, (replaced.asset_class, replaced.symbol), replaced.closed_day)
    if existing:
        session.execute(
            delete(_POSITION_FILLS).where(
                _POSITION_FILLS.c.position_id.in_([p.id for p in existing.values()])
            )
        )
    method = method_named(account.matching_method)
    account_rule = rule_of(account.default_stop_kind, account.default_stop_distance)
    instruments = _InstrumentCache()
    now = utcnow()
    created: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    shares: list[dict[str, Any]] = []
    newly_closed: list[PositionClosed] = []
    for key in scope.keys:
        for result in match(fills.get(key, []), method):
            opening = executions[result.opening_fill_id]  # type: ignore[index]
            before = existing.pop(opening.id, None)
            # A position keeps its playbook (and so the playbook's rule) while it keeps its id.
            playbook_rule = (
                rule_of(before.playbook_stop_kind, before.playbook_stop_distance)
                if before is not None
                else None
            )
            row = _position_row(
                result,
                opening,
                instruments.of(opening),
                account,
                rule_in_effect(playbook_rule, account_rule),
                now,
            )
            if before is None:
                position_id = uuid.uuid4()
                created.append(
                    row
                    | _NO_EXCURSIONS
                    | {
                        "id": position_id,
                        "created_at": now,
                        "user_id": account.user_id,
                        "account_id": account.id,
                        "opening_execution_id": opening.id,
                        "asset_class": key.asset_class,
                        "symbol": key.symbol,
                        "initial_stop": None,
                        "tags": [],
                    }
                )
            else:
                position_id = before.id
                changed.append(row | _excursions_after(before, result, row) | {"id": position_id})
            _add_day(days, key, row["closed_day"])
            shares += (
                {"position_id": position_id, "execution_id": s.fill_id, "quantity": s.quantity}
                for s in result.shares
            )
            if result.is_closed and (before is None or before.status != "closed"):
                newly_closed.append(
                    PositionClosed(
                        user_id=account.user_id,
                        position_id=position_id,
                        account_id=account.id,
                        symbol=key.symbol,
                        realised_pnl_net=row["realised_pnl_net"],
                        currency=row["currency"],
                        outcome=row["outcome"],
                    )
                )
    # What is left of the old positions no fill opens any more.
    gone = [row.id for row in existing.values()]
    if gone:
        session.execute(delete(_POSITIONS).where(_POSITIONS.c.id.in_(gone)))
    update_rows(session, _POSITIONS, changed)
    if created:
        insert_rows(session, _POSITIONS, created)
    if shares:
        insert_rows(session, _POSITION_FILLS, shares)
    expire_held(session, {row["id"] for row in changed} | set(gone))
    record_events(session, "position.closed.v1", newly_closed, traceparent)
    return [event.position_id for event in newly_closed]


# About this many fills matched at once (one instrument with more is matched alone).
_FILLS_PER_GROUP = 50_000
_POSITIONS = PositionRecord.metadata.tables["positions"]
_POSITION_FILLS = PositionFillRecord.metadata.tables["position_fills"]
_EXECUTIONS = ExecutionRecord.metadata.tables["executions"]
_POSITION_PLAYBOOKS = PositionPlaybookRecord.metadata.tables["position_playbooks"]
_PLAYBOOKS = PlaybookRecord.metadata.tables["playbooks"]
# The default stop rule of the playbook a rebuilt position follows, if any.
_PLAYBOOK_RULE_COLUMNS = (
    _PLAYBOOKS.c.default_stop_kind.label("playbook_stop_kind"),
    _PLAYBOOKS.c.default_stop_distance.label("playbook_stop_distance"),
)
# A row of _EXECUTION_COLUMNS: what matching and a position's instrument need of a fill.
# Table columns, not the ORM's: rows come back through SQLAlchemy Core, without ORM loading.
FillRow = Row[*tuple[Any, ...]]
_EXECUTION_COLUMNS = tuple(
    _EXECUTIONS.c[name]
    for name in (
        "id",
        "asset_class",
        "symbol",
        "executed_at",
        "side",
        "quantity",
        "price",
        "commission",
        "fees",
        "multiplier",
        "currency",
        "fx_rate_to_base",
        "broker_execution_id",
        "recorded_order",
        "underlying",
        "expiry",
        "strike",
        "option_right",
        "root",
        "exchange",
        "tick_size",
    )
)
# What a rematch needs of a position it rebuilds.
_POSITION_COLUMNS = tuple(
    _POSITIONS.c[name]
    for name in (
        "id",
        "opening_execution_id",
        "asset_class",
        "symbol",
        "status",
        "closed_at",
        "closed_day",
        "execution_count",
        "max_quantity",
        "instrument",
        "mae",
        "mfe",
        "mae_price",
        "mfe_price",
        "excursion_interval",
    )
)
_EXCURSION_FIELDS = ("mae", "mfe", "mae_price", "mfe_price", "excursion_interval")
_NO_EXCURSIONS: dict[str, Any] = dict.fromkeys(_EXCURSION_FIELDS)


class _InstrumentCache:
    """A fill's instrument as positions store it, built once per distinct instrument."""

    def __init__(self) -> None:
        self._built: dict[tuple[Any, ...], dict[str, Any]] = {}

    def of(self, execution: FillRow) -> dict[str, Any]:
        fields = (
            execution.asset_class,
            execution.symbol,
            execution.currency,
            execution.multiplier,
            execution.underlying,
            execution.expiry,
            execution.strike,
            execution.option_right,
            execution.root,
            execution.exchange,
            execution.tick_size,
        )
        built = self._built.get(fields)
        if built is None:
            built = self._built[fields] = instrument_of(execution).model_dump(
                mode="json", exclude_none=True
            )
        return built


def _position_row(
    result: MatchedPosition,
    opening: FillRow,
    instrument: dict[str, Any],
    account: AccountRecord,
    rule: StopRule | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The columns matching decides, the same for a new position and a rebuilt one, and the
    stop `rule` gives it."""
    return {
        "instrument": instrument,
        "underlying": opening.underlying or opening.root,
        "opened_day": trading_day(result.opened_at, opening.asset_class, account.time_zone),
        "closed_day": (
            trading_day(result.closed_at, opening.asset_class, account.time_zone)
            if result.closed_at is not None
            else None
        ),
        "direction": result.direction,
        "status": "closed" if result.is_closed else "open",
        "opened_at": result.opened_at,
        "closed_at": result.closed_at,
        "open_quantity": result.open_quantity,
        "max_quantity": result.max_quantity,
        "avg_entry_price": result.avg_entry_price,
        "avg_exit_price": result.avg_exit_price,
        "realised_pnl_gross": result.realised_pnl_gross,
        "fees": result.fees,
        "realised_pnl_net": result.realised_pnl_net,
        "realised_pnl_net_base": result.realised_pnl_net_base,
        "currency": opening.currency,
        "holding_seconds": result.holding_seconds,
        "execution_count": len(result.shares),
        "outcome": (
            outcome(result.realised_pnl_net, account.breakeven_band) if result.is_closed else None
        ),
        "rule_stop": rule_stop(rule, result.direction, result.avg_entry_price, instrument),
        "updated_at": now,
    }


def _excursions_after(
    before: FillRow, result: MatchedPosition, row: Mapping[str, Any]
) -> dict[str, Any]:
    """The stored MAE/MFE while the position's fills and point value stay; else unknown."""
    if (before.closed_at, before.execution_count, before.max_quantity) != (
        result.closed_at,
        len(result.shares),
        result.max_quantity,
    ) or before.instrument != row["instrument"]:
        # Other fills, or another point value, make other excursions: unknown until
        # workers measure them again.
        return _NO_EXCURSIONS
    return {name: getattr(before, name) for name in _EXCURSION_FIELDS}


def _add_day(
    days: dict[tuple[str, str], set[dt.date] | None],
    key: tuple[str, str],
    closed_day: dt.date | None,
) -> None:
    changed = days[key]
    if changed is not None and closed_day is not None:
        changed.add(closed_day)


@dataclass(frozen=True)
class _Scope:
    """What one rematch of some instruments reads: each step one statement for all of them.

    Positions are consecutive stretches of an instrument's fills in time order, so those
    that closed before the instrument's earliest new fill come first and cannot change:
    they are settled, and only the fills after them are matched again. Each statement
    joins the instruments as a lookup table: one index lookup per instrument.
    """

    session: Session
    account: AccountRecord
    keys: Sequence[InstrumentKey]
    since: Mapping[InstrumentKey, dt.datetime]
    # Per instrument with settled positions, when the last of them closed.
    settled_until: Mapping[InstrumentKey, dt.datetime]

    @classmethod
    def of(
        cls,
        session: Session,
        account: AccountRecord,
        keys: Sequence[InstrumentKey],
        since: Mapping[InstrumentKey, dt.datetime],
    ) -> _Scope:
        bounded = [(key.asset_class, key.symbol, since[key]) for key in keys if key in since]
        settled_until: dict[InstrumentKey, dt.datetime] = {}
        if bounded:
            wanted = instrument_times(session, "bounded", account.id, bounded)
            # One MAX per instrument, each answered from the instrument-and-close index
            # without reading the instrument's earlier positions.
            latest = (
                select(func.max(_POSITIONS.c.closed_at))
                .where(of_instruments(_POSITIONS.c, wanted), _POSITIONS.c.closed_at < wanted.c.at)
                .scalar_subquery()
            )
            settled_until = {
                InstrumentKey(asset_class, symbol): until
                for asset_class, symbol, until in session.execute(
                    select(wanted.c.asset_class, wanted.c.symbol, latest)
                )
                if until is not None
            }
        return cls(session, account, keys, since, settled_until)

    def groups(self, fills: int) -> list[_Scope]:
        """The instruments split into groups of about `fills` fills to match."""
        wanted = self._fills_from()
        # Counted per instrument (a correlated count, one index range each): grouped in
        # SQL, SQLite would rather walk the account's whole index in group order.
        count = (
            select(func.count())
            .where(of_instruments(_EXECUTIONS.c, wanted), _EXECUTIONS.c.executed_at >= wanted.c.at)
            .scalar_subquery()
        )
        counts = {
            InstrumentKey(asset_class, symbol): held
            for asset_class, symbol, held in self.session.execute(
                select(wanted.c.asset_class, wanted.c.symbol, count)
            )
        }
        groups: list[list[InstrumentKey]] = [[]]
        held = 0
        for key in self.keys:
            if groups[-1] and held + counts[key] > fills:
                groups.append([])
                held = 0
            groups[-1].append(key)
            held += counts[key]
        return [
            replace(
                self,
                keys=group,
                settled_until={k: self.settled_until[k] for k in group if k in self.settled_until},
            )
            for group in groups
        ]

    def _fills_from(self) -> FromClause:
        """Each instrument with the close of its last settled position (else BEGINNING)."""
        return instrument_times(
            self.session,
            "wanted",
            self.account.id,
            [
                (key.asset_class, key.symbol, self.settled_until.get(key, BEGINNING))
                for key in self.keys
            ],
        )

    def executions(self, *columns: Any) -> Select[Any]:
        """`columns` of the fills from the close of each instrument's last settled position on."""
        wanted = self._fills_from()
        return (
            select(*columns)
            .select_from(wanted)
            .join(
                _EXECUTIONS,
                and_(
                    of_instruments(_EXECUTIONS.c, wanted),
                    _EXECUTIONS.c.executed_at >= wanted.c.at,
                ),
            )
        )

    def positions_to_rebuild(self, *columns: Any) -> Select[Any]:
        """`columns` of the positions open or closed from each instrument's `since` on."""
        wanted = instrument_times(
            self.session,
            "wanted",
            self.account.id,
            [(key.asset_class, key.symbol, self.since.get(key, BEGINNING)) for key in self.keys],
        )
        return (
            select(*columns)
            .select_from(wanted)
            .join(
                _POSITIONS,
                and_(
                    of_instruments(_POSITIONS.c, wanted),
                    or_(_POSITIONS.c.closed_at.is_(None), _POSITIONS.c.closed_at >= wanted.c.at),
                ),
            )
        )

    def unsettled_fills(self, executions: Iterable[FillRow]) -> dict[InstrumentKey, list[Fill]]:
        """Per instrument, the fills still to match: all of them, less what settled positions took.

        Only fills at the very time a settled position closed can be shared with it (the
        closing fill crossing zero, or fills of the same second).
        """
        taken: dict[uuid.UUID, Decimal] = {}
        if self.settled_until:
            # The positions closed at that time are settled ones (it is the latest settled
            # close), found by the instrument-and-close index however many closed before.
            boundary = instrument_times(
                self.session,
                "boundary",
                self.account.id,
                [(key.asset_class, key.symbol, at) for key, at in self.settled_until.items()],
            )
            for execution_id, quantity in self.session.execute(
                select(_POSITION_FILLS.c.execution_id, _POSITION_FILLS.c.quantity)
                .select_from(boundary)
                .join(
                    _POSITIONS,
                    and_(
                        of_instruments(_POSITIONS.c, boundary),
                        _POSITIONS.c.closed_at == boundary.c.at,
                    ),
                )
                .join(_POSITION_FILLS, _POSITION_FILLS.c.position_id == _POSITIONS.c.id)
                .join(_EXECUTIONS, _EXECUTIONS.c.id == _POSITION_FILLS.c.execution_id)
                .where(_EXECUTIONS.c.executed_at == boundary.c.at)
            ):
                taken[execution_id] = taken.get(execution_id, Decimal(0)) + quantity
        fills: dict[InstrumentKey, list[Fill]] = {}
        for execution in executions:
            fill = remainder_after_close(
                to_fill(execution, self.account.base_currency),
                taken.get(execution.id, Decimal(0)),
            )
            if fill is not None:
                key = InstrumentKey(execution.asset_class, execution.symbol)
                fills.setdefault(key, []).append(fill)
        return fills


def to_fill(execution: FillRow, base_currency: str) -> Fill:
    """The fill matching sees; its rate to the base currency is 1 in the base currency itself."""
    fx_rate = execution.fx_rate_to_base
    if fx_rate is None and execution.currency == base_currency:
        fx_rate = Decimal(1)
    return Fill(
        id=execution.id,
        executed_at=execution.executed_at,
        side=execution.side,
        quantity=execution.quantity,
        price=execution.price,
        costs=execution.commission + execution.fees,
        multiplier=execution.multiplier,
        broker_execution_id=execution.broker_execution_id,
        recorded_order=execution.recorded_order,
        fx_rate=fx_rate,
    )


def update_position(
    session: Session, record: PositionRecord, body: PositionUpdate
) -> PositionRecord:
    """The position with the stop and tags the body sets (fields left out stay).

    Every stop set is kept in the stop history; `initial_stop` is the one R uses.
    A 422 problem for a negative stop or a blank or over-long tag.
    """
    if "initial_stop" in body.model_fields_set:
        if body.initial_stop is not None and body.initial_stop < 0:
            raise AppError(
                422, "Invalid request", errors=[FieldError("body.initial_stop", "is negative")]
            )
        if body.initial_stop is not None and body.initial_stop != record.initial_stop:
            session.add(PositionStopRecord(position_id=record.id, stop=body.initial_stop))
        record.initial_stop = body.initial_stop
        if record.closed_day is not None:
            # The day's R sums change with the stop.
            session.flush()
            refresh_daily_pnl(
                session,
                record.user_id,
                record.account_id,
                {(record.asset_class, record.symbol): {record.closed_day}},
            )
    if body.tags is not None:
        record.tags = clean_tags(body.tags, "body.tags")
        replace_tag_rows(session, [record])
        register_tags(session, record.user_id, record.tags)
    session.flush()
    return record


def replace_tag_rows(session: Session, records: Sequence[PositionRecord]) -> None:
    """Rewrites the tag rows (what list filters read) of `records` from their `tags`."""
    if not records:
        return
    session.execute(
        delete(PositionTagRecord).where(PositionTagRecord.position_id.in_([r.id for r in records]))
    )
    rows = [{"position_id": r.id, "name": tag.lower()} for r in records for tag in r.tags]
    if rows:
        session.execute(insert(PositionTagRecord), rows)


def store_excursions(
    session: Session, record: PositionRecord, body: PositionExcursions, traceparent: str | None
) -> None:
    """Keeps the MAE/MFE workers measured and announces `market_data.enriched.v1`.

    A 422 problem naming `body.currency` when it is not the position's currency.
    """
    if body.currency != record.currency:
        raise AppError(
            422,
            "Invalid request",
            errors=[FieldError("body.currency", f"is not the position's {record.currency}")],
        )
    _set_excursions(record, body)
    session.flush()
    record_event(
        session,
        "market_data.enriched.v1",
        MarketDataEnriched(
            user_id=record.user_id,
            position_id=record.id,
            mae=body.mae,
            mfe=body.mfe,
            currency=body.currency,
        ),
        traceparent,
    )


def _set_excursions(record: PositionRecord, excursions: PositionExcursions | None) -> None:
    record.mae = excursions.mae if excursions else None
    record.mfe = excursions.mfe if excursions else None
    record.mae_price = excursions.mae_price if excursions else None
    record.mfe_price = excursions.mfe_price if excursions else None
    record.excursion_interval = excursions.interval if excursions else None


def clean_tags(tags: Iterable[str], location: str) -> list[str]:
    """Tags stripped and without repeats (ignoring case), in order, first spelling kept.

    A 422 problem for a blank or over-long tag.
    """
    cleaned: list[str] = []
    for index, tag in enumerate(tags):
        name = tag.strip()
        if not name or len(name) > TAG_MAX_LENGTH:
            raise AppError(
                422,
                "Invalid request",
                errors=[
                    FieldError(f"{location}.{index}", f"needs 1 to {TAG_MAX_LENGTH} characters")
                ],
            )
        if name.lower() not in {seen.lower() for seen in cleaned}:
            cleaned.append(name)
    return cleaned


def stop_history(session: Session, position_id: uuid.UUID) -> list[Decimal]:
    """Every stop set on the position, oldest first."""
    return list(
        session.scalars(
            select(PositionStopRecord.stop)
            .where(PositionStopRecord.position_id == position_id)
            .order_by(PositionStopRecord.created_at, PositionStopRecord.id)
        )
    )


def to_position(record: PositionRecord, playbook: PositionPlaybook | None = None) -> Position:
    return Position.model_validate(position_fields(record, playbook))


def position_fields(
    record: PositionRecord, playbook: PositionPlaybook | None = None
) -> dict[str, object]:
    """The position's fields; `playbook` is the one it follows (read separately, in bulk)."""
    return {
        "id": record.id,
        "account_id": record.account_id,
        "instrument": Instrument.model_validate(record.instrument),
        "direction": record.direction,
        "status": record.status,
        "opened_at": record.opened_at,
        "closed_at": record.closed_at,
        "open_quantity": record.open_quantity,
        "max_quantity": record.max_quantity,
        "avg_entry_price": record.avg_entry_price,
        "avg_exit_price": record.avg_exit_price,
        "realised_pnl_gross": record.realised_pnl_gross,
        "fees": record.fees,
        "realised_pnl_net": record.realised_pnl_net,
        "realised_pnl_net_base": record.realised_pnl_net_base,
        "currency": record.currency,
        "holding_seconds": record.holding_seconds,
        "initial_stop": effective_stop(record),
        "stop_source": stop_source(record),
        "r_multiple": r_multiple(record),
        "outcome": record.outcome,
        "execution_count": record.execution_count,
        "tags": list(record.tags),
        "mae": record.mae,
        "mfe": record.mfe,
        "mae_price": record.mae_price,
        "mfe_price": record.mfe_price,
        "playbook": playbook,
        "strategy_id": record.strategy_id,
    }


def r_multiple(record: PositionRecord) -> Decimal | None:
    """The position's R (see statistics.calculations); None while open or without a stop."""
    stop = effective_stop(record)
    if record.status != "closed" or stop is None:
        return None
    return calculations.r_multiple(
        record.realised_pnl_net,
        record.avg_entry_price,
        stop,
        record.max_quantity,
        Decimal(str(record.instrument.get("multiplier", "1"))),
    )
