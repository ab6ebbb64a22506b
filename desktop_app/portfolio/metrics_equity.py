"""From an equity curve and cash flows to the returns every metric is computed on.

* :func:`returns_from_equity`: time-weighted returns, ``r_t = (V_t - F_t) / V_{t-1} - 1``,
  so deposits and withdrawals are not performance;
* :func:`resample_equity`: the same on period-end samples (UTC) of irregular snapshots;
* :func:`periods_per_year` and :func:`resample_rule`: one table for sampling frequencies;
* :func:`xirr`: the money-weighted return, where the timing of the flows does count.
"""

from __future__ import annotations

import math
import re
from enum import Enum

import numpy as np

from desktop_app.lazy import pd

from .metrics_input import SeriesLike, as_float_array, finite_or_none

#: pandas 3 offset alias → periods per year (crypto trades every day of the year).
_PERIODS_PER_YEAR = {"min": 525_600, "h": 8_760, "D": 365, "W": 52, "ME": 12, "QE": 4, "YE": 1}

#: Case-sensitive spellings first: exchanges write "1m" for a minute and "1M" for a month.
_EXACT_UNITS = {"m": "min", "M": "ME", "T": "min", "H": "h"}
_UNITS = {
    **dict.fromkeys(("min", "minute", "minutes", "minutely", "t"), "min"),
    **dict.fromkeys(("h", "hour", "hours", "hourly"), "h"),
    **dict.fromkeys(("d", "day", "days", "daily"), "D"),
    **dict.fromkeys(("w", "w-sun", "week", "weeks", "weekly"), "W"),
    **dict.fromkeys(("me", "mo", "month", "months", "monthly"), "ME"),
    **dict.fromkeys(("qe", "qe-dec", "q", "quarter", "quarters", "quarterly"), "QE"),
    **dict.fromkeys(("ye", "ye-dec", "y", "a", "year", "years", "yearly", "annual"), "YE"),
}
_FREQUENCY = re.compile(r"^\s*(\d*)\s*([A-Za-z-]+)\s*$")


def _parse_frequency(freq: str | Enum) -> tuple[int, str]:
    text = freq.value if isinstance(freq, Enum) else freq
    match = _FREQUENCY.match(str(text))
    unit = None
    if match:
        token = match.group(2)
        unit = _EXACT_UNITS.get(token) or _UNITS.get(token.lower())
    count = int(match.group(1) or 1) if match else 0
    if unit is None or count < 1:
        raise ValueError(
            f"unknown sampling frequency {freq!r}: use one of "
            "'min', 'h', 'D', 'W', 'ME', 'QE', 'YE' (optionally with a multiple, e.g. '4h')"
        )
    return count, unit


def resample_rule(freq: str | Enum) -> str:
    """The pandas offset alias for a frequency: ``"daily"`` → ``"D"``, ``"1M"`` → ``"ME"``.

    Accepts pandas aliases (``h``, ``D``, ``W``, ``ME``, ``QE``, ``YE``, ``min``), exchange
    timeframes (``1m``, ``4h``, ``1d``, ``1w``, ``1M``), words (``hourly``, ``monthly``) and
    enums whose value is one of those.
    """
    count, unit = _parse_frequency(freq)
    return unit if count == 1 else f"{count}{unit}"


def periods_per_year(freq: str | Enum) -> float:
    """P for a sampling frequency: 525,600 per minute, 8,760 hourly, 365 daily, 52 weekly,
    12 monthly, 4 quarterly, 1 yearly; a multiple divides it (``"4h"`` → 2,190)."""
    count, unit = _parse_frequency(freq)
    return _PERIODS_PER_YEAR[unit] / count


def returns_from_equity(
    values: SeriesLike, flows: SeriesLike | None = None
) -> np.ndarray | pd.Series:
    """Time-weighted returns of an equity curve: ``r_t = (V_t - F_t) / V_{t-1} - 1``.

    ``V_t`` is the equity at the end of period t and ``F_t`` the net deposits (positive) and
    withdrawals (negative) during it, so a deposit into a flat market is a zero return. The
    flow at the first point happened before the first return and is ignored. n values give
    n - 1 returns; a pandas Series keeps its index (from the second point on) and its flows,
    when a Series, must be on that index (use :func:`resample_equity` for flows at other
    times). A period starting from zero, negative or missing equity has no return: NaN,
    dropped by every metric.
    """
    v = as_float_array(values, "values")
    if flows is None:
        f = np.zeros_like(v)
    elif isinstance(flows, pd.Series) and isinstance(values, pd.Series):
        stray = flows.index.difference(values.index)
        if len(stray):
            raise ValueError(
                f"{len(stray)} cash flow(s) at times with no equity value (first {stray[0]}); "
                "use resample_equity() for flows between snapshots"
            )
        per_time = flows.groupby(level=0).sum()  # two flows at one time add up
        f = as_float_array(per_time.reindex(values.index), "flows")
    else:
        f = as_float_array(flows, "flows")
    if f.shape != v.shape:
        raise ValueError(f"flows must have one value per equity value: {f.size} != {v.size}")
    f = np.where(np.isnan(f), 0.0, f)
    previous, current = v[:-1], v[1:]
    with np.errstate(all="ignore"):
        returns = np.where(previous > 0.0, (current - f[1:]) / previous - 1.0, np.nan)
    returns[~np.isfinite(returns)] = np.nan
    if isinstance(values, pd.Series):
        return pd.Series(returns, index=values.index[1:], name=values.name)
    return returns


def _utc_series(series: pd.Series, name: str) -> pd.Series:
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ValueError(f"{name} must be indexed by time (a DatetimeIndex)")
    index = series.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    values = pd.Series(as_float_array(series, name), index=index)
    return values[np.isfinite(values.to_numpy())].sort_index()


def resample_equity(
    equity: pd.Series, flows: pd.Series | None = None, rule: str | Enum = "D"
) -> pd.Series:
    """Period returns of irregular equity snapshots, sampled at period ends in UTC.

    The equity of a period is the last snapshot at or before its end (UTC; a naive index is
    taken as UTC), carried forward through periods without a snapshot, which therefore
    return 0. Each cash flow is counted in the period whose sample first includes it: the
    flows between two consecutive period-end samples (after the earlier, at or before the
    later) are that period's ``F_t``. Grouping flows by sample time rather than by calendar
    bin keeps a deposit made after the last snapshot of a day out of that day's return.
    Returns :func:`returns_from_equity` of the samples, labelled like
    ``equity.resample(rule)`` ('h', 'D', 'W', 'ME', 'QE', 'YE', 'min' or see
    :func:`resample_rule`).
    """
    alias = resample_rule(rule)
    snapshots = _utc_series(equity, "equity")
    if snapshots.empty:
        return pd.Series(dtype="float64")
    bins = snapshots.resample(alias)
    sampled = bins.last().ffill()
    sample_times = pd.Series(snapshots.index, index=snapshots.index).resample(alias).last()
    period_flows = np.zeros(len(sampled))
    if flows is not None:
        cash = _utc_series(flows, "flows")
        edges = pd.DatetimeIndex(sample_times.ffill()).as_unit("ns").asi8
        period = np.searchsorted(edges, cash.index.as_unit("ns").asi8, side="left")
        inside = period < len(sampled)
        period_flows = np.bincount(
            period[inside], weights=cash.to_numpy()[inside], minlength=len(sampled)
        )
    return returns_from_equity(sampled, pd.Series(period_flows, index=sampled.index))


_SECONDS_PER_YEAR = 365.0 * 86_400.0  # ACT/365
_MAX_ITERATIONS = 200


def _npv_and_slope(
    log_growth: float, cashflows: np.ndarray, years: np.ndarray
) -> tuple[float, float]:
    """NPV at ``exp(log_growth) - 1`` and its derivative in ``log_growth``, both scaled by
    the same positive factor (so signs and Newton steps are exact, without overflow)."""
    exponents = -log_growth * years
    discount = np.exp(exponents - exponents.max())
    return float(cashflows @ discount), -float((cashflows * years) @ discount)


def xirr(cashflows: SeriesLike, dates: SeriesLike) -> float | None:
    """Money-weighted annual return: the rate x with ``sum_i CF_i / (1 + x) ** t_i = 0``.

    ``t_i`` is the time since the earliest date in years of 365 days (ACT/365). Money put
    into the portfolio is negative, money taken out and the final value positive. Solved
    for ``u = ln(1 + x)``: a grid over x from -99.99…% to e^60 finds the sign change nearest
    to x = 0, and a bracketed Newton iteration (bisection when Newton leaves the bracket)
    refines it. None with fewer than 2 flows, without both a negative and a positive flow,
    or when no rate solves the equation. NaN flows are dropped with their dates.
    """
    amounts = as_float_array(cashflows, "cashflows")
    stamps = pd.DatetimeIndex(pd.to_datetime(list(dates), utc=True)).as_unit("ns")
    if len(stamps) != amounts.size:
        raise ValueError(f"one date per cash flow: {len(stamps)} dates, {amounts.size} flows")
    keep = np.isfinite(amounts) & ~stamps.isna()
    amounts, times = amounts[keep], stamps.asi8[keep]
    if amounts.size < 2 or not (amounts > 0).any() or not (amounts < 0).any():
        return None
    years = (times - times.min()) / 1e9 / _SECONDS_PER_YEAR
    if years.max() == 0.0:
        return None

    with np.errstate(all="ignore"):
        grid = 0.05 * np.arange(-1_200, 1_201)  # u from -60 to 60, with u = 0 exactly
        exponents = -np.outer(grid, years)
        npv = np.exp(exponents - exponents.max(axis=1, keepdims=True)) @ amounts
        sign = np.sign(npv)
        exact = np.flatnonzero(sign == 0.0)
        changes = np.flatnonzero(sign[:-1] * sign[1:] < 0.0)
        if exact.size:
            return finite_or_none(math.expm1(grid[exact[np.abs(grid[exact]).argmin()]]))
        if not changes.size:
            return None
        nearest = changes[np.abs(grid[changes]).argmin()]
        low, high = grid[nearest], grid[nearest + 1]
        low_value, _ = _npv_and_slope(low, amounts, years)
        u = 0.5 * (low + high)
        for _ in range(_MAX_ITERATIONS):
            value, slope = _npv_and_slope(u, amounts, years)
            if value == 0.0:
                break
            if (value < 0.0) == (low_value < 0.0):
                low, low_value = u, value
            else:
                high = u
            newton = u - value / slope if slope != 0.0 else math.nan
            following = newton if low < newton < high else 0.5 * (low + high)
            converged = abs(following - u) <= 1e-15 * max(1.0, abs(u))
            u = following
            if converged or high - low <= 1e-15 * max(1.0, abs(u)):
                break
    return finite_or_none(math.expm1(u))
