"""RebalanceConfig: spec fields, validation, the link to the portfolio's threshold, storage."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from desktop_app.portfolio import (
    ConfigError,
    MemoryJournal,
    PortfolioConfig,
    PortfolioManager,
    PortfolioStrategy,
    RebalanceConfig,
    RebalanceStrategy,
)
from desktop_app.portfolio.rebalancer import RiskParityMethod


def test_spec_example_builds_and_defaults_are_realistic():
    config = RebalanceConfig(
        max_drift_pct=10.0, rebalance_interval_hours=24.0, max_rebalance_cost_pct=0.5, dry_run=False
    )
    assert config.fee_rate == D("0.001") and config.slippage_bps == D(5)
    assert config.min_order_value == D(10) and config.size_step == D("1e-8")
    assert config.strategy is RebalanceStrategy.THRESHOLD


def test_the_portfolio_threshold_and_the_drift_limit_are_one_value():
    preset = PortfolioConfig(strategy=PortfolioStrategy.CONSERVATIVE)
    assert preset.rebalance_config.max_drift_pct == 5.0  # from the preset
    explicit = PortfolioConfig(rebalance_config=RebalanceConfig(max_drift_pct=12.5))
    assert explicit.rebalance_threshold_pct == 12.5  # the rebalance config is authoritative
    moved = explicit.with_changes(rebalance_threshold_pct=7.0)
    assert moved.rebalance_config.max_drift_pct == 7.0
    follows = PortfolioConfig(rebalance_threshold_pct=3.0, rebalance_config=RebalanceConfig())
    assert follows.rebalance_config.max_drift_pct == 3.0


def test_text_values_are_accepted_for_enums_and_bad_values_are_refused():
    config = RebalanceConfig(strategy="momentum", risk_parity_method="inverse_volatility")
    assert config.strategy is RebalanceStrategy.MOMENTUM
    assert config.risk_parity_method is RiskParityMethod.INVERSE_VOLATILITY
    bad = [
        {"strategy": "martingale"},
        {"max_drift_pct": 0},
        {"max_drift_pct": float("nan")},
        {"fee_rate": "0.5"},
        {"slippage_bps": -1},
        {"momentum_lookback_days": 0},
        {"risk_parity_lookback_days": 2},
        {"dry_run": "yes"},
        {"min_order_value": "ten"},
    ]
    for changes in bad:
        with pytest.raises(ConfigError):
            RebalanceConfig(**changes)


def test_config_round_trips_through_plain_data():
    config = PortfolioConfig(
        rebalance_config=RebalanceConfig(
            max_drift_pct=8.0, dry_run=True, fee_rate="0.00075", strategy="risk_parity"
        )
    )
    data = config.to_dict()
    assert data["rebalance_config"]["fee_rate"] == "0.00075"
    assert data["rebalance_config"]["strategy"] == "risk_parity"
    again = PortfolioConfig.from_dict(data)
    assert again.rebalance_config == config.rebalance_config
    assert again.rebalance_threshold_pct == 8.0


async def test_a_changed_rebalance_config_survives_a_restart():
    journal = MemoryJournal()
    quiet = PortfolioConfig(performance_update_interval_s=0)
    async with PortfolioManager(quiet, journal=journal) as pm:
        await pm.update_config(
            rebalance_config=RebalanceConfig(dry_run=True, max_rebalance_cost_pct=0.25),
            rebalance_enabled=True,
        )
    async with PortfolioManager(quiet, journal=journal) as again:
        rebalance = again.config.rebalance_config
        assert rebalance.dry_run and rebalance.max_rebalance_cost_pct == 0.25
        assert again.config.rebalance_enabled
