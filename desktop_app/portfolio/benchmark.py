"""Benchmarks: the market the portfolio is measured against.

A benchmark is one symbol (``"BTC/USDT"``, the default), a list of symbols taken as an
equal-weight basket, or :data:`HELD_BASKET` — an equal-weight basket of the symbols the
portfolio holds at the as-of time (or, when flat, the symbols it traded in the window).
Baskets are rebalanced every bin: the basket's return in a bin is the mean return of the
members that have a price in that bin, so a coin listed later joins when it starts trading.

Prices are the stored bar closes, each stamped at the last instant of its bar (see
:func:`.bar_closes.closes_at_bar_ends`) and sampled like the portfolio: the last close in
every bin, carried forward. The benchmark's returns share the portfolio's bin labels, and
every relative metric (beta, alpha, correlation, tracking error, information ratio, up and
down capture) comes from :func:`.metrics.performance_summary` on the periods both have.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from desktop_app.lazy import pd

from . import metrics
from .analytics_report import BenchmarkComparison, RelativeMetrics, ReturnStatistics
from .errors import ConfigError
from .metrics_input import clean_pair
from .values import normalize_symbol

__all__ = [
    "DEFAULT_BENCHMARK",
    "HELD_BASKET",
    "BenchmarkSpec",
    "benchmark_returns",
    "compare_to_benchmark",
]

DEFAULT_BENCHMARK = "BTC/USDT"
#: Benchmark against an equal-weight basket of the symbols held.
HELD_BASKET = "held"


@dataclass(frozen=True)
class BenchmarkSpec:
    """Which prices make the benchmark: ``symbols``, or the held basket."""

    symbols: tuple[str, ...] = ()
    held_basket: bool = False

    @classmethod
    def parse(cls, value: str | Sequence[str] | BenchmarkSpec | None) -> BenchmarkSpec | None:
        """``"ETH/USDT"``, ``["BTC/USDT", "ETH/USDT"]``, ``"held"``, or None for no benchmark."""
        if value is None or isinstance(value, BenchmarkSpec):
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.lower() in (HELD_BASKET, "basket", "equal_weight", "equal-weight"):
                return cls(held_basket=True)
            value = [part for part in text.split(",") if part.strip()]
        try:
            symbols = tuple(dict.fromkeys(normalize_symbol(symbol) for symbol in value))
        except ValueError as exc:
            raise ConfigError(f"benchmark: {exc}") from None
        if not symbols:
            raise ConfigError("a benchmark needs at least one symbol, e.g. BTC/USDT")
        return cls(symbols=symbols)

    def members(self, held: Iterable[str]) -> tuple[str, ...]:
        """The symbols the benchmark is made of, given the symbols held."""
        return tuple(sorted(set(held))) if self.held_basket else self.symbols

    def name(self, members: Sequence[str]) -> str:
        if len(members) == 1 and not self.held_basket:
            return members[0]
        label = "Equal-weight basket of the held symbols" if self.held_basket else "Equal-weight"
        return f"{label} ({', '.join(members)})" if members else label


def sampled_closes(closes: pd.Series, rule: str, labels: pd.DatetimeIndex) -> pd.Series:
    """The last close in each bin labelled ``labels`` (and the bin before), carried forward.

    ``closes`` is indexed by the instant each close was known (see
    :func:`.bar_closes.closes_at_bar_ends`).
    """
    series = closes.dropna().sort_index()
    step = pd.Timedelta(1, unit=rule)
    grid = labels.insert(0, labels[0] - step) if len(labels) else labels
    if series.empty or grid.empty:
        return pd.Series(np.nan, index=grid)
    binned = series.resample(rule).last()
    before = series[series.index < grid[0]]
    sampled = binned.reindex(grid)
    if not before.empty and np.isnan(sampled.iloc[0]):
        sampled.iloc[0] = before.iloc[-1]
    return sampled.ffill()


def benchmark_returns(
    closes: Mapping[str, pd.Series], members: Sequence[str], rule: str, labels: pd.DatetimeIndex
) -> tuple[pd.Series, tuple[str, ...]]:
    """Equal-weight basket returns of ``members`` on the bins ``labels``; and who had no price.

    A one-symbol basket is that symbol's returns.
    """
    columns = {}
    missing = []
    for symbol in members:
        series = closes.get(symbol)
        if series is None or series.dropna().empty:
            missing.append(symbol)
            continue
        sampled = sampled_closes(series, rule, labels)
        columns[symbol] = (sampled / sampled.shift(1) - 1.0).iloc[1:]
    if not columns:
        return pd.Series(np.nan, index=labels, dtype="float64"), tuple(missing)
    frame = pd.DataFrame(columns).reindex(labels)
    with np.errstate(all="ignore"):
        values = np.nanmean(frame.to_numpy(), axis=1) if frame.shape[1] > 1 else frame.iloc[:, 0]
    return pd.Series(np.asarray(values, dtype="float64"), index=labels), tuple(missing)


def compare_to_benchmark(
    returns: pd.Series,
    benchmark: pd.Series,
    periods_per_year: float,
    risk_free: float,
    name: str,
    members: Sequence[str],
    missing: Sequence[str] = (),
) -> BenchmarkComparison:
    """The relative metrics and the benchmark's own statistics on the shared periods."""
    r, b = clean_pair(returns, benchmark)
    own = metrics.performance_summary(b, periods_per_year, risk_free)
    relative = metrics.performance_summary(r, periods_per_year, risk_free, benchmark=b)
    return BenchmarkComparison(
        name=name,
        symbols=tuple(members),
        periods=int(r.size),
        relative=RelativeMetrics.from_summary(relative),
        benchmark=ReturnStatistics.from_summary(own),
        missing_symbols=tuple(missing),
    )
