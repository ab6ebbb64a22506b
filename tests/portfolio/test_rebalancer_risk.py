"""Rebalancing under the real risk manager: every order passes its pre-trade check."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from desktop_app.portfolio import PortfolioConfig, PortfolioManager, RiskLimits
from desktop_app.portfolio.rebalance_plan import OutcomeStatus


def limited(**limits) -> PortfolioConfig:
    return PortfolioConfig(
        performance_update_interval_s=0,
        rebalance_threshold_pct=5.0,
        target_allocations={"BTC/USDT": 0.6, "ETH/USDT": 0.3, "SOL/USDT": 0.1},
        risk_limits=RiskLimits(**limits),
    )


async def test_targets_above_the_position_limit_are_bought_up_to_the_limit_and_reported():
    violations: list = []
    async with PortfolioManager(
        limited(max_single_position_pct=40, max_symbol_exposure_pct=40)
    ) as pm:
        pm.register_callback("risk_limit_exceeded", violations.append)
        await pm.update_prices({"BTC/USDT": 50_000, "ETH/USDT": 2_000, "SOL/USDT": 100})
        result = await pm.rebalance_portfolio("threshold")
        await pm.events.drain()
        btc, eth, sol = (next(o for o in result.outcomes if o.order.symbol == s) for s in
                         ("BTC/USDT", "ETH/USDT", "SOL/USDT"))  # fmt: skip
        assert btc.status is OutcomeStatus.PARTIALLY_FILLED
        assert "by the risk limits" in btc.message and "40" in btc.message
        assert eth.status is OutcomeStatus.FILLED and sol.status is OutcomeStatus.FILLED
        assert result.weights_after["BTC/USDT"] == pytest.approx(0.4, abs=1e-3)
        # marked at 50,000 the BTC bought is within the limit (the later buys' costs moved it)
        assert btc.filled_size * 50_000 <= D("0.4") * D(10_000)
        assert violations  # the refusal that shrank the order was published
        assert not result  # the plan was not carried out in full, and says so


async def test_an_order_the_risk_manager_rejects_fails_and_the_others_go_through():
    async with PortfolioManager(
        limited(max_single_position_pct=None, max_symbol_exposure_pct=None, max_positions=2)
    ) as pm:
        await pm.update_prices({"BTC/USDT": 50_000, "ETH/USDT": 2_000, "SOL/USDT": 100})
        result = await pm.rebalance_portfolio("threshold")
        statuses = {o.order.symbol: o.status for o in result.outcomes}
        assert statuses == {
            "BTC/USDT": OutcomeStatus.FILLED,
            "ETH/USDT": OutcomeStatus.FILLED,
            "SOL/USDT": OutcomeStatus.FAILED,
        }
        (failed,) = result.failed
        assert "max" in failed.message.lower() or "positions" in failed.message
        assert len(pm.get_open_positions()) == 2
