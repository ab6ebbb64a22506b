"""Price history for the risk model: stored bars → cached closes, refreshed incrementally.

The store keeps 1-minute bars (or whatever resolution was imported: hourly, 4-hourly,
daily). The risk model samples them on an hourly grid — or on the native resolution when
that is coarser — so this cache keeps, per symbol, the last close of each hour bin that has
bars (epoch-hour keys, labelled by the start of the hour, like ``resample("h")``) plus the
native bar spacing. That is 8,760 floats a year per symbol, however many minute bars sit
behind it.

The first read of a symbol loads ``lookback_days`` of bars back from its *last stored bar*
(not from now, so an imported history that ends last year still counts); later reads only
fetch the bars from the last cached hour on (that hour may have grown), and at most every
``refresh_interval_s`` per symbol: the store holds minute bars, so re-reading more often
cannot change an hourly sample by more than the last minute. Resampling runs in the
default executor, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np

from desktop_app.lazy import pd

log = logging.getLogger(__name__)

_NS_PER_HOUR = 3_600 * 10**9
_NS_PER_MINUTE = 60 * 10**9


class BarSource(Protocol):
    """Where bars come from: ``desktop_app.store.Store`` implements it."""

    async def read_bars(
        self, symbol: str, start: datetime | None = None, end: datetime | None = None
    ) -> pd.DataFrame: ...

    async def last_bar_time(self, symbol: str) -> datetime | None: ...


@dataclass(frozen=True)
class SymbolHistory:
    """Hourly-binned closes of one symbol.

    ``hours`` are epoch hours (UTC) of the bins that have at least one bar, ascending;
    ``closes`` the last close in each; ``step_hours`` the native bar spacing rounded to whole
    hours (1 for minute or hourly bars, 4, 24 for daily bars).
    """

    symbol: str
    hours: np.ndarray
    closes: np.ndarray
    step_hours: int
    last_bar: datetime | None

    @property
    def empty(self) -> bool:
        return self.hours.size == 0

    @property
    def days(self) -> float:
        if self.hours.size < 2:
            return 0.0
        return float(self.hours[-1] - self.hours[0] + self.step_hours) / 24.0


def _epoch_ns(index: pd.DatetimeIndex) -> np.ndarray:
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return index.as_unit("ns").asi8


def bin_bars(bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """(epoch hours, last close per hour, native step in hours) of a bar DataFrame.

    Bars with a missing or non-positive close are skipped. The native step is the median
    spacing of consecutive bars, rounded to whole hours (at least 1).
    """
    if bars.empty or "close" not in bars:
        return np.empty(0, np.int64), np.empty(0), 1
    times = _epoch_ns(pd.DatetimeIndex(bars.index))
    closes = bars["close"].to_numpy(dtype="float64")
    keep = np.isfinite(closes) & (closes > 0)
    times, closes = times[keep], closes[keep]
    if times.size == 0:
        return np.empty(0, np.int64), np.empty(0), 1
    order = np.argsort(times, kind="stable")
    times, closes = times[order], closes[order]
    spacing = np.diff(times)
    step_minutes = float(np.median(spacing)) / _NS_PER_MINUTE if spacing.size else 60.0
    step_hours = max(1, round(step_minutes / 60.0))
    hours = times // _NS_PER_HOUR
    last_in_bin = np.flatnonzero(np.append(np.diff(hours) != 0, True))
    return hours[last_in_bin], closes[last_in_bin], step_hours


def _merge(old: SymbolHistory, hours: np.ndarray, closes: np.ndarray) -> tuple:
    """Old bins before the first new bin, then the new bins (which may rewrite the last)."""
    if hours.size == 0:
        return old.hours, old.closes
    keep = old.hours < hours[0]
    return np.concatenate([old.hours[keep], hours]), np.concatenate([old.closes[keep], closes])


class PriceHistory:
    """Per-symbol hourly closes from a :class:`BarSource`, cached and refreshed incrementally.

    ``version`` increases whenever any cached series changes, so a caller can cache what it
    derives from the history (the return panel) and rebuild only when needed.
    """

    def __init__(
        self,
        source: Callable[[], BarSource | None],
        lookback_days: int = 365,
        refresh_interval_s: float = 60.0,
    ) -> None:
        self._source = source
        self._lookback_days = lookback_days
        self.refresh_interval_s = refresh_interval_s
        self._cache: dict[str, SymbolHistory] = {}
        self._read_at: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.version = 0

    @property
    def lookback_days(self) -> int:
        return self._lookback_days

    @lookback_days.setter
    def lookback_days(self, days: int) -> None:
        """A longer lookback than the cache holds reloads it; a shorter one only trims."""
        if days > self._lookback_days:
            self.clear()
        self._lookback_days = days

    @property
    def available(self) -> bool:
        return self._source() is not None

    def cached(self, symbol: str) -> SymbolHistory | None:
        return self._cache.get(symbol)

    def clear(self) -> None:
        self._cache.clear()
        self._read_at.clear()
        self.version += 1

    async def get(self, symbols: Iterable[str], *, refresh: bool = False) -> dict[str, Any]:
        """``{symbol: SymbolHistory}`` for every symbol with stored bars (others are left out).

        A symbol is loaded on first use; ``refresh=True`` fetches the bars stored since the
        last read for every requested symbol. The symbols are read concurrently (the store
        serves reads from a pool of reader threads).
        """
        wanted = list(dict.fromkeys(symbols))
        loaded = await asyncio.gather(*(self._load(s, refresh=refresh) for s in wanted))
        return {
            symbol: history
            for symbol, history in zip(wanted, loaded, strict=True)
            if history is not None and not history.empty
        }

    async def _load(self, symbol: str, *, refresh: bool) -> SymbolHistory | None:
        source = self._source()
        if source is None:
            return None
        lock = self._locks.setdefault(symbol, asyncio.Lock())
        async with lock:
            old = self._cache.get(symbol)
            fresh = time.monotonic() - self._read_at.get(symbol, -math.inf)
            if old is not None and (not refresh or fresh < self.refresh_interval_s):
                return old
            self._read_at[symbol] = time.monotonic()
            loop = asyncio.get_running_loop()
            if old is None or old.empty:
                last = await source.last_bar_time(symbol)
                if last is None:
                    self._cache[symbol] = SymbolHistory(
                        symbol, np.empty(0, np.int64), np.empty(0), 1, None
                    )
                    return None
                start = last - timedelta(days=self.lookback_days + 1)
                bars = await source.read_bars(symbol, start, None)
                hours, closes, step = await loop.run_in_executor(None, bin_bars, bars)
                history = SymbolHistory(symbol, hours, closes, step, last)
            else:
                since = pd.Timestamp(int(old.hours[-1]) * _NS_PER_HOUR, tz="UTC").to_pydatetime()
                bars = await source.read_bars(symbol, since, None)
                if bars.empty:
                    return old
                new_hours, new_closes, _ = await loop.run_in_executor(None, bin_bars, bars)
                hours, closes = _merge(old, new_hours, new_closes)
                if np.array_equal(hours, old.hours) and np.array_equal(closes, old.closes):
                    return old
                last = pd.Timestamp(bars.index.max()).to_pydatetime()
                horizon = int(hours[-1]) - (self.lookback_days + 1) * 24
                keep = hours >= horizon
                history = SymbolHistory(symbol, hours[keep], closes[keep], old.step_hours, last)
            self._cache[symbol] = history
            self.version += 1
            log.debug("price history %s: %d hour bins", symbol, history.hours.size)
            return history

    async def read_window(self, symbol: str, start: datetime, end: datetime) -> SymbolHistory:
        """Bars of one symbol in ``[start, end]`` (for a historical replay), not cached."""
        source = self._source()
        if source is None:
            return SymbolHistory(symbol, np.empty(0, np.int64), np.empty(0), 1, None)
        bars = await source.read_bars(symbol, start, end)
        loop = asyncio.get_running_loop()
        hours, closes, step = await loop.run_in_executor(None, bin_bars, bars)
        last = None if bars.empty else pd.Timestamp(bars.index.max()).to_pydatetime()
        return SymbolHistory(symbol, hours, closes, step, last)
