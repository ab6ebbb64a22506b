"""The risk model's horizon on mixed-resolution history: hourly only where hourly-or-finer
bars cover the window, else daily, never a mix (``desktop_app/portfolio/risk_model.py``).

Real daily and hourly files are imported into real stores; references are plain numpy on
the CSV files, sharing no code with the engine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import PortfolioConfig, PortfolioManager, RiskLimits
from desktop_app.portfolio.price_history import SymbolHistory, bin_closes
from desktop_app.portfolio.risk_model import build_panel

ROOMY = {
    "max_single_position_pct": 100.0,
    "max_symbol_exposure_pct": 100.0,
    "max_portfolio_risk_pct": None,
}
HELD = {"BTC/USDT": 40_000.0, "ETH/USDT": 25_000.0}


def config() -> PortfolioConfig:
    return PortfolioConfig(
        initial_capital=100_000,
        performance_update_interval_s=0,
        snapshot_interval_s=0,
        risk_limits=RiskLimits(risk_update_interval_s=0, **ROOMY),
    )


def file_bars(prices_dir: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(prices_dir / f"{name}.csv", parse_dates=["timestamp"])
    return frame.set_index("timestamp")


def live_minutes(day: pd.Series) -> pd.DataFrame:
    """A day of 1-minute bars walking from the daily bar's open to its close."""
    index = pd.date_range(day.name, periods=1_440, freq="1min", name="timestamp")
    close = np.linspace(day["open"], day["close"], 1_440)
    return pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 0.5}, index=index
    )


async def var_with_history(folder: Path, prices_dir: Path, live_days: int):
    """Metrics of the same two positions on daily history plus ``live_days`` of minutes."""
    async with PortfolioManager(config(), data_dir=folder) as pm:
        for symbol in HELD:
            name = f"{symbol.split('/')[0]}-USDT_1d"
            await pm.store.import_bars_csv(prices_dir / f"{name}.csv", symbol)
            daily = file_bars(prices_dir, name)
            for _, day in daily.iloc[len(daily) - live_days :].iterrows():
                await pm.store.write_bars(symbol, live_minutes(day))
        for symbol, value in HELD.items():
            price = float(
                file_bars(prices_dir, f"{symbol.split('/')[0]}-USDT_1d")["close"].iloc[-1]
            )
            await pm.create_position(symbol, "long", round(value / price, 8), price)
        metrics = await pm.risk_manager.calculate_risk_metrics()
        weights = {
            p.symbol: float(p.market_value) / metrics.equity for p in pm.get_open_positions()
        }
    return metrics, weights


async def test_daily_history_with_days_of_live_minutes_is_sampled_daily_like_pure_history(
    tmp_path, prices_dir
):
    mixed, weights = await var_with_history(tmp_path / "mixed", prices_dir, live_days=2)
    pure, _ = await var_with_history(tmp_path / "pure", prices_dir, live_days=0)
    # 2,880 minute bars against a year of days: hourly bars cover two days, so daily it is
    assert mixed.history_sampling == pure.history_sampling == "D"
    assert mixed.history_observations == pure.history_observations == 366
    closes = pd.concat(
        {s: file_bars(prices_dir, f"{s.split('/')[0]}-USDT_1d")["close"] for s in HELD}, axis=1
    ).iloc[-366:]
    returns = (closes / closes.shift(1) - 1).iloc[1:].to_numpy()
    r = returns @ np.array([weights[s] for s in closes.columns])
    for level in (95, 99):
        expected = -np.quantile(r, 1 - level / 100)
        assert getattr(mixed, f"var_{level}") == pytest.approx(expected, rel=1e-12)
        assert getattr(mixed, f"var_{level}") == pytest.approx(getattr(pure, f"var_{level}"))
    assert mixed.portfolio_volatility == pytest.approx(pure.portfolio_volatility, rel=1e-12)


async def test_hourly_bars_covering_the_window_are_sampled_hourly_beside_daily_history(
    tmp_path, prices_dir
):
    results = {}
    for files in (("SOL-USDT_1h",), ("SOL-USDT_1d", "SOL-USDT_1h")):
        async with PortfolioManager(config(), data_dir=tmp_path / "-".join(files)) as pm:
            for name in files:
                await pm.store.import_bars_csv(prices_dir / f"{name}.csv", "SOL/USDT")
            price = float(file_bars(prices_dir, "SOL-USDT_1h")["close"].iloc[-1])
            await pm.create_position("SOL/USDT", "long", round(30_000 / price, 6), price)
            results[files] = await pm.risk_manager.calculate_risk_metrics()
    hourly_only, both = results.values()
    assert both.history_sampling == hourly_only.history_sampling == "h"
    assert both.history_observations == 365 * 24 + 1
    assert both.var_95 == hourly_only.var_95 and both.var_99 == hourly_only.var_99


def history(symbol: str, bars: pd.DataFrame) -> SymbolHistory:
    return SymbolHistory(symbol, *bin_closes(bars), bars.index.max().to_pydatetime())


def synthetic(start: str, periods: int, freq: str, interval_s: int, seed: int) -> pd.DataFrame:
    index = pd.date_range(start, periods=periods, freq=freq, tz="UTC", name="timestamp")
    close = 100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, periods)))
    return pd.DataFrame({"close": close, "interval_s": interval_s}, index=index)


def test_a_hole_of_days_in_the_hourly_bars_samples_the_panel_daily():
    hours = synthetic("2025-01-01", 60 * 24, "h", 3_600, 1)
    holed = hours.drop(hours.loc["2025-01-20":"2025-01-22"].index)  # the app was closed
    whole = build_panel({"BTC/USDT": history("BTC/USDT", hours)}, ["BTC/USDT"], 365)
    panel = build_panel({"BTC/USDT": history("BTC/USDT", holed)}, ["BTC/USDT"], 365)
    assert whole.sampling == "h" and whole.periods == 60 * 24
    assert panel.sampling == "D" and panel.periods == 60
    assert "do not cover the 59-day window" in panel.notes[0]
    daily = holed["close"].resample("D").last()
    np.testing.assert_array_equal(panel.closes[:, 0], daily.ffill().to_numpy())


def test_hourly_bars_that_start_late_or_stop_early_leave_the_panel_daily():
    days = synthetic("2024-01-01", 400, "D", 86_400, 2)
    recent_hours = synthetic("2025-01-20", 14 * 24, "h", 3_600, 3)  # the last two weeks
    early_hours = synthetic("2024-01-01", 300 * 24, "h", 3_600, 4)  # stops at day 300
    late = pd.concat([days[days.index < "2025-01-20"], recent_hours])
    early = pd.concat([early_hours, days[days.index >= "2024-10-27"]])
    for bars in (late, early):
        panel = build_panel({"ETH/USDT": history("ETH/USDT", bars)}, ["ETH/USDT"], 365)
        assert panel.sampling == "D" and panel.periods == 366
        assert panel.periods_per_year == 365
    # a daily symbol beside an hourly one puts the whole panel on the daily grid
    both = {"ETH/USDT": history("ETH/USDT", days), "BTC/USDT": history("BTC/USDT", early_hours)}
    assert build_panel(both, ["BTC/USDT", "ETH/USDT"], 90).sampling == "D"
