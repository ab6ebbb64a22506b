"""Historical replay: real OHLCV bars played back as ticks, for rehearsing on real history.

Every bar becomes four ticks inside its interval ``d``: the open at ``t``, then the low and
the high (low first in a rising bar, high first in a falling one, the usual path
assumption) at ``t + d/4`` and ``t + d/2``, and the close at ``t + 3d/4``; each carries a
quarter of the bar's volume. Replaying 1-minute bars through the pipeline therefore rebuilds
the very same 1-minute bars.

Its bars are not stored unless ``records_history=True``: the history replayed exists
already, and a daily file's four synthetic ticks must not overwrite real minutes.

``speed`` is market seconds per clock second (60: a minute of history per second). Ticks
carry their historical timestamps and :meth:`ReplayFeed.now` is the replay cursor, so the
pipeline judges them against replay time. Batches span at most a minute of market time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.lazy import pd
from desktop_app.portfolio.values import as_utc, normalize_symbol

from .bars import BAR_COLUMNS, BAR_SECONDS
from .errors import MarketDataError
from .feed import FeedBase, FeedStatus, Tick
from .history import read_ohlcv_csv, symbol_from_filename

log = logging.getLogger(__name__)

__all__ = ["ReplayFeed"]

#: The widest span of market time one published batch covers.
CHUNK_S = 60.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _bar_ticks(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, prices, volumes) of the four ticks of every bar, in time order.

    Each bar's interval is its ``interval_s`` (stored bars carry one), else the median
    spacing of the file's bars.
    """
    opens_s = (frame.index - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    opens_s = np.asarray(opens_s, dtype=float)
    if "interval_s" in frame.columns:
        interval_s = frame["interval_s"].to_numpy(dtype=float)[:, None]
    else:
        interval_s = float(np.median(np.diff(opens_s))) if len(opens_s) > 1 else 60.0
    o, h, lo, c, v = (frame[col].to_numpy(dtype=float) for col in BAR_COLUMNS)
    rising = c >= o
    second = np.where(rising, lo, h)
    third = np.where(rising, h, lo)
    times = opens_s[:, None] + np.array([0.0, 0.25, 0.5, 0.75]) * interval_s
    prices = np.stack([o, second, third, c], axis=1)
    volumes = np.repeat((v / 4)[:, None], 4, axis=1)
    return times.ravel(), prices.ravel(), volumes.ravel()


class ReplayFeed(FeedBase):
    """Plays OHLCV bars of one or more symbols, merged in time order."""

    name = "replay"

    def __init__(
        self,
        bars: Mapping[str, pd.DataFrame],
        *,
        speed: float = 60.0,
        batch_interval_s: float = 0.1,
        start: datetime | None = None,
        end: datetime | None = None,
        clock: Callable[[], float] = time.monotonic,
        realtime: bool = True,
        records_history: bool = False,
    ) -> None:
        if not (isinstance(speed, (int, float)) and math.isfinite(speed) and speed > 0):
            raise MarketDataError(f"replay speed must be a positive number, got {speed!r}")
        if not batch_interval_s > 0:
            raise MarketDataError("batch_interval_s must be a positive number of seconds")
        symbols = [normalize_symbol(s) for s in bars]
        super().__init__(symbols)
        self.speed = float(speed)
        self.batch_interval_s = float(batch_interval_s)
        self.realtime = realtime
        self.records_history = records_history
        self._clock = clock
        parts = []
        for index, (symbol, frame) in enumerate(zip(symbols, bars.values(), strict=True)):
            missing = {"open", "high", "low", "close", "volume"} - set(frame.columns)
            if missing:
                raise MarketDataError(f"{symbol} bars lack {', '.join(sorted(missing))}")
            if len(frame):
                ordered = frame.sort_index()
                times, prices, volumes = _bar_ticks(ordered)
                parts.append((times, np.full(len(times), index), prices, volumes))
        if not parts:
            raise MarketDataError("there is nothing to replay: every bar series is empty")
        times = np.concatenate([p[0] for p in parts])
        order = np.argsort(times, kind="stable")
        self._times = times[order]
        self._symbol_index = np.concatenate([p[1] for p in parts])[order]
        self._prices = np.concatenate([p[2] for p in parts])[order]
        self._volumes = np.concatenate([p[3] for p in parts])[order]
        self._symbol_names = symbols
        self._pos = 0
        first = self._times[0]
        if start is not None:
            first = max(first, as_utc(start).timestamp())
            self._pos = int(np.searchsorted(self._times, first, side="left"))
        self._end_s = (
            self._times[-1] if end is None else min(self._times[-1], as_utc(end).timestamp())
        )
        self._cursor_s = first  # events at the cursor are published by the next advance
        self._task: asyncio.Task[None] | None = None
        self._finished = asyncio.Event()

    # ---------------------------------------------------------- construction
    @classmethod
    def from_csv(
        cls, *paths: Path | str, symbols: Sequence[str] | None = None, **options: Any
    ) -> ReplayFeed:
        """Replay CSV files in the shared OHLCV format; symbols come from the file names."""
        if symbols is not None and len(symbols) != len(paths):
            raise MarketDataError("give one symbol per file")
        names = symbols or [symbol_from_filename(p) for p in paths]
        if len(set(names)) != len(names):
            raise MarketDataError("two of the files hold the same symbol")
        return cls(
            {name: read_ohlcv_csv(p) for name, p in zip(names, paths, strict=True)}, **options
        )

    @classmethod
    async def from_store(
        cls,
        store: Any,
        symbols: Sequence[str],
        start: datetime | None = None,
        end: datetime | None = None,
        **options: Any,
    ) -> ReplayFeed:
        """Replay the 1-minute bars kept in the store (the feed's own interval: imported
        daily or hourly history of the same symbols is not replayed as if it were minutes)."""
        bars = {
            s: await store.read_bars(s, start=start, end=end, interval_s=BAR_SECONDS)
            for s in symbols
        }
        return cls(bars, start=start, end=end, **options)

    # ----------------------------------------------------------------- reads
    def now(self) -> datetime:
        """The replay cursor: the market time replayed so far."""
        return _EPOCH + timedelta(seconds=self._cursor_s)

    @property
    def finished(self) -> bool:
        return self._pos >= len(self._times) or self._times[self._pos] > self._end_s

    @property
    def remaining_ticks(self) -> int:
        end = int(np.searchsorted(self._times, self._end_s, side="right"))
        return max(0, end - self._pos)

    async def wait_finished(self) -> None:
        """Return once the whole history has been published."""
        await self._finished.wait()

    # -------------------------------------------------------------- playback
    def advance(self, seconds: float) -> int:
        """Publish the ticks of the next ``seconds`` of market time; returns how many."""
        target = min(self._cursor_s + seconds, self._end_s)
        published = 0
        times = self._times
        while self._pos < len(times) and times[self._pos] <= target:
            cursor = min(target, max(self._cursor_s, times[self._pos]) + CHUNK_S)
            stop = int(np.searchsorted(times, cursor, side="right"))
            self._cursor_s = cursor
            published += self._publish_range(self._pos, stop)
            self._pos = stop
        self._cursor_s = max(self._cursor_s, target)
        if self.finished:
            self._finished.set()
        return published

    def play_to_end(self) -> int:
        """Publish everything that is left (tests, back-tests)."""
        return self.advance(math.inf)

    def _publish_range(self, start: int, stop: int) -> int:
        names = self._symbol_names
        ticks = [
            Tick(names[i], price, _EPOCH + timedelta(seconds=t), volume)
            for t, i, price, volume in zip(
                self._times[start:stop].tolist(),
                self._symbol_index[start:stop].tolist(),
                self._prices[start:stop].tolist(),
                self._volumes[start:stop].tolist(),
                strict=True,
            )
        ]
        self._publish(ticks)
        return len(ticks)

    async def start(self) -> None:
        """Play in real time at ``speed`` market seconds per clock second.

        With ``realtime=False`` the feed only reports LIVE; the caller calls :meth:`advance`.
        """
        if self._task is not None and not self._task.done():
            return
        if not self.realtime:
            self._set_status(
                FeedStatus.LIVE, f"replaying history from {self.now():%Y-%m-%d %H:%M} UTC"
            )
            return
        self._task = asyncio.get_running_loop().create_task(
            self._run(self._clock()), name="replay-feed"
        )
        self._set_status(
            FeedStatus.LIVE,
            f"replaying history at {self.speed:g}× from {self.now():%Y-%m-%d %H:%M} UTC",
        )

    async def _run(self, last: float) -> None:
        try:
            while not self.finished:
                await asyncio.sleep(self.batch_interval_s)
                now = self._clock()
                self.advance((now - last) * self.speed)
                last = now
            self._set_status(
                FeedStatus.STOPPED, f"replay finished at {self.now():%Y-%m-%d %H:%M} UTC"
            )
        except Exception as exc:
            log.exception("replay failed")
            self._set_status(FeedStatus.ERROR, f"replay failed: {exc}")
        finally:
            self._finished.set()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.status is not FeedStatus.STOPPED:
            self._set_status(FeedStatus.STOPPED, "stopped")
