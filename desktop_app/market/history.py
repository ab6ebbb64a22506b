"""Price history in and out: the shared OHLCV CSV format and backfilling missing bars.

CSV format (``../shared/data/prices``; ``<BASE>-<QUOTE>[-SUFFIX]_<interval>.csv``)::

    timestamp,open,high,low,close,volume
    2017-08-17T00:00:00Z,4261.48,4485.39,4200.74,4285.08,795.150377

``timestamp`` is the bar's open time in UTC.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from desktop_app.lazy import pd
from desktop_app.portfolio.values import normalize_symbol, utc_now

from .bars import BAR_COLUMNS, BAR_SECONDS
from .errors import MarketDataError

log = logging.getLogger(__name__)

__all__ = [
    "HistorySource",
    "backfill_missing_bars",
    "read_ohlcv_csv",
    "symbol_from_filename",
]

_FILENAME = re.compile(r"^([A-Za-z0-9]+)-([A-Za-z0-9]+)(?:-[A-Za-z0-9]+)?_[0-9]+[a-zA-Z]+$")


def symbol_from_filename(path: Path | str) -> str:
    """``BTC-USDT_1d.csv`` → ``BTC/USDT`` (a ``-PERP`` style suffix is ignored)."""
    stem = Path(path).stem
    match = _FILENAME.match(stem)
    if match is None:
        raise MarketDataError(
            f"cannot tell the symbol from the file name {Path(path).name}; name it like "
            f"BTC-USDT_1m.csv or give the symbol explicitly"
        )
    return normalize_symbol(f"{match.group(1)}/{match.group(2)}")


def read_ohlcv_csv(path: Path | str) -> pd.DataFrame:
    """An OHLCV CSV as a frame indexed by UTC bar open time, float columns, sorted."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise MarketDataError(f"cannot read price file {path}: {exc}") from None
    missing = [c for c in ("timestamp", *BAR_COLUMNS) if c not in frame.columns]
    if missing:
        raise MarketDataError(f"{Path(path).name} lacks the column(s) {', '.join(missing)}")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"], utc=True), name="timestamp")
        data = frame[list(BAR_COLUMNS)].to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise MarketDataError(f"{Path(path).name} has a malformed row: {exc}") from None
    bars = pd.DataFrame(data, index=index, columns=list(BAR_COLUMNS))
    bad = ~np.isfinite(data[:, :4]).all(axis=1) | (data[:, :4] <= 0).any(axis=1)
    if bad.any():
        raise MarketDataError(
            f"{Path(path).name} has {int(bad.sum())} row(s) with a missing or non-positive "
            f"price, first at {bars.index[bad.argmax()]}"
        )
    return bars[~bars.index.duplicated(keep="last")].sort_index()


class HistorySource(Protocol):
    """A feed that can also fetch completed 1-minute bars (the live exchange feed)."""

    async def fetch_bars(self, symbol: str, since: datetime, until: datetime) -> pd.DataFrame:
        """Completed 1-minute bars with open times in ``[since, until)``."""


async def backfill_missing_bars(
    store: Any,
    source: HistorySource,
    symbols: Sequence[str],
    *,
    max_days: float = 7.0,
    now: datetime | None = None,
) -> dict[str, int]:
    """Fetch the 1-minute bars each symbol is missing since its last stored 1-minute bar.

    Starts one minute after ``store.last_bar_time(symbol, 60)`` — the feed's own interval
    only: imported daily or hourly history says nothing about which minutes are missing —
    or ``max_days`` ago for a symbol with no minute bars (never earlier than that: a longer
    absence is left as a gap), and
    stops at the current minute, which is not complete yet. A failure on one symbol is
    logged and does not stop the others. Returns the bars written per symbol.
    """
    minute = timedelta(minutes=1)
    end = (now or utc_now()).replace(second=0, microsecond=0)
    earliest = end - timedelta(days=max_days)
    written: dict[str, int] = {}
    for symbol in symbols:
        try:
            last = await store.last_bar_time(symbol, BAR_SECONDS)
            since = earliest if last is None else max(earliest, last + minute)
            if since >= end:
                continue
            bars = await source.fetch_bars(symbol, since, end)
            if len(bars):
                await store.write_bars(symbol, bars, interval_s=BAR_SECONDS)
            written[symbol] = len(bars)
            log.info("backfilled %d %s bar(s) from %s", len(bars), symbol, since)
        except Exception as exc:  # history is a nicety; prices must keep flowing
            log.warning("could not backfill %s history: %s", symbol, exc)
    return written
