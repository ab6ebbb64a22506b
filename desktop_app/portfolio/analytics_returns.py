"""From the stored equity curve to a window's returns, money-weighted return and tables.

The equity curve is the store's snapshot table: a DataFrame indexed by UTC time with float
columns ``equity`` and ``net_flow`` (deposits minus withdrawals since the previous
snapshot; other columns are ignored here). Every formula is in :mod:`.metrics`; this module
only decides which snapshots and flows a window uses:

* time-weighted returns: :func:`.metrics.resample_equity` over the window's snapshots and
  a baseline stamped just before the window's first bin (see :mod:`.analytics_period`), so
  deposits and withdrawals are not performance;
* money-weighted return: :func:`.metrics.xirr` over baseline equity (in), each snapshot's
  net flow (deposits in, withdrawals out) and the final equity (out);
* calendar tables: the sampled returns compounded by UTC month and year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.lazy import pd

from . import metrics
from .analytics_report import (
    CalendarReturns,
    DrawdownReport,
    EquitySummary,
    MonthlyReturn,
    ReportWindow,
    YearlyReturn,
)

__all__ = [
    "EQUITY_COLUMNS",
    "WindowEquity",
    "calendar_returns",
    "clean_curve",
    "drawdown_report",
    "empty_curve",
    "window_equity",
]

EQUITY_COLUMNS = ("equity", "cash", "market_value", "gross_exposure", "net_flow")


def empty_curve() -> pd.DataFrame:
    """An equity curve with no snapshot (the shape :func:`clean_curve` returns)."""
    index = pd.DatetimeIndex([], tz="UTC", name="timestamp")
    return pd.DataFrame({name: pd.Series(dtype="float64") for name in EQUITY_COLUMNS}, index=index)


def clean_curve(curve: pd.DataFrame | None) -> pd.DataFrame:
    """The curve sorted by UTC time, float columns, snapshots without a finite equity dropped.

    A missing ``net_flow`` column or value counts as no flow.
    """
    if curve is None or curve.empty:
        return empty_curve()
    if not isinstance(curve.index, pd.DatetimeIndex):
        raise ValueError("the equity curve must be indexed by time")
    frame = curve.copy()
    index = frame.index
    frame.index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    for name in EQUITY_COLUMNS:
        values = frame[name] if name in frame else pd.Series(np.nan, index=frame.index)
        frame[name] = pd.to_numeric(values, errors="coerce").astype("float64")
    frame["net_flow"] = frame["net_flow"].fillna(0.0)
    frame = frame.loc[np.isfinite(frame["equity"].to_numpy()), list(EQUITY_COLUMNS)]
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index(kind="stable")
    return frame


@dataclass(frozen=True, eq=False)
class WindowEquity:
    """The snapshots of one window, ready for the metrics.

    ``equity`` and ``flows`` start with the baseline (its flow zero) followed by the
    snapshots inside the window; ``baseline_time`` is when the baseline equity was really
    observed. The baseline is stamped just before the window's first bin, so the first bin
    has a return from it — except at inception when the first snapshot is alone in its bin:
    then it is that bin's sample and the first return is the next bin's.
    """

    window: ReportWindow
    equity: pd.Series
    flows: pd.Series
    baseline_time: pd.Timestamp | None

    @property
    def empty(self) -> bool:
        return len(self.equity) < 2

    def returns(self) -> pd.Series:
        """Time-weighted returns per sampling bin, labelled by the bin's start (UTC)."""
        if self.empty:
            return pd.Series(dtype="float64")
        return metrics.resample_equity(self.equity, self.flows, self.window.sampling)

    def sampled_equity(self) -> pd.Series:
        """The equity at the end of each bin (the last snapshot in it, carried forward)."""
        if self.equity.empty:
            return pd.Series(dtype="float64")
        return self.equity.resample(self.window.sampling).last().ffill()

    def summary(self) -> EquitySummary:
        if self.equity.empty:
            return EquitySummary(None, None, 0.0, None)
        start, end = float(self.equity.iloc[0]), float(self.equity.iloc[-1])
        flows = float(self.flows.iloc[1:].sum())
        return EquitySummary(start, end, flows, end - start - flows)

    def money_weighted_return(self) -> float | None:
        """XIRR of -baseline, -each net flow, +final equity (money in is negative)."""
        if self.empty or self.baseline_time is None:
            return None
        flows = self.flows.iloc[1:]
        flows = flows[flows.to_numpy() != 0.0]  # days without a flow add nothing to the NPV
        amounts = np.concatenate(
            ([-self.equity.iloc[0]], -flows.to_numpy(), [self.equity.iloc[-1]])
        )
        times = pd.DatetimeIndex([self.baseline_time, *flows.index, self.equity.index[-1]])
        return metrics.xirr(amounts, times)


def window_equity(curve: pd.DataFrame, window: ReportWindow) -> WindowEquity:
    """Cut a clean curve (:func:`clean_curve`) to ``window`` with its baseline in front."""
    empty = pd.Series(dtype="float64", index=pd.DatetimeIndex([], tz="UTC"))
    if curve.empty or window.start is None:
        return WindowEquity(window, empty, empty, None)
    index = curve.index
    stop = index.searchsorted(pd.Timestamp(window.as_of), side="right")
    start = pd.Timestamp(window.start)
    step = pd.Timedelta(1, unit=window.sampling)
    equity = curve["equity"].iloc[:stop]
    flows = curve["net_flow"].iloc[:stop]
    if window.inception:
        first = index.searchsorted(start, side="left")
        base_value, base_time = equity.iloc[first], index[first]
        equity_inside = equity.iloc[first:]
        flows_inside = flows.iloc[first:].copy()
        flows_inside.iloc[0] = 0.0  # deposits before the first snapshot are in its equity
        if len(equity_inside) < 2 or equity_inside.index[1] >= start.floor(step) + step:
            # alone in its bin: it is the first bin's sample, and the next bin's return
            # runs from it (a return over no time at all is not a period)
            return WindowEquity(window, equity_inside, flows_inside, base_time)
    else:
        before = index.searchsorted(start, side="left")
        if before == 0:
            return WindowEquity(window, empty, empty, None)
        base_value, base_time = equity.iloc[before - 1], start
        equity_inside, flows_inside = equity.iloc[before:], flows.iloc[before:]
    stamp = pd.DatetimeIndex([start.floor(step) - pd.Timedelta(1, unit="ns")])
    series = pd.concat([pd.Series([base_value], index=stamp), equity_inside]).astype("float64")
    cash = pd.concat([pd.Series([0.0], index=stamp), flows_inside]).astype("float64")
    return WindowEquity(window, series, cash, base_time)


def calendar_returns(returns: pd.Series) -> CalendarReturns:
    """``prod(1 + r) - 1`` of the sampled returns in each UTC calendar month and year."""
    r = returns.dropna()
    if r.empty:
        return CalendarReturns((), ())
    index = pd.DatetimeIndex(r.index)
    frame = pd.DataFrame({"year": index.year, "month": index.month, "growth": 1.0 + r.to_numpy()})
    monthly = frame.groupby(["year", "month"], sort=True)["growth"].prod() - 1.0
    yearly = frame.groupby("year", sort=True)["growth"].prod() - 1.0
    return CalendarReturns(
        monthly=tuple(
            MonthlyReturn(int(year), int(month), metrics.finite_or_none(value))
            for (year, month), value in monthly.items()
        ),
        yearly=tuple(
            YearlyReturn(int(year), metrics.finite_or_none(value)) for year, value in yearly.items()
        ),
    )


def drawdown_report(returns: pd.Series, baseline_time: pd.Timestamp | None) -> DrawdownReport:
    """The worst drawdown of ``returns`` with dates, durations and the current drawdown.

    Wealth point 0 is the baseline (dated ``baseline_time``), point t the end of the bin of
    return t (dated by that bin's label).
    """
    r = returns.dropna()
    details = metrics.drawdown_details(r)
    if details is None:
        return DrawdownReport(None, None, None, None, None, None, None, None, None)
    labels = pd.DatetimeIndex(r.index)
    step_days = _step_days(labels)

    def when(point: int | None) -> pd.Timestamp | None:
        if point is None:
            return None
        if point == 0:
            return baseline_time
        return labels[point - 1]

    path = metrics.drawdown_series(r)
    return DrawdownReport(
        max_drawdown=details.max_drawdown,
        peak_at=_py(when(details.peak_index)),
        trough_at=_py(when(details.trough_index)),
        recovered_at=_py(when(details.recovery_index)),
        max_drawdown_duration=details.longest_duration,
        max_drawdown_duration_days=details.longest_duration * step_days,
        recovery_time=details.recovery_time,
        recovery_days=None if details.recovery_time is None else details.recovery_time * step_days,
        current_drawdown=metrics.finite_or_none(path[-1]),
    )


def _step_days(labels: pd.DatetimeIndex) -> float:
    if len(labels) < 2:
        return 0.0
    step = pd.Series(labels).diff().min()
    return float(step / pd.Timedelta(days=1))


def _py(moment: pd.Timestamp | None):
    return None if moment is None else pd.Timestamp(moment).to_pydatetime()
