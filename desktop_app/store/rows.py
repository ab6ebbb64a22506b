"""Rows of the ledger's tables: journal entries and positions, to and from the database.

Encodings are those of :mod:`~desktop_app.store.codec`. The decoders are tight loops over
raw rows (no peewee model instances) because a restart decodes the whole journal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
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

from .codec import dec, opt_time, opt_time_text, parse_tags, parse_time, tags_text, time_text
from .errors import StoreError

_SIDES = {side.value: side for side in OrderSide}
_KINDS = {kind.value: kind for kind in FillKind}
_POSITION_TYPES = {kind.value: kind for kind in PositionType}


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
