"""GRID: level crossings from price batches, exactly once per crossing, re-arming, state."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from desktop_app.execution import PaperExecutor
from desktop_app.portfolio import ConfigError, OrderSide, PortfolioManager, RebalanceConfig
from desktop_app.portfolio.grid import CellState, GridState
from desktop_app.portfolio.rebalance_plan import OutcomeStatus
from desktop_app.portfolio.rebalance_state import MemoryState
from desktop_app.portfolio.rebalancer import Rebalancer

from .rebalance_helpers import config

SYMBOL = "SOL/USDT"


async def move(pm: PortfolioManager, price) -> None:
    """One price batch, and wait for the grid's handler to finish trading it."""
    await pm.update_prices({SYMBOL: price})
    await pm.events.drain()


def grid_fills(pm: PortfolioManager) -> list[tuple[str, str]]:
    return [
        (f.side.value, format(f.level_price, "f")) for f in pm.rebalancer.grid.states[SYMBOL].fills
    ]


async def grid_portfolio(**rebalance) -> PortfolioManager:
    cfg = config(rebalance_config=RebalanceConfig(**rebalance)) if rebalance else config()
    pm = PortfolioManager(cfg, trade_executor=PaperExecutor(fee_rate=0, slippage_bps=0))
    await pm.initialize()
    await pm.update_prices({SYMBOL: 102})
    await pm.rebalancer.configure_grid(SYMBOL, lower=90, upper=110, levels=5, size_per_level=1)
    return pm


async def test_each_crossed_level_fills_exactly_once_and_re_arms_on_the_opposite_crossing():
    pm = await grid_portfolio()
    async with pm:
        state = pm.rebalancer.grid.states[SYMBOL]
        assert [format(p, "f") for p in state.spec.prices] == ["90", "95", "100", "105", "110"]
        await move(pm, 97)  # falls through 100: cell 2 buys
        await move(pm, 99)
        await move(pm, 96)  # back and forth inside a cell: nothing
        assert grid_fills(pm) == [("buy", "100")]
        await move(pm, 94)  # through 95: cell 1 buys
        await move(pm, 101)  # up through 100: the unit bought at 95 is sold
        await move(pm, "99.5")  # down through 100 again: cell 2 still holds its unit, no buy
        await move(pm, 106)  # up through 100 and 105: cell 2 sells at 105 (100 is no sell level)
        assert grid_fills(pm) == [("buy", "100"), ("buy", "95"), ("sell", "100"), ("sell", "105")]
        await move(pm, 89)  # a gap through four levels: each buys once
        assert grid_fills(pm)[4:] == [("buy", "105"), ("buy", "100"), ("buy", "95"), ("buy", "90")]
        state = pm.rebalancer.grid.states[SYMBOL]
        assert state.cells == (CellState.WAITING_TO_SELL,) * 4
        # the ledger agrees: four units held by the grid's own position
        (position,) = pm.get_open_positions()
        assert position.strategy == "grid" and position.size == 4 == state.inventory
        # every fill was booked through the executor at the batch's price
        assert [f.price for f in pm.position_tracker.recent_fills()][:4] == [D(89)] * 4


async def test_grid_fills_are_rebalances_in_the_history_with_events():
    events: list = []
    pm = await grid_portfolio()
    async with pm:
        pm.register_callback("rebalance_completed", events.append)
        await move(pm, 99)
        await move(pm, "99.9")  # no crossing, no event
        assert len(events) == 1 and events[0].strategy.value == "grid"
        (outcome,) = events[0].outcomes
        assert outcome.status is OutcomeStatus.FILLED and outcome.order.grid_cell == 2


async def test_a_paused_portfolio_lets_crossings_pass_untraded_and_reports_them():
    events: list = []
    pm = await grid_portfolio()
    async with pm:
        pm.register_callback("rebalance_completed", events.append)
        await pm.pause_portfolio()
        await move(pm, 97)
        assert grid_fills(pm) == [] and pm.get_open_positions() == []
        assert "grid crossings were not traded" in events[-1].reason
        await pm.resume_portfolio()
        await move(pm, 98)  # the missed crossing does not fire late
        assert grid_fills(pm) == []
        await move(pm, 94)
        assert grid_fills(pm) == [("buy", "95")]


async def test_a_refused_grid_order_leaves_its_cell_armed():
    async def no_sol(effect):
        from desktop_app.portfolio import RiskLimitError

        raise RiskLimitError("SOL limit")

    pm = await grid_portfolio()
    async with pm:
        pm.add_pre_trade_check(no_sol)
        await move(pm, 97)
        assert pm.rebalancer.grid.states[SYMBOL].cells[2] is CellState.WAITING_TO_BUY
        assert pm.rebalancer.history[-1].outcomes[0].status is OutcomeStatus.FAILED


async def test_dry_run_advances_the_price_without_trading():
    pm = await grid_portfolio(dry_run=True)
    async with pm:
        await move(pm, 97)
        state = pm.rebalancer.grid.states[SYMBOL]
        assert state.last_price == 97 and state.cells[2] is CellState.WAITING_TO_BUY
        assert pm.get_open_positions() == []
        assert pm.rebalancer.history[-1].dry_run


async def test_the_grid_plan_previews_pending_crossings_without_changing_the_grid():
    pm = await grid_portfolio()  # the market is at 102
    async with pm:
        grid = pm.rebalancer.grid
        grid.states[SYMBOL] = grid.states[SYMBOL].advanced(D(112))  # last processed: 112
        plan = await pm.rebalancer.create_rebalance_plan("grid")
        assert [(o.side, o.grid_cell, o.size) for o in plan.orders] == [(OrderSide.BUY, 3, 1)]
        assert grid.states[SYMBOL].last_price == 112  # a preview trades and moves nothing
        grid.states[SYMBOL] = grid.states[SYMBOL].advanced(D(99))  # rising: cells wait to buy
        assert not (await pm.rebalancer.create_rebalance_plan("grid")).has_orders


async def test_grid_state_round_trips_through_the_settings_store():
    shared = MemoryState()
    pm = await grid_portfolio()
    async with pm:
        await move(pm, 94)
        await move(pm, 101)
        await pm.rebalancer.grid.save()
        saved = pm.rebalancer.grid.states[SYMBOL]
        await shared.set_setting("rebalance.grids", {SYMBOL: saved.to_dict()})
        restarted = Rebalancer(pm, state=shared)
        await restarted.load()
        assert restarted.grid.states[SYMBOL] == saved
        assert GridState.from_dict(saved.to_dict()) == saved


async def test_bad_grids_are_refused():
    async with PortfolioManager(config()) as pm:
        with pytest.raises(ConfigError, match="upper price 90 must be above 110"):
            await pm.rebalancer.configure_grid(SYMBOL, 110, 90, 5, 1)
        with pytest.raises(ConfigError, match="2 to 1000 levels"):
            await pm.rebalancer.configure_grid(SYMBOL, 90, 110, 1, 1)
        with pytest.raises(ConfigError, match="below the minimum order value"):
            await pm.rebalancer.configure_grid(SYMBOL, 90, 110, 5, "0.01")
        assert not await pm.rebalancer.remove_grid(SYMBOL)


async def test_executing_a_grid_plan_by_hand_trades_it_once():
    pm = await grid_portfolio()
    async with pm:
        grid = pm.rebalancer.grid
        grid.states[SYMBOL] = grid.states[SYMBOL].advanced(D(112))
        result = await pm.rebalance_portfolio("grid")
        assert result.success and grid_fills(pm) == [("buy", "105")]
        assert grid.states[SYMBOL].last_price == 102
        again = await pm.rebalance_portfolio("grid")
        assert not again.outcomes and again.plan.reason == "no grid level was crossed"


async def test_a_grid_on_a_symbol_without_a_price_yet_does_not_block_the_others():
    pm = await grid_portfolio()
    async with pm:
        await pm.rebalancer.configure_grid("AVAX/USDT", 10, 30, 5, 1)  # no AVAX price yet
        assert pm.rebalancer.grid.states["AVAX/USDT"].last_price is None
        await move(pm, 97)
        assert grid_fills(pm) == [("buy", "100")]
        await pm.update_prices({"AVAX/USDT": 20})  # the first price only starts that grid
        await pm.events.drain()
        assert pm.rebalancer.grid.states["AVAX/USDT"].last_price == 20
        assert pm.rebalancer.grid.states["AVAX/USDT"].fills == ()
