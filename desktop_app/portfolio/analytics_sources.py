"""Where the analytics' inputs come from: the store, read incrementally and cached.

The store keeps the equity snapshots, the full fill journal and price bars (the feed's
1-minute bars and imported history of any resolution). A report or a once-a-second
dashboard must not re-read years of them each time, so:

* :class:`EquityCurveCache` keeps the snapshot table and only asks the store for the
  snapshots from its last cached time on;
* :class:`ClosesCache` keeps, per symbol and sampling rule, the last close of every bin
  (stamped at the bin's last instant), reading only the bars it has not seen — so a daily
  report over a year of minute bars holds 365 floats per symbol, not 525,600. Each close
  sits at its bar's end (:mod:`.bar_closes`, using the interval every stored bar carries),
  so daily history and the feed's minutes bin correctly side by side;
* :class:`FillsCache` reads the journal once and then takes new fills from the ledger's
  in-memory recent fills (falling back to the store when more arrived than memory keeps).

Every store call is awaited on the event loop (the store does its I/O on its own thread);
binning runs in the default executor.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desktop_app.lazy import pd

from .analytics_returns import clean_curve, empty_curve
from .bar_closes import closes_at_bar_ends, last_close_per_bin
from .position_tracker import PositionTracker
from .records import Fill

__all__ = ["ClosesCache", "EquityCurveCache", "FillsCache"]

#: Bars are read in slices of this length, so a long history never sits in memory at once.
_READ_SLICE = timedelta(days=90)


class EquityCurveCache:
    """The store's equity snapshots, refreshed with only the rows added since."""

    def __init__(self) -> None:
        self._frame: pd.DataFrame | None = None  # built on first use: pandas loads lazily
        self._lock = asyncio.Lock()

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = empty_curve()
        return self._frame

    @frame.setter
    def frame(self, value: pd.DataFrame) -> None:
        self._frame = value

    async def refresh(self, store: Any) -> bool:
        """Fetch new snapshots; True when the curve changed."""
        if store is None:
            return False
        async with self._lock:
            last = None if self._frame is None or self._frame.empty else self._frame.index[-1]
            last = None if last is None else last.to_pydatetime()
            raw = await store.read_equity_curve(start=last)
            if raw.empty:
                return False
            loop = asyncio.get_running_loop()
            merged = await loop.run_in_executor(None, _append, self.frame, raw)
            if merged is None:
                return False
            self.frame = merged
            return True


def _append(frame: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame | None:
    """``frame`` with the rows read from its last time on replaced by ``raw`` (None when that
    changes nothing). Runs in an executor: the first read can be a year of snapshots."""
    fresh = clean_curve(raw)
    if fresh.empty:
        return None
    kept = frame[frame.index < fresh.index[0]]
    merged = pd.concat([kept, fresh]) if not kept.empty else fresh
    if len(merged) == len(frame) and merged.equals(frame):
        return None
    return merged


def _bin_closes(bars: pd.DataFrame, rule: str) -> pd.Series:
    """The last close of every ``rule`` bin, stamped at the bin's last instant."""
    binned = last_close_per_bin(closes_at_bar_ends(bars), rule)
    binned.index = binned.index + pd.Timedelta(1, unit=rule) - pd.Timedelta(1, unit="ns")
    return binned


@dataclass
class _Closes:
    series: pd.Series
    first: datetime
    last_bar: datetime | None


class ClosesCache:
    """Per (symbol, rule): the binned closes of the range read so far."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], _Closes] = {}
        self._lock = asyncio.Lock()

    def clear(self) -> None:
        self._entries.clear()

    async def _read(
        self, store: Any, symbol: str, rule: str, start: datetime, end: datetime
    ) -> tuple[pd.Series, datetime | None]:
        loop = asyncio.get_running_loop()
        parts: list[pd.Series] = []
        last_bar = None
        cursor = start
        while cursor <= end:
            stop = min(cursor + _READ_SLICE, end)
            bars = await store.read_bars(symbol, cursor, stop)
            if not bars.empty:
                binned = await loop.run_in_executor(None, _bin_closes, bars, rule)
                parts.append(binned)
                last_bar = pd.Timestamp(bars.index.max()).to_pydatetime()
            cursor = stop + timedelta(microseconds=1)
        if not parts:
            return pd.Series(dtype="float64"), last_bar
        series = pd.concat(parts)
        series = series[~series.index.duplicated(keep="last")]
        return series, last_bar

    async def get(
        self, store: Any, symbols: list[str], rule: str, start: datetime, end: datetime
    ) -> dict[str, pd.Series]:
        """``{symbol: closes}`` for bins between ``start`` and ``end`` (symbols with bars)."""
        result: dict[str, pd.Series] = {}
        if store is None:
            return result
        async with self._lock:
            for symbol in symbols:
                entry = self._entries.get((symbol, rule))
                if entry is None:
                    series, last_bar = await self._read(store, symbol, rule, start, end)
                    entry = _Closes(series, start, last_bar)
                else:
                    if start < entry.first:
                        head, _ = await self._read(store, symbol, rule, start, entry.first)
                        existing = entry.series
                        if len(existing):
                            head = head[head.index < existing.index[0]]
                        entry.series = pd.concat([head, existing]) if len(head) else existing
                        entry.first = start
                    since = entry.last_bar or entry.first
                    if since < end:
                        tail, last_bar = await self._read(store, symbol, rule, since, end)
                        if len(tail):
                            kept = entry.series[entry.series.index < tail.index[0]]
                            entry.series = pd.concat([kept, tail]) if len(kept) else tail
                            entry.last_bar = last_bar
                self._entries[(symbol, rule)] = entry
                series = entry.series
                if len(series):
                    result[symbol] = series
        return result


class FillsCache:
    """The whole fill journal: read from the store once, then kept up from memory."""

    def __init__(self) -> None:
        self.fills: tuple[Fill, ...] = ()
        self._sequence = -1
        self._loaded = False
        self._lock = asyncio.Lock()

    async def get(
        self, store: Any, tracker: PositionTracker, total: int
    ) -> tuple[tuple[Fill, ...], bool]:
        """(every fill in booking order, complete?). Without a store: the recent fills.

        ``total`` is how many fills the ledger has booked (the positions' fill counts).
        """
        recent = tracker.recent_fills()[::-1]  # oldest first
        if store is None:
            return tuple(recent), len(recent) >= total
        async with self._lock:
            if self._loaded and self._sequence == tracker.sequence:
                return self.fills, True
            newer = [fill for fill in recent if fill.sequence > self._sequence]
            if self._loaded and len(self.fills) + len(newer) == total:
                self.fills = (*self.fills, *newer)
            else:
                stored = await store.read_fills()
                self.fills = tuple(sorted(stored, key=lambda fill: fill.sequence))
                self._loaded = True
            self._sequence = tracker.sequence
            return self.fills, len(self.fills) >= total
