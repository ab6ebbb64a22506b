"""Risk metrics from the ledger, the level/score rule, and honesty about missing history."""

from __future__ import annotations

import pytest

from desktop_app.portfolio import (
    MemoryJournal,
    PortfolioConfig,
    PortfolioManager,
    RiskLevel,
    RiskLimits,
    RiskMetrics,
)
from desktop_app.portfolio.risk_metrics import LimitUsage, assess

LIMITS = RiskLimits(max_single_position_pct=30.0, max_symbol_exposure_pct=30.0)


def manager(limits: RiskLimits = LIMITS) -> PortfolioManager:
    return PortfolioManager(PortfolioConfig(performance_update_interval_s=0, risk_limits=limits))


async def test_exposure_leverage_and_concentration_are_computed_from_the_ledger():
    async with manager() as pm:
        await pm.create_position("BTC/USDT", "long", "0.05", 50_000)  # 2,500
        await pm.create_position("ETH/USDT", "short", "0.75", 2_000)  # -1,500
        await pm.create_position("SOL/USDT", "long", 10, 100)  # 1,000
        metrics = await pm.risk_manager.calculate_risk_metrics()
    assert isinstance(metrics, RiskMetrics)
    assert metrics.equity == pytest.approx(10_000)
    assert metrics.cash == pytest.approx(10_000 - 2_500 + 1_500 - 1_000)
    assert metrics.position_count == 3
    assert metrics.gross_exposure == pytest.approx(5_000)
    assert metrics.net_exposure == pytest.approx(2_000)
    assert metrics.long_exposure == pytest.approx(3_500)
    assert metrics.short_exposure == pytest.approx(1_500)
    assert metrics.leverage == pytest.approx(0.5)
    assert metrics.gross_exposure_pct == pytest.approx(0.5)
    assert metrics.net_exposure_pct == pytest.approx(0.2)
    assert metrics.largest_position_pct == pytest.approx(0.25)
    assert metrics.largest_position_symbol == "BTC/USDT"
    assert metrics.hhi == pytest.approx(0.25**2 + 0.15**2 + 0.1**2)
    # the highest utilisation: 25 % against a 30 % position limit = 83 % -> HIGH
    assert metrics.overall_risk_level is RiskLevel.HIGH
    assert metrics.risk_score == pytest.approx(83.3)
    assert metrics.risk_rule.startswith("HIGH: largest position 25 %; limit 30 %")


async def test_without_stored_history_each_metric_says_so_instead_of_guessing():
    async with manager() as pm:  # a real store in the test's data dir, with no bars in it
        await pm.create_position("BTC/USDT", "long", "0.01", 50_000)
        metrics = await pm.risk_manager.calculate_risk_metrics()
    for name in ("var_95", "cvar_99", "parametric_var_95", "portfolio_volatility", "beta_btc"):
        assert getattr(metrics, name) is None
        assert metrics.notes[name] == "insufficient history: no price bars for BTC/USDT"
    assert metrics.sharpe_ratio is None
    assert metrics.notes["sharpe_ratio"] == (
        "insufficient history: 0 daily equity returns; at least 30 needed"
    )
    assert metrics.component_var_95 == {}


async def test_a_portfolio_kept_in_memory_has_no_history_at_all():
    config = PortfolioConfig(performance_update_interval_s=0, risk_limits=LIMITS)
    async with PortfolioManager(config, journal=MemoryJournal()) as pm:
        await pm.create_position("BTC/USDT", "long", "0.01", 50_000)
        metrics = await pm.risk_manager.calculate_risk_metrics()
    assert metrics.var_95 is None
    assert metrics.notes["var_95"] == (
        "insufficient history: no price store is attached to this portfolio"
    )
    assert "no equity snapshots" in metrics.notes["sharpe_ratio"]


async def test_a_flat_portfolio_has_no_market_risk_and_a_low_level():
    async with manager() as pm:
        metrics = await pm.risk_manager.calculate_risk_metrics()
    assert metrics.var_95 == 0.0 and metrics.portfolio_volatility == 0.0
    assert metrics.overall_risk_level is RiskLevel.LOW and metrics.risk_score == 0.0
    assert metrics.risk_rule == "LOW: no positions"


async def test_current_drawdown_and_todays_loss_are_time_weighted():
    async with manager(RiskLimits(max_daily_loss_pct=50.0, **ROOMY)) as pm:
        await pm.create_position("BTC/USDT", "long", "0.1", 50_000)
        await pm.update_prices({"BTC/USDT": 60_000})  # equity 11,000: a new peak
        await pm.withdraw(1_000)  # not a loss
        await pm.update_prices({"BTC/USDT": 45_000})  # 8,500 of 10,000 after the withdrawal
        metrics = pm.risk_manager.quick_metrics()
    assert metrics.current_drawdown == pytest.approx(8_500 / 10_000 - 1)
    assert metrics.daily_return == pytest.approx(11_000 / 10_000 * 8_500 / 10_000 - 1)


ROOMY = {"max_single_position_pct": 100.0, "max_symbol_exposure_pct": 100.0}


def usage(utilisation: float) -> LimitUsage:
    return LimitUsage("max_var_pct", "1-day VaR 95 %", 8.0 * utilisation, 8.0, "%")


@pytest.mark.parametrize(
    ("utilisation", "level", "score"),
    [
        (0.3, RiskLevel.LOW, 30.0),
        (0.5, RiskLevel.MEDIUM, 50.0),
        (0.79, RiskLevel.MEDIUM, 79.0),
        (0.8, RiskLevel.HIGH, 80.0),
        (1.0, RiskLevel.HIGH, 100.0),
        (1.2, RiskLevel.CRITICAL, 100.0),
    ],
)
def test_level_and_score_follow_the_largest_utilisation(utilisation, level, score):
    got_level, got_score, rule = assess([usage(0.1), usage(utilisation)], [], 1)
    assert (got_level, got_score) == (level, score)
    assert rule.startswith(level.name)


def test_a_tripped_breaker_is_critical_whatever_the_utilisation():
    level, score, rule = assess([usage(0.1)], [("drawdown", "drawdown 16 %; limit 15 %")], 1)
    assert (level, score) == (RiskLevel.CRITICAL, 100.0)
    assert rule == "CRITICAL: the drawdown breaker is tripped (drawdown 16 %; limit 15 %)"
    assert level.value == "critical"


async def test_the_risk_report_lists_limits_breakers_and_violations():
    async with manager() as pm:
        await pm.create_position("BTC/USDT", "long", "0.05", 50_000)
        with pytest.raises(Exception, match="would be 40.0 %"):
            await pm.create_position("ETH/USDT", "long", 2, 2_000)
        report = await pm.get_risk_report()
    assert report["status"] == "active"
    assert report["overall_risk_level"] in {"low", "medium", "high", "critical"}
    usage_by_limit = {u["limit"]: u for u in report["limit_usage"]}
    assert usage_by_limit["max_single_position_pct"]["value"] == pytest.approx(25.0)
    assert usage_by_limit["max_single_position_pct"]["utilisation_pct"] == pytest.approx(250 / 3)
    assert set(report["breakers"]) == {"drawdown", "daily_loss", "var", "consecutive_losses"}
    assert report["breakers"]["drawdown"]["armed"] is True
    assert report["recent_violations"][0]["limit"] == "max_single_position_pct"
    assert report["metrics"]["var_95"] is None and "var_95" in report["notes"]


async def test_quick_metrics_follow_prices_and_trades_on_the_same_book():
    unlimited = RiskLimits(max_single_position_pct=None, max_symbol_exposure_pct=None)
    async with manager(unlimited) as pm:
        btc = await pm.create_position("BTC/USDT", "long", "0.05", 50_000)  # 2,500
        await pm.create_position("ETH/USDT", "short", "0.75", 2_000)  # -1,500
        await pm.create_position("BTC/USDT", "long", "0.01", 50_000)  # 500 more BTC
        quick = pm.risk_manager.quick_metrics
        assert quick().gross_exposure == pytest.approx(4_500)
        await pm.update_prices({"BTC/USDT": 60_000, "ETH/USDT": 1_000})
        metrics = quick()  # 3,600 BTC; -750 ETH; equity 10,000 + 600 + 750
        assert metrics.equity == pytest.approx(11_350)
        assert metrics.long_exposure == pytest.approx(3_600)
        assert metrics.short_exposure == pytest.approx(750)
        assert metrics.largest_position_pct == pytest.approx(3_000 / 11_350)
        assert metrics.largest_symbol_exposure_pct == pytest.approx(3_600 / 11_350)
        assert metrics.largest_exposure_symbol == "BTC/USDT"
        await pm.close_position(btc.position_id, 60_000)  # the book changes: rebuilt
        metrics = quick()
        assert metrics.position_count == 2
        assert metrics.largest_position_pct == pytest.approx(750 / 11_350)
        assert metrics.largest_position_symbol == "ETH/USDT"
        assert metrics.hhi == pytest.approx((600 / 11_350) ** 2 + (750 / 11_350) ** 2)
