"""The analytics on a real SQLite store: imported real prices, trades through the manager.

The manager stamps its own equity snapshots with the wall clock (right for live trading).
These tests replay years of real daily closes in a second, so each simulated day's snapshot
is written through the store's public ``record_equity_snapshot`` at that day's close, from
the manager's own summary; the reports are asked ``as_of`` the last simulated day, which
leaves the wall-clock snapshots of this very second out of every window.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import LotMethod, PortfolioConfig, PortfolioManager, RiskLimits

from .analytics_helpers import daily_bars

CLOSE = timedelta(hours=23, minutes=59, seconds=59)


def config(**changes) -> PortfolioConfig:
    settings = {
        "performance_update_interval_s": 0,
        "snapshot_interval_s": 0,
        "risk_limits": RiskLimits.disabled(),  # the analytics are under test, not the limits
        **changes,
    }
    return PortfolioConfig(**settings)


class Simulation:
    """Drives a manager over real daily closes and records the day-end snapshots."""

    def __init__(self, pm: PortfolioManager, closes: dict[str, pd.Series]) -> None:
        self.pm = pm
        self.closes = closes
        self.equity: list[float] = []
        self.flows: list[float] = []
        self.times: list[datetime] = []
        self._pending_flow = 0.0

    def price(self, symbol: str, day: pd.Timestamp) -> D:
        return D(repr(float(self.closes[symbol].loc[day])))

    async def deposit(self, amount: float) -> None:
        await self.pm.deposit(amount)
        self._pending_flow += amount

    async def close_day(self, day: pd.Timestamp) -> None:
        when = (day + CLOSE).to_pydatetime()
        await self.pm.update_prices(
            {symbol: self.price(symbol, day) for symbol in self.closes}, timestamp=when
        )
        summary = await self.pm.get_portfolio_summary()
        positions = summary["positions"]
        self.pm.store.record_equity_snapshot(
            when,
            equity=summary["total_value"],
            cash=summary["cash"],
            market_value=positions["total_market_value"],
            gross_exposure=positions["gross_exposure"],
            net_flow=D(repr(self._pending_flow)),
        )
        self.equity.append(float(summary["total_value"]))
        self.flows.append(self._pending_flow)
        self.times.append(when)
        self._pending_flow = 0.0

    @property
    def as_of(self) -> datetime:
        return self.times[-1]


async def import_prices(pm: PortfolioManager, prices_dir: Path, coins) -> dict[str, pd.Series]:
    closes = {}
    for coin in coins:
        symbol = f"{coin}/USDT"
        await pm.store.import_bars_csv(prices_dir / f"{coin}-USDT_1d.csv", symbol)
        closes[symbol] = daily_bars(prices_dir, coin)["close"]
    return closes


async def test_twr_ignores_a_deposit_made_mid_window_through_the_real_manager(tmp_path, prices_dir):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        closes = await import_prices(pm, prices_dir, ["BTC"])
        days = closes["BTC/USDT"].index[1000:1120]
        sim = Simulation(pm, closes)
        first = sim.price("BTC/USDT", days[0])
        at = (days[0] + timedelta(hours=12)).to_pydatetime()
        position = await pm.create_position(
            "BTC/USDT", "long", D(10_000) / first, first, timestamp=at
        )
        sim._pending_flow = 10_000.0  # the initial capital, before the first snapshot
        for i, day in enumerate(days):
            if i == 60:  # put 5,000 more in, all into BTC: still 100 % BTC
                await sim.deposit(5_000)
                price = sim.price("BTC/USDT", day)
                await pm.add_to_position(
                    position.position_id,
                    D(5_000) / price,
                    price,
                    timestamp=(day + timedelta(hours=12)).to_pydatetime(),
                )
            await sim.close_day(day)
        m = await pm.analytics.calculate_performance_metrics("all_time", as_of=sim.as_of)
        btc = closes["BTC/USDT"].loc[days].to_numpy()
        assert m.statistics.total_return == pytest.approx(btc[-1] / btc[0] - 1, rel=1e-9)
        assert m.equity.net_flows == pytest.approx(5_000)
        # the money-weighted return does weigh the deposit's timing
        assert m.money_weighted_return is not None
        assert m.money_weighted_return != pytest.approx(
            (1 + m.statistics.total_return) ** (365 / len(days)) - 1, rel=1e-3
        )


async def run_book(pm: PortfolioManager, prices_dir: Path, days: int = 500) -> Simulation:
    """Two coins, three strategies, fees, a partial close, a deposit, a withdrawal."""
    closes = await import_prices(pm, prices_dir, ["BTC", "ETH"])
    dates = closes["BTC/USDT"].index[1200 : 1200 + days]
    sim = Simulation(pm, closes)
    sim._pending_flow = float(pm.config.initial_capital)
    await pm.set_target_allocations({"BTC/USDT": 0.5, "ETH/USDT": 0.3})
    positions = []
    for i, day in enumerate(dates):
        noon = (day + timedelta(hours=12)).to_pydatetime()
        btc, eth = sim.price("BTC/USDT", day), sim.price("ETH/USDT", day)
        if i % 50 == 1:
            positions.append(
                await pm.create_position(
                    "BTC/USDT",
                    "long",
                    "0.02",
                    btc,
                    fee=1,
                    timestamp=noon,
                    strategy="trend",
                    tags="core",
                )
            )
        if i % 70 == 3:
            positions.append(
                await pm.create_position(
                    "ETH/USDT", "long", "0.5", eth, fee="0.5", timestamp=noon, strategy="swing"
                )
            )
        if i % 90 == 5:
            positions.append(
                await pm.create_position(
                    "ETH/USDT", "short", "0.3", eth, fee="0.3", timestamp=noon, strategy="hedge"
                )
            )
        if i % 40 == 20 and positions:
            target = positions.pop(0)
            price = btc if target.symbol == "BTC/USDT" else eth
            await pm.close_position(target.position_id, price, fee=1, timestamp=noon)
        if i == 250:
            await sim.deposit(3_000)
        if i == 400:
            await pm.withdraw(1_000)
            sim._pending_flow -= 1_000
        await sim.close_day(day)
    return sim


async def test_a_report_from_the_store_matches_plain_numpy_and_adds_up(tmp_path, prices_dir):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        sim = await run_book(pm, prices_dir)
        report = await pm.analytics.generate_performance_report("all_time", as_of=sim.as_of)
        summary = await pm.get_portfolio_summary()
    equity, flows = np.array(sim.equity), np.array(sim.flows)
    twr = (equity[1:] - flows[1:]) / equity[:-1] - 1
    s = report.metrics.statistics
    assert s.periods == twr.size
    assert s.total_return == pytest.approx(np.prod(1 + twr) - 1, rel=1e-9)
    assert s.volatility == pytest.approx(np.std(twr, ddof=1) * np.sqrt(365), rel=1e-9)
    btc = sim.closes["BTC/USDT"].loc[[pd.Timestamp(t).normalize() for t in sim.times]].to_numpy()
    b = btc[1:] / btc[:-1] - 1
    beta = np.cov(twr, b, ddof=1)[0, 1] / np.var(b, ddof=1)
    assert report.metrics.benchmark.relative.beta == pytest.approx(beta, rel=1e-9)
    a = report.attribution
    assert a.unexplained == pytest.approx(0.0, abs=1e-9)  # snapshots marked at the bars
    assert sum(r.contribution for r in a.by_asset) == pytest.approx(a.total_return, rel=1e-12)
    assert sum(e.total for e in a.allocation_selection) == pytest.approx(a.active_return)
    assert sum(r.pnl for r in a.by_strategy) == pytest.approx(float(summary["total_pnl"]), rel=1e-9)
    assert {r.key for r in a.by_strategy} == {"trend", "swing", "hedge"}
    closed_pnl = sum(float(p.realized_pnl) for p in pm.position_tracker.get_closed_positions())
    assert report.metrics.trades.net_pnl == pytest.approx(closed_pnl)


async def test_gains_equal_realized_pnl_after_liquidation_and_survive_a_restart(
    tmp_path, prices_dir
):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        sim = await run_book(pm, prices_dir, days=300)
        await pm.liquidate_portfolio()
        realized = pm.position_tracker.realized_pnl
        before = await pm.analytics.calculate_performance_metrics("yearly", as_of=sim.as_of)
    async with PortfolioManager(config(), data_dir=tmp_path) as again:
        for method in LotMethod:
            gains = await again.analytics.calculate_realized_gains(method)
            assert gains.totals.gain == realized, method
        after = await again.analytics.calculate_performance_metrics("yearly", as_of=sim.as_of)
    assert after.statistics == before.statistics
    assert after.trades == before.trades


async def test_a_new_fill_shows_in_the_next_report_at_once(tmp_path, prices_dir):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        sim = await run_book(pm, prices_dir, days=120)
        before = await pm.analytics.generate_performance_report(as_of=sim.as_of)
        position = pm.get_open_positions()[0]
        closed_at = sim.as_of + timedelta(minutes=1)
        await pm.close_position(position.position_id, position.current_price, timestamp=closed_at)
        after = await pm.analytics.generate_performance_report(as_of=closed_at)
    counts = [r.realized_gains.totals.disposals for r in (before, after)]
    assert counts[1] > counts[0]
    assert after.metrics.trades.trades == before.metrics.trades.trades + 1
    assert [t.disposals for t in after.realized_gains_by_method] == [counts[1]] * 4


async def test_exports_land_in_the_data_folders_analytics_directory(tmp_path, prices_dir):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        await run_book(pm, prices_dir, days=120)
        json_path = await pm.analytics.export_analytics("json")
        csv_path = await pm.analytics.export_analytics("csv", period="monthly")
        companions = pm.analytics.last_export_files[1:]
        html_path = await pm.analytics.export_analytics("html")
        gains_path = await pm.analytics.export_realized_gains("hifo")
    folder = tmp_path / "analytics"
    for path in (json_path, csv_path, html_path, gains_path, *companions):
        assert path.parent == folder and path.stat().st_size > 0
    assert not list(folder.glob(".*.partial"))
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["metrics"]["benchmark"]["name"] == "BTC/USDT"
    html = html_path.read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "Allocation vs selection" in html
    total = data["metrics"]["statistics"]["total_return"]
    assert f"{total * 100:,.2f} %" in html
    with gains_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {row["method"] for row in rows} == {"hifo"}


async def test_the_dashboard_reads_the_curve_once_and_rebuilds_only_on_new_snapshots(tmp_path):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        await pm.create_position("BTC/USDT", "long", "0.1", 40_000)  # a snapshot after it
        await pm.update_prices({"BTC/USDT": 44_000})  # marks move; no snapshot
        first = await pm.analytics.get_dashboard_data()
        view = pm.analytics._view
        again = await pm.analytics.get_dashboard_data()
        assert pm.analytics._view is view  # nothing new in the store: nothing rebuilt
        await pm.deposit(1_000)  # the manager snapshots 11,400 with a 1,000 flow
        after = await pm.analytics.get_dashboard_data()
        assert pm.analytics._view is not view
    assert first.equity == again.equity == pytest.approx(10_400)
    assert first.equity_curve.values[-1] == pytest.approx(10_400)  # the live point
    # BTC +10 % on 4,000 of 10,000: +4 %; the deposit after it is not return
    assert first.return_since_inception == pytest.approx(0.04, rel=1e-12)
    assert after.return_since_inception == pytest.approx(0.04, rel=1e-12)
    assert after.drawdown_curve.values.max() == 0.0 and after.return_24h is None
    assert after.net_deposits == pytest.approx(11_000)
    slices = {s.key: s for s in after.allocation}
    assert slices["BTC/USDT"].weight == pytest.approx(4_400 / 11_400)
    assert slices["cash"].weight == pytest.approx(7_000 / 11_400)
    assert not after.notes


async def test_top_movers_rank_held_symbols_by_their_24_hour_change_from_stored_bars(tmp_path):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    index = pd.date_range(now - timedelta(hours=30), now, freq="min", tz="UTC")
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        for symbol, day_ago_price in (("BTC/USDT", 40_000.0), ("ETH/USDT", 2_000.0)):
            close = np.where(index <= now - timedelta(days=1), day_ago_price, day_ago_price * 2)
            bars = pd.DataFrame(
                {"open": close, "high": close, "low": close, "close": close, "volume": 1.0},
                index=index,
            )
            await pm.store.write_bars(symbol, bars)
        await pm.create_position("BTC/USDT", "long", "0.01", 40_000)
        await pm.create_position("ETH/USDT", "long", "0.1", 2_000)
        await pm.update_prices({"BTC/USDT": 42_000, "ETH/USDT": 2_300})
        dashboard = await pm.analytics.get_dashboard_data()
    movers = {m.symbol: m for m in dashboard.top_movers}
    assert movers["BTC/USDT"].change_24h == pytest.approx(0.05)
    assert movers["ETH/USDT"].change_24h == pytest.approx(0.15)
    assert [m.symbol for m in dashboard.top_movers] == ["ETH/USDT", "BTC/USDT"]
