"""Benchmark: the full metric set in one pass vs the same metrics one by one in pandas.

``performance_summary`` with a benchmark series (26 values: returns, risk, tail, drawdown
and benchmark-relative metrics) on

* 3,650 daily returns: Binance BTC/USDT daily closes (3,063 returns, 2017-08-17 to
  2026-01-05) repeated to ten years, against ETH/USDT on the same days, repeated alike;
* 525,600 one-minute returns: the Bybit BTCUSDT perpetual 1m closes (43,198 returns, 30
  days) repeated to a year; the benchmark is the same repeated series shifted by half a
  year (so, by 3,612 minutes within the 30 real days), a different real window.

The baseline computes each metric separately with pandas Series methods (``.cumprod``,
``.cummax``, ``.std``, ``.quantile``, ``.cov`` ...), as a report without a shared-pass
implementation would. Both sides are checked to agree before anything is timed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import metrics as m
from tests.benchmarks.conftest import Bench, measure

DAILY_POINTS = 3_650
MINUTE_POINTS = 525_600
Z = {0.95: -1.6448536269514722, 0.99: -2.3263478740408408}


def close_returns(path: Path) -> np.ndarray:
    closes = pd.read_csv(path, usecols=["close"])["close"].to_numpy()
    return closes[1:] / closes[:-1] - 1.0


def repeated(returns: np.ndarray, points: int, start: str, freq: str) -> pd.Series:
    return pd.Series(
        np.resize(returns, points), index=pd.date_range(start, periods=points, freq=freq, tz="UTC")
    )


def pandas_metrics(r: pd.Series, b: pd.Series, periods: float) -> dict[str, float]:
    """The same metric set, one metric at a time, with pandas Series methods."""
    r = r.dropna()
    n = r.count()
    wealth = pd.concat([pd.Series([1.0]), (1.0 + r).cumprod().reset_index(drop=True)])
    wealth = wealth.reset_index(drop=True)
    drawdown = wealth / wealth.cummax() - 1.0
    total = (1.0 + r).prod() - 1.0
    cagr = (1.0 + total) ** (periods / n) - 1.0
    under_water = drawdown < 0
    runs = under_water.groupby((~under_water).cumsum()).sum()
    trough = int(drawdown.idxmin())
    back = drawdown.iloc[trough:]
    back = back[back == 0.0]
    downside = np.sqrt((r.clip(upper=0.0) ** 2).mean())
    both = pd.concat([r, b], axis=1, join="inner").dropna()
    ra, ba = both.iloc[:, 0], both.iloc[:, 1]
    beta = ra.cov(ba) / ba.var()
    active = ra - ba
    values = {
        "periods": n,
        "total_return": total,
        "cagr": cagr,
        "volatility": r.std() * math.sqrt(periods),
        "sharpe_ratio": r.mean() / r.std() * math.sqrt(periods),
        "sortino_ratio": r.mean() / downside * math.sqrt(periods),
        "max_drawdown": drawdown.min(),
        "max_drawdown_duration": int(runs.max()),
        "recovery_time": int(back.index[0]) - trough if len(back) else None,
        "calmar_ratio": cagr / abs(drawdown.min()),
        "omega_ratio": r.clip(lower=0.0).sum() / -r.clip(upper=0.0).sum(),
        "best_period": r.max(),
        "worst_period": r.min(),
        "beta": beta,
        "alpha": (ra.mean() - beta * ba.mean()) * periods,
        "correlation": ra.corr(ba),
        "tracking_error": active.std() * math.sqrt(periods),
        "information_ratio": active.mean() / active.std() * math.sqrt(periods),
        "up_capture": ra[ba > 0].mean() / ba[ba > 0].mean(),
        "down_capture": ra[ba < 0].mean() / ba[ba < 0].mean(),
    }
    for confidence, label in ((0.95, "95"), (0.99, "99")):
        cutoff = r.quantile(1.0 - confidence)
        values[f"var_{label}"] = -cutoff
        values[f"cvar_{label}"] = -r[r <= cutoff].mean()
        values[f"parametric_var_{label}"] = -(r.mean() + Z[confidence] * r.std())
    return values


def _run(
    bench: Bench,
    name: str,
    r: pd.Series,
    b: pd.Series,
    periods: float,
    *,
    target: str,
    notes: str,
    repeat: int,
) -> None:
    summary = m.performance_summary(r, periods, benchmark=b)
    baseline = pandas_metrics(r, b, periods)
    undefined = {key for key, value in baseline.items() if value is None}
    assert {key for key, value in summary.items() if value is None} == undefined
    defined = {key: value for key, value in summary.items() if key not in undefined}
    assert defined == pytest.approx(
        {key: value for key, value in baseline.items() if key not in undefined}, rel=1e-9
    )

    ours = measure(lambda: m.performance_summary(r, periods, benchmark=b), repeat=repeat)
    theirs = measure(lambda: pandas_metrics(r, b, periods), repeat=repeat)
    bench.record_samples(
        f"metrics: performance_summary, {name}",
        ours,
        baseline_s=theirs,
        target=target,
        notes=notes,
    )
    bench.record_samples(f"metrics: pandas one by one, {name} (baseline)", theirs, notes=notes)


def test_bench_full_metric_set_on_ten_years_of_daily_returns(
    bench: Bench, prices_dir: Path
) -> None:
    btc = close_returns(prices_dir / "BTC-USDT_1d.csv")
    eth = close_returns(prices_dir / "ETH-USDT_1d.csv")
    r = repeated(btc, DAILY_POINTS, "2016-01-01", "D")
    b = repeated(eth, DAILY_POINTS, "2016-01-01", "D")
    _run(
        bench,
        f"{DAILY_POINTS:,} daily points",
        r,
        b,
        m.periods_per_year("D"),
        target="< 20 ms",
        repeat=200,
        notes=f"BTC-USDT_1d returns ({btc.size:,}) vs ETH-USDT_1d, repeated to {DAILY_POINTS:,}",
    )


def test_bench_full_metric_set_on_a_year_of_minute_returns(bench: Bench, prices_dir: Path) -> None:
    minutes = close_returns(prices_dir / "BTC-USDT-PERP_1m.csv")
    r = repeated(minutes, MINUTE_POINTS, "2025-01-01", "min")
    b = pd.Series(np.roll(r.to_numpy(), MINUTE_POINTS // 2), index=r.index)
    _run(
        bench,
        f"{MINUTE_POINTS:,} minute points",
        r,
        b,
        m.periods_per_year("min"),
        target="< 500 ms",
        repeat=20,
        notes=(
            f"BTC-USDT-PERP_1m returns ({minutes.size:,}) repeated to {MINUTE_POINTS:,}; "
            "benchmark = the same series shifted by half a year"
        ),
    )
