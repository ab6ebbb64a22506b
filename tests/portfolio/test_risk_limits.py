"""RiskLimits: validation, presets, persistence with the config, live edits."""

from __future__ import annotations

import pytest

from desktop_app.portfolio import (
    BreakerAction,
    ConfigError,
    MemoryJournal,
    PortfolioConfig,
    PortfolioManager,
    PortfolioStrategy,
    RiskLimitError,
    RiskLimits,
)


def quiet(**kw) -> PortfolioConfig:
    return PortfolioConfig(performance_update_interval_s=0, **kw)


def test_the_spec_import_paths_work():
    from desktop_app.portfolio.risk_manager import RiskAction, RiskLimits, RiskManager

    assert RiskAction.ALLOW.value == "allow" and RiskLimits().max_positions == 10
    assert RiskManager.check_position_risk is not None


def test_defaults_are_the_spec_example_plus_documented_extras():
    limits = RiskLimits()
    assert (
        limits.max_portfolio_risk_pct,
        limits.max_single_position_pct,
        limits.max_drawdown_pct,
        limits.max_positions,
        limits.max_leverage,
    ) == (2.0, 20.0, 15.0, 10, 1.0)
    assert limits.max_daily_loss_pct == 5.0
    assert limits.max_var_pct == 8.0
    assert limits.drawdown_action is BreakerAction.PAUSE
    assert limits.var_action is BreakerAction.REDUCE


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_single_position_pct": 0}, "max_single_position_pct must be above 0"),
        ({"max_drawdown_pct": 120}, "at most 100"),
        ({"max_positions": 0}, "max_positions must be a whole number of at least 1"),
        ({"max_positions": 2.5}, "whole number"),
        ({"max_leverage": -1}, "max_leverage is gross exposure / equity"),
        ({"max_var_pct": float("nan")}, "must be a number"),
        ({"drawdown_action": "explode"}, "drawdown_action must be one of"),
        ({"max_symbol_exposure_pct": 10.0}, "cannot be below max_single_position_pct"),
        ({"var_budget_by_strategy_pct": {"momentum": 150}}, "at most 100"),
        ({"var_budget_by_symbol_pct": {"BTCUSDT": 50}}, "not a trading pair"),
        ({"var_lookback_days": 1}, "var_lookback_days"),
        ({"loss_cooldown_minutes": -5}, "cannot be negative"),
    ],
)
def test_invalid_limits_are_refused_with_a_clear_message(changes, message):
    with pytest.raises(ConfigError, match=message):
        RiskLimits(**changes)


def test_budgets_need_a_var_limit_and_symbols_are_canonical():
    limits = RiskLimits(var_budget_by_symbol_pct={"btc/usdt": 60})
    assert limits.var_budget_by_symbol_pct == {"BTC/USDT": 60.0}
    with pytest.raises(ConfigError, match="shares of max_var_pct"):
        RiskLimits(max_var_pct=None, var_budget_by_strategy_pct={"a": 10})


def test_round_trip_through_a_dict_and_unknown_changes_are_refused():
    limits = RiskLimits(
        max_positions=12,
        daily_loss_action=BreakerAction.LIQUIDATE,
        var_budget_by_strategy_pct={"grid": 40},
    )
    data = limits.to_dict()
    assert data["daily_loss_action"] == "liquidate"
    assert RiskLimits.from_dict(data) == limits
    assert RiskLimits.from_dict({**data, "from_a_newer_version": 1}) == limits
    with pytest.raises(ConfigError, match="unknown risk limit max_positionz"):
        limits.with_changes(max_positionz=3)


def test_disabled_turns_every_limit_and_breaker_off():
    limits = RiskLimits.disabled(max_positions=3)
    assert limits.max_positions == 3
    assert limits.max_single_position_pct is None
    assert limits.max_drawdown_pct is None
    assert limits.max_var_pct is None


def test_without_risk_limits_the_preset_fills_them_in():
    conservative = PortfolioManager(quiet(strategy=PortfolioStrategy.CONSERVATIVE))
    assert conservative.risk_manager.limits.max_single_position_pct == 10.0
    assert conservative.risk_manager.limits.max_drawdown_pct == 5.0
    aggressive = PortfolioManager(quiet(strategy="aggressive"))
    assert aggressive.risk_manager.limits.max_single_position_pct == 50.0
    # the symbol limit covers at least one full position
    assert aggressive.risk_manager.limits.max_symbol_exposure_pct == 50.0
    spec = PortfolioManager(quiet(max_single_position_pct=25.0))
    assert spec.risk_manager.limits.max_single_position_pct == 25.0


def test_given_risk_limits_are_authoritative_over_the_spec_fields():
    config = quiet(max_single_position_pct=40.0, risk_limits=RiskLimits(max_positions=3))
    manager = PortfolioManager(config)
    assert manager.risk_manager.limits.max_single_position_pct == 20.0
    assert manager.risk_manager.limits.max_positions == 3


def test_config_converts_stored_limits_and_refuses_other_types():
    config = PortfolioConfig.from_dict(quiet(risk_limits=RiskLimits(max_positions=4)).to_dict())
    assert config.risk_limits == RiskLimits(max_positions=4)
    with pytest.raises(ConfigError, match="risk_limits must be a RiskLimits"):
        PortfolioConfig(risk_limits=42)


async def test_live_edit_takes_effect_on_the_next_check_and_is_persisted():
    journal = MemoryJournal()
    changed: list = []
    async with PortfolioManager(quiet(), journal=journal) as pm:
        pm.register_callback("config_changed", changed.append)
        await pm.create_position("BTC/USDT", "long", "0.01", 10_000)
        pm.risk_manager.limits = RiskLimits(max_positions=1)
        with pytest.raises(RiskLimitError, match="open positions would be 2; limit 1"):
            await pm.create_position("ETH/USDT", "long", "0.01", 2_000)
        await pm.risk_manager.drain()
        assert journal.config["risk_limits"]["max_positions"] == 1
        limits = await pm.risk_manager.update_limits(max_positions=2)
        assert limits.max_positions == 2
        await pm.create_position("ETH/USDT", "long", "0.01", 2_000)
    assert journal.config["risk_limits"]["max_positions"] == 2
    assert changed and changed[-1].risk_limits.max_positions == 2


async def test_stored_limits_survive_a_restart_unless_the_constructor_gives_some():
    journal = MemoryJournal()
    async with PortfolioManager(quiet(), journal=journal) as pm:
        await pm.deposit(1)
        await pm.risk_manager.update_limits(max_positions=7)
    async with PortfolioManager(quiet(), journal=journal) as again:
        assert again.risk_manager.limits.max_positions == 7
    explicit = quiet(risk_limits=RiskLimits(max_positions=3))
    async with PortfolioManager(explicit, journal=journal) as coded:
        assert coded.risk_manager.limits.max_positions == 3
