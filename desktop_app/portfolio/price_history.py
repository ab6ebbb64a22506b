"""Price history for the risk model: stored bars → cached closes, refreshed incrementally.

The store keeps the feed's 1-minute bars and imported history of any resolution (hourly,
4-hourly, daily), every bar with its interval. The risk model samples hourly where
hourly-or-finer bars cover its window, else daily (see :mod:`.risk_model`), so this cache
keeps two series per symbol, each close placed at its bar's end
(:func:`.bar_closes.bar_end_closes`):

* **hourly**: the last close in each UTC hour, from bars of an hour or finer only (a daily
  bar's close is never passed off as an hourly observation);
* **daily**: the last close in each UTC day, from bars of a day or finer (minutes, hours
  and daily bars alike: a day's last minute and its daily bar give the same close).

Bins are keyed by epoch hour / epoch day of their start (like ``resample``): the bar that
opened at 12:00 and closed at 13:00 is hour 12's close; the daily bar opened on day D is D's
close. That is 8,760 + 365 floats a year per symbol, however many minute bars sit behind.

The first read of a symbol loads ``lookback_days`` of bars back from its *last stored bar*
(not from now, so an imported history that ends last year still counts); later reads only
fetch the bars from the last one read on (its bins may have grown), and at most every
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
from typing import Protocol

import numpy as np

from desktop_app.lazy import pd

from .bar_closes import bar_end_closes

log = logging.getLogger(__name__)

HOUR_S = 3_600
DAY_S = 86_400
_NS_PER_S = 10**9


class BarSource(Protocol):
    """Where bars come from: ``desktop_app.store.Store`` implements it (the frame carries an
    ``interval_s`` column; one series over every stored resolution)."""

    async def read_bars(
        self, symbol: str, start: datetime | None = None, end: datetime | None = None
    ) -> pd.DataFrame: ...

    async def last_bar_time(self, symbol: str) -> datetime | None: ...


@dataclass(frozen=True)
class SymbolHistory:
    """One symbol's closes binned by hour and by day (see the module docstring).

    ``hour_keys`` / ``day_keys`` are epoch hours / days (UTC) of the bins that have a close,
    ascending; ``hourly`` / ``daily`` the last close in each.
    """

    symbol: str
    hour_keys: np.ndarray
    hourly: np.ndarray
    day_keys: np.ndarray
    daily: np.ndarray
    last_bar: datetime | None

    @property
    def empty(self) -> bool:
        return self.day_keys.size == 0

    @classmethod
    def nothing(cls, symbol: str) -> SymbolHistory:
        return cls(symbol, _no_keys(), np.empty(0), _no_keys(), np.empty(0), None)


def _no_keys() -> np.ndarray:
    return np.empty(0, np.int64)


def _last_per_bin(
    known_ns: np.ndarray, closes: np.ndarray, bin_s: int
) -> tuple[np.ndarray, np.ndarray]:
    """(bin keys, last close in each) of closes stamped at their bar's last instant."""
    if known_ns.size == 0:
        return _no_keys(), np.empty(0)
    keys = known_ns // (bin_s * _NS_PER_S)
    last = np.flatnonzero(np.append(np.diff(keys) != 0, True))
    return keys[last], closes[last]


def bin_closes(bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(hour keys, hourly closes, day keys, daily closes) of stored bars.

    Hourly bins take only bars of an hour or finer, daily bins bars of a day or finer;
    missing and non-positive closes are skipped.
    """
    if bars.empty or "close" not in bars:
        return _no_keys(), np.empty(0), _no_keys(), np.empty(0)
    known, closes, intervals = bar_end_closes(bars, max_interval_s=DAY_S)
    hourly = intervals <= HOUR_S
    hours = _last_per_bin(known[hourly], closes[hourly], HOUR_S)
    days = _last_per_bin(known, closes, DAY_S)
    return (*hours, *days)


def _splice(
    keys: np.ndarray, values: np.ndarray, new_keys: np.ndarray, new_values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cached bins before the first re-read bin, then the re-read bins."""
    old = keys < new_keys[0]
    return np.concatenate([keys[old], new_keys]), np.concatenate([values[old], new_values])


class PriceHistory:
    """Per-symbol hourly and daily closes from a :class:`BarSource`, cached and refreshed
    incrementally.

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

    async def get(
        self, symbols: Iterable[str], *, refresh: bool = False
    ) -> dict[str, SymbolHistory]:
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
            if old is None or old.empty or old.last_bar is None:
                last = await source.last_bar_time(symbol)
                if last is None:
                    self._cache[symbol] = SymbolHistory.nothing(symbol)
                    return None
                start = last - timedelta(days=self.lookback_days + 2)
                bars = await source.read_bars(symbol, start, None)
                binned = await loop.run_in_executor(None, bin_closes, bars)
                history = SymbolHistory(symbol, *binned, last)
            else:
                history = await self._refreshed(source, old)
                if history is old:
                    return old
            self._cache[symbol] = history
            self.version += 1
            log.debug(
                "price history %s: %d hour and %d day bins",
                symbol,
                history.hour_keys.size,
                history.day_keys.size,
            )
            return history

    async def _refreshed(self, source: BarSource, old: SymbolHistory) -> SymbolHistory:
        """``old`` with the bars from its last bar on read again (``old`` itself when that
        changes nothing).

        The merged series has no overlapping bars, so bar ends follow open times: every bin
        from the one holding the last bar's close on is recomputed from the re-read bars
        alone (a bin's close is its latest one), and the bins before it stay as cached.
        """
        bars = await source.read_bars(old.symbol, old.last_bar, None)
        if bars.empty:
            return old
        loop = asyncio.get_running_loop()
        hour_keys, hourly, day_keys, daily = await loop.run_in_executor(None, bin_closes, bars)
        if day_keys.size == 0:
            return old
        if hour_keys.size:
            hour_keys, hourly = _splice(old.hour_keys, old.hourly, hour_keys, hourly)
        else:
            hour_keys, hourly = old.hour_keys, old.hourly
        day_keys, daily = _splice(old.day_keys, old.daily, day_keys, daily)
        unchanged = (
            np.array_equal(hour_keys, old.hour_keys)
            and np.array_equal(hourly, old.hourly)
            and np.array_equal(day_keys, old.day_keys)
            and np.array_equal(daily, old.daily)
        )
        if unchanged:
            return old
        horizon_day = int(day_keys[-1]) - (self.lookback_days + 1)
        keep_hours = hour_keys >= horizon_day * 24
        keep_days = day_keys >= horizon_day
        return SymbolHistory(
            old.symbol,
            hour_keys[keep_hours],
            hourly[keep_hours],
            day_keys[keep_days],
            daily[keep_days],
            pd.Timestamp(bars.index.max()).to_pydatetime(),
        )

    async def read_window(self, symbol: str, start: datetime, end: datetime) -> SymbolHistory:
        """Bars of one symbol in ``[start, end]`` (for a historical replay), not cached."""
        source = self._source()
        if source is None:
            return SymbolHistory.nothing(symbol)
        bars = await source.read_bars(symbol, start, end)
        loop = asyncio.get_running_loop()
        binned = await loop.run_in_executor(None, bin_closes, bars)
        last = None if bars.empty else pd.Timestamp(bars.index.max()).to_pydatetime()
        return SymbolHistory(symbol, *binned, last)
