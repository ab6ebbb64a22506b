"""Shared helpers for the market-data tests: a settable clock, a bar store, a manager."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import pytest

from desktop_app.market import FeedBase, FeedStatus
from desktop_app.portfolio import PortfolioConfig, PortfolioManager, RiskLimits

#: A fixed start for simulated and replayed time (a Monday, 12:00 UTC).
T0 = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


class ManualClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MemoryBarStore:
    """The bar part of the Store contract (write_bars/read_bars/last_bar_time), in memory.

    Upserts by (symbol, interval, open time) like the SQLite store; ``fail_writes`` makes
    the next writes raise, as a locked database would. ``bars`` are the feed's 1-minute
    bars per symbol. A read without an interval is only answered for a symbol of one
    interval: the market code must ask for the feed's own minutes (merging resolutions is
    the real store's job, tested in tests/store).
    """

    def __init__(self) -> None:
        self.frames: dict[tuple[str, int], pd.DataFrame] = {}
        self.writes = 0
        self.fail_writes = 0

    @property
    def bars(self) -> dict[str, pd.DataFrame]:
        return {
            symbol: frame for (symbol, interval), frame in self.frames.items() if interval == 60
        }

    async def write_bars(self, symbol: str, bars: pd.DataFrame, interval_s: int = 60) -> None:
        if self.fail_writes:
            self.fail_writes -= 1
            raise OSError("database is locked")
        assert str(bars.index.tz) == "UTC"
        assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
        self.writes += 1
        old = self.frames.get((symbol, interval_s))
        merged = bars if old is None else pd.concat([old, bars])
        self.frames[symbol, interval_s] = merged[~merged.index.duplicated(keep="last")].sort_index()

    def _interval(self, symbol: str, interval_s: int | None) -> int | None:
        if interval_s is not None:
            return interval_s
        stored = [interval for (name, interval) in self.frames if name == symbol]
        assert len(stored) <= 1, f"{symbol} has bars of several intervals: name the one to read"
        return stored[0] if stored else None

    async def read_bars(self, symbol: str, start=None, end=None, interval_s=None) -> pd.DataFrame:
        interval = self._interval(symbol, interval_s)
        frame = self.frames.get((symbol, interval))
        if frame is None:
            return pd.DataFrame(columns=["open", "high", "low", "close", "volume"], dtype=float)
        if start is not None:
            frame = frame[frame.index >= start]
        if end is not None:
            frame = frame[frame.index <= end]
        return frame.assign(interval_s=interval)

    async def last_bar_time(self, symbol: str, interval_s: int | None = None) -> datetime | None:
        frame = self.frames.get((symbol, self._interval(symbol, interval_s)))
        return None if frame is None or frame.empty else frame.index[-1].to_pydatetime()

    async def bar_symbols(self) -> list[str]:
        return sorted({symbol for symbol, _ in self.frames})


async def eventually(
    predicate: Callable[[], bool], timeout_s: float = 5.0, message: str = ""
) -> None:
    """Await until ``predicate()`` holds (polling the loop), or fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s {message}")
        await asyncio.sleep(0.005)


#: Position limits wide enough for tests that hold one large position (not under test here).
ROOMY = RiskLimits(max_single_position_pct=100.0, max_symbol_exposure_pct=100.0)


def quiet_manager(**config) -> PortfolioManager:
    config.setdefault("performance_update_interval_s", 0)
    return PortfolioManager(PortfolioConfig(**config))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def bar_store() -> MemoryBarStore:
    return MemoryBarStore()


class ScriptedFeed(FeedBase):
    """A feed whose ticks the test publishes by hand, on a clock the test sets.

    ``watchable=True`` gives it ``watch``/``unwatch`` like the live feed.
    """

    name = "scripted"

    def __init__(self, symbols, *, now: datetime = T0, watchable: bool = False) -> None:
        super().__init__(symbols)
        self.clock_time = now
        self.started = False
        if watchable:
            self.watch = self._watch

    def now(self) -> datetime:
        return self.clock_time

    def push(self, *ticks) -> None:
        self._publish(list(ticks))

    async def _watch(self, *symbols: str) -> None:
        self._symbols = self._symbols | set(symbols)

    async def start(self) -> None:
        self.started = True
        self._set_status(FeedStatus.LIVE, "scripted")

    async def stop(self) -> None:
        self.started = False
        self._set_status(FeedStatus.STOPPED, "stopped")
