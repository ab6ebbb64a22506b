"""Reading and writing the ledger's tables; called on the store's writer thread.

:func:`write_effect` stores one journal entry *and* the derived state it produces — the
position after a fill, the lots it consumed, the cash after it — in one transaction, so the
file can never hold a fill without its position change or the other way round.
:func:`load_ledger` reads everything a restart needs back and checks that the journal's
sequence numbers run 1, 2, … N with no gap (a gap means a lost entry: refused loudly);
:func:`verify_positions` compares the stored positions with the replayed ones.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from peewee import Model, SqliteDatabase

from desktop_app.portfolio.bulk import gc_paused
from desktop_app.portfolio.errors import LedgerIntegrityError
from desktop_app.portfolio.journal import RestoredLedger
from desktop_app.portfolio.position_tracker import LedgerEffect
from desktop_app.portfolio.records import CashMovement, Fill, JournalEntry, Position, TagChange
from desktop_app.portfolio.restore_check import (
    StateMismatch,
    ledger_facts,
    position_mismatches,
)

from . import codec, rows
from .models import Models

_SELECT_FILLS = f'SELECT {", ".join(rows.FILL_COLUMNS)} FROM "fill" ORDER BY "sequence"'
_SELECT_CASH = f'SELECT {", ".join(rows.CASH_COLUMNS)} FROM "cash_movement" ORDER BY "sequence"'
_SELECT_TAGS = f'SELECT {", ".join(rows.TAG_COLUMNS)} FROM "tag_change" ORDER BY "sequence"'
_SELECT_POSITIONS = f'SELECT {", ".join(rows.POSITION_COLUMNS)} FROM "position"'


@functools.lru_cache(maxsize=64)
def _statement(table: str, columns: tuple[str, ...], key: str | None) -> str:
    """``INSERT`` of ``columns`` into ``table``; with ``key``, an upsert on that key."""
    names = ", ".join(f'"{name}"' for name in columns)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    if key is not None:
        updates = ", ".join(f'"{name}" = excluded."{name}"' for name in columns if name != key)
        sql += f' ON CONFLICT ("{key}") DO UPDATE SET {updates}'
    return sql


def insert(model: type[Model], row: dict[str, Any]) -> None:
    """INSERT ``row`` into ``model``'s table (SQL text built once per column set)."""
    sql = _statement(model._meta.table_name, tuple(row), None)
    model._meta.database.execute_sql(sql, tuple(row.values()))


def upsert(model: type[Model], row: dict[str, Any]) -> None:
    """INSERT, or UPDATE the row with the same primary key (``ON CONFLICT … DO UPDATE``)."""
    key = model._meta.primary_key.column_name
    sql = _statement(model._meta.table_name, tuple(row), key)
    model._meta.database.execute_sql(sql, tuple(row.values()))


def write_effect(models: Models, effect: LedgerEffect, recorded_at: str) -> None:
    """Insert the entry and upsert its derived state. Call inside one transaction.

    This is every trade's path, so the statements' SQL text is generated once per table from
    the models' columns (:func:`_statement`) instead of building a peewee query per call,
    which cost about ten times the database work itself.
    """
    entry = effect.entry
    if isinstance(entry, Fill):
        insert(models.FillRow, {**rows.fill_row(entry), "recorded_at": recorded_at})
        for d in effect.disposals:
            insert(
                models.LotDisposalRow,
                {
                    "sequence": entry.sequence,
                    "position_id": entry.position_id,
                    "lot_id": d.lot_id,
                    "acquired_at": codec.time_text(d.acquired_at),
                    "disposed_at": codec.time_text(d.disposed_at),
                    "size": codec.dec(d.size),
                    "entry_price": codec.dec(d.entry_price),
                    "exit_price": codec.dec(d.exit_price),
                    "cost": codec.dec(d.cost),
                    "proceeds": codec.dec(d.proceeds),
                    "fee": codec.dec(d.fee),
                    "gain": codec.dec(d.gain),
                    "is_short": int(d.is_short),
                },
            )
    elif isinstance(entry, CashMovement):
        insert(models.CashMovementRow, {**rows.cash_row(entry), "recorded_at": recorded_at})
    elif isinstance(entry, TagChange):
        insert(models.TagChangeRow, {**rows.tag_row(entry), "recorded_at": recorded_at})
    else:  # pragma: no cover - the ledger has exactly three kinds of entry
        raise TypeError(f"unknown journal entry {entry!r}")
    if effect.position is not None:
        upsert(models.PositionRow, rows.position_row(effect.position, entry.sequence))
    upsert(
        models.LedgerStateRow,
        {
            "id": 1,
            "last_sequence": entry.sequence,
            "cash": codec.dec(effect.cash),
            "updated_at": recorded_at,
        },
    )


def last_sequence(db: SqliteDatabase) -> int:
    """The highest journal sequence number stored (0 for an empty journal)."""
    row = db.execute_sql(
        'SELECT MAX(s) FROM (SELECT MAX("sequence") AS s FROM "fill" '
        'UNION ALL SELECT MAX("sequence") FROM "cash_movement" '
        'UNION ALL SELECT MAX("sequence") FROM "tag_change")'
    ).fetchone()
    return int(row[0] or 0)


def load_journal(db: SqliteDatabase) -> list[JournalEntry]:
    """Every journal entry in sequence order; refuses gaps and duplicates."""
    fills = rows.fills_from_rows(db.execute_sql(_SELECT_FILLS).fetchall())
    cash = rows.cash_from_rows(db.execute_sql(_SELECT_CASH).fetchall())
    tags = rows.tags_from_rows(db.execute_sql(_SELECT_TAGS).fetchall())
    entries: list[JournalEntry] = [*fills, *cash, *tags]
    if cash or tags:
        entries.sort(key=lambda entry: entry.sequence)
    for expected, entry in enumerate(entries, start=1):
        if entry.sequence != expected:
            raise LedgerIntegrityError(
                f"the journal in the database skips or repeats entry {expected} (found "
                f"{entry.sequence}); an entry is missing or duplicated"
            )
    return entries


def load_ledger(db: SqliteDatabase) -> RestoredLedger | None:
    """Everything a restart needs, or None for a brand-new ledger (nothing stored yet)."""
    with gc_paused():
        return _load_ledger(db)


def _load_ledger(db: SqliteDatabase) -> RestoredLedger | None:
    entries = load_journal(db)
    config = {
        key: codec.from_json(value)
        for key, value in db.execute_sql('SELECT "key", "value" FROM "portfolio_config"')
    }
    status_row = db.execute_sql(
        'SELECT "status", "reason" FROM "status_history" ORDER BY "id" DESC LIMIT 1'
    ).fetchone()
    if not entries and not config and status_row is None:
        return None
    state = db.execute_sql('SELECT "last_sequence", "cash" FROM "ledger_state"').fetchone()
    extra: dict[str, Any] = {}
    if state is not None:
        extra = {"last_sequence": int(state[0]), "cash": Decimal(state[1])}
    return RestoredLedger(
        entries=tuple(entries),
        status=None if status_row is None else status_row[0],
        status_reason="" if status_row is None else status_row[1],
        config=config or None,
        **extra,
    )


def stored_positions(db: SqliteDatabase, position_ids: list[str]) -> dict[str, Position]:
    """The stored rows of some positions, decoded."""
    found: dict[str, Position] = {}
    for start in range(0, len(position_ids), 500):
        chunk = position_ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        cursor = db.execute_sql(f'{_SELECT_POSITIONS} WHERE "position_id" IN ({marks})', chunk)
        found.update(rows.positions_from_rows(cursor.fetchall()))
    return found


def verify_positions(db: SqliteDatabase, replayed: list[Position]) -> list[StateMismatch]:
    """Differences between the stored positions and ``replayed`` (a replay's positions).

    SQLite renders each stored position's ledger facts as one text (:data:`rows.FACTS_SQL`,
    one short row per position instead of twenty columns); they are decoded to values and
    compared with the replayed positions' facts. Only differing positions are decoded in
    full, to report field by field.
    """
    with gc_paused():
        cursor = db.execute_sql(f'SELECT "position_id", {rows.FACTS_SQL} FROM "position"')
        stored_facts = dict(cursor.fetchall())
        by_id = {position.position_id: position for position in replayed}
        differing = [
            position_id
            for position_id, position in by_id.items()
            if (text := stored_facts.get(position_id)) is None
            or rows.facts_from_text(text) != ledger_facts(position)
        ]
    differing += [position_id for position_id in stored_facts if position_id not in by_id]
    stored = stored_positions(db, differing)
    mismatches: list[StateMismatch] = []
    for position_id in sorted(differing):
        mismatches.extend(
            position_mismatches(position_id, stored.get(position_id), by_id.get(position_id))
        )
    return mismatches
