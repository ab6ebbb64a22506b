"""Bar resolutions: naming an interval, inferring it, checking a grid, merging resolutions.

Every stored bar carries its interval (seconds): the bar covers ``[open, open + interval)``
and its close is the price at ``open + interval``. One symbol may hold several resolutions
at once — years of imported daily bars, an hourly file, the live feed's 1-minute bars —
each kept apart under its own interval (the table is keyed by symbol, interval, open time).

**The merge rule** (what :meth:`Store.read_bars` returns without an interval): *finer bars
win wherever they exist.* Bars of the finest stored interval are always kept; a bar of a
coarser interval is kept only where no finer bar overlaps its period
``[open, open + interval)``. So

* no instant is described twice: the result is one series with no overlapping bars;
* a day with some minute bars is described by those minutes alone — its close is the last
  minute's close (for the current day: the live price), even when a daily bar exists;
* a day without any finer bar keeps its daily bar (imported history before the feed ran);
* the rule looks at whole bars, never at the query range: a read of ``[start, end]``
  returns exactly the rows of a full read whose open time lies in that range.

Each returned row keeps its interval, so a reader places each close at its bar's end and
resamples without guessing the spacing (:mod:`desktop_app.portfolio.bar_closes`).

**Inferring an interval** from a file (and from old, interval-less data) uses the minimum
positive spacing between open times: the bars of a complete file are that far apart, and
missing bars (exchange outages) only make some gaps longer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

#: The live feed's resolution (``desktop_app.market.bars``): 1-minute bars.
MINUTE_S = 60

_UNITS = ((7 * 86_400, "week"), (86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second"))


def describe_interval(interval_s: int) -> str:
    """``60`` → "1 minute", ``14400`` → "4 hours", ``86400`` → "1 day", ``90`` → "90 seconds"."""
    size, unit = next((size, unit) for size, unit in _UNITS if interval_s % size == 0)
    count = interval_s // size
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def check_interval(interval_s: object) -> int:
    """A bar interval as a positive whole number of seconds, or ValueError for the trader."""
    if isinstance(interval_s, bool) or not isinstance(interval_s, (int, np.integer)):
        raise ValueError(
            f"a bar interval is a whole number of seconds (60 for 1-minute bars, 86400 for "
            f"daily ones), got {interval_s!r}"
        )
    if interval_s <= 0:
        raise ValueError(f"a bar interval must be above zero seconds, got {interval_s}")
    return int(interval_s)


def min_spacing_ms(ts_ms: np.ndarray) -> int | None:
    """The smallest positive gap between the (sorted) open times, or None for < 2 times."""
    gaps = np.diff(ts_ms)
    gaps = gaps[gaps > 0]
    return int(gaps.min()) if gaps.size else None


def off_grid(ts_ms: np.ndarray, interval_s: int) -> np.ndarray:
    """Mask of the open times not on the grid ``first + k * interval`` (``first``: the
    earliest of them). A file of one resolution has every bar on its grid; a bar between
    grid points overlaps its neighbours."""
    if ts_ms.size == 0:
        return np.zeros(0, dtype=bool)
    return (ts_ms - ts_ms.min()) % (interval_s * 1_000) != 0


@dataclass(frozen=True)
class BarInterval:
    """One resolution stored for a symbol: its interval and the open times it spans."""

    interval_s: int
    first: datetime
    last: datetime
    count: int

    @property
    def label(self) -> str:
        return describe_interval(self.interval_s)


@dataclass(frozen=True)
class BarArrays:
    """Bars as arrays: open times (epoch ms, ascending), intervals (s) and (n, 5) OHLCV."""

    ts_ms: np.ndarray
    interval_s: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return int(self.ts_ms.size)

    @classmethod
    def empty(cls) -> BarArrays:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, 5)))

    def within(self, low_ms: int, high_ms: int) -> BarArrays:
        keep = (self.ts_ms >= low_ms) & (self.ts_ms <= high_ms)
        return BarArrays(self.ts_ms[keep], self.interval_s[keep], self.values[keep])


def merge_resolutions(parts: Sequence[BarArrays]) -> BarArrays:
    """One series from the bars of several intervals: finer bars win (see the module doc).

    ``parts`` hold one interval each, any order. Intervals are taken finest first; a bar is
    kept when no kept bar ``[k0, k1)`` overlaps its ``[c0, c1)`` (``k0 < c1`` and
    ``k1 > c0``), tested for all bars of one interval at once against the running maximum
    of the kept bars' ends. The result is sorted by open time.
    """
    ordered = sorted((p for p in parts if len(p)), key=lambda p: int(p.interval_s[0]))
    if not ordered:
        return BarArrays.empty()
    kept = ordered[0]
    for part in ordered[1:]:
        starts = kept.ts_ms
        ends_max = np.maximum.accumulate(starts + kept.interval_s * 1_000)
        c0 = part.ts_ms
        c1 = c0 + part.interval_s * 1_000
        before = np.searchsorted(starts, c1, side="left")  # kept bars opening before c1
        overlapped = (before > 0) & (ends_max[np.maximum(before - 1, 0)] > c0)
        free = ~overlapped
        ts = np.concatenate([starts, c0[free]])
        order = np.argsort(ts, kind="stable")
        kept = BarArrays(
            ts[order],
            np.concatenate([kept.interval_s, part.interval_s[free]])[order],
            np.concatenate([kept.values, part.values[free]])[order],
        )
    return kept
