"""Position sizing and stress tests on hand-computed portfolios."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from desktop_app.portfolio import (
    ConfigError,
    InvalidOrderError,
    PortfolioConfig,
    PortfolioManager,
    RiskAction,
    RiskLimits,
)
from desktop_app.portfolio.stress import StressScenario, crash_reference

LIMITS = RiskLimits(max_single_position_pct=25.0, max_symbol_exposure_pct=30.0)


def manager(limits: RiskLimits = LIMITS) -> PortfolioManager:
    return PortfolioManager(PortfolioConfig(performance_update_interval_s=0, risk_limits=limits))


async def test_fixed_fractional_size_from_a_stop_is_clipped_to_the_position_limit():
    async with manager() as pm:
        sizing = await pm.risk_manager.calculate_optimal_position_size(
            "BTC/USDT", 50_000, stop_price=48_000
        )
    # 2 % of 10,000 = 200 at risk; 2,000 per BTC to the stop -> 0.1 BTC = 50 % of equity
    fixed = sizing.methods[0]
    assert (fixed.name, fixed.size) == ("fixed_fractional", D("0.1"))
    assert fixed.inputs["loss_per_unit"] == 2_000.0
    assert sizing.method == "fixed_fractional" and sizing.unclipped_size == D("0.1")
    assert sizing.check.action is RiskAction.REDUCE
    assert sizing.size == D("0.05") and sizing.notional == D(2_500)
    assert "max_single_position_pct" in sizing.clipped_by
    assert any("no price history" in note for note in sizing.notes)


async def test_a_stop_on_the_wrong_side_is_refused():
    async with manager() as pm:
        with pytest.raises(InvalidOrderError, match="a short stop must be above"):
            await pm.risk_manager.calculate_optimal_position_size(
                "ETH/USDT", 2_000, position_type="short", stop_price=1_900
            )


async def close_trades(pm: PortfolioManager, wins: list[float], losses: list[float]) -> None:
    """Book closed trades, alternating wins and losses (no losing streak trips a breaker)."""
    returns = [r for pair in zip(wins, losses, strict=False) for r in pair]
    returns += wins[len(losses) :] + losses[len(wins) :]
    for r in returns:
        position = await pm.create_position("XRP/USDT", "long", 1, 100, strategy="swing")
        await pm.close_position(position.position_id, 100 * (1 + r))


async def test_half_kelly_is_capped_at_the_risk_budget_and_shows_its_inputs():
    async with manager() as pm:
        await close_trades(pm, [0.10] * 20, [-0.05] * 10)
        sizing = await pm.risk_manager.calculate_optimal_position_size(
            "ETH/USDT", 2_000, stop_price=1_800, strategy="swing"
        )
        equity = pm.position_tracker.equity()
    kelly = next(m for m in sizing.methods if m.name == "half_kelly")
    # W = 2/3, R = 0.10 / 0.05 = 2: f = 2/3 - (1/3) / 2 = 0.5; half = 0.25 > 2 % budget
    assert kelly.inputs["kelly_fraction"] == pytest.approx(0.5)
    assert kelly.inputs["capped_at_risk_budget"] is True
    assert kelly.inputs["scope"] == "strategy 'swing'"
    budget = equity * D("0.02")
    assert kelly.size == pytest.approx(budget / D("0.05") / 2_000)
    fixed = sizing.methods[0]
    assert fixed.size == pytest.approx(budget / 200)
    assert sizing.method == "fixed_fractional" and sizing.size == fixed.size.quantize(D("1e-8"))


async def test_no_edge_means_kelly_recommends_nothing():
    async with manager() as pm:
        await close_trades(pm, [0.05] * 15, [-0.06] * 15)
        sizing = await pm.risk_manager.calculate_optimal_position_size(
            "ETH/USDT", 2_000, stop_price=1_800
        )
    assert sizing.method == "half_kelly" and sizing.size == 0
    assert "no edge" in sizing.methods[2].note


async def portfolio_for_stress(pm: PortfolioManager) -> None:
    await pm.create_position("BTC/USDT", "long", "0.05", 50_000)  # 2,500
    await pm.create_position("ETH/USDT", "short", "0.75", 2_000)  # -1,500
    await pm.create_position("USDC/USDT", "long", 1_000, 1)  # a stablecoin


async def test_all_crypto_minus_30_spares_stablecoins_and_profits_shorts():
    async with manager(RiskLimits(max_single_position_pct=25, max_drawdown_pct=2.0)) as pm:
        await portfolio_for_stress(pm)
        result = await pm.risk_manager.run_stress_test("crypto_crash_30")
    pnl = {row.symbol: row.pnl for row in result.positions}
    assert pnl == pytest.approx({"BTC/USDT": -750.0, "ETH/USDT": 450.0, "USDC/USDT": 0.0})
    assert result.total_pnl == pytest.approx(-300.0)
    assert result.equity_before == pytest.approx(10_000) and result.equity_after == 9_700
    assert result.pnl_pct == pytest.approx(-3.0)
    assert "drawdown breaker: 3.0 %; limit 2 %" in result.breaches
    assert "daily-loss breaker" not in " ".join(result.breaches)  # 3 % < 5 %


async def test_the_2022_crash_without_stored_history_uses_the_shipped_real_returns():
    async with manager() as pm:
        await portfolio_for_stress(pm)
        await pm.create_position("PEPE/USDT", "long", 1_000_000, "0.0005")  # 500, no history
        result = await pm.risk_manager.run_stress_test("crash_2022")
    real = crash_reference()
    shocks = {row.symbol: row.shock for row in result.positions}
    assert shocks == pytest.approx(
        {
            "BTC/USDT": real["BTC"],
            "ETH/USDT": real["ETH"],
            "USDC/USDT": 0.0,
            "PEPE/USDT": real["BTC"],
        }
    )  # a coin outside the shipped basket follows BTC by its beta (1 without history)
    assert result.total_pnl == pytest.approx(
        2_500 * real["BTC"] - 1_500 * real["ETH"] + 500 * real["BTC"]
    )
    assert result.worst_pnl is None  # the path needs the stored history
    assert any("shipped with the app" in note for note in result.notes)


async def test_user_defined_shocks_by_symbol_or_base_and_a_default():
    async with manager() as pm:
        await portfolio_for_stress(pm)
        result = await pm.risk_manager.run_stress_test({"BTC": -0.1, "*": 0.5})
        wiped = await pm.risk_manager.run_stress_test(
            StressScenario("squeeze", "ETH triples", shocks={"ETH/USDT": 2.0, "BTC": -1.0})
        )
    # BTC -10 % = -250; ETH +50 % on a short = -750; USDC is a stablecoin
    assert result.total_pnl == pytest.approx(-1_000.0)
    assert result.scenario == "custom"
    assert wiped.total_pnl == pytest.approx(-2_500 - 3_000)
    assert any("largest position" in b for b in wiped.breaches)


def test_invalid_scenarios_are_refused():
    with pytest.raises(ConfigError, match="at least -1"):
        StressScenario("bad", "more than everything", shocks={"BTC": -1.5})
    with pytest.raises(ConfigError, match="unknown stress scenario 'crash_1929'"):
        from desktop_app.portfolio.stress import scenario_of

        scenario_of("crash_1929")


def test_kelly_fraction_is_win_rate_minus_loss_rate_over_the_payoff_ratio():
    from desktop_app.portfolio import metrics

    # W = 0.6, R = 0.04 / 0.02 = 2: f = 0.6 - 0.4 / 2 = 0.4
    assert metrics.kelly_fraction([0.04, 0.04, 0.04, -0.02, -0.02]) == pytest.approx(0.4)
    assert metrics.kelly_fraction([0.01, -0.03]) == pytest.approx(0.5 - 0.5 / (1 / 3))
    assert metrics.kelly_fraction([0.01, 0.02]) is None  # no loss
    assert metrics.kelly_fraction([]) is None
