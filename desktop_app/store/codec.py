"""Exact text encodings between the ledger's records and database rows.

* Money and sizes are ``Decimal`` stored as TEXT in plain notation (``format(d, "f")``):
  exact, readable in any SQLite browser, never REAL.
* Ledger times are ISO 8601 UTC text with microseconds (``2025-01-02T12:00:00.000000+00:00``):
  fixed width, so text order is time order, and a restart restores them to the microsecond.
* Time-series tables (bars, equity snapshots, history records) use integer milliseconds
  since the Unix epoch (UTC) in a ``ts_ms`` column: compact and fast to turn into pandas.
* Tags and lots are JSON arrays; JSON values are written with :func:`to_json`, which turns
  Decimals into exact strings, enums into their values and datetimes into ISO text.

The row decoders are written as tight loops because a restart decodes the whole journal.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from desktop_app.portfolio.lots import Lot
from desktop_app.portfolio.records import (
    CashMovement,
    Fill,
    FillKind,
    OrderSide,
    Position,
    PositionType,
    TagChange,
)

from .errors import StoreError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_SIDES = {side.value: side for side in OrderSide}
_KINDS = {kind.value: kind for kind in FillKind}
_POSITION_TYPES = {kind.value: kind for kind in PositionType}


def dec(value: Decimal) -> str:
    """A Decimal as exact plain-notation text (``Decimal("1E-8")`` → ``"0.00000001"``)."""
    return format(value, "f")


def time_text(moment: datetime) -> str:
    """A tz-aware datetime as fixed-width ISO 8601 UTC text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def opt_time_text(moment: datetime | None) -> str | None:
    return None if moment is None else time_text(moment)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def opt_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a tz-aware datetime (naive times are refused)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise StoreError(f"time {moment} has no time zone; give UTC times")
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)``: Decimals as exact text, enums by value, ISO times."""
    if isinstance(value, Decimal):
        return dec(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return time_text(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} values cannot be stored")


def _finite(value: Any) -> Any:
    """Refuse NaN and infinity anywhere in a JSON value (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a storable number")
    if isinstance(value, dict):
        for item in value.values():
            _finite(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _finite(item)
    return value


def to_json(value: Any, what: str = "value") -> str:
    """Compact JSON for storage; raises :class:`StoreError` naming ``what`` if impossible."""
    try:
        return json.dumps(
            value, default=json_default, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise StoreError(f"Cannot store {what}: {exc}") from None


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def tags_text(tags: Sequence[str]) -> str:
    return json.dumps(list(tags), ensure_ascii=False) if tags else "[]"


def parse_tags(text: str) -> tuple[str, ...]:
    return () if text == "[]" else tuple(json.loads(text))


# ------------------------------------------------------------------ journal rows
FILL_COLUMNS = (
    "sequence",
    "fill_id",
    "client_id",
    "position_id",
    "symbol",
    "side",
    "kind",
    "size",
    "price",
    "fee",
    "fee_currency",
    "timestamp",
    "strategy",
    "tags",
    "realized_pnl",
)


def fill_row(fill: Fill) -> dict[str, Any]:
    if fill.realized_pnl is None:
        raise StoreError(f"fill {fill.fill_id} reached the store before the ledger priced it")
    return {
        "sequence": fill.sequence,
        "fill_id": fill.fill_id,
        "client_id": fill.client_id,
        "position_id": fill.position_id,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "kind": fill.kind.value,
        "size": dec(fill.size),
        "price": dec(fill.price),
        "fee": dec(fill.fee),
        "fee_currency": fill.fee_currency,
        "timestamp": time_text(fill.timestamp),
        "strategy": fill.strategy,
        "tags": tags_text(fill.tags),
        "realized_pnl": dec(fill.realized_pnl),
    }


def fills_from_rows(rows: Sequence[Sequence[Any]]) -> list[Fill]:
    """Decode rows selected in :data:`FILL_COLUMNS` order."""
    sides, kinds, fromiso = _SIDES, _KINDS, datetime.fromisoformat
    return [
        Fill(
            fill_id,
            sequence,
            position_id,
            symbol,
            sides[side],
            kinds[kind],
            Decimal(size),
            Decimal(price),
            Decimal(fee),
            fee_currency,
            fromiso(timestamp),
            strategy,
            () if tags == "[]" else tuple(json.loads(tags)),
            client_id,
            Decimal(realized),
        )
        for (
            sequence,
            fill_id,
            client_id,
            position_id,
            symbol,
            side,
            kind,
            size,
            price,
            fee,
            fee_currency,
            timestamp,
            strategy,
            tags,
            realized,
        ) in rows
    ]


CASH_COLUMNS = ("sequence", "movement_id", "amount", "timestamp", "note")


def cash_row(movement: CashMovement) -> dict[str, Any]:
    return {
        "sequence": movement.sequence,
        "movement_id": movement.movement_id,
        "amount": dec(movement.amount),
        "timestamp": time_text(movement.timestamp),
        "note": movement.note,
    }


def cash_from_rows(rows: Sequence[Sequence[Any]]) -> list[CashMovement]:
    return [
        CashMovement(movement_id, sequence, Decimal(amount), parse_time(timestamp), note)
        for sequence, movement_id, amount, timestamp, note in rows
    ]


TAG_COLUMNS = ("sequence", "change_id", "position_id", "tags", "timestamp")


def tag_row(change: TagChange) -> dict[str, Any]:
    return {
        "sequence": change.sequence,
        "change_id": change.change_id,
        "position_id": change.position_id,
        "tags": tags_text(change.tags),
        "timestamp": time_text(change.timestamp),
    }


def tags_from_rows(rows: Sequence[Sequence[Any]]) -> list[TagChange]:
    return [
        TagChange(change_id, sequence, position_id, parse_tags(tags), parse_time(timestamp))
        for sequence, change_id, position_id, tags, timestamp in rows
    ]


# ------------------------------------------------------------------ derived state
def lots_text(lots: Sequence[Lot]) -> str:
    """Open lots as a JSON array of ``[lot_id, acquired_at, size, price, fee, is_short]``."""
    if not lots:
        return "[]"
    return json.dumps(
        [
            [lot.lot_id, time_text(lot.acquired_at), dec(lot.size), dec(lot.price), dec(lot.fee)]
            + ([True] if lot.is_short else [])
            for lot in lots
        ]
    )


def parse_lots(text: str) -> tuple[Lot, ...]:
    if text == "[]":
        return ()
    return tuple(
        Lot(
            item[0],
            parse_time(item[1]),
            Decimal(item[2]),
            Decimal(item[3]),
            Decimal(item[4]),
            len(item) > 5 and bool(item[5]),
        )
        for item in json.loads(text)
    )


POSITION_COLUMNS = (
    "position_id",
    "symbol",
    "position_type",
    "status",
    "size",
    "cost_basis",
    "current_price",
    "realized_pnl",
    "fees_paid",
    "opened_at",
    "closed_at",
    "strategy",
    "tags",
    "opened_size",
    "entry_value",
    "closed_size",
    "exit_value",
    "fill_count",
    "last_fill_at",
    "lots",
    "last_sequence",
)


def position_row(position: Position, sequence: int) -> dict[str, Any]:
    return {
        "position_id": position.position_id,
        "symbol": position.symbol,
        "position_type": position.position_type.value,
        "status": position.status.value,
        "size": dec(position.size),
        "cost_basis": dec(position.cost_basis),
        "current_price": dec(position.current_price),
        "realized_pnl": dec(position.realized_pnl),
        "fees_paid": dec(position.fees_paid),
        "opened_at": time_text(position.opened_at),
        "closed_at": opt_time_text(position.closed_at),
        "strategy": position.strategy,
        "tags": tags_text(position.tags),
        "opened_size": dec(position.opened_size),
        "entry_value": dec(position.entry_value),
        "closed_size": dec(position.closed_size),
        "exit_value": dec(position.exit_value),
        "fill_count": position.fill_count,
        "last_fill_at": opt_time_text(position.last_fill_at),
        "lots": lots_text(position.lots),
        "last_sequence": sequence,
    }


def positions_from_rows(rows: Sequence[Sequence[Any]]) -> dict[str, Position]:
    """Decode rows selected in :data:`POSITION_COLUMNS` order, by position id."""
    types = _POSITION_TYPES
    result: dict[str, Position] = {}
    for (
        position_id,
        symbol,
        position_type,
        _status,
        size,
        cost_basis,
        current_price,
        realized_pnl,
        fees_paid,
        opened_at,
        closed_at,
        strategy,
        tags,
        opened_size,
        entry_value,
        closed_size,
        exit_value,
        fill_count,
        last_fill_at,
        lots,
        _last_sequence,
    ) in rows:
        result[position_id] = Position(
            position_id=position_id,
            symbol=symbol,
            position_type=types[position_type],
            size=Decimal(size),
            cost_basis=Decimal(cost_basis),
            current_price=Decimal(current_price),
            realized_pnl=Decimal(realized_pnl),
            fees_paid=Decimal(fees_paid),
            opened_at=parse_time(opened_at),
            strategy=strategy,
            tags=parse_tags(tags),
            closed_at=opt_time(closed_at),
            opened_size=Decimal(opened_size),
            entry_value=Decimal(entry_value),
            closed_size=Decimal(closed_size),
            exit_value=Decimal(exit_value),
            fill_count=fill_count,
            last_fill_at=opt_time(last_fill_at),
            lots=parse_lots(lots),
        )
    return result


#: A position's ledger facts (``restore_check.LEDGER_FIELDS``, same order) as stored.
FACT_COLUMNS = (
    "symbol",
    "position_type",
    "size",
    "cost_basis",
    "realized_pnl",
    "fees_paid",
    "opened_at",
    "closed_at",
    "strategy",
    "tags",
    "opened_size",
    "entry_value",
    "closed_size",
    "exit_value",
    "fill_count",
    "last_fill_at",
    "lots",
)
_FACT_SEPARATOR = "\x1f"
#: SQL rendering a ``position`` row's ledger facts as one text (see :func:`facts_from_text`).
FACTS_SQL = " || char(31) || ".join(f"COALESCE(\"{name}\", '')" for name in FACT_COLUMNS)


def facts_from_text(text: str) -> tuple[Any, ...]:
    """Decode one :data:`FACTS_SQL` text into the values of ``restore_check.ledger_facts``.

    Decoding (not encoding the replayed side) because parsing Decimals and ISO times is
    several times cheaper than formatting them, and values compare by value (``1.50`` equals
    ``1.5``), so only real differences count.
    """
    (
        symbol,
        position_type,
        size,
        cost_basis,
        realized_pnl,
        fees_paid,
        opened_at,
        closed_at,
        strategy,
        tags,
        opened_size,
        entry_value,
        closed_size,
        exit_value,
        fill_count,
        last_fill_at,
        lots,
    ) = text.split(_FACT_SEPARATOR)
    fromiso = datetime.fromisoformat
    return (
        symbol,
        _POSITION_TYPES[position_type],
        Decimal(size),
        Decimal(cost_basis),
        Decimal(realized_pnl),
        Decimal(fees_paid),
        fromiso(opened_at),
        fromiso(closed_at) if closed_at else None,
        strategy,
        parse_tags(tags),
        Decimal(opened_size),
        Decimal(entry_value),
        Decimal(closed_size),
        Decimal(exit_value),
        int(fill_count),
        fromiso(last_fill_at) if last_fill_at else None,
        parse_lots(lots),
    )
