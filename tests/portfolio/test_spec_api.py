"""The spec's API reference, call by call, against a real ledger on disk.

``../shared/spec/portfolio-system.md`` is our public API with ``src.portfolio`` renamed
``desktop_app.portfolio``. Each block below is one of its snippets, run as written (names
and call shapes unchanged), with the results checked against what the snippet promises.
"""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

from desktop_app.portfolio import (
    PortfolioConfig,
    PortfolioManager,
    PortfolioStatus,
    PortfolioStrategy,
)
from desktop_app.portfolio.analytics import MetricPeriod, PortfolioAnalytics
from desktop_app.portfolio.position_tracker import PositionTracker, PositionType
from desktop_app.portfolio.rebalancer import RebalanceConfig, Rebalancer, RebalanceStrategy
from desktop_app.portfolio.risk_manager import RiskAction, RiskLimits, RiskManager

PRICES = {"BTC/USDT": 50_000, "ETH/USDT": 3_000, "SHIB/USDT": 0.00001, "ADA/USDT": 0.5}


def test_the_strategy_presets_and_configs_take_the_spec_arguments():
    conservative = PortfolioConfig(
        strategy=PortfolioStrategy.CONSERVATIVE,
        max_single_position_pct=10.0,
        max_drawdown_pct=5.0,
        rebalance_threshold_pct=5.0,
    )
    aggressive = PortfolioConfig(
        strategy=PortfolioStrategy.AGGRESSIVE,
        max_single_position_pct=50.0,
        max_drawdown_pct=25.0,
        rebalance_threshold_pct=20.0,
    )
    assert conservative.max_single_position_pct == 10.0
    assert aggressive.max_drawdown_pct == 25.0
    limits = RiskLimits(
        max_portfolio_risk_pct=2.0,
        max_single_position_pct=20.0,
        max_drawdown_pct=15.0,
        max_positions=10,
        max_leverage=1.0,
    )
    assert (limits.max_positions, limits.max_leverage) == (10, 1.0)
    rebalance_config = RebalanceConfig(
        max_drift_pct=10.0, rebalance_interval_hours=24.0, max_rebalance_cost_pct=0.5, dry_run=False
    )
    assert rebalance_config.max_drift_pct == 10.0 and rebalance_config.dry_run is False


def test_the_portfolio_manager_api_reference(tmp_path):
    events: dict[str, list[object]] = {}

    def recorder(name: str):
        def on_event(payload: object) -> None:
            events.setdefault(name, []).append(payload)

        return on_event

    async def scenario() -> None:
        config = PortfolioConfig(
            target_allocations={},
            risk_limits=RiskLimits(
                max_single_position_pct=45.0, max_symbol_exposure_pct=45.0, max_positions=10
            ),
            rebalance_config=RebalanceConfig(
                max_drift_pct=10.0,
                rebalance_interval_hours=24.0,
                max_rebalance_cost_pct=0.5,
                dry_run=False,
            ),
            performance_update_interval_s=0,
        )
        portfolio = PortfolioManager(config=config, data_dir=tmp_path)
        # Initialization
        await portfolio.initialize()
        for name in (
            "position_opened",
            "position_closed",
            "risk_limit_exceeded",
            "rebalance_completed",
            "performance_update",
        ):
            portfolio.register_callback(name, recorder(name))
        assert isinstance(portfolio.position_tracker, PositionTracker)
        assert isinstance(portfolio.risk_manager, RiskManager)
        assert isinstance(portfolio.rebalancer, Rebalancer)
        assert isinstance(portfolio.analytics, PortfolioAnalytics)
        await portfolio.update_prices(PRICES)

        # Position management
        symbol, size, price = "SHIB/USDT", 100_000_000, 0.00001
        position = await portfolio.create_position(symbol, PositionType.LONG, size, price)
        updated = await portfolio.update_position_price(symbol, 0.000012)
        assert updated
        success = await portfolio.close_position(position.position_id, 0.000012)
        assert success
        assert len(events["position_opened"]) == 1 and len(events["position_closed"]) == 1

        # Portfolio operations
        summary = await portfolio.get_portfolio_summary()
        assert summary["total_value"] == Decimal("10200")  # 1,000 SHIB-dollars up 20 %
        assert summary["positions"]["count"] == 0
        assert summary["positions"]["total_realized_pnl"] == Decimal("200")
        assert summary["status"] == PortfolioStatus.ACTIVE.value
        report = await portfolio.get_performance_report()
        assert report["metrics"] and report["overview"]
        risk_report = await portfolio.get_risk_report()
        assert {"metrics", "limits"} <= set(risk_report)

        # Rebalancing
        targets = {"BTC/USDT": 0.4, "ETH/USDT": 0.3, "SHIB/USDT": 0.2, "ADA/USDT": 0.1}
        success = await portfolio.set_target_allocations(targets)
        assert success is not False
        result = await portfolio.rebalance_portfolio(RebalanceStrategy.THRESHOLD)
        assert result.success, result
        assert len(events["rebalance_completed"]) == 1
        # THRESHOLD trades only what drifted beyond max_drift_pct: ADA's 10 points are not
        held = {p.symbol for p in portfolio.position_tracker.get_all_open_positions()}
        assert held == {"BTC/USDT", "ETH/USDT", "SHIB/USDT"}

        # The risk manager, as a strategy would use it
        action, reason = await portfolio.risk_manager.check_position_risk("BTC/USDT", 0.01, 50_000)
        assert action is RiskAction.ALLOW, reason
        action, reason = await portfolio.risk_manager.check_position_risk("BTC/USDT", 1, 50_000)
        assert action in (RiskAction.REDUCE, RiskAction.REJECT) and "%" in reason
        sizing = await portfolio.risk_manager.calculate_optimal_position_size("ETH/USDT", 3_000)
        assert sizing is not None
        metrics = await portfolio.risk_manager.calculate_risk_metrics()
        assert metrics.overall_risk_level.value in {"low", "medium", "high", "critical"}
        assert 0 <= metrics.risk_score <= 100

        # The rebalancer's own API
        plan = await portfolio.rebalancer.create_rebalance_plan(RebalanceStrategy.DCA)
        executed = await portfolio.rebalancer.execute_rebalance_plan(plan)
        assert executed is not None
        auto = await portfolio.rebalancer.auto_rebalance()
        assert auto.reason  # says why it did or did not trade
        dca = await portfolio.rebalancer.dca_rebalance("SHIB/USDT", 100.0)
        assert dca.success, dca

        # Analytics
        analytics = portfolio.analytics
        daily = await analytics.calculate_performance_metrics(MetricPeriod.DAILY)
        assert daily is not None
        attribution = await analytics.calculate_attribution_analysis(MetricPeriod.MONTHLY)
        assert attribution is not None
        assert await analytics.generate_performance_report()
        assert await analytics.get_dashboard_data()
        filepath = await analytics.export_analytics("json")
        assert filepath.parent == tmp_path / "analytics" and filepath.exists()
        assert re.fullmatch(r"portfolio_analytics_\d{8}_\d{6}\.json", filepath.name)

        # Status management
        await portfolio.pause_portfolio()
        assert (await portfolio.get_portfolio_summary())["status"] == "paused"
        await portfolio.resume_portfolio()
        liquidation = await portfolio.liquidate_portfolio()
        assert liquidation.success and not liquidation.failed
        summary = await portfolio.get_portfolio_summary()
        assert summary["positions"]["count"] == 0 and summary["status"] == "liquidated"
        await portfolio.shutdown()

        # Everything acknowledged survives a restart
        async with PortfolioManager(data_dir=tmp_path) as reopened:
            again = await reopened.get_portfolio_summary()
            assert again["total_value"] == summary["total_value"]
            assert again["status"] == "liquidated"

    asyncio.run(scenario())


def test_the_position_tracker_api_reference():
    async def scenario() -> None:
        tracker = PositionTracker("USDT")
        position = await tracker.create_position("SHIB/USDT", PositionType.LONG, 1000000, 0.00001)
        updated = await tracker.update_position_price("SHIB/USDT", 0.000012)
        assert updated
        realized_pnl = await tracker.close_position_partial(position.position_id, 400000, 0.000012)
        assert realized_pnl == Decimal("0.80")
        positions = tracker.get_all_open_positions()
        assert [p.size for p in positions] == [Decimal(600000)]
        await tracker.close_position_partial(position.position_id, 600000, 0.000011)
        closed = tracker.get_closed_positions(symbol="SHIB/USDT", limit=10)
        assert [p.position_id for p in closed] == [position.position_id]
        summary = tracker.get_portfolio_summary()
        assert summary["total_realized_pnl"] == Decimal("1.40")

    asyncio.run(scenario())
