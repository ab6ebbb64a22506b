"""1-minute OHLCV bars built from ticks: the price history risk and analytics read.

A bar covers ``[minute, minute + 60 s)`` in UTC. Its open is the first tick of the minute,
high/low the extremes, close the last tick, volume the sum of the ticks' sizes (0 when the
feed does not report sizes). A minute with no tick produces **no bar**: a gap stays a gap,
nothing is interpolated, so analytics can tell "no trading" from "price unchanged".

Bars leave the aggregator as pandas frames in the store's format: indexed by tz-aware UTC
minute timestamps, float columns ``open, high, low, close, volume``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np

from desktop_app.lazy import pd

__all__ = ["BAR_COLUMNS", "BarAggregator", "bars_frame", "empty_bars"]

BAR_COLUMNS = ("open", "high", "low", "close", "volume")
BAR_SECONDS = 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _OpenBar:
    __slots__ = ("close", "high", "low", "minute", "open", "volume")

    def __init__(self, minute: int, price: float, volume: float) -> None:
        self.minute = minute
        self.open = self.high = self.low = self.close = price
        self.volume = volume

    def row(self) -> tuple[int, float, float, float, float, float]:
        return (self.minute, self.open, self.high, self.low, self.close, self.volume)


def empty_bars() -> pd.DataFrame:
    index = pd.DatetimeIndex([], tz="UTC", name="timestamp")
    return pd.DataFrame({c: pd.Series([], dtype=float) for c in BAR_COLUMNS}, index=index)


def bars_frame(rows: Sequence[tuple[int, float, float, float, float, float]]) -> pd.DataFrame:
    """Rows of ``(epoch minute, open, high, low, close, volume)`` → the store's bar frame."""
    if not rows:
        return empty_bars()
    data = np.asarray(rows, dtype=float)
    index = pd.DatetimeIndex(
        pd.to_datetime(data[:, 0].astype(np.int64) * BAR_SECONDS, unit="s", utc=True),
        name="timestamp",
    )
    return pd.DataFrame(data[:, 1:], index=index, columns=list(BAR_COLUMNS))


class BarAggregator:
    """Per-symbol open bars; completed bars wait in :meth:`drain` until stored.

    Feed it ticks in time order per symbol (the pipeline drops out-of-order ticks first):
    a tick in a later minute completes the symbol's open bar. :meth:`close_before` completes
    bars whose minute has ended on the feed's clock even when no later tick came.
    """

    def __init__(self) -> None:
        self._open: dict[str, _OpenBar] = {}
        self._completed: dict[str, list[tuple[int, float, float, float, float, float]]] = {}
        self.bars_completed = 0

    @property
    def pending_count(self) -> int:
        """Completed bars not yet drained."""
        return sum(len(rows) for rows in self._completed.values())

    def open_bar(self, symbol: str) -> tuple[int, float, float, float, float, float] | None:
        bar = self._open.get(symbol)
        return None if bar is None else bar.row()

    def add(self, symbol: str, price: float, epoch_s: float, volume: float = 0.0) -> bool:
        """Fold one tick in; False (ignored) when it is older than the symbol's open bar."""
        minute = int(epoch_s // BAR_SECONDS)
        bar = self._open.get(symbol)
        if bar is None:
            self._open[symbol] = _OpenBar(minute, price, volume)
            return True
        if minute == bar.minute:
            if price > bar.high:
                bar.high = price
            elif price < bar.low:
                bar.low = price
            bar.close = price
            bar.volume += volume
            return True
        if minute < bar.minute:
            return False
        self._complete(symbol, bar)
        self._open[symbol] = _OpenBar(minute, price, volume)
        return True

    def _complete(self, symbol: str, bar: _OpenBar) -> None:
        self._completed.setdefault(symbol, []).append(bar.row())
        self.bars_completed += 1

    def close_before(self, epoch_s: float) -> int:
        """Complete every open bar whose minute ended at or before ``epoch_s``."""
        current = int(epoch_s // BAR_SECONDS)
        finished = [s for s, bar in self._open.items() if bar.minute < current]
        for symbol in finished:
            self._complete(symbol, self._open.pop(symbol))
        return len(finished)

    def close_all(self) -> int:
        """Complete every open bar, finished or not (at shutdown: a partial minute is kept)."""
        symbols = list(self._open)
        for symbol in symbols:
            self._complete(symbol, self._open.pop(symbol))
        return len(symbols)

    def drain(self) -> dict[str, pd.DataFrame]:
        """Hand over the completed bars per symbol (oldest first) and forget them."""
        completed, self._completed = self._completed, {}
        return {symbol: bars_frame(rows) for symbol, rows in completed.items()}

    def restore(self, bars: Iterable[tuple[str, pd.DataFrame]]) -> None:
        """Put drained bars back (their write failed) so the next drain retries them."""
        for symbol, frame in bars:
            minutes = ((frame.index - _EPOCH) // pd.Timedelta(seconds=BAR_SECONDS)).tolist()
            rows = [
                (minute, *values)
                for minute, values in zip(
                    minutes, frame[list(BAR_COLUMNS)].to_numpy().tolist(), strict=True
                )
            ]
            self._completed[symbol] = rows + self._completed.get(symbol, [])
