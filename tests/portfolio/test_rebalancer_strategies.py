"""MOMENTUM, MEAN_REVERSION, DCA and auto_rebalance on scripted prices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import (
    ComponentUnavailableError,
    MemoryJournal,
    PortfolioManager,
    RebalanceConfig,
    RebalanceError,
    RebalanceStrategy,
)
from desktop_app.portfolio.daily_closes import FrameDailyCloses
from desktop_app.portfolio.dca import DcaStatus
from desktop_app.portfolio.rebalance_plan import OutcomeStatus

from .rebalance_helpers import config, hold

T0 = datetime(2025, 3, 1, tzinfo=UTC)
TARGETS = {"BTC/USDT": 0.4, "ETH/USDT": 0.3, "SOL/USDT": 0.3}


def scripted_closes(days: int = 40) -> pd.DataFrame:
    """BTC +20 %, ETH flat, SOL −10 % over the last 30 days (daily, up to T0)."""
    index = pd.date_range(end=T0 - timedelta(days=1), periods=days, freq="1D", tz="UTC")
    ramp = np.clip(np.arange(days) - (days - 31), 0, None) / 30.0
    return pd.DataFrame(
        {
            "BTC/USDT": 50_000 * (1 + 0.2 * ramp),
            "ETH/USDT": np.full(days, 2_000.0),
            "SOL/USDT": 100 * (1 - 0.1 * ramp),
        },
        index=index,
    )


async def scripted_portfolio(pm: PortfolioManager, closes: pd.DataFrame) -> None:
    pm.rebalancer.close_source = FrameDailyCloses(closes)
    pm.rebalancer.clock = lambda: T0
    await pm.set_target_allocations(TARGETS)
    last = closes.iloc[-1]
    await pm.update_prices({s: str(last[s]) for s in TARGETS})


async def test_momentum_tilts_toward_the_best_trailing_return_within_bounds():
    async with PortfolioManager(config()) as pm:
        await scripted_portfolio(pm, scripted_closes())
        plan = await pm.rebalancer.create_rebalance_plan(RebalanceStrategy.MOMENTUM)
        goal = plan.target_weights
        # ranks +1 / 0 / −1, tilt ±50 %, then one shift keeps the invested share at 100 %
        assert goal == pytest.approx(
            {"BTC/USDT": 4 / 7, "ETH/USDT": 0.3 - 0.3 / 14, "SOL/USDT": 0.15}, rel=1e-12
        )
        assert sum(goal.values()) == pytest.approx(1.0, abs=1e-12)
        for symbol, base in TARGETS.items():
            assert base * 0.5 - 1e-12 <= goal[symbol] <= base * 1.5 + 1e-12
        result = await pm.rebalancer.execute_rebalance_plan(plan)
        assert result.success
        assert result.weights_after == pytest.approx(goal, abs=1e-6)


async def test_mean_reversion_tilts_away_from_the_outperformer():
    async with PortfolioManager(config()) as pm:
        await scripted_portfolio(pm, scripted_closes())
        plan = await pm.rebalancer.create_rebalance_plan("mean_reversion")
        goal = plan.target_weights
        assert goal["BTC/USDT"] < TARGETS["BTC/USDT"]
        assert goal["SOL/USDT"] > TARGETS["SOL/USDT"]
        # raw 0.2 / 0.3 / 0.45 sums to 0.95; SOL sits at its upper bound, the rest shifts up
        assert goal == pytest.approx(
            {"BTC/USDT": 0.2 + 0.4 / 14, "ETH/USDT": 0.3 + 0.3 / 14, "SOL/USDT": 0.45}, rel=1e-12
        )
        assert sum(goal.values()) == pytest.approx(1.0, abs=1e-12)


async def test_a_smaller_tilt_limit_keeps_targets_closer():
    rebalance = RebalanceConfig(max_tilt_pct=10.0, momentum_lookback_days=10)
    async with PortfolioManager(config(rebalance_config=rebalance)) as pm:
        await scripted_portfolio(pm, scripted_closes())
        goal = (await pm.rebalancer.create_rebalance_plan("momentum")).target_weights
        assert 0.4 < goal["BTC/USDT"] <= 0.44 + 1e-12
        assert 0.27 - 1e-12 <= goal["SOL/USDT"] < 0.3


async def test_too_little_history_is_a_clear_error():
    async with PortfolioManager(config()) as pm:
        await scripted_portfolio(pm, scripted_closes(days=20))
        with pytest.raises(RebalanceError, match="needs 31 daily closes per asset"):
            await pm.rebalancer.create_rebalance_plan("momentum")


async def test_without_a_database_the_lookback_strategies_say_what_is_missing():
    memory_only = PortfolioManager(config(target_allocations=TARGETS), journal=MemoryJournal())
    async with memory_only as pm:
        await pm.update_prices({"BTC/USDT": 1, "ETH/USDT": 1, "SOL/USDT": 1})
        with pytest.raises(ComponentUnavailableError, match="needs price history"):
            await pm.rebalancer.create_rebalance_plan("momentum")


async def test_an_empty_database_says_how_much_history_is_missing():
    async with PortfolioManager(config(target_allocations=TARGETS)) as pm:
        assert pm.store is not None
        await pm.update_prices({"BTC/USDT": 1, "ETH/USDT": 1, "SOL/USDT": 1})
        with pytest.raises(RebalanceError, match="BTC/USDT has 0, ETH/USDT has 0, SOL/USDT has 0"):
            await pm.rebalancer.create_rebalance_plan("momentum")


async def test_dca_rebalance_spends_the_amount_including_fees_through_the_executor():
    async with PortfolioManager(config()) as pm:
        await pm.update_prices({"SHIB/USDT": "0.00001"})
        result = await pm.rebalancer.dca_rebalance("shib/usdt", 100.0)
        assert result.success and result.strategy is RebalanceStrategy.DCA
        (outcome,) = result.outcomes
        spent = outcome.filled_size * outcome.fill_price + outcome.fee
        assert D("99.9999") < spent <= D(100)
        (position,) = pm.get_open_positions()
        assert position.strategy == "dca" and "dca" in position.tags
        assert pm.position_tracker.cash == D(10_000) - spent


async def test_dca_refuses_what_it_cannot_do():
    async with PortfolioManager(config(initial_capital=50)) as pm:
        await pm.update_prices({"BTC/USDT": 50_000})
        with pytest.raises(RebalanceError, match="below the minimum order value"):
            await pm.rebalancer.dca_rebalance("BTC/USDT", 5)
        with pytest.raises(RebalanceError, match="Not enough cash"):
            await pm.rebalancer.dca_rebalance("BTC/USDT", 100)


async def test_scheduled_dca_splits_the_budget_over_the_intervals_toward_the_targets():
    async with PortfolioManager(config()) as pm:
        pm.rebalancer.clock = lambda: T0
        await pm.set_target_allocations({"BTC/USDT": 0.5, "ETH/USDT": 0.5})
        await pm.update_prices({"BTC/USDT": 50_000, "ETH/USDT": 2_000})
        schedule = await pm.rebalancer.schedule_dca(1_000, 4, 24, start=T0)
        assert schedule.installment_amount == 250

        first = await pm.rebalancer.run_due(T0)
        assert len(first) == 1 and first[0].success
        assert {o.order.symbol for o in first[0].outcomes} == {"BTC/USDT", "ETH/USDT"}
        assert await pm.rebalancer.run_due(T0 + timedelta(hours=1)) == []  # not due yet

        # the app was closed for three days: the missed slices run together, budget exact
        catch_up = await pm.rebalancer.run_due(T0 + timedelta(days=3, hours=1))
        assert len(catch_up) == 1
        done = pm.rebalancer.dca.schedules[schedule.schedule_id]
        assert done.status is DcaStatus.COMPLETED and done.completed == 4
        assert done.allocated == D(1_000)
        assert D(999) < done.spent <= D(1_000)
        assert pm.position_tracker.cash == D(10_000) - done.spent


async def test_scheduled_dca_buys_the_most_underweight_asset_first():
    async with PortfolioManager(config()) as pm:
        pm.rebalancer.clock = lambda: T0
        await pm.set_target_allocations({"BTC/USDT": 0.5, "ETH/USDT": 0.5})
        await hold(pm, {"BTC/USDT": ("0.1", "50000")})  # BTC 50 %, ETH 0 %
        await pm.update_prices({"ETH/USDT": 2_000})
        await pm.rebalancer.schedule_dca(500, 2, 24, start=T0)
        (result,) = await pm.rebalancer.run_due(T0)
        assert [o.order.symbol for o in result.outcomes] == ["ETH/USDT"]


async def test_a_paused_portfolio_leaves_dca_slices_due():
    async with PortfolioManager(config(target_allocations={"BTC/USDT": 1.0})) as pm:
        pm.rebalancer.clock = lambda: T0
        await pm.update_prices({"BTC/USDT": 50_000})
        schedule = await pm.rebalancer.schedule_dca(200, 2, 24, start=T0)
        await pm.pause_portfolio()
        (waiting,) = await pm.rebalancer.run_due(T0)
        assert "it stays due" in waiting.reason and not waiting.executed
        assert pm.rebalancer.dca.schedules[schedule.schedule_id].completed == 0
        await pm.resume_portfolio()
        (bought,) = await pm.rebalancer.run_due(T0)
        assert bought.executed
        cancelled = await pm.rebalancer.cancel_dca(schedule.schedule_id)
        assert cancelled.status is DcaStatus.CANCELLED
        assert await pm.rebalancer.run_due(T0 + timedelta(days=5)) == []


async def test_a_failed_dca_slice_is_recorded_and_not_retried_forever():
    async with PortfolioManager(config(initial_capital=100)) as pm:
        pm.rebalancer.clock = lambda: T0
        await pm.set_target_allocations({"BTC/USDT": 1.0})
        await pm.update_prices({"BTC/USDT": 50_000})
        schedule = await pm.rebalancer.schedule_dca(1_000, 2, 24, start=T0)
        (result,) = await pm.rebalancer.run_due(T0)
        assert "not bought" in result.reason and "Not enough cash" in result.reason
        after = pm.rebalancer.dca.schedules[schedule.schedule_id]
        assert after.completed == 1 and after.spent == 0 and "Not enough cash" in after.last_message


async def test_auto_rebalance_says_why_it_did_or_did_not_trade():
    async with PortfolioManager(
        config(target_allocations={"BTC/USDT": 0.6, "ETH/USDT": 0.4})
    ) as pm:
        now = T0
        pm.rebalancer.clock = lambda: now
        await hold(pm, {"BTC/USDT": ("0.12", "50000"), "ETH/USDT": ("2", "2000")})
        off = await pm.rebalancer.auto_rebalance()
        assert not off.executed and "automatic rebalancing is off" in off.reason

        await pm.update_config(rebalance_enabled=True)
        calm = await pm.rebalancer.auto_rebalance()
        assert "within the 10 pp limit" in calm.reason

        await pm.update_prices({"BTC/USDT": 100_000})
        traded = await pm.rebalancer.auto_rebalance()
        assert traded.executed and traded.success

        await pm.update_prices({"BTC/USDT": 200_000})
        now = T0 + timedelta(hours=2)
        early = await pm.rebalancer.auto_rebalance()
        assert early.reason.startswith("not due: the next rebalance is allowed at 2025-03-02")

        now = T0 + timedelta(hours=25)
        await pm.pause_portfolio()
        paused = await pm.rebalancer.auto_rebalance()
        assert "automated trading is stopped" in paused.reason
        await pm.resume_portfolio()
        (again,) = await pm.rebalancer.run_due()
        assert again.executed and [o.status for o in again.outcomes] == [OutcomeStatus.FILLED] * 2
