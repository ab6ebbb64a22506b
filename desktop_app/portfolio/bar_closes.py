"""Closes at bar ends: the one way stored bars become prices in time.

Every reader of price history — the risk model (:mod:`.price_history`), the analytics
(:mod:`.analytics_sources`, :mod:`.ledger_history`) and the rebalancer
(:mod:`.daily_closes`) — goes through :func:`bar_end_closes` (numpy arrays, for binning
with integer keys) or its pandas view :func:`closes_at_bar_ends`.

**Where a close belongs.** A bar covers ``[open, open + interval)``; its close is the price
at its *end*, ``open + interval``: a daily bar opened on 1 March closes at midnight into 2
March, a 1-minute bar opened at 12:00 closes at 12:01. Each close is stamped at the bar's
last instant, ``open + interval - 1 ns`` — known from the end on, and never before. With
that stamp a left-closed bin ``[a, b)`` (pandas' ``resample`` default) holds exactly the
closes of the bars that *end* in ``(a, b]``, so

* binning by the stamp gives the day's, hour's … close whatever the bars' resolution: the
  last 1-minute bar of a day (23:59) and that day's daily bar land in the same day bin;
* one series may mix resolutions (``Store.read_bars`` returns one series of several, each
  row carrying its ``interval_s``) and every close still lands where it belongs.

**Resampling** (:func:`last_close_per_bin`) to a sampling coarser than or equal to the
bars' interval takes the last close in each bin. A sampling finer than the bars is not
invented: a coarse bar gives its close to the single bin its end falls in, and the bins it
spans stay empty — gaps, never interpolated prices. A caller that must not see coarse
closes at all (the risk model's hourly series) leaves them out with ``max_interval_s``.

Bars without an ``interval_s`` column (a CSV read by hand, a close series in a test) take
``interval_s`` when given, else the smallest positive spacing of their open times — the
resolution of a complete series (a minute for a single bar).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from desktop_app.lazy import pd

__all__ = ["INTERVAL_COLUMN", "bar_end_closes", "closes_at_bar_ends", "last_close_per_bin"]

#: The column of ``Store.read_bars`` frames holding each bar's interval in seconds.
INTERVAL_COLUMN = "interval_s"
_NS_PER_S = 10**9
_DEFAULT_INTERVAL_S = 60


def _open_ns(index: Any) -> np.ndarray:
    times = pd.DatetimeIndex(index)
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    return times.as_unit("ns").asi8


def _intervals_s(bars: Any, opened: np.ndarray, interval_s: int | None) -> np.ndarray:
    """Each bar's interval: the frame's column, else ``interval_s``, else inferred."""
    if isinstance(bars, pd.DataFrame) and INTERVAL_COLUMN in bars.columns:
        return bars[INTERVAL_COLUMN].to_numpy(dtype=np.int64)
    if interval_s is None:
        ordered = np.sort(opened)
        gaps = np.diff(ordered)
        gaps = gaps[gaps > 0]
        step_ns = int(gaps.min()) if gaps.size else _DEFAULT_INTERVAL_S * _NS_PER_S
        return np.full(opened.size, step_ns // _NS_PER_S, dtype=np.int64)
    return np.full(opened.size, int(interval_s), dtype=np.int64)


def bar_end_closes(
    bars: pd.DataFrame | pd.Series,
    interval_s: int | None = None,
    *,
    max_interval_s: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arrays behind :func:`closes_at_bar_ends`: (last instants in epoch ns, closes,
    intervals in s), ascending by instant — for callers that bin with numpy."""
    closes = bars["close"] if isinstance(bars, pd.DataFrame) else bars
    values = closes.to_numpy(dtype="float64")
    opened = _open_ns(closes.index)
    intervals = _intervals_s(bars, opened, interval_s)
    keep = np.isfinite(values) & (values > 0.0)
    if max_interval_s is not None:
        keep &= intervals <= max_interval_s
    known = opened[keep] + intervals[keep] * _NS_PER_S - 1
    order = np.argsort(known, kind="stable")
    return known[order], values[keep][order], intervals[keep][order]


def closes_at_bar_ends(
    bars: pd.DataFrame | pd.Series,
    interval_s: int | None = None,
    *,
    max_interval_s: int | None = None,
) -> pd.Series:
    """Bar closes indexed by the last instant of their bar, ``open + interval - 1 ns``.

    ``bars`` is indexed by bar open time: a frame with a ``close`` column (and usually
    ``interval_s``, as the store returns it), or the closes themselves. Missing and
    non-positive closes are dropped, and with ``max_interval_s`` the bars coarser than it.
    The result is float64, ascending, named ``close``.
    """
    known, values, _ = bar_end_closes(bars, interval_s, max_interval_s=max_interval_s)
    index = pd.DatetimeIndex(pd.to_datetime(known, unit="ns", utc=True))
    return pd.Series(values, index=index, name="close")


def last_close_per_bin(closes: pd.Series, sampling: str | pd.Timedelta) -> pd.Series:
    """The last close of every ``sampling`` bin (``"h"``, ``"1D"`` …) that has one.

    ``closes`` come from :func:`closes_at_bar_ends`. Bins are labelled by their start (a
    day's close is labelled with that day) and bins without a close are left out: a gap
    stays a gap.
    """
    if closes.empty:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], tz="UTC"), name="close")
    return closes.resample(sampling).last().dropna()
