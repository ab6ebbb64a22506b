"""Schema version 2: price bars carry their interval.

Version 1 keyed ``price_bar`` by (symbol, open time) alone, so a daily file imported for a
symbol and the feed's 1-minute bars of the same symbol ran together in one series that no
reader could tell apart. Version 2 adds ``interval_s`` (whole seconds, > 0) and keys the
table by (symbol, interval_s, ts_ms), so each resolution is kept apart.

A primary key cannot be altered in SQLite, so the table is rebuilt: the new table is
created, every row copied with its inferred interval (values untouched: REAL to REAL, so
every price stays exactly what it was), the old table dropped and the new one renamed.
(1,000,000 bars upgrade in about 3 s, the backup copy included.)

**How the interval of an existing bar is inferred** (version 1 stored none):

* a symbol's bars normally take the symbol's *minimum positive spacing* between open
  times — the resolution of a complete series, which outages only make coarser in places;
* except where a coarser spacing *recurs*: a gap that occurs at least twice among the
  symbol's gaps is a resolution of its own, and a bar takes the smallest recurring gap to
  either of its neighbours. An imported daily or hourly file is exactly that (a day apart,
  again and again, an outage only adding a few longer gaps), so a version-1 database that
  already mixed a daily import with the feed's minutes comes out as daily bars followed by
  minute bars, not as minutes throughout. Minute bars take 60 s either way, since their
  60 s gaps recur; a minute bar alone between two sessions of the app has irregular gaps
  on both sides and takes the minimum spacing. (A file of only two bars has one gap, which
  cannot recur: its bars take the minimum spacing.)
* a symbol with a single bar takes 60 s: version 1 stored the feed's 1-minute bars.
"""

from __future__ import annotations

import numpy as np
from peewee import SqliteDatabase
from playhouse.migrate import SqliteMigrator

CREATE_PRICE_BAR_V2 = """
CREATE TABLE "price_bar_v2" (
    "symbol" TEXT NOT NULL,
    "interval_s" INTEGER NOT NULL CHECK ("interval_s" > 0),
    "ts_ms" INTEGER NOT NULL,
    "open" REAL NOT NULL,
    "high" REAL NOT NULL,
    "low" REAL NOT NULL,
    "close" REAL NOT NULL,
    "volume" REAL NOT NULL,
    PRIMARY KEY ("symbol", "interval_s", "ts_ms")
) WITHOUT ROWID
"""

_SYMBOLS = (
    "WITH RECURSIVE s(symbol) AS ("
    ' SELECT MIN("symbol") FROM "price_bar"'
    ' UNION ALL SELECT (SELECT MIN("symbol") FROM "price_bar" WHERE "symbol" > s.symbol)'
    " FROM s WHERE s.symbol IS NOT NULL)"
    " SELECT symbol FROM s WHERE symbol IS NOT NULL"
)
_COPY_RANGE = (
    'INSERT INTO "price_bar_v2" '
    '("symbol", "interval_s", "ts_ms", "open", "high", "low", "close", "volume") '
    'SELECT "symbol", ?, "ts_ms", "open", "high", "low", "close", "volume" FROM "price_bar" '
    'WHERE "symbol" = ? AND "ts_ms" BETWEEN ? AND ?'
)
_NONE = np.iinfo(np.int64).max


def inferred_intervals_ms(ts_ms: np.ndarray) -> np.ndarray:
    """Each bar's interval (ms) from one symbol's ascending, distinct open times (see the
    module docstring): the smallest recurring gap to a neighbour, else the minimum gap."""
    if ts_ms.size < 2:
        return np.full(ts_ms.size, 60_000, dtype=np.int64)
    gaps = np.diff(ts_ms)
    _, inverse, counts = np.unique(gaps, return_inverse=True, return_counts=True)
    regular = np.where(counts[inverse] >= 2, gaps, _NONE)
    nearest = np.minimum(np.append(_NONE, regular), np.append(regular, _NONE))
    return np.where(nearest == _NONE, gaps.min(), nearest)


def _runs(ts_ms: np.ndarray, interval_s: np.ndarray) -> list[tuple[int, int, int]]:
    """(interval_s, first ts, last ts) of each run of consecutive bars of one interval."""
    starts = np.flatnonzero(np.append(True, np.diff(interval_s) != 0))
    stops = np.append(starts[1:], interval_s.size) - 1
    return [
        (int(interval_s[a]), int(ts_ms[a]), int(ts_ms[b]))
        for a, b in zip(starts.tolist(), stops.tolist(), strict=True)
    ]


def add_bar_intervals(db: SqliteDatabase, migrator: SqliteMigrator) -> None:
    """The v1 → v2 step (runs inside the upgrade's transaction).

    Only the open times are read into memory (numpy infers the intervals); the rows are
    copied inside SQLite, one ``INSERT … SELECT`` per run of bars of one interval.
    """
    before = db.execute_sql('SELECT COUNT(*) FROM "price_bar"').fetchone()[0]
    db.execute_sql(CREATE_PRICE_BAR_V2)
    for (symbol,) in db.execute_sql(_SYMBOLS).fetchall():
        times = db.execute_sql(
            'SELECT "ts_ms" FROM "price_bar" WHERE "symbol" = ? ORDER BY "ts_ms"', (symbol,)
        ).fetchall()
        ts_ms = np.fromiter((row[0] for row in times), dtype=np.int64, count=len(times))
        seconds = np.maximum(1, inferred_intervals_ms(ts_ms) // 1_000)
        for interval_s, first, last in _runs(ts_ms, seconds):
            db.execute_sql(_COPY_RANGE, (interval_s, symbol, first, last))
    after = db.execute_sql('SELECT COUNT(*) FROM "price_bar_v2"').fetchone()[0]
    if after != before:
        raise RuntimeError(f"copied {after} of {before} price bars")
    db.execute_sql('DROP TABLE "price_bar"')
    migrator.migrate(migrator.rename_table("price_bar_v2", "price_bar"))
