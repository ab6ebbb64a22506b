"""The risk model on the real price files against straightforward numpy/pandas.

Bars are binned and aligned by :mod:`price_history` / :mod:`risk_model` and the history
metrics computed by :func:`risk_compute.history_values`; the references below re-read the
CSV files with pandas and apply the METRICS.md definitions directly (np.quantile, np.cov,
np.corrcoef), sharing no code with the engine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio.price_history import SymbolHistory, bin_closes
from desktop_app.portfolio.risk_compute import HeldPosition, history_values
from desktop_app.portfolio.risk_model import build_panel

Z95, Z99 = 1.6448536269514722, 2.3263478740408408
DAILY = {"BTC/USDT": "BTC-USDT_1d", "ETH/USDT": "ETH-USDT_1d", "SOL/USDT": "SOL-USDT_1d",
         "ADA/USDT": "ADA-USDT_1d"}  # fmt: skip


def bars(prices_dir: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(prices_dir / f"{name}.csv", parse_dates=["timestamp"])
    return frame.set_index("timestamp")


def history(symbol: str, frame: pd.DataFrame) -> SymbolHistory:
    return SymbolHistory(symbol, *bin_closes(frame), frame.index.max().to_pydatetime())


def test_bins_are_the_last_close_of_each_hour_and_of_each_day(prices_dir):
    frame = bars(prices_dir, "BTC-USDT-PERP_1m").iloc[:5_000]
    hour_keys, hourly, day_keys, daily = bin_closes(frame)
    expected = frame["close"].resample("h").last().dropna()
    np.testing.assert_array_equal(hourly, expected.to_numpy())
    np.testing.assert_array_equal(hour_keys, expected.index.as_unit("s").asi8 // 3_600)
    by_day = frame["close"].resample("D").last().dropna()
    np.testing.assert_array_equal(daily, by_day.to_numpy())
    np.testing.assert_array_equal(day_keys, by_day.index.as_unit("s").asi8 // 86_400)


def test_daily_bars_give_daily_closes_and_no_hourly_ones(prices_dir):
    frame = bars(prices_dir, "BTC-USDT_1d")
    hour_keys, hourly, day_keys, daily = bin_closes(frame)
    assert hour_keys.size == hourly.size == 0  # a day's close is not an hour's observation
    np.testing.assert_array_equal(daily, frame["close"].to_numpy())
    np.testing.assert_array_equal(day_keys, frame.index.as_unit("s").asi8 // 86_400)


def test_hourly_panel_fills_exchange_gaps_like_pandas(prices_dir):
    sol = bars(prices_dir, "SOL-USDT_1h")
    btc = bars(prices_dir, "BTC-USD_1h")
    end = min(sol.index.max(), btc.index.max())
    sol, btc = sol[sol.index <= end], btc[btc.index <= end]
    histories = {"SOL/USDT": history("SOL/USDT", sol), "BTC/USDT": history("BTC/USDT", btc)}
    panel = build_panel(histories, ["SOL/USDT", "BTC/USDT"], lookback_days=365)
    grid = pd.date_range(end=end, periods=365 * 24 + 1, freq="h")
    expected = pd.concat(
        [sol["close"].reindex(grid.union(sol.index)).ffill().reindex(grid),
         btc["close"].reindex(grid.union(btc.index)).ffill().reindex(grid)],
        axis=1,
    ).to_numpy()  # fmt: skip
    assert panel.sampling == "h" and panel.horizon_periods == 24
    assert panel.start == grid[0].to_pydatetime() and panel.end == grid[-1].to_pydatetime()
    np.testing.assert_array_equal(panel.closes, expected)
    np.testing.assert_allclose(panel.horizon_returns, expected[24:] / expected[:-24] - 1)


def test_a_daily_symbol_puts_the_whole_panel_on_a_daily_grid(prices_dir):
    histories = {
        "SOL/USDT": history("SOL/USDT", bars(prices_dir, "SOL-USDT_1h")),
        "ETH/USDT": history("ETH/USDT", bars(prices_dir, "ETH-USDT_1d")),
    }
    panel = build_panel(histories, ["SOL/USDT", "ETH/USDT"], lookback_days=100)
    assert panel.sampling == "D" and panel.horizon_periods == 1
    assert panel.periods_per_year == 365
    sol_daily = bars(prices_dir, "SOL-USDT_1d")["close"]
    days = pd.DatetimeIndex([panel.start, panel.end])
    # the hourly SOL closes binned per day are the daily closes (SOURCES.md checks this too)
    assert panel.closes[0, 0] == sol_daily[days[0]]
    assert panel.closes[-2, 0] == sol_daily[days[1] - pd.Timedelta(days=1)]


def reference_portfolio(prices_dir: Path, weights: dict[str, float], days: int):
    closes = pd.concat(
        {symbol: bars(prices_dir, name)["close"] for symbol, name in DAILY.items()}, axis=1
    ).dropna()[sorted(DAILY)]
    closes = closes.iloc[-(days + 1) :]
    returns = (closes / closes.shift(1) - 1).iloc[1:]
    w = np.array([weights[s] for s in closes.columns])
    return returns, w


@pytest.fixture
def daily_panel(prices_dir):
    histories = {s: history(s, bars(prices_dir, name)) for s, name in DAILY.items()}
    return build_panel(histories, sorted(DAILY), lookback_days=365)


def test_var_cvar_volatility_and_beta_equal_the_definitions(prices_dir, daily_panel):
    equity = 100_000.0
    weights = {"BTC/USDT": 0.4, "ETH/USDT": 0.25, "SOL/USDT": -0.1, "ADA/USDT": 0.15}
    held = [HeldPosition(f"p-{s}", s, "manual", w * equity) for s, w in weights.items()]
    values, notes, _ = history_values(daily_panel, held, equity, "BTC/USDT", None)
    returns, w = reference_portfolio(prices_dir, weights, 365)
    assert list(returns.columns) == sorted(DAILY)
    r = returns.to_numpy() @ w
    assert notes == {}
    for level, z in ((0.95, Z95), (0.99, Z99)):
        var = -np.quantile(r, 1 - level)
        tag = round(level * 100)
        assert values[f"var_{tag}"] == pytest.approx(var, rel=1e-12)
        assert values[f"parametric_var_{tag}"] == pytest.approx(
            -(r.mean() - z * r.std(ddof=1)), rel=1e-9
        )
        assert values[f"cvar_{tag}"] == pytest.approx(-r[r <= -var].mean(), rel=1e-12)
        density = np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi)
        assert values[f"parametric_cvar_{tag}"] == pytest.approx(
            -(r.mean() - r.std(ddof=1) * density / (1 - level)), rel=1e-9
        )
    cov = np.cov(returns.to_numpy(), rowvar=False, ddof=1)
    assert values["portfolio_volatility"] == pytest.approx(np.sqrt(w @ cov @ w * 365), rel=1e-9)
    btc = returns["BTC/USDT"].to_numpy()
    beta = np.cov(r, btc, ddof=1)[0, 1] / np.var(btc, ddof=1)
    assert values["beta_btc"] == pytest.approx(beta, rel=1e-9)
    corr = np.corrcoef(returns.to_numpy(), rowvar=False)
    for i, a in enumerate(returns.columns):
        for j, b in enumerate(returns.columns):
            assert values["correlation"][a][b] == pytest.approx(corr[i, j], abs=1e-12)


def test_component_var_per_position_sums_to_the_portfolio_var(prices_dir, daily_panel):
    equity = 50_000.0
    held = [
        HeldPosition("a", "BTC/USDT", "trend", 15_000.0),
        HeldPosition("b", "BTC/USDT", "grid", 5_000.0),  # two positions in one symbol
        HeldPosition("c", "ETH/USDT", "trend", 10_000.0),
        HeldPosition("d", "SOL/USDT", "grid", -4_000.0),  # a hedge
    ]
    values, _, groups = history_values(daily_panel, held, equity, "BTC/USDT", None)
    weights = {"BTC/USDT": 0.4, "ETH/USDT": 0.2, "SOL/USDT": -0.08, "ADA/USDT": 0.0}
    returns, w = reference_portfolio(prices_dir, weights, 365)
    cov = np.cov(returns.to_numpy(), rowvar=False, ddof=1)
    portfolio_var = Z95 * np.sqrt(w @ cov @ w)
    components = values["component_var_95"]
    assert sum(components.values()) == pytest.approx(portfolio_var, rel=1e-9)
    assert values["covariance_var_95"] == pytest.approx(portfolio_var, rel=1e-9)
    marginal = cov @ w / np.sqrt(w @ cov @ w) * Z95
    assert components["a"] == pytest.approx(0.3 * marginal[1], rel=1e-9)  # BTC column
    assert components["d"] == pytest.approx(-0.08 * marginal[3], rel=1e-9)  # SOL column
    assert groups["strategy:trend"] + groups["strategy:grid"] == pytest.approx(portfolio_var)
    sol = returns["SOL/USDT"].to_numpy()
    assert values["position_var_95"]["d"] == pytest.approx(-np.quantile(-0.08 * sol, 0.05))


def test_too_little_common_history_is_reported_not_guessed(prices_dir):
    btc = bars(prices_dir, "BTC-USDT_1d")
    young = bars(prices_dir, "SOL-USDT_1d").iloc[-12:]  # a coin listed 12 days ago
    histories = {"BTC/USDT": history("BTC/USDT", btc), "NEW/USDT": history("NEW/USDT", young)}
    panel = build_panel(histories, ["BTC/USDT", "NEW/USDT"], lookback_days=365)
    assert not panel.sufficient and panel.limited_by == "NEW/USDT"
    held = [HeldPosition("x", "NEW/USDT", "manual", 1_000.0)]
    values, notes, _ = history_values(panel, held, 10_000.0, "BTC/USDT", None)
    assert values.get("var_95") is None
    assert notes["var_95"].startswith("insufficient history: 11.0 days of common price history")
    assert "NEW/USDT has prices only from" in notes["var_95"]


def test_correlations_of_complete_columns_match_pandas_pairwise(prices_dir):
    from desktop_app.portfolio import metrics

    closes = pd.concat({s: bars(prices_dir, n)["close"] for s, n in DAILY.items()}, axis=1)
    returns = (closes / closes.shift(1) - 1).dropna()
    pairwise = returns.corr(method="pearson", min_periods=2)
    fast = metrics.correlation_matrix(returns)  # complete: the one-product path
    np.testing.assert_allclose(fast.to_numpy(), pairwise.to_numpy(), rtol=0, atol=1e-12)
    from_cov = metrics.correlation_from_covariance(returns.cov())
    np.testing.assert_allclose(from_cov.to_numpy(), pairwise.to_numpy(), rtol=0, atol=1e-12)
    flat = returns.assign(FLAT=0.001)  # a constant column has no correlation
    corr = metrics.correlation_matrix(flat)
    assert corr["FLAT"].isna().all() and corr.loc["FLAT"].isna().all()
    assert np.isnan(metrics.correlation_from_covariance(np.diag([1.0, 0.0]))[0, 1])
