"""Daily closing prices for the strategies that look back (momentum, mean reversion, risk parity).

The rebalancer asks a :class:`DailyCloseSource` for ``daily_closes(symbols, days, end)``: a float
DataFrame indexed by UTC day (the bar's day, 00:00 UTC), one column per symbol, holding each
day's last close, the last ``days + 1`` days up to ``end`` (so ``days`` daily returns).

* :class:`StoreDailyCloses` — the production source: the bars in ``manager.store``
  (``store.read_bars``: imported daily or hourly history and the feed's 1-minute bars, merged
  with finer bars winning), each close placed at its bar's end and the last close of each UTC
  day taken (:mod:`.bar_closes`; off the event loop). A daily bar opened on day D and the
  last minute of day D both give D's close.
* :class:`FrameDailyCloses` — closes you already hold in a DataFrame (a backtest, a script).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from desktop_app.lazy import pd

from .bar_closes import closes_at_bar_ends, last_close_per_bin
from .errors import ComponentUnavailableError, RebalanceError

__all__ = ["DailyCloseSource", "FrameDailyCloses", "StoreDailyCloses"]


@runtime_checkable
class DailyCloseSource(Protocol):
    async def daily_closes(
        self, symbols: Sequence[str], days: int, end: datetime | None = None
    ) -> pd.DataFrame:
        """The last ``days + 1`` daily closes per symbol up to ``end`` (NaN where missing)."""


def _window(frame: pd.DataFrame, days: int, end: datetime | None) -> pd.DataFrame:
    if end is not None:
        frame = frame.loc[frame.index <= pd.Timestamp(end)]
    return frame.iloc[-(days + 1) :]


def require_history(frame: pd.DataFrame, symbols: Sequence[str], days: int) -> pd.DataFrame:
    """``frame`` with ``days + 1`` complete rows, or a RebalanceError naming what is missing."""
    missing = [s for s in symbols if s not in frame.columns or frame[s].notna().sum() < days + 1]
    if missing or len(frame) < days + 1:
        have = {s: int(frame[s].notna().sum()) if s in frame.columns else 0 for s in symbols}
        detail = ", ".join(f"{s} has {have[s]}" for s in (missing or symbols))
        raise RebalanceError(
            f"This strategy needs {days + 1} daily closes per asset ({days} days of returns); "
            f"{detail}. Import or collect more price history first."
        )
    return frame[list(symbols)].astype("float64")


class FrameDailyCloses:
    """Daily closes from a DataFrame (index: UTC days or times; columns: symbols)."""

    def __init__(self, closes: pd.DataFrame) -> None:
        frame = closes.copy()
        index = pd.DatetimeIndex(frame.index)
        frame.index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
        self._closes = frame.sort_index()

    async def daily_closes(
        self, symbols: Sequence[str], days: int, end: datetime | None = None
    ) -> pd.DataFrame:
        columns = [s for s in symbols if s in self._closes.columns]
        frame = self._closes[columns].reindex(columns=list(symbols))
        return _window(frame, days, end)


def _daily_closes(bars: pd.DataFrame) -> pd.Series:
    return last_close_per_bin(closes_at_bar_ends(bars), "1D")


class StoreDailyCloses:
    """Daily closes from the stored bars of ``manager.store`` (any resolution)."""

    def __init__(self, manager: Any) -> None:
        self._manager = manager

    async def daily_closes(
        self, symbols: Sequence[str], days: int, end: datetime | None = None
    ) -> pd.DataFrame:
        store = getattr(self._manager, "store", None)
        if store is None:
            raise ComponentUnavailableError(
                "This strategy needs price history, which lives in the portfolio's database; "
                "this portfolio runs without one (open it with a data dir)"
            )
        end = self._manager.now() if end is None else end
        start = end - timedelta(days=days + 2)
        loop = asyncio.get_running_loop()
        columns: dict[str, pd.Series] = {}
        for symbol in symbols:
            bars = await store.read_bars(symbol, start=start, end=end)
            if bars is None or len(bars) == 0:
                columns[symbol] = pd.Series(dtype="float64", index=pd.DatetimeIndex([], tz="UTC"))
                continue
            columns[symbol] = await loop.run_in_executor(None, _daily_closes, bars)
        frame = pd.DataFrame(columns).reindex(columns=list(symbols))
        if not isinstance(frame.index, pd.DatetimeIndex):
            frame.index = pd.DatetimeIndex(frame.index, tz="UTC")
        return _window(frame, days, end)
