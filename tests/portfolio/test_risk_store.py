"""The risk manager on a real Store: stored violations and breaker state across restarts,
metrics from imported real price files, history-based limits, breakers and stress tests.

Each test opens a real SQLite store in ``tmp_path`` and imports real bars from the shared
price folder with ``store.import_bars_csv``; references are plain numpy/pandas on the same
CSV files.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import (
    BreakerAction,
    PortfolioConfig,
    PortfolioManager,
    PortfolioStatus,
    RiskAction,
    RiskLevel,
    RiskLimitError,
    RiskLimits,
)
from desktop_app.portfolio.risk_checks import round_size_down

Z95 = 1.6448536269514722
FILES = {
    "BTC/USDT": "BTC-USDT_1d",
    "ETH/USDT": "ETH-USDT_1d",
    "SOL/USDT": "SOL-USDT_1d",
    "ADA/USDT": "ADA-USDT_1d",
}
#: Positions as large as equity, no risk-per-trade limit: not what these tests are about.
ROOMY = {
    "max_single_position_pct": 100.0,
    "max_symbol_exposure_pct": 100.0,
    "max_portfolio_risk_pct": None,
}


def config(limits: RiskLimits | None = None, **kw) -> PortfolioConfig:
    return PortfolioConfig(
        performance_update_interval_s=0,
        snapshot_interval_s=0,
        risk_limits=limits or RiskLimits(risk_update_interval_s=0, **ROOMY),
        **kw,
    )


async def import_prices(pm: PortfolioManager, prices_dir: Path, files=FILES) -> None:
    for symbol, name in files.items():
        await pm.store.import_bars_csv(prices_dir / f"{name}.csv", symbol)


def closes(prices_dir: Path, names: dict[str, str]) -> pd.DataFrame:
    frames = {
        s: pd.read_csv(prices_dir / f"{n}.csv", parse_dates=["timestamp"]).set_index("timestamp")[
            "close"
        ]
        for s, n in names.items()
    }
    return pd.concat(frames, axis=1).dropna()


def last_close(prices_dir: Path, name: str) -> float:
    return float(closes(prices_dir, {"x": name})["x"].iloc[-1])


async def test_refusals_are_stored_and_listed_again_after_a_restart(tmp_path):
    async with PortfolioManager(config(RiskLimits(max_positions=1)), data_dir=tmp_path) as pm:
        await pm.create_position("BTC/USDT", "long", "0.01", 50_000)
        with pytest.raises(RiskLimitError, match="open positions would be 2; limit 1"):
            await pm.create_position("ETH/USDT", "long", "0.1", 2_000)
        stored = await pm.store.read_records("risk_violation")
    assert len(stored) == 1
    assert stored[0]["limit"] == "max_positions" and stored[0]["action"] == "reject"
    assert stored[0]["symbol"] == "ETH/USDT" and stored[0]["size"] == "0.1"
    async with PortfolioManager(config(RiskLimits(max_positions=1)), data_dir=tmp_path) as again:
        [violation] = again.risk_manager.violations()
        assert violation.limit == "max_positions" and violation.symbol == "ETH/USDT"
        report = await again.get_risk_report()
        assert report["recent_violations"][0]["message"] == "open positions would be 2; limit 1"


async def test_a_tripped_breaker_stays_tripped_across_a_restart(tmp_path):
    limits = RiskLimits(max_daily_loss_pct=None, risk_update_interval_s=0, **ROOMY)
    day = datetime(2025, 3, 3, tzinfo=UTC)
    seen: list = []
    async with PortfolioManager(config(limits), data_dir=tmp_path) as pm:
        pm.register_callback("risk_limit_exceeded", seen.append)
        await pm.create_position("BTC/USDT", "long", "0.2", 50_000)
        await pm.update_prices({"BTC/USDT": 55_000}, timestamp=day)  # peak 11,000
        await pm.update_prices({"BTC/USDT": 40_000}, timestamp=day)  # 8,000: 27 % down
        assert pm.status is PortfolioStatus.PAUSED
        events = await pm.store.read_records("breaker_event")
    assert len(seen) == 1 and len(events) == 1
    assert events[0]["limit"] == "max_drawdown_pct" and events[0]["action"] == "pause"
    async with PortfolioManager(config(limits), data_dir=tmp_path) as again:
        again.register_callback("risk_limit_exceeded", seen.append)
        assert again.status is PortfolioStatus.PAUSED
        assert [v.kind for v in again.risk_manager.violations()] == ["breaker"]
        assert again.risk_manager.breakers.nav.peak_nav == pytest.approx(1.1)
        await again.update_prices({"BTC/USDT": 39_000}, timestamp=day)
        assert len(seen) == 1  # the same trip, not a new one
        assert await again.resume_portfolio()  # re-armed from 7,800
        await again.update_prices({"BTC/USDT": 33_000}, timestamp=day)  # 6,600: 15.4 % down
        assert len(seen) == 2 and again.status is PortfolioStatus.PAUSED


async def test_metrics_from_stored_daily_bars_equal_the_definitions(tmp_path, prices_dir):
    async with PortfolioManager(config(initial_capital=100_000), data_dir=tmp_path) as pm:
        await import_prices(pm, prices_dir)
        values = {"BTC/USDT": 30_000.0, "ETH/USDT": 20_000.0, "SOL/USDT": -10_000.0}
        for symbol, value in values.items():
            price = last_close(prices_dir, FILES[symbol])
            side = "long" if value > 0 else "short"
            await pm.create_position(symbol, side, round(abs(value) / price, 8), price)
        metrics = await pm.risk_manager.calculate_risk_metrics()
        equity = metrics.equity
        market = {p.symbol: float(p.market_value) for p in pm.get_open_positions()}
    table = closes(prices_dir, FILES).iloc[-366:]
    returns = (table / table.shift(1) - 1).iloc[1:]
    w = np.array([market.get(s, 0.0) / equity for s in returns.columns])
    r = returns.to_numpy() @ w
    assert metrics.history_sampling == "D" and metrics.history_observations == 366
    assert metrics.var_95 == pytest.approx(-np.quantile(r, 0.05), rel=1e-9)
    assert metrics.var_99 == pytest.approx(-np.quantile(r, 0.01), rel=1e-9)
    assert metrics.cvar_95 == pytest.approx(-r[r <= np.quantile(r, 0.05)].mean(), rel=1e-9)
    cov = np.cov(returns.to_numpy(), rowvar=False)
    assert metrics.portfolio_volatility == pytest.approx(np.sqrt(w @ cov @ w * 365), rel=1e-9)
    assert sum(metrics.component_var_95.values()) == pytest.approx(
        Z95 * np.sqrt(w @ cov @ w), rel=1e-9
    )
    btc = returns["BTC/USDT"].to_numpy()
    assert metrics.beta_btc == pytest.approx(np.cov(r, btc)[0, 1] / np.var(btc, ddof=1), rel=1e-9)
    assert metrics.correlation["ETH/USDT"]["SOL/USDT"] == pytest.approx(
        returns["ETH/USDT"].corr(returns["SOL/USDT"]), abs=1e-12
    )


async def test_hourly_bars_give_a_one_day_var_from_overlapping_24_hour_moves(tmp_path, prices_dir):
    async with PortfolioManager(config(initial_capital=100_000), data_dir=tmp_path) as pm:
        await import_prices(pm, prices_dir, {"SOL/USDT": "SOL-USDT_1h"})
        price = last_close(prices_dir, "SOL-USDT_1h")
        await pm.create_position("SOL/USDT", "long", round(50_000 / price, 6), price)
        metrics = await pm.risk_manager.calculate_risk_metrics()
        weight = float(pm.get_open_positions()[0].market_value) / metrics.equity
    hourly = closes(prices_dir, {"SOL": "SOL-USDT_1h"})["SOL"]
    grid = pd.date_range(end=hourly.index[-1], periods=365 * 24 + 1, freq="h")
    series = hourly.reindex(grid.union(hourly.index)).ffill().reindex(grid).to_numpy()
    moves = weight * (series[24:] / series[:-24] - 1)
    assert metrics.history_sampling == "h"
    assert metrics.var_95 == pytest.approx(-np.quantile(moves, 0.05), rel=1e-9)
    assert metrics.beta_btc is None and "BTC/USDT" in metrics.notes["beta_btc"]


async def test_the_var_limit_uses_stored_history_under_the_lock(tmp_path, prices_dir):
    limits = RiskLimits(max_var_pct=2.0, risk_update_interval_s=0, **ROOMY)
    async with PortfolioManager(config(limits), data_dir=tmp_path) as pm:
        await import_prices(pm, prices_dir)
        price = last_close(prices_dir, "SOL-USDT_1d")
        with pytest.raises(RiskLimitError, match="portfolio 1-day 95 % VaR would be") as refused:
            await pm.create_position("SOL/USDT", "long", round(9_000 / price, 6), price)
        assert refused.value.action is RiskAction.REDUCE
        await pm.create_position("SOL/USDT", "long", refused.value.allowed_size, price)
        metrics = await pm.risk_manager.calculate_risk_metrics()
        assert metrics.var_95 * 100 <= 2.0 + 1e-9


async def test_the_background_pass_trips_the_var_breaker_and_archives_metrics(tmp_path, prices_dir):
    limits = RiskLimits(max_var_pct=50.0, var_action=BreakerAction.REDUCE, **ROOMY)
    seen: list = []
    async with PortfolioManager(config(limits), data_dir=tmp_path) as pm:
        pm.register_callback("risk_limit_exceeded", seen.append)
        await import_prices(pm, prices_dir)
        price = last_close(prices_dir, "BTC-USDT_1d")
        await pm.create_position("BTC/USDT", "long", round(9_000 / price, 6), price)
        await pm.risk_manager.update_limits(max_var_pct=1.0)  # now far below BTC's VaR
        metrics = await pm.risk_manager.monitor()
        assert pm.status is PortfolioStatus.REDUCING
        assert metrics.overall_risk_level is RiskLevel.CRITICAL
        await pm.risk_manager.monitor()  # once per trip
        archived = await pm.store.read_records("risk_metrics")
    assert [v.limit for v in seen] == ["max_var_pct"]
    assert len(archived) == 2 and archived[-1]["var_95"] == pytest.approx(metrics.var_95)


async def test_stress_scenarios_from_stored_history(tmp_path, prices_dir):
    async with PortfolioManager(config(initial_capital=100_000), data_dir=tmp_path) as pm:
        await import_prices(pm, prices_dir)
        for symbol, value in {"BTC/USDT": 20_000.0, "ETH/USDT": 10_000.0}.items():
            price = last_close(prices_dir, FILES[symbol])
            await pm.create_position(symbol, "long", round(value / price, 8), price)
        market = {p.symbol: float(p.market_value) for p in pm.get_open_positions()}
        btc50 = await pm.risk_manager.run_stress_test("btc_crash_50")
        winter = await pm.risk_manager.run_stress_test("crash_2022")
        together = await pm.risk_manager.run_stress_test("correlation_one")
    table = closes(prices_dir, {"BTC": "BTC-USDT_1d", "ETH": "ETH-USDT_1d"})
    recent = table.iloc[-366:]
    moves = (recent / recent.shift(1) - 1).iloc[1:]
    beta = moves.cov().loc["ETH", "BTC"] / moves["BTC"].var()
    shocks = {row.symbol: row.shock for row in btc50.positions}
    assert shocks["BTC/USDT"] == -0.5
    assert shocks["ETH/USDT"] == pytest.approx(-0.5 * beta, rel=1e-9)
    start, end = pd.Timestamp("2021-11-10", tz="UTC"), pd.Timestamp("2022-11-21", tz="UTC")
    path = table.loc[start:end] / table.loc[start] - 1
    pnl = market["BTC/USDT"] * path["BTC"] + market["ETH/USDT"] * path["ETH"]
    assert winter.total_pnl == pytest.approx(pnl.iloc[-1], rel=1e-9)
    assert winter.worst_pnl == pytest.approx(pnl.min(), rel=1e-9)
    sigma = moves.std(ddof=1)
    expected = -2.3263478740408408 * (
        market["BTC/USDT"] * sigma["BTC"] + market["ETH/USDT"] * sigma["ETH"]
    )
    assert together.total_pnl == pytest.approx(expected, rel=1e-9)


async def test_sizing_uses_the_symbols_var_and_volatility(tmp_path, prices_dir):
    limits = RiskLimits(max_portfolio_risk_pct=2.0, risk_update_interval_s=0)
    async with PortfolioManager(config(limits, initial_capital=100_000), data_dir=tmp_path) as pm:
        await import_prices(pm, prices_dir, {"ETH/USDT": "ETH-USDT_1d"})
        price = last_close(prices_dir, "ETH-USDT_1d")
        sizing = await pm.risk_manager.calculate_optimal_position_size("ETH/USDT", price)
    table = closes(prices_dir, {"ETH": "ETH-USDT_1d"}).iloc[-366:]
    r = (table["ETH"] / table["ETH"].shift(1) - 1).iloc[1:].to_numpy()
    var = -np.quantile(r, 0.05)
    vol = r.std(ddof=1) * np.sqrt(365)
    fixed, target, _ = sizing.methods
    assert float(fixed.size) == pytest.approx(2_000 / (price * var), rel=1e-9)
    assert float(target.size) == pytest.approx(100_000 * 0.10 / vol / price, rel=1e-9)
    # the volatility target is the smaller size and within every limit (20 % would be more)
    assert sizing.method == "volatility_target" and sizing.check.action is RiskAction.ALLOW
    assert sizing.size == round_size_down(target.size)


async def test_sharpe_sortino_and_max_drawdown_come_from_the_equity_snapshots(tmp_path, prices_dir):
    btc = closes(prices_dir, {"BTC": "BTC-USDT_1d"})["BTC"].iloc[-200:]
    async with PortfolioManager(config(initial_capital=0), data_dir=tmp_path) as pm:
        for when, value in btc.items():  # an equity curve that follows BTC for 200 days
            equity = D(str(round(value, 2)))
            pm.store.record_equity_snapshot(
                when.to_pydatetime() + timedelta(hours=23),
                equity=equity,
                cash=equity,
                market_value=D(0),
                gross_exposure=D(0),
                net_flow=D(0),
            )
        await pm.store.flush()
        metrics = await pm.risk_manager.calculate_risk_metrics()
    r = (btc / btc.shift(1) - 1).iloc[1:].to_numpy()
    assert metrics.sharpe_ratio == pytest.approx(r.mean() / r.std(ddof=1) * np.sqrt(365), rel=1e-6)
    downside = np.sqrt(np.mean(np.minimum(r, 0) ** 2))
    assert metrics.sortino_ratio == pytest.approx(r.mean() / downside * np.sqrt(365), rel=1e-6)
    wealth = np.concatenate([[1.0], np.cumprod(1 + r)])
    drawdown = (wealth / np.maximum.accumulate(wealth) - 1).min()
    assert metrics.max_drawdown == pytest.approx(drawdown, rel=1e-6)


async def test_a_longer_lookback_set_live_reloads_the_history(tmp_path, prices_dir):
    async with PortfolioManager(config(initial_capital=100_000), data_dir=tmp_path) as pm:
        await import_prices(pm, prices_dir, {"BTC/USDT": "BTC-USDT_1d"})
        await pm.create_position("BTC/USDT", "long", "0.1", 90_000)
        year = await pm.risk_manager.calculate_risk_metrics()
        await pm.risk_manager.update_limits(var_lookback_days=730)
        two_years = await pm.risk_manager.calculate_risk_metrics()
    assert (year.history_observations, two_years.history_observations) == (366, 731)
