"""Every strategy on the real Binance daily closes of BTC, ETH, SOL and ADA."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal as D

import numpy as np
import pandas as pd
import pytest

from desktop_app.execution import PaperExecutor
from desktop_app.portfolio import MemoryJournal, PortfolioManager, RebalanceConfig
from desktop_app.portfolio.daily_closes import FrameDailyCloses
from desktop_app.portfolio.dca import DcaStatus
from desktop_app.portfolio.rebalance_plan import OutcomeStatus
from desktop_app.portfolio.risk_parity import risk_contributions
from tests.execution.venues import assert_ledger_consistent

from .rebalance_helpers import REAL_SYMBOLS, config, real_daily_closes

TARGETS = {"BTC/USDT": 0.4, "ETH/USDT": 0.3, "SOL/USDT": 0.2, "ADA/USDT": 0.1}


@pytest.fixture
def closes(prices_dir) -> pd.DataFrame:
    return real_daily_closes(prices_dir)


def day_prices(row: pd.Series) -> dict[str, str]:
    return {symbol: repr(float(row[symbol])) for symbol in row.index}


async def at_day(pm: PortfolioManager, closes: pd.DataFrame, day: pd.Timestamp) -> None:
    """History up to ``day``, the clock at the day's close, the book marked at its closes."""
    pm.rebalancer.close_source = FrameDailyCloses(closes)
    moment = day.to_pydatetime() + timedelta(hours=23, minutes=59)
    pm.rebalancer.clock = lambda: moment
    await pm.update_prices(day_prices(closes.loc[day]), timestamp=moment)


async def test_threshold_rebalances_back_to_60_40_whenever_drift_passes_15_pp(closes):
    journal = MemoryJournal()
    path = closes.loc["2021-01-01":"2022-12-31", ["BTC/USDT", "ETH/USDT"]]
    cfg = config(
        target_allocations={"BTC/USDT": 0.6, "ETH/USDT": 0.4},
        rebalance_enabled=True,
        rebalance_config=RebalanceConfig(max_drift_pct=15.0, rebalance_interval_hours=24),
    )
    async with PortfolioManager(cfg, journal=journal) as pm:
        await at_day(pm, path, path.index[0])
        first = await pm.rebalance_portfolio("threshold")  # all cash: both 60 / 40 pp off
        assert first.success
        executed = []
        for day in path.index[1:]:
            await at_day(pm, path, day)
            result = await pm.rebalancer.auto_rebalance()
            if result.executed:
                executed.append(result)
                plan = result.plan
                assert plan.max_abs_drift_pct > 15.0
                assert result.success
                assert result.weights_after == pytest.approx(
                    {"BTC/USDT": 0.6, "ETH/USDT": 0.4}, abs=1e-6
                )
                assert result.cost == plan.estimated_cost  # fees + slippage, exactly
            else:
                assert "within the 15 pp limit" in result.reason or "not due" in result.reason
        assert len(executed) >= 1  # ETH outran BTC in 2021: the drift passed 15 pp
        assert_ledger_consistent(pm, journal)


@pytest.mark.parametrize("strategy", ["momentum", "mean_reversion"])
async def test_tilts_follow_the_real_trailing_returns(closes, strategy):
    day = pd.Timestamp("2024-03-31", tz="UTC")
    trailing = closes.loc[:day].iloc[-1] / closes.loc[:day].iloc[-31] - 1
    async with PortfolioManager(config(target_allocations=TARGETS)) as pm:
        await at_day(pm, closes, day)
        plan = await pm.rebalancer.create_rebalance_plan(strategy)
        goal = pd.Series(plan.target_weights)
        ratio = goal / pd.Series(TARGETS)
        best, worst = trailing.idxmax(), trailing.idxmin()
        if strategy == "momentum":
            assert ratio[best] == ratio.max() and ratio[worst] == ratio.min()
        else:
            assert ratio[best] == ratio.min() and ratio[worst] == ratio.max()
        assert ratio.between(0.5 - 1e-12, 1.5 + 1e-12).all()
        assert goal.sum() == pytest.approx(1.0, abs=1e-12)
        result = await pm.rebalancer.execute_rebalance_plan(plan)
        assert result.success
        assert result.weights_after == pytest.approx(plan.target_weights, abs=1e-6)


async def test_risk_parity_on_real_returns_equalises_risk_contributions(closes):
    day = pd.Timestamp("2025-06-30", tz="UTC")
    window = closes.loc[:day].iloc[-91:]
    cov = window.pct_change().iloc[1:].cov().to_numpy()
    async with PortfolioManager(config(target_allocations=TARGETS)) as pm:
        await at_day(pm, closes, day)
        plan = await pm.rebalancer.create_rebalance_plan("risk_parity")
        goal = np.array([plan.target_weights[s] for s in REAL_SYMBOLS])
        contributions = risk_contributions(goal, cov)
        assert np.max(np.abs(contributions - 0.25)) / 0.25 <= 1e-6
        assert goal.sum() == pytest.approx(1.0, abs=1e-12)
        result = await pm.rebalancer.execute_rebalance_plan(plan)
        held = np.array([result.weights_after[s] for s in REAL_SYMBOLS])
        assert held == pytest.approx(goal, abs=1e-6)


def reference_grid(prices: list[float], levels: list[float]) -> list[tuple[str, int]]:
    """An independent loop over the price path: (side, cell) of every expected grid fill."""
    holding = [False] * (len(levels) - 1)
    fills = []
    for previous, price in itertools.pairwise(prices):
        if price < previous:
            for cell in range(len(holding) - 1, -1, -1):
                if not holding[cell] and previous > levels[cell] >= price:
                    holding[cell] = True
                    fills.append(("buy", cell))
        elif price > previous:
            for cell in range(len(holding)):
                if holding[cell] and previous < levels[cell + 1] <= price:
                    holding[cell] = False
                    fills.append(("sell", cell))
    return fills


async def test_grid_on_the_real_2022_btc_path_fills_each_crossed_level_exactly_once(closes):
    path = closes.loc["2022-01-01":"2023-06-30", "BTC/USDT"]
    prices = [float(p) for p in path]
    executor = PaperExecutor()  # 0.1 % fee, 5 bps slippage
    journal = MemoryJournal()
    cfg = config(initial_capital=100_000, rebalance_config=RebalanceConfig(max_plan_age_s=86_400))
    async with PortfolioManager(cfg, journal=journal, trade_executor=executor) as pm:
        await pm.update_prices({"BTC/USDT": repr(prices[0])})
        state = await pm.rebalancer.configure_grid("BTC/USDT", 15_000, 50_000, 15, "0.01")
        levels = [float(level) for level in state.spec.prices]
        for price in prices[1:]:
            await pm.update_prices({"BTC/USDT": repr(price)})
            await pm.events.drain()
        state = pm.rebalancer.grid.states["BTC/USDT"]
        got = [(f.side.value, f.cell) for f in state.fills]
        expected = reference_grid(prices, levels)
        assert got == expected and len(expected) > 20
        outcomes = [o for r in pm.rebalancer.history for o in r.outcomes]
        assert all(o.status is OutcomeStatus.FILLED for o in outcomes)
        assert len(outcomes) == len(expected)
        grid_positions = [p for p in pm.get_open_positions() if p.strategy == "grid"]
        assert sum(p.size for p in grid_positions) == state.inventory
        assert_ledger_consistent(pm, journal)


async def test_scheduled_dca_on_real_prices_spends_the_budget_over_the_slices(closes):
    path = closes.loc["2023-01-01":"2023-03-31"]
    async with PortfolioManager(config(target_allocations=TARGETS)) as pm:
        await at_day(pm, path, path.index[0])
        start = pm.rebalancer.clock()
        schedule = await pm.rebalancer.schedule_dca(2_000, 10, 24 * 7, start=start)
        results = []
        for day in path.index:
            await at_day(pm, path, day)
            results += await pm.rebalancer.run_due()
        done = pm.rebalancer.dca.schedules[schedule.schedule_id]
        assert done.status is DcaStatus.COMPLETED and len(results) == 10
        assert done.allocated == D(2_000) and D(1_990) < done.spent <= D(2_000)
        assert pm.position_tracker.cash == D(10_000) - done.spent
        weights = pd.Series((await pm.get_portfolio_summary())["allocations"], dtype=float)
        assert set(weights.index) == set(TARGETS)  # every target asset was bought
