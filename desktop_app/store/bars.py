"""Price bars: validation, bulk upsert and range reads of the ``price_bar`` table.

A bar is (symbol, interval, open time, open, high, low, close, volume). Times are stored as
integer epoch milliseconds (UTC), intervals as whole seconds and prices as REAL: price
history feeds float64 analytics, unlike the ledger's exact Decimals. The table is keyed by
(symbol, interval_s, ts_ms) WITHOUT ROWID, so one resolution of one symbol is stored
together in time order and a range read of it is one index walk; the resolutions a symbol
has are found by skip-scan, one index seek each. How resolutions merge into one series is
decided in :mod:`~desktop_app.store.bar_intervals`.

Bulk writes go through the connection's ``executemany`` inside a peewee transaction (a
peewee ``insert_many`` builds a query object per row, far too slow for the hundreds of
thousands of rows an import brings). pandas is imported on first use only, so a headless
engine that never touches price history starts without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from itertools import repeat
from typing import TYPE_CHECKING, Any

from peewee import SqliteDatabase

from desktop_app.lazy import pd as lazy_pd
from desktop_app.portfolio.bar_closes import INTERVAL_COLUMN

from .bar_intervals import (
    BarArrays,
    BarInterval,
    describe_interval,
    merge_resolutions,
    off_grid,
)
from .codec import from_ms, to_ms
from .errors import PriceDataError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

BAR_COLUMNS = ("open", "high", "low", "close", "volume")
#: Rows per executemany call; progress is reported after each chunk.
CHUNK_ROWS = 10_000

_UPSERT = (
    'INSERT INTO "price_bar" ("symbol", "interval_s", "ts_ms", "open", "high", "low", "close", '
    '"volume") VALUES (?, ?, ?, ?, ?, ?, ?, ?) '
    'ON CONFLICT ("symbol", "interval_s", "ts_ms") DO UPDATE SET "open" = excluded."open", '
    '"high" = excluded."high", "low" = excluded."low", "close" = excluded."close", '
    '"volume" = excluded."volume"'
)


class ImportCancelled(Exception):
    """Raised on the writer thread when the awaiting caller was cancelled."""


def bar_problems(values: np.ndarray) -> dict[int, list[str]]:
    """Row index → what is wrong with it, for an (n, 5) float array of OHLCV values.

    Rules: open/high/low/close present, finite and above zero; volume present, finite and
    not negative; ``high >= max(open, close, low)`` and ``low <= min(open, close)``.
    """
    import numpy as np

    problems: dict[int, list[str]] = {}

    def flag(mask: np.ndarray, message: Callable[[int], str]) -> None:
        for row in np.flatnonzero(mask).tolist():
            problems.setdefault(row, []).append(message(row))

    present = ~np.isnan(values)
    for col, name in enumerate(BAR_COLUMNS):
        column = values[:, col]
        flag(~present[:, col], lambda _row, name=name: f"{name} is missing")
        flag(
            present[:, col] & ~np.isfinite(column),
            lambda _row, name=name: f"{name} is not a finite number",
        )
    finite = np.isfinite(values)
    prices = values[:, :4]
    with np.errstate(invalid="ignore"):
        for col, name in enumerate(BAR_COLUMNS[:4]):
            flag(
                finite[:, col] & (prices[:, col] <= 0),
                lambda row, col=col, name=name: f"{name} {values[row, col]:g} must be above zero",
            )
        flag(
            finite[:, 4] & (values[:, 4] < 0),
            lambda row: f"volume {values[row, 4]:g} is negative",
        )
        ok = finite[:, :4].all(axis=1)
        o, h, low, c = (prices[:, i] for i in range(4))
        flag(ok & (h < low), lambda row: f"high {h[row]:g} is below low {low[row]:g}")
        flag(
            ok & (h >= low) & (h < np.maximum(o, c)),
            lambda row: f"high {h[row]:g} is below open/close {max(o[row], c[row]):g}",
        )
        flag(
            ok & (h >= low) & (low > np.minimum(o, c)),
            lambda row: f"low {low[row]:g} is above open/close {min(o[row], c[row]):g}",
        )
    return problems


def arrays_from_frame(bars: Any, interval_s: int) -> tuple[np.ndarray, np.ndarray]:
    """(ts_ms int64, values float64 (n, 5)) from the contract's bar DataFrame; validated.

    Besides the values (see :func:`bar_problems`), the open times must be a whole number of
    ``interval_s`` apart: bars of one interval never overlap.
    """
    import numpy as np

    pd = lazy_pd.load()
    if not isinstance(bars, pd.DataFrame):
        raise PriceDataError(f"bars must be a pandas DataFrame, got {type(bars).__name__}")
    missing = [name for name in BAR_COLUMNS if name not in bars.columns]
    if missing:
        raise PriceDataError(f"bars are missing the column(s) {', '.join(missing)}")
    index = bars.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise PriceDataError("bars must be indexed by time-zone-aware (UTC) timestamps")
    ts_ms = index.tz_convert("UTC").as_unit("ms").asi8.astype(np.int64)
    try:
        values = bars.loc[:, list(BAR_COLUMNS)].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PriceDataError(f"bar values must be numbers: {exc}") from None
    problems = bar_problems(values)
    if problems:
        row = min(problems)
        raise PriceDataError(
            f"{len(problems)} bad bar(s); nothing was stored. First, at "
            f"{index[row].isoformat()}: {'; '.join(problems[row])}"
        )
    _check_spacing(ts_ms, interval_s)
    return ts_ms, values


def _check_spacing(ts_ms: np.ndarray, interval_s: int) -> None:
    misplaced = off_grid(ts_ms, interval_s)
    if misplaced.any():
        first = from_ms(int(ts_ms.min())).isoformat()
        at = from_ms(int(ts_ms[misplaced.argmax()])).isoformat()
        raise PriceDataError(
            f"{int(misplaced.sum())} bar(s) are not a whole number of "
            f"{describe_interval(interval_s)} bars after the first ({first}), first at {at}: "
            f"bars of one interval cannot overlap. Nothing was stored; are these "
            f"{describe_interval(interval_s)} bars?"
        )


def upsert_bars(
    db: SqliteDatabase,
    symbol: str,
    interval_s: int,
    ts_ms: np.ndarray,
    values: np.ndarray,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: threading.Event | None = None,
) -> int:
    """Insert or replace bars by (symbol, interval_s, ts_ms). Call inside a transaction."""
    connection = db.connection()
    total = len(ts_ms)
    for start in range(0, total, CHUNK_ROWS):
        if cancelled is not None and cancelled.is_set():
            raise ImportCancelled
        part = slice(start, start + CHUNK_ROWS)
        columns = [values[part, i].tolist() for i in range(len(BAR_COLUMNS))]
        connection.executemany(
            _UPSERT, zip(repeat(symbol), repeat(interval_s), ts_ms[part].tolist(), *columns)
        )
        if progress is not None:
            progress(min(total, start + CHUNK_ROWS), total)
    return total


def frame_from_rows(rows: list[tuple[Any, ...]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows of (ts_ms, value, …) → a float DataFrame indexed by UTC time."""
    import numpy as np

    pd = lazy_pd.load()
    if not rows:
        index = pd.DatetimeIndex([], tz="UTC", name="timestamp")
        return pd.DataFrame({name: np.array([], dtype=np.float64) for name in columns}, index=index)
    data = np.array(rows, dtype=np.float64)
    ts = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    index = pd.DatetimeIndex(pd.to_datetime(ts, unit="ms", utc=True), name="timestamp")
    return pd.DataFrame(data[:, 1:], index=index, columns=list(columns))


def bar_frame(bars: BarArrays) -> pd.DataFrame:
    """The read contract: float OHLCV columns plus ``interval_s`` (int64), indexed by open
    time (UTC), ascending."""
    pd = lazy_pd.load()

    index = pd.DatetimeIndex(pd.to_datetime(bars.ts_ms, unit="ms", utc=True), name="timestamp")
    frame = pd.DataFrame(bars.values, index=index, columns=list(BAR_COLUMNS))
    frame[INTERVAL_COLUMN] = bars.interval_s
    return frame


def time_range(start: datetime | None, end: datetime | None) -> tuple[int, int]:
    """Inclusive epoch-ms bounds for a query (open ends become the extremes)."""
    low = -(2**62) if start is None else to_ms(start)
    high = 2**62 if end is None else to_ms(end)
    return low, high


def _read_interval(
    db: SqliteDatabase, symbol: str, interval_s: int, low: int, high: int
) -> BarArrays:
    """One resolution's bars with open time in [low, high] ms: one index walk."""
    import numpy as np

    rows = db.execute_sql(
        'SELECT "ts_ms", "open", "high", "low", "close", "volume" FROM "price_bar" '
        'WHERE "symbol" = ? AND "interval_s" = ? AND "ts_ms" BETWEEN ? AND ? ORDER BY "ts_ms"',
        (symbol, interval_s, low, high),
    ).fetchall()
    if not rows:
        return BarArrays.empty()
    data = np.array(rows, dtype=np.float64)
    ts = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return BarArrays(ts, np.full(ts.size, interval_s, dtype=np.int64), data[:, 1:])


def read_bars(
    db: SqliteDatabase,
    symbol: str,
    start: datetime | None,
    end: datetime | None,
    interval_s: int | None = None,
) -> pd.DataFrame:
    """Bars with open time in [start, end]: of ``interval_s``, or merged (finer bars win).

    The merge reads each resolution on the range widened by the widest interval, so a bar
    near either end is judged against every bar that could overlap it, then trims back.
    """
    low, high = time_range(start, end)
    if interval_s is not None:
        return bar_frame(_read_interval(db, symbol, interval_s, low, high))
    intervals = stored_intervals(db, symbol)
    if not intervals:
        return bar_frame(BarArrays.empty())
    if len(intervals) == 1:
        return bar_frame(_read_interval(db, symbol, intervals[0], low, high))
    margin = max(intervals) * 1_000
    parts = [_read_interval(db, symbol, i, low - margin, high + margin) for i in intervals]
    return bar_frame(merge_resolutions(parts).within(low, high))


def stored_intervals(db: SqliteDatabase, symbol: str) -> list[int]:
    """The intervals stored for ``symbol``, finest first, by skip-scan (one seek each)."""
    rows = db.execute_sql(
        "WITH RECURSIVE i(v) AS ("
        ' SELECT MIN("interval_s") FROM "price_bar" WHERE "symbol" = ?'
        ' UNION ALL SELECT (SELECT MIN("interval_s") FROM "price_bar"'
        '  WHERE "symbol" = ? AND "interval_s" > i.v) FROM i WHERE i.v IS NOT NULL)'
        " SELECT v FROM i WHERE v IS NOT NULL",
        (symbol, symbol),
    ).fetchall()
    return [int(row[0]) for row in rows]


def bar_intervals(db: SqliteDatabase, symbol: str) -> list[BarInterval]:
    """Each stored resolution of ``symbol`` with its first and last open time and count."""
    found = []
    for interval_s in stored_intervals(db, symbol):
        first, last, count = db.execute_sql(
            'SELECT MIN("ts_ms"), MAX("ts_ms"), COUNT(*) FROM "price_bar" '
            'WHERE "symbol" = ? AND "interval_s" = ?',
            (symbol, interval_s),
        ).fetchone()
        found.append(BarInterval(interval_s, from_ms(int(first)), from_ms(int(last)), int(count)))
    return found


def bar_symbols(db: SqliteDatabase) -> list[str]:
    """Distinct symbols by skip-scan: one index seek per symbol, not a scan of every bar."""
    rows = db.execute_sql(
        "WITH RECURSIVE s(symbol) AS ("
        ' SELECT MIN("symbol") FROM "price_bar"'
        ' UNION ALL SELECT (SELECT MIN("symbol") FROM "price_bar" WHERE "symbol" > s.symbol)'
        " FROM s WHERE s.symbol IS NOT NULL)"
        " SELECT symbol FROM s WHERE symbol IS NOT NULL"
    ).fetchall()
    return [row[0] for row in rows]


def _latest_bar(db: SqliteDatabase, symbol: str, interval_s: int) -> tuple[int, float] | None:
    """(open time in ms, close) of ``symbol``'s latest bar of ``interval_s``, or None."""
    row = db.execute_sql(
        'SELECT "ts_ms", "close" FROM "price_bar" WHERE "symbol" = ? AND "interval_s" = ? '
        'ORDER BY "ts_ms" DESC LIMIT 1',
        (symbol, interval_s),
    ).fetchone()
    return None if row is None else (int(row[0]), float(row[1]))


def last_closes(db: SqliteDatabase, symbols: list[str]) -> dict[str, tuple[float, datetime]]:
    """Each symbol's latest stored close and when it closed (its bar's end), over every
    stored interval; the finer bar wins when two end together. Symbols without bars are
    left out."""
    result: dict[str, tuple[float, datetime]] = {}
    for symbol in symbols:
        best: tuple[int, float] | None = None
        for interval in stored_intervals(db, symbol):
            latest = _latest_bar(db, symbol, interval)
            if latest is not None:
                end_ms = latest[0] + interval * 1000
                if best is None or end_ms > best[0]:
                    best = (end_ms, latest[1])
        if best is not None:
            result[symbol] = (best[1], from_ms(best[0]))
    return result


def last_bar_time(
    db: SqliteDatabase, symbol: str, interval_s: int | None = None
) -> datetime | None:
    """The latest open time of ``symbol``'s bars of ``interval_s`` (None: of any interval)."""
    intervals = stored_intervals(db, symbol) if interval_s is None else [interval_s]
    opens = [bar[0] for i in intervals if (bar := _latest_bar(db, symbol, i)) is not None]
    return from_ms(max(opens)) if opens else None
