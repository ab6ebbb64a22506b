"""History reads (fills, cash, lots, equity curve) and the components' record tables.

The record tables (``risk_violation``, ``risk_metrics``, ``rebalance_history``,
``performance_metrics``, ``breaker_event``) hold one JSON payload per row with its time:
the components that write them own their payload's shape. JSON has no Decimal or datetime,
so Decimals come back as exact strings and datetimes as ISO text; ``read_records`` adds the
row's time as a tz-aware ``timestamp``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from peewee import Model, SqliteDatabase

from desktop_app.portfolio.errors import PortfolioError
from desktop_app.portfolio.lots import LotDisposal
from desktop_app.portfolio.records import CashMovement, Fill
from desktop_app.portfolio.values import utc_now

from . import codec, rows
from .bars import frame_from_rows, time_range
from .models import Models


class RecordKind(StrEnum):
    """The history tables of the components (``append_record(kind, ...)``)."""

    RISK_VIOLATION = "risk_violation"
    RISK_METRICS = "risk_metrics"
    REBALANCE = "rebalance"
    PERFORMANCE_METRICS = "performance_metrics"
    BREAKER_EVENT = "breaker_event"


RECORD_KINDS = frozenset(kind.value for kind in RecordKind)
EQUITY_COLUMNS = ("equity", "cash", "market_value", "gross_exposure", "net_flow")


def _time_clause(column: str, start: datetime | None, end: datetime | None) -> tuple[str, list]:
    clauses, params = [], []
    if start is not None:
        clauses.append(f'"{column}" >= ?')
        params.append(codec.time_text(start))
    if end is not None:
        clauses.append(f'"{column}" <= ?')
        params.append(codec.time_text(end))
    return " AND ".join(clauses), params


def read_fills(
    db: SqliteDatabase, start: datetime | None, end: datetime | None, symbol: str | None
) -> list[Fill]:
    where, params = _time_clause("timestamp", start, end)
    if symbol is not None:
        where = " AND ".join(filter(None, [where, '"symbol" = ?']))
        params.append(symbol)
    sql = f'SELECT {", ".join(rows.FILL_COLUMNS)} FROM "fill"'
    if where:
        sql += f" WHERE {where}"
    return rows.fills_from_rows(db.execute_sql(sql + ' ORDER BY "sequence"', params).fetchall())


def read_cash_movements(
    db: SqliteDatabase, start: datetime | None, end: datetime | None
) -> list[CashMovement]:
    where, params = _time_clause("timestamp", start, end)
    sql = f'SELECT {", ".join(rows.CASH_COLUMNS)} FROM "cash_movement"'
    if where:
        sql += f" WHERE {where}"
    return rows.cash_from_rows(db.execute_sql(sql + ' ORDER BY "sequence"', params).fetchall())


def read_disposals(db: SqliteDatabase, position_id: str | None) -> list[LotDisposal]:
    sql = (
        'SELECT d."lot_id", f."fill_id", d."acquired_at", d."disposed_at", d."size", '
        'd."entry_price", d."exit_price", d."cost", d."proceeds", d."fee", d."gain", '
        'd."is_short" FROM "lot_disposal" d JOIN "fill" f ON f."sequence" = d."sequence"'
    )
    params: list[Any] = []
    if position_id is not None:
        sql += ' WHERE d."position_id" = ?'
        params.append(position_id)
    found = db.execute_sql(sql + ' ORDER BY d."id"', params).fetchall()
    return [
        LotDisposal(
            lot_id,
            fill_id,
            codec.parse_time(acquired),
            codec.parse_time(disposed),
            *(Decimal(value) for value in numbers),
            bool(is_short),
        )
        for lot_id, fill_id, acquired, disposed, *numbers, is_short in found
    ]


class SnapshotQueue:
    """Equity snapshots waiting to be written (thread-safe: queued on the loop, written on
    the writer thread inside whatever transaction comes next)."""

    def __init__(self) -> None:
        self._rows: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def add(
        self,
        timestamp: datetime,
        equity: Decimal,
        cash: Decimal,
        market_value: Decimal,
        gross_exposure: Decimal,
        net_flow: Decimal,
    ) -> None:
        row = (
            codec.to_ms(timestamp),
            *(codec.dec(value) for value in (equity, cash, market_value, gross_exposure)),
            codec.dec(net_flow),
        )
        with self._lock:
            self._rows.append(row)

    def write(self, db: SqliteDatabase) -> None:
        """Insert everything queued (call inside a transaction on the writer thread)."""
        with self._lock:
            queued, self._rows = self._rows, []
        if queued:
            db.connection().executemany(
                'INSERT INTO "equity_snapshot" ("ts_ms", "equity", "cash", "market_value", '
                '"gross_exposure", "net_flow") VALUES (?, ?, ?, ?, ?, ?)',
                queued,
            )


def read_equity_curve(db: SqliteDatabase, start: datetime | None, end: datetime | None) -> Any:
    low, high = time_range(start, end)
    snapshots = db.execute_sql(
        'SELECT "ts_ms", CAST("equity" AS REAL), CAST("cash" AS REAL), '
        'CAST("market_value" AS REAL), CAST("gross_exposure" AS REAL), '
        'CAST("net_flow" AS REAL) FROM "equity_snapshot" WHERE "ts_ms" BETWEEN ? AND ? '
        'ORDER BY "ts_ms", "id"',
        (low, high),
    ).fetchall()
    return frame_from_rows(snapshots, EQUITY_COLUMNS)


def last_equity_time(db: SqliteDatabase) -> datetime | None:
    """The time of the latest equity snapshot (None before the first)."""
    row = db.execute_sql('SELECT MAX("ts_ms") FROM "equity_snapshot"').fetchone()
    return None if row is None or row[0] is None else codec.from_ms(row[0])


def record_model(models: Models, kind: str) -> type[Model]:
    try:
        return models.history[RecordKind(kind).value]
    except ValueError:
        known = ", ".join(sorted(RECORD_KINDS))
        raise PortfolioError(f"Unknown record kind {kind!r}; use one of: {known}") from None


def record_row(payload: Mapping[str, Any], timestamp: datetime | None) -> dict[str, Any]:
    """The row for one record; its time is ``timestamp``, else the payload's, else now."""
    if not isinstance(payload, Mapping):
        raise PortfolioError(f"a record must be a mapping of fields, got {type(payload).__name__}")
    when = timestamp
    if when is None:
        stamped = payload.get("timestamp")
        when = stamped if isinstance(stamped, datetime) and stamped.tzinfo else utc_now()
    return {"ts_ms": codec.to_ms(when), "payload": codec.to_json(dict(payload), "the record")}


def read_records(
    db: SqliteDatabase,
    model: type[Model],
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    low, high = time_range(start, end)
    table = model._meta.table_name
    sql = f'SELECT "ts_ms", "payload" FROM "{table}" WHERE "ts_ms" BETWEEN ? AND ?'
    params: list[Any] = [low, high]
    if limit is not None:
        found = db.execute_sql(
            sql + ' ORDER BY "ts_ms" DESC, "id" DESC LIMIT ?', [*params, max(0, int(limit))]
        ).fetchall()
        found.reverse()
    else:
        found = db.execute_sql(sql + ' ORDER BY "ts_ms", "id"', params).fetchall()
    return [{**codec.from_json(payload), "timestamp": codec.from_ms(ts)} for ts, payload in found]
