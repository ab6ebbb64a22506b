"""Daily closing prices for the strategies that look back (momentum, mean reversion, risk parity).

The rebalancer asks a :class:`DailyCloseSource` for ``daily_closes(symbols, days, end)``: a float
DataFrame indexed by UTC day (the bar's day, 00:00 UTC), one column per symbol, holding each
day's last close, the last ``days + 1`` days up to ``end`` (so ``days`` daily returns).

* :class:`StoreDailyCloses` — the production source: the 1-minute bars the price pipeline writes
  to ``manager.store`` (``store.read_bars``), resampled to the last close of each UTC day
  (off the event loop).
* :class:`FrameDailyCloses` — closes you already hold in a DataFrame (a backtest, a script).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from desktop_app.lazy import pd

from .errors import ComponentUnavailableError, RebalanceError

__all__ = ["DailyCloseSource", "FrameDailyCloses", "StoreDailyCloses", "daily_closes_from_bars"]


@runtime_checkable
class DailyCloseSource(Protocol):
    async def daily_closes(
        self, symbols: Sequence[str], days: int, end: datetime | None = None
    ) -> pd.DataFrame:
        """The last ``days + 1`` daily closes per symbol up to ``end`` (NaN where missing)."""


def daily_closes_from_bars(closes: pd.Series) -> pd.Series:
    """The last close of each UTC day of a close series indexed by UTC time."""
    index = pd.DatetimeIndex(closes.index)
    series = pd.Series(closes.to_numpy(dtype="float64"), index=index)
    if index.tz is None:
        series.index = index.tz_localize("UTC")
    else:
        series.index = index.tz_convert("UTC")
    return series.sort_index().resample("1D").last().dropna()


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


class StoreDailyCloses:
    """Daily closes aggregated from the stored 1-minute bars of ``manager.store``."""

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
            columns[symbol] = await loop.run_in_executor(
                None, daily_closes_from_bars, bars["close"]
            )
        frame = pd.DataFrame(columns).reindex(columns=list(symbols))
        if not isinstance(frame.index, pd.DatetimeIndex):
            frame.index = pd.DatetimeIndex(frame.index, tz="UTC")
        return _window(frame, days, end)
