"""The rebalancer on a real SQLite Store: state across restarts, history, stored price bars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pandas as pd
import pytest

from desktop_app.execution import PaperExecutor
from desktop_app.portfolio import PortfolioManager
from desktop_app.portfolio.dca import DcaStatus

from .rebalance_helpers import REAL_SYMBOLS, config, real_daily_closes

pytest.importorskip("desktop_app.store", reason="the Store arrives with the storage branch")

SYMBOL = "SOL/USDT"
T0 = datetime(2025, 3, 1, tzinfo=UTC)


def zero_cost() -> PaperExecutor:
    return PaperExecutor(fee_rate=0, slippage_bps=0)


async def test_grid_dca_and_interval_state_survive_a_restart(tmp_path):
    targets = {"BTC/USDT": 0.5, "ETH/USDT": 0.5}
    cfg = config(target_allocations=targets)
    async with PortfolioManager(cfg, data_dir=tmp_path, trade_executor=zero_cost()) as pm:
        assert pm.store is not None
        pm.rebalancer.clock = lambda: T0
        await pm.update_prices({SYMBOL: 102, "BTC/USDT": 50_000, "ETH/USDT": 2_000})
        await pm.rebalancer.configure_grid(SYMBOL, 90, 110, 5, 1)
        for price in (97, 94, 101):
            await pm.update_prices({SYMBOL: price})
            await pm.events.drain()
        grid = pm.rebalancer.grid.states[SYMBOL]
        schedule = await pm.rebalancer.schedule_dca(1_000, 4, 24, start=T0)
        await pm.rebalancer.run_due(T0)
        dca = pm.rebalancer.dca.schedules[schedule.schedule_id]
        executed = await pm.rebalance_portfolio("threshold")
        history = [r.summary() for r in pm.rebalancer.history]
    async with PortfolioManager(cfg, data_dir=tmp_path, trade_executor=zero_cost()) as again:
        rebalancer = again.rebalancer
        assert rebalancer.grid.states[SYMBOL] == grid
        assert rebalancer.dca.schedules[schedule.schedule_id] == dca
        assert dca.completed == 1 and dca.status is DcaStatus.ACTIVE
        assert rebalancer.last_rebalance_at == executed.finished_at
        stored = await rebalancer.get_rebalance_history()
        assert [record["summary"] for record in stored] == history
        # the restored grid goes on from where it was: 101 → 99.5 crosses nothing armed
        await again.update_prices({SYMBOL: "99.5"})
        await again.events.drain()
        assert rebalancer.grid.states[SYMBOL].fills == grid.fills


async def test_momentum_and_risk_parity_read_the_stored_bars(tmp_path, prices_dir):
    closes = real_daily_closes(prices_dir).loc[:"2024-06-30"].iloc[-120:]
    targets = {"BTC/USDT": 0.4, "ETH/USDT": 0.3, "SOL/USDT": 0.2, "ADA/USDT": 0.1}
    async with PortfolioManager(config(target_allocations=targets), data_dir=tmp_path) as pm:
        for symbol in REAL_SYMBOLS:
            price = closes[symbol]
            bars = pd.DataFrame(
                {"open": price, "high": price, "low": price, "close": price, "volume": 0.0},
                index=closes.index,
            )
            await pm.store.write_bars(symbol, bars, interval_s=86_400)
        moment = closes.index[-1].to_pydatetime() + timedelta(hours=23)
        pm.rebalancer.clock = lambda: moment
        await pm.update_prices({s: repr(float(closes[s].iloc[-1])) for s in REAL_SYMBOLS})
        momentum = await pm.rebalancer.create_rebalance_plan("momentum")
        trailing = closes.iloc[-1] / closes.iloc[-31] - 1
        ratio = pd.Series(momentum.target_weights) / pd.Series(targets)
        assert ratio.idxmax() == trailing.idxmax() and ratio.idxmin() == trailing.idxmin()
        parity = await pm.rebalancer.create_rebalance_plan("risk_parity")
        assert sum(parity.target_weights.values()) == pytest.approx(1.0)
        result = await pm.rebalancer.execute_rebalance_plan(parity)
        assert result.success and result.equity_after < D(10_000)
