"""The metrics on real daily closes equal a plain, loop-by-loop reading of METRICS.md.

The references below share no code with the module: Python loops, ``math.fsum`` and a
hand-written quantile; the normal quantiles are literal constants. Data: Binance spot
daily closes of BTC, ETH, SOL and ADA (../shared/data/prices, see its SOURCES.md); the
benchmark is BTC (ETH for BTC itself), aligned on the dates both have.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from desktop_app.portfolio import metrics as m

COINS = ("BTC", "ETH", "SOL", "ADA")
P = 365
RISK_FREE = 0.04
Z = {0.95: -1.6448536269514722, 0.99: -2.3263478740408408}  # standard normal, 1 - c
REL = 1e-9


def daily_returns(prices_dir: Path, coin: str) -> pd.Series:
    frame = pd.read_csv(prices_dir / f"{coin}-USDT_1d.csv", parse_dates=["timestamp"])
    closes = frame.set_index("timestamp")["close"]
    return (closes / closes.shift(1) - 1.0).iloc[1:]


# --- the references: one definition each, straight from METRICS.md ------------------------


def ref_mean(xs: list[float]) -> float:
    return math.fsum(xs) / len(xs)


def ref_std(xs: list[float]) -> float:
    mu = ref_mean(xs)
    return math.sqrt(math.fsum((x - mu) ** 2 for x in xs) / (len(xs) - 1))


def ref_wealth(rs: list[float]) -> list[float]:
    wealth = [1.0]
    for r in rs:
        wealth.append(wealth[-1] * (1.0 + r))
    return wealth


def ref_drawdowns(rs: list[float]) -> list[float]:
    peak, out = 0.0, []
    for w in ref_wealth(rs):
        peak = max(peak, w)
        out.append(w / peak - 1.0)
    return out


def ref_longest_underwater(rs: list[float]) -> int:
    longest = run = 0
    for dd in ref_drawdowns(rs):
        run = run + 1 if dd < 0 else 0
        longest = max(longest, run)
    return longest


def ref_quantile(xs: list[float], p: float) -> float:
    ordered = sorted(xs)
    position = (len(ordered) - 1) * p
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def ref_cagr(rs: list[float]) -> float:
    return ref_wealth(rs)[-1] ** (P / len(rs)) - 1.0


def ref_cov(xs: list[float], ys: list[float]) -> float:
    mx, my = ref_mean(xs), ref_mean(ys)
    return math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


def reference_metrics(rs: list[float]) -> dict[str, float]:
    rf_p = (1.0 + RISK_FREE) ** (1.0 / P) - 1.0
    excess = [r - rf_p for r in rs]
    downside = math.sqrt(math.fsum(min(e, 0.0) ** 2 for e in excess) / len(excess))
    values = {
        "total_return": ref_wealth(rs)[-1] - 1.0,
        "cagr": ref_cagr(rs),
        "volatility": ref_std(rs) * math.sqrt(P),
        "sharpe_ratio": ref_mean(excess) / ref_std(excess) * math.sqrt(P),
        "sortino_ratio": ref_mean(excess) / downside * math.sqrt(P),
        "max_drawdown": min(ref_drawdowns(rs)),
        "max_drawdown_duration": ref_longest_underwater(rs),
        "calmar_ratio": ref_cagr(rs) / abs(min(ref_drawdowns(rs))),
        "omega_ratio": math.fsum(max(r, 0.0) for r in rs) / math.fsum(max(-r, 0.0) for r in rs),
        "best_period": max(rs),
        "worst_period": min(rs),
    }
    for confidence, label in ((0.95, "95"), (0.99, "99")):
        cutoff = ref_quantile(rs, 1.0 - confidence)
        values[f"var_{label}"] = -cutoff
        values[f"cvar_{label}"] = -ref_mean([r for r in rs if r <= cutoff])
        values[f"parametric_var_{label}"] = -(ref_mean(rs) + Z[confidence] * ref_std(rs))
    return values


def reference_relative(rs: list[float], bs: list[float]) -> dict[str, float]:
    slope = ref_cov(rs, bs) / ref_std(bs) ** 2
    active = [r - b for r, b in zip(rs, bs, strict=True)]
    up = [(r, b) for r, b in zip(rs, bs, strict=True) if b > 0]
    down = [(r, b) for r, b in zip(rs, bs, strict=True) if b < 0]
    return {
        "beta": slope,
        "alpha": (ref_mean(rs) - slope * ref_mean(bs)) * P,
        "correlation": ref_cov(rs, bs) / (ref_std(rs) * ref_std(bs)),
        "tracking_error": ref_std(active) * math.sqrt(P),
        "information_ratio": ref_mean(active) / ref_std(active) * math.sqrt(P),
        "up_capture": ref_mean([r for r, _ in up]) / ref_mean([b for _, b in up]),
        "down_capture": ref_mean([r for r, _ in down]) / ref_mean([b for _, b in down]),
    }


def aligned(r: pd.Series, b: pd.Series) -> tuple[list[float], list[float]]:
    bench = dict(zip(b.index, b.tolist(), strict=True))
    rs, bs = [], []
    for when, value in zip(r.index, r.tolist(), strict=True):
        if when in bench:
            rs.append(value)
            bs.append(bench[when])
    return rs, bs


@pytest.fixture(params=COINS)
def coin_returns(request: pytest.FixtureRequest, prices_dir: Path) -> tuple[pd.Series, pd.Series]:
    coin = request.param
    benchmark = "ETH" if coin == "BTC" else "BTC"
    return daily_returns(prices_dir, coin), daily_returns(prices_dir, benchmark)


def test_each_metric_matches_its_definition_on_real_daily_returns(
    coin_returns: tuple[pd.Series, pd.Series],
) -> None:
    returns, _ = coin_returns
    rs = returns.tolist()
    expected = reference_metrics(rs)
    actual = {
        "total_return": m.total_return(returns),
        "cagr": m.cagr(returns, P),
        "volatility": m.volatility(returns, P),
        "sharpe_ratio": m.sharpe_ratio(returns, RISK_FREE, P),
        "sortino_ratio": m.sortino_ratio(returns, RISK_FREE, P),
        "max_drawdown": m.max_drawdown(returns),
        "max_drawdown_duration": m.drawdown_details(returns).longest_duration,
        "calmar_ratio": m.calmar_ratio(returns, P),
        "omega_ratio": m.omega_ratio(returns),
        "best_period": m.best_period(returns),
        "worst_period": m.worst_period(returns),
        "var_95": m.value_at_risk(returns, 0.95),
        "var_99": m.value_at_risk(returns, 0.99, "historical"),
        "cvar_95": m.conditional_value_at_risk(returns, 0.95),
        "cvar_99": m.conditional_value_at_risk(returns, 0.99),
        "parametric_var_95": m.value_at_risk(returns, 0.95, "parametric"),
        "parametric_var_99": m.value_at_risk(returns, 0.99, "parametric"),
    }
    assert actual == pytest.approx(expected, rel=REL)


def test_benchmark_relative_metrics_match_their_definitions_on_common_dates(
    coin_returns: tuple[pd.Series, pd.Series],
) -> None:
    returns, benchmark = coin_returns
    rs, bs = aligned(returns, benchmark)
    assert len(rs) > 1500  # the coins overlap for years
    actual = {
        "beta": m.beta(returns, benchmark),
        "alpha": m.alpha(returns, benchmark, P),
        "correlation": m.correlation(returns, benchmark),
        "tracking_error": m.tracking_error(returns, benchmark, P),
        "information_ratio": m.information_ratio(returns, benchmark, P),
        "up_capture": m.up_capture(returns, benchmark),
        "down_capture": m.down_capture(returns, benchmark),
    }
    assert actual == pytest.approx(reference_relative(rs, bs), rel=REL)


def test_wealth_and_drawdown_paths_match_the_loops(
    coin_returns: tuple[pd.Series, pd.Series],
) -> None:
    rs = coin_returns[0].tolist()
    assert m.wealth_index(rs).tolist() == pytest.approx(ref_wealth(rs), rel=REL)
    assert m.drawdown_series(rs).tolist() == pytest.approx(ref_drawdowns(rs), rel=REL, abs=1e-12)


def test_drawdown_details_match_a_walk_through_the_wealth_path(
    coin_returns: tuple[pd.Series, pd.Series],
) -> None:
    rs = coin_returns[0].tolist()
    wealth = ref_wealth(rs)
    peak_value, peak_at, worst, trough_at, peak_of_worst = wealth[0], 0, 0.0, None, None
    for t, w in enumerate(wealth):
        if w >= peak_value:
            peak_value, peak_at = w, t
        elif w / peak_value - 1.0 < worst:
            worst, trough_at, peak_of_worst = w / peak_value - 1.0, t, peak_at
    recovery_at = next(
        (t for t in range(trough_at + 1, len(wealth)) if wealth[t] >= wealth[peak_of_worst]),
        None,
    )
    details = m.drawdown_details(rs)
    assert details.max_drawdown == pytest.approx(worst, rel=REL)
    assert (details.peak_index, details.trough_index) == (peak_of_worst, trough_at)
    assert details.recovery_index == recovery_at
    assert details.recovery_time == (None if recovery_at is None else recovery_at - trough_at)


def test_performance_summary_equals_the_individual_functions_on_real_data(
    coin_returns: tuple[pd.Series, pd.Series],
) -> None:
    returns, benchmark = coin_returns
    summary = m.performance_summary(returns, P, RISK_FREE, benchmark=benchmark)
    assert summary["periods"] == len(returns)
    assert summary["sharpe_ratio"] == m.sharpe_ratio(returns, RISK_FREE, P)
    assert summary["sortino_ratio"] == m.sortino_ratio(returns, RISK_FREE, P)
    assert summary["cvar_99"] == m.conditional_value_at_risk(returns, 0.99)
    assert summary["var_95"] == m.value_at_risk(returns, 0.95)
    assert summary["calmar_ratio"] == m.calmar_ratio(returns, P)
    assert summary["beta"] == m.beta(returns, benchmark)
    assert summary["information_ratio"] == m.information_ratio(returns, benchmark, P)
    assert summary["down_capture"] == m.down_capture(returns, benchmark)
