"""The equity curve behind the P&L chart: history from the store, a live tail from prices.

No Qt here, and the numpy work runs in an executor (the view calls :func:`extend_history`
through ``loop.run_in_executor``). The drawdown is that of the time-weighted wealth
(METRICS.md: ``W_0 = 1``, ``W_t = W_{t-1} (1 + r_t)`` with ``r_t = (V_t - F_t) / V_{t-1} - 1``
from :func:`metrics.returns_from_equity`, ``drawdown_t = W_t / max_{s<=t} W_s - 1``), so a
deposit never looks like a recovery and a withdrawal never looks like a loss.

The store's snapshots come every ``snapshot_interval_s`` (and after every trade); between
them each price flush adds a live point::

    W_live = W_last * (E_now - F_since) / E_last

where ``F_since`` is the net deposits since the last snapshot. The live tail is dropped
whenever the history catches up with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from desktop_app.lazy import pd
from desktop_app.portfolio import metrics


@dataclass(frozen=True, eq=False)
class EquityHistory:
    """Snapshots as arrays for the chart: epoch seconds, equity, drawdown in percent."""

    times_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    equity: np.ndarray = field(default_factory=lambda: np.empty(0))
    drawdown_pct: np.ndarray = field(default_factory=lambda: np.empty(0))
    wealth_last: float = 1.0
    wealth_peak: float = 1.0
    equity_last: float | None = None
    last_time: datetime | None = None

    def __len__(self) -> int:
        return int(self.times_s.size)


def extend_history(previous: EquityHistory, frame: pd.DataFrame) -> EquityHistory:
    """``previous`` followed by the snapshots in ``frame`` (the store's equity curve rows
    after ``previous.last_time``; the whole curve when ``previous`` is empty)."""
    if frame is None or frame.empty:
        return previous
    equity = frame["equity"].to_numpy(dtype="float64")
    flows = frame["net_flow"].to_numpy(dtype="float64") if "net_flow" in frame else None
    keep = np.isfinite(equity)
    if not keep.all():
        equity = equity[keep]
        flows = None if flows is None else flows[keep]
        frame = frame.loc[keep]
    if equity.size == 0:
        return previous
    index = pd.DatetimeIndex(frame.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    times = _seconds(index)
    flows = np.zeros_like(equity) if flows is None else np.nan_to_num(flows)
    if previous.equity_last is None:  # the first snapshot is the baseline: W_0 = 1
        base_wealth, base_peak = 1.0, 1.0
        returns = metrics.returns_from_equity(equity, flows)
        step = np.concatenate(([0.0], np.where(np.isfinite(returns), returns, 0.0)))
    else:
        base_wealth, base_peak = previous.wealth_last, previous.wealth_peak
        returns = metrics.returns_from_equity(
            np.concatenate(([previous.equity_last], equity)), np.concatenate(([0.0], flows))
        )
        step = np.where(np.isfinite(returns), returns, 0.0)
    wealth = base_wealth * np.cumprod(1.0 + step)
    peak = np.maximum.accumulate(np.maximum(wealth, base_peak))
    drawdown = 100.0 * (wealth / peak - 1.0)
    return EquityHistory(
        times_s=np.concatenate((previous.times_s, times)),
        equity=np.concatenate((previous.equity, equity)),
        drawdown_pct=np.concatenate((previous.drawdown_pct, drawdown)),
        wealth_last=float(wealth[-1]),
        wealth_peak=float(peak[-1]),
        equity_last=float(equity[-1]),
        last_time=index[-1].to_pydatetime(),
    )


def _seconds(index: pd.DatetimeIndex) -> np.ndarray:
    return index.as_unit("ns").asi8.astype("float64") / 1e9


def live_drawdown_pct(
    history: EquityHistory, equity_now: float, flows_since: float, tail_peak: float
) -> tuple[float | None, float]:
    """(drawdown in percent, the wealth now) of a live equity point; see the module doc.

    Without any snapshot the live tail is its own history: its first point is the base.
    ``tail_peak`` is the highest live wealth since the last snapshot.
    """
    if history.equity_last is None or history.equity_last <= 0:
        return None, 1.0
    wealth = history.wealth_last * (equity_now - flows_since) / history.equity_last
    peak = max(history.wealth_peak, tail_peak, wealth)
    return 100.0 * (wealth / peak - 1.0), wealth


@dataclass
class LiveTail:
    """Live points since the last snapshot (bounded: at most ``max_points``)."""

    max_points: int = 20_000
    times_s: list[float] = field(default_factory=list)
    equity: list[float] = field(default_factory=list)
    drawdown_pct: list[float] = field(default_factory=list)
    peak_wealth: float = 0.0

    def add(self, when_s: float, equity: float, drawdown: float | None, wealth: float) -> None:
        if self.times_s and when_s <= self.times_s[-1]:
            return
        self.times_s.append(when_s)
        self.equity.append(equity)
        self.drawdown_pct.append(0.0 if drawdown is None else drawdown)
        self.peak_wealth = max(self.peak_wealth, wealth)
        if len(self.times_s) > self.max_points:
            cut = len(self.times_s) - self.max_points
            del self.times_s[:cut], self.equity[:cut], self.drawdown_pct[:cut]

    def drop_until(self, when_s: float) -> None:
        """Forget the points the history now covers (and the peak they set)."""
        keep = next((i for i, t in enumerate(self.times_s) if t > when_s), len(self.times_s))
        del self.times_s[:keep], self.equity[:keep], self.drawdown_pct[:keep]
        self.peak_wealth = 0.0


def nearest(times: Sequence[float] | np.ndarray, when: float) -> int | None:
    """Index of the point nearest ``when`` in sorted ``times`` (None when empty)."""
    array = np.asarray(times)
    if array.size == 0:
        return None
    right = int(np.searchsorted(array, when))
    if right <= 0:
        return 0
    if right >= array.size:
        return int(array.size - 1)
    return right if array[right] - when < when - array[right - 1] else right - 1
