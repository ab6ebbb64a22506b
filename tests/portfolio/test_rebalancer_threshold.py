"""THRESHOLD rebalancing and the execution rules every plan follows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from desktop_app.execution import PaperExecutor
from desktop_app.portfolio import (
    MemoryJournal,
    OrderSide,
    PortfolioManager,
    PortfolioStatus,
    RebalanceConfig,
    RebalanceError,
    RebalanceStrategy,
    RiskLimitError,
    TradingHaltedError,
)
from desktop_app.portfolio.rebalance_plan import OutcomeStatus
from desktop_app.portfolio.values import utc_now
from tests.execution.venues import RefusingExecutor, assert_ledger_consistent

from .rebalance_helpers import config, drifted_60_40, hold

BPS = D(10_000)


async def test_threshold_plan_brings_a_drifted_60_40_back_and_costs_fees_plus_slippage():
    journal = MemoryJournal()
    async with PortfolioManager(config(), journal=journal) as pm:
        await drifted_60_40(pm)
        plan = await pm.rebalancer.create_rebalance_plan(RebalanceStrategy.THRESHOLD)
        assert plan.executable and plan.strategy is RebalanceStrategy.THRESHOLD
        assert plan.weights_before == pytest.approx({"BTC/USDT": 0.75, "ETH/USDT": 0.25})
        assert plan.drift_pct == pytest.approx({"BTC/USDT": 15.0, "ETH/USDT": -15.0})
        assert [(o.symbol, o.side) for o in plan.orders] == [
            ("BTC/USDT", OrderSide.SELL),  # sells first: they pay for the buys
            ("ETH/USDT", OrderSide.BUY),
        ]
        # the estimate is the cost model, order by order
        fee_rate, slip = D("0.001"), D(5) / BPS
        expected = sum(
            o.size * o.mark_price * slip
            + o.size * o.mark_price * (1 + o.side.sign * slip) * fee_rate
            for o in plan.orders
        )
        assert plan.estimated_cost == expected
        assert plan.weights_after == pytest.approx({"BTC/USDT": 0.6, "ETH/USDT": 0.4}, abs=1e-6)

        result = await pm.rebalancer.execute_rebalance_plan(plan)
        assert result.success and result.executed and not result.failed
        assert result.weights_after == pytest.approx({"BTC/USDT": 0.6, "ETH/USDT": 0.4}, abs=1e-6)
        # paper fills cost exactly what the plan estimated: fees + slippage
        assert result.cost == plan.estimated_cost
        booked = pm.position_tracker.recent_fills(limit=2)
        assert result.fees == sum(fill.fee for fill in booked)
        summary = await pm.get_portfolio_summary()
        assert summary["total_value"] == D(16_000) - result.cost
        assert summary["cash"] >= 0
        assert_ledger_consistent(pm, journal)


async def test_only_the_assets_beyond_the_drift_limit_are_traded():
    async with PortfolioManager(config()) as pm:  # moderate preset: 10 pp
        await pm.set_target_allocations({"BTC/USDT": 0.5, "ETH/USDT": 0.3, "SOL/USDT": 0.2})
        await hold(
            pm,
            {"BTC/USDT": ("0.1", "62000"), "ETH/USDT": ("1.05", "2000"), "SOL/USDT": ("17", "100")},
        )
        plan = await pm.rebalancer.create_rebalance_plan("threshold")
        assert plan.drift_pct == pytest.approx({"BTC/USDT": 12, "ETH/USDT": -9, "SOL/USDT": -3})
        assert [(o.symbol, o.side) for o in plan.orders] == [("BTC/USDT", OrderSide.SELL)]
        result = await pm.rebalancer.execute_rebalance_plan(plan)
        weights = result.weights_after
        assert weights["BTC/USDT"] == pytest.approx(0.5, abs=1e-6)
        assert weights["ETH/USDT"] == pytest.approx(0.21, abs=1e-3)  # untouched
        assert weights["SOL/USDT"] == pytest.approx(0.17, abs=1e-3)


async def test_no_drift_beyond_the_limit_means_an_empty_plan_that_says_why():
    async with PortfolioManager(config(rebalance_threshold_pct=20)) as pm:
        await drifted_60_40(pm)
        plan = await pm.rebalancer.create_rebalance_plan()
        assert not plan.has_orders and plan.executable
        assert "no asset drifted more than 20 pp" in plan.reason
        result = await pm.rebalancer.execute_rebalance_plan(plan)
        assert result.success and not result.executed


async def test_a_plan_costlier_than_the_limit_is_not_executable_and_trades_nothing():
    limits = RebalanceConfig(max_rebalance_cost_pct=0.02)
    async with PortfolioManager(config(rebalance_config=limits)) as pm:
        await drifted_60_40(pm)
        plan = await pm.rebalancer.create_rebalance_plan()
        assert not plan.executable
        assert "above the 0.02 % limit (max_rebalance_cost_pct)" in plan.reason
        assert plan.estimated_cost_pct > 0.02
        sequence = pm.position_tracker.sequence
        result = await pm.rebalancer.execute_rebalance_plan(plan)
        assert not result and not result.executed and "not executed" in result.reason
        assert pm.position_tracker.sequence == sequence


async def test_dry_run_reports_the_orders_and_trades_nothing():
    events: list = []
    async with PortfolioManager(config(rebalance_config=RebalanceConfig(dry_run=True))) as pm:
        pm.register_callback("rebalance_completed", events.append)
        await drifted_60_40(pm)
        sequence = pm.position_tracker.sequence
        result = await pm.rebalance_portfolio(RebalanceStrategy.THRESHOLD)
        assert result.dry_run and not result.executed
        assert [o.status for o in result.outcomes] == [OutcomeStatus.DRY_RUN] * 2
        assert pm.position_tracker.sequence == sequence
        assert events == [result]


async def test_paused_portfolio_previews_but_refuses_to_execute():
    async with PortfolioManager(config()) as pm:
        await drifted_60_40(pm)
        await pm.pause_portfolio("CPI release")
        plan = await pm.rebalancer.create_rebalance_plan()
        assert plan.has_orders
        with pytest.raises(TradingHaltedError, match="Automated trading is stopped while paused"):
            await pm.rebalancer.execute_rebalance_plan(plan)
        assert len(pm.get_open_positions()) == 2


async def test_reducing_only_portfolio_places_the_sells_and_skips_the_buys():
    async with PortfolioManager(config()) as pm:
        await drifted_60_40(pm)
        plan = await pm.rebalancer.create_rebalance_plan()
        await pm.halt(PortfolioStatus.REDUCING, "drawdown limit")  # a circuit breaker's action
        result = await pm.rebalancer.execute_rebalance_plan(plan)
        sell, buy = result.outcomes
        assert sell.status is OutcomeStatus.FILLED
        assert buy.status is OutcomeStatus.SKIPPED and "reducing-only" in buy.message


async def test_a_refused_order_leaves_a_consistent_ledger_and_an_exact_report():
    journal = MemoryJournal()
    executor = RefusingExecutor({"ETH/USDT"})
    async with PortfolioManager(config(), journal=journal, trade_executor=executor) as pm:
        await pm.set_target_allocations({"BTC/USDT": 0.5, "ETH/USDT": 0.25, "SOL/USDT": 0.25})
        await hold(
            pm,
            {"BTC/USDT": ("0.16", "50000"), "ETH/USDT": ("0.5", "2000"), "SOL/USDT": ("10", "100")},
        )
        result = await pm.rebalance_portfolio("threshold")
        by_symbol = {o.order.symbol: o for o in result.outcomes}
        assert by_symbol["BTC/USDT"].status is OutcomeStatus.FILLED
        assert by_symbol["SOL/USDT"].status is OutcomeStatus.FILLED
        eth = by_symbol["ETH/USDT"]
        assert eth.status is OutcomeStatus.FAILED and eth.filled_size == 0
        assert eth.message == "ETH/USDT is not tradable on this venue"
        assert not result and result.failed == (eth,)
        assert "2 filled, 1 failed" in result.summary()
        # the ledger holds exactly the two fills, and the cash ETH did not use
        fills = pm.position_tracker.recent_fills(limit=2)
        assert {f.symbol for f in fills} == {"BTC/USDT", "SOL/USDT"}
        assert {f.fill_id for f in fills} == {i for o in result.filled for i in o.fill_ids}
        assert result.weights_after["ETH/USDT"] == pytest.approx(0.1, abs=1e-3)
        assert_ledger_consistent(pm, journal)


async def test_buys_shrink_to_the_cash_left_when_a_sell_fails():
    journal = MemoryJournal()
    executor = RefusingExecutor({"BTC/USDT"})
    async with PortfolioManager(config(), journal=journal, trade_executor=executor) as pm:
        await drifted_60_40(pm)
        await pm.deposit(500)  # some cash, far less than the buy needs
        result = await pm.rebalance_portfolio("threshold")
        sell, buy = result.outcomes
        assert sell.status is OutcomeStatus.FAILED
        assert buy.status is OutcomeStatus.PARTIALLY_FILLED
        assert "not enough cash" in buy.message and buy.filled_size < buy.order.size
        assert D(0) <= pm.position_tracker.cash < D(1)
        assert_ledger_consistent(pm, journal)


async def test_every_rebalance_order_passes_the_pre_trade_checks():
    seen: list[str] = []

    async def no_new_eth(effect):
        seen.append(effect.fill.symbol)
        if effect.fill.symbol == "ETH/USDT" and effect.fill.side is OrderSide.BUY:
            raise RiskLimitError("ETH exposure limit reached", limit="max_single_position_pct")

    async with PortfolioManager(config()) as pm:
        await drifted_60_40(pm)
        pm.add_pre_trade_check(no_new_eth)
        result = await pm.rebalance_portfolio()
        assert seen == ["BTC/USDT", "ETH/USDT"]
        assert result.outcomes[1].status is OutcomeStatus.FAILED
        assert "ETH exposure limit reached" in result.outcomes[1].message


async def test_rebalance_completed_fires_and_history_keeps_the_result():
    events: list = []
    async with PortfolioManager(config()) as pm:
        pm.register_callback("rebalance_completed", events.append)
        await drifted_60_40(pm)
        result = await pm.rebalance_portfolio()
        assert events == [result]
        assert pm.rebalancer.history[-1] is result
        stored = await pm.rebalancer.get_rebalance_history()
        assert stored[-1]["summary"] == result.summary()
        assert stored[-1]["plan"]["orders"][0]["side"] == "sell"
        assert pm.rebalancer.last_rebalance_at == result.finished_at


async def test_a_stale_plan_is_refused():
    async with PortfolioManager(config()) as pm:
        await drifted_60_40(pm)
        plan = await pm.rebalancer.create_rebalance_plan()
        later = utc_now() + timedelta(minutes=10)
        pm.rebalancer.clock = lambda: later
        with pytest.raises(RebalanceError, match="prices are stale"):
            await pm.rebalancer.execute_rebalance_plan(plan)


async def test_orders_below_the_minimum_value_are_skipped_with_a_reason():
    async with PortfolioManager(config(initial_capital=50, rebalance_threshold_pct=5)) as pm:
        await pm.set_target_allocations({"BTC/USDT": 0.5, "ETH/USDT": 0.5})
        await hold(pm, {"BTC/USDT": ("0.0006", "50000"), "ETH/USDT": ("0.01", "2000")})
        plan = await pm.rebalancer.create_rebalance_plan()  # 60/40: two ≈5 USDT orders
        assert not plan.has_orders and [s for s, _ in plan.skipped] == ["BTC/USDT", "ETH/USDT"]
        assert "below the minimum order value of 10" in plan.skipped[0][1]
        assert plan.reason.startswith("nothing to trade: BTC/USDT sell of 0.0001")


async def test_a_short_is_covered_before_buying_toward_a_positive_target():
    async with PortfolioManager(config(), trade_executor=PaperExecutor()) as pm:
        await pm.set_target_allocations({"ETH/USDT": 0.5})
        await pm.create_position("ETH/USDT", "short", 1, 2_000)
        await pm.update_prices({"ETH/USDT": 2_000})
        plan = await pm.rebalancer.create_rebalance_plan()
        cover, buy = plan.orders
        assert cover.reduce_only and cover.size == 1 and not buy.reduce_only
        result = await pm.rebalancer.execute_rebalance_plan(plan)
        assert result.success
        assert [p.position_type.value for p in pm.get_open_positions()] == ["long"]
        assert result.weights_after["ETH/USDT"] == pytest.approx(0.5, abs=1e-6)


async def test_targets_are_required_and_the_message_says_so():
    async with PortfolioManager(config()) as pm:
        with pytest.raises(RebalanceError, match="needs target allocations"):
            await pm.rebalance_portfolio("threshold")


async def test_lot_size_of_the_executor_rounds_the_sizes_down():
    executor = PaperExecutor(lot_sizes={"BTC/USDT": "0.001", "ETH/USDT": "0.01"})
    async with PortfolioManager(config(), trade_executor=executor) as pm:
        await drifted_60_40(pm)
        plan = await pm.rebalancer.create_rebalance_plan()
        assert all(o.size % executor.lot_size(o.symbol) == 0 for o in plan.orders)
        assert (await pm.rebalancer.execute_rebalance_plan(plan)).success


async def test_a_holding_without_a_target_counts_as_a_zero_target():
    async with PortfolioManager(config()) as pm:
        await pm.set_target_allocations({"BTC/USDT": 0.5})
        await hold(pm, {"BTC/USDT": ("0.1", "50000"), "DOGE/USDT": ("15000", "0.1")})
        plan = await pm.rebalancer.create_rebalance_plan()
        assert plan.drift_pct["DOGE/USDT"] == pytest.approx(15.0)
        (sell,) = [o for o in plan.orders if o.symbol == "DOGE/USDT"]
        assert sell.side is OrderSide.SELL and sell.size == 15_000  # the whole holding


async def test_a_buy_the_risk_limits_allow_only_in_part_is_placed_at_the_allowed_size():
    async def cap_eth(effect):
        fill = effect.fill
        if fill.symbol == "ETH/USDT" and fill.side is OrderSide.BUY and fill.size > 1:
            raise RiskLimitError(
                "ETH would exceed its exposure limit",
                limit="max_symbol_exposure_pct",
                allowed_size=D("1.000000009"),  # the risk manager's REDUCE verdict
            )

    async with PortfolioManager(config()) as pm:
        await drifted_60_40(pm)
        pm.add_pre_trade_check(cap_eth)
        result = await pm.rebalance_portfolio()
        sell, buy = result.outcomes
        assert sell.status is OutcomeStatus.FILLED
        assert buy.status is OutcomeStatus.PARTIALLY_FILLED and buy.filled_size == 1
        assert "by the risk limits: ETH would exceed its exposure limit" in buy.message


async def test_a_dry_run_requested_for_one_plan_trades_nothing_whatever_the_config():
    async with PortfolioManager(config()) as pm:
        assert not pm.rebalancer.config.dry_run
        await drifted_60_40(pm)
        fills_before = len(pm.position_tracker.recent_fills())
        plan = await pm.rebalancer.create_rebalance_plan(RebalanceStrategy.THRESHOLD)
        result = await pm.rebalancer.execute_rebalance_plan(plan, dry_run=True)
        assert result.dry_run and not result.executed
        assert [o.status for o in result.outcomes] == [OutcomeStatus.DRY_RUN] * len(plan.orders)
        assert len(pm.position_tracker.recent_fills()) == fills_before
        traded = await pm.rebalancer.execute_rebalance_plan(plan, dry_run=False)
        assert traded.executed and not traded.dry_run


async def test_progress_reports_every_order_outcome_in_plan_order():
    async with PortfolioManager(config()) as pm:
        await drifted_60_40(pm)
        plan = await pm.rebalancer.create_rebalance_plan(RebalanceStrategy.THRESHOLD)
        seen: list[tuple[int, int, str, OutcomeStatus]] = []

        def progress(done, total, outcome):
            seen.append((done, total, outcome.order.symbol, outcome.status))
            raise RuntimeError("a broken progress bar must not stop the rebalance")

        result = await pm.rebalancer.execute_rebalance_plan(plan, progress=progress)
        assert result.success
        assert seen == [
            (n, len(plan.orders), o.order.symbol, o.status)
            for n, o in enumerate(result.outcomes, start=1)
        ]
        assert [status for *_rest, status in seen] == [OutcomeStatus.FILLED] * 2
