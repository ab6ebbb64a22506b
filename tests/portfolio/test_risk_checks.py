"""Pre-trade checks: hand-computed limit cases on the post-trade portfolio, REDUCE sizes,
refusals stored and announced, and no overshoot under concurrency."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from desktop_app.portfolio import (
    PortfolioConfig,
    PortfolioManager,
    PositionType,
    RiskAction,
    RiskLimitError,
    RiskLimits,
    RiskViolation,
)
from desktop_app.portfolio.risk_checks import (
    Holding,
    PortfolioState,
    TradeProposal,
    evaluate_trade,
    round_size_down,
)

POSITION_LIMITS = RiskLimits(
    max_single_position_pct=25.0,
    max_symbol_exposure_pct=30.0,
    max_gross_exposure_pct=100.0,
    max_positions=10,
)


def manager(limits: RiskLimits = POSITION_LIMITS, **kw) -> PortfolioManager:
    return PortfolioManager(
        PortfolioConfig(performance_update_interval_s=0, risk_limits=limits, **kw)
    )


def buy(symbol: str, size: str, price: str, **kw) -> TradeProposal:
    return TradeProposal(symbol, 1, D(size), D(price), D(kw.pop("mark", price)), **kw)


# --- the check itself, on hand-made portfolios -----------------------------------------


def test_exactly_at_the_limit_is_allowed_and_just_above_is_reduced_to_the_limit():
    cash_only = PortfolioState(D(10_000), ())
    at_limit = evaluate_trade(cash_only, buy("BTC/USDT", "0.05", "50000"), POSITION_LIMITS)
    assert at_limit.action is RiskAction.ALLOW
    above = evaluate_trade(cash_only, buy("BTC/USDT", "0.06", "50000"), POSITION_LIMITS)
    assert above.action is RiskAction.REDUCE
    # 0.06 * 50,000 = 3,000 of 10,000 equity = 30 %; 25 % is 2,500 = 0.05 BTC
    assert above.allowed_size == D("0.05")
    assert "the BTC/USDT position would be 30.0 % of equity; limit 25 %" in above.reason
    assert "at most 0.05 BTC is allowed" in above.reason
    action, reason = above  # the spec's tuple
    assert (action, reason) == (RiskAction.REDUCE, above.reason)


def test_a_fee_lowers_post_trade_equity_and_the_allowed_size_accounts_for_it():
    # s BTC at 50,000 with a fee of 100 * s / 0.06: equity after = 10,000 - 1,666.67 s.
    # 50,000 s <= 0.25 (10,000 - 1,666.67 s)  =>  s <= 2,500 / 50,416.67 = 0.0495867768...
    trade = buy("BTC/USDT", "0.06", "50000", fee=D(100))
    result = evaluate_trade(PortfolioState(D(10_000), ()), trade, POSITION_LIMITS)
    assert result.action is RiskAction.REDUCE
    assert result.allowed_size == D("0.049586776")
    assert round_size_down(D(2_500) / (D(50_000) + D("0.25") * D(100) / D("0.06"))) == D(
        "0.049586776"
    )


def test_a_value_just_over_the_limit_is_shown_with_the_digits_that_prove_it():
    # 2,500 of 10,000 minus a 2.5 fee: 25.006 % of equity, shown as 25.01 %, not 25.0 %
    trade = buy("BTC/USDT", "0.05", "50000", fee=D("2.5"))
    result = evaluate_trade(PortfolioState(D(10_000), ()), trade, POSITION_LIMITS)
    assert "the BTC/USDT position would be 25.01 % of equity; limit 25 %" in result.reason


def test_the_check_evaluates_the_portfolio_after_the_trade():
    holdings = tuple(
        Holding(f"p{i}", symbol, "manual", D(value))
        for i, (symbol, value) in enumerate(
            [
                ("BTC/USDT", 2_000),
                ("ETH/USDT", 2_000),
                ("SOL/USDT", 2_000),
                ("ADA/USDT", 2_000),
                ("XRP/USDT", 1_500),
            ]
        )
    )
    state = PortfolioState(D(500), holdings)  # equity 10,000, gross 95 %: within limits
    result = evaluate_trade(state, buy("DOGE/USDT", "10000", "0.1"), POSITION_LIMITS)
    # DOGE 1,000 = 10 %: fine alone, but gross would be 105 %; 500 of room = 5,000 DOGE
    assert result.action is RiskAction.REDUCE
    assert result.binding.limit == "max_gross_exposure_pct"
    assert "gross exposure would be 105.0 % of equity; limit 100 %" in result.reason
    assert result.allowed_size == D(5_000)


def test_leverage_counts_shorts_in_gross_exposure():
    limits = RiskLimits(
        max_leverage=1.5,
        max_gross_exposure_pct=None,
        max_single_position_pct=None,
        max_symbol_exposure_pct=None,
    )
    short = Holding("s", "ETH/USDT", "manual", D(-5_000))
    state = PortfolioState(D(15_000), (short,))  # equity 10,000, gross 5,000
    result = evaluate_trade(state, buy("BTC/USDT", "0.22", "50000"), limits)
    # gross would be 5,000 + 11,000 = 16,000 = 1.6x; 1.5x leaves 10,000 = 0.2 BTC
    assert result.action is RiskAction.REDUCE
    assert "leverage would be 1.6x; limit 1.5x" in result.reason
    assert result.allowed_size == D("0.2")


def test_a_count_limit_rejects_without_an_allowed_size():
    holdings = tuple(Holding(f"p{i}", "BTC/USDT", "manual", D(10)) for i in range(10))
    result = evaluate_trade(
        PortfolioState(D(9_900), holdings), buy("ETH/USDT", "0.001", "2000"), POSITION_LIMITS
    )
    assert result.action is RiskAction.REJECT
    assert result.reason == "open positions would be 11; limit 10"
    assert result.allowed_size == 0


def test_symbol_exposure_adds_every_position_in_the_symbol():
    holdings = (
        Holding("a", "BTC/USDT", "trend", D(2_000)),
        Holding("b", "BTC/USDT", "grid", D(500)),
    )
    result = evaluate_trade(
        PortfolioState(D(7_500), holdings), buy("BTC/USDT", "0.02", "50000"), POSITION_LIMITS
    )
    # 2,500 + 1,000 = 35 % of 10,000; the limit of 30 % leaves 500 = 0.01 BTC
    assert result.action is RiskAction.REDUCE
    assert "BTC/USDT exposure would be 35.0 % of equity; limit 30 %" in result.reason
    assert result.allowed_size == D("0.01")


# --- through the manager: under the lock, stored, announced -----------------------------


async def test_reduce_refuses_with_the_allowed_size_and_booking_exactly_that_passes():
    seen: list[RiskViolation] = []
    async with manager() as pm:
        pm.register_callback("risk_limit_exceeded", seen.append)
        with pytest.raises(RiskLimitError) as refused:
            await pm.create_position("BTC/USDT", PositionType.LONG, "0.06", 50_000)
        error = refused.value
        assert error.action is RiskAction.REDUCE
        assert error.allowed_size == D("0.05")
        assert (error.limit, error.current, error.limit_value) == (
            "max_single_position_pct",
            30.0,
            25.0,
        )
        assert "at most 0.05 BTC is allowed" in str(error)
        assert pm.get_open_positions() == []  # nothing booked
        position = await pm.create_position("BTC/USDT", "long", error.allowed_size, 50_000)
        assert position.size == D("0.05")
    assert len(seen) == 1
    assert seen[0].kind == "pre_trade" and seen[0].allowed_size == D("0.05")
    assert seen[0].action == "reduce" and seen[0].symbol == "BTC/USDT"
    assert pm.risk_manager.violations() == seen


async def test_adding_to_a_position_is_checked_like_opening_one():
    async with manager() as pm:
        position = await pm.create_position("ETH/USDT", "long", 1, 2_000)
        with pytest.raises(RiskLimitError, match="ETH/USDT position would be 30.0 %") as refused:
            await pm.add_to_position(position.position_id, 0.5, 2_000)
        assert refused.value.allowed_size == D("0.25")
        await pm.add_to_position(position.position_id, refused.value.allowed_size, 2_000)
        assert pm.get_position(position.position_id).size == D("1.25")


async def test_reducing_trades_pass_even_when_the_portfolio_is_over_its_limits():
    async with manager() as pm:
        position = await pm.create_position("BTC/USDT", "long", "0.04", 50_000)  # 20 %
        await pm.update_prices({"BTC/USDT": 100_000})  # 4,000 of 12,000 = 33 %
        with pytest.raises(RiskLimitError, match="would be 33.3 % of equity"):
            await pm.add_to_position(position.position_id, "0.00001", 100_000)
        result = await pm.close_position(position.position_id, 100_000, size="0.01")
        assert result.realized_pnl == D(500)
        metrics = await pm.risk_manager.calculate_risk_metrics()
        assert metrics.largest_position_pct == pytest.approx(3_000 / 12_000)


async def test_the_strategy_integration_example_of_the_spec_works():
    async with manager() as pm:
        action, reason = await pm.risk_manager.check_position_risk("SOL/USDT", 10, 150)
        assert action == RiskAction.ALLOW, reason
        if action == RiskAction.ALLOW:
            await pm.create_position("SOL/USDT", PositionType.LONG, 10, 150, strategy="my_strategy")
        # a second SOL position of 16.5 % would take SOL to 31.5 % of equity
        action, reason = await pm.risk_manager.check_position_risk("SOL/USDT", 11, 150)
        assert action == RiskAction.REDUCE
        assert "SOL/USDT exposure would be 31.5 % of equity; limit 30 %" in reason


async def test_a_short_is_checked_on_its_notional():
    async with manager() as pm:
        with pytest.raises(RiskLimitError, match="would be 40.0 % of equity"):
            await pm.create_position("ETH/USDT", PositionType.SHORT, 2, 2_000)
        check = await pm.risk_manager.check_position_risk(
            "ETH/USDT", 1, 2_000, position_type="short"
        )
        assert check.action is RiskAction.ALLOW


async def test_many_concurrent_creates_never_overshoot_max_positions():
    seen: list = []
    async with manager(RiskLimits(max_positions=10), initial_capital=1_000_000) as pm:
        pm.register_callback("risk_limit_exceeded", seen.append)
        results = await asyncio.gather(
            *(pm.create_position(f"C{i}/USDT", "long", 1, 100) for i in range(100)),
            return_exceptions=True,
        )
        opened = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, RiskLimitError)]
        assert len(opened) == 10 and len(refused) == 90
        assert len(pm.get_open_positions()) == 10
        assert all(r.action is RiskAction.REJECT for r in refused)
    assert len(seen) == 90
    assert len(pm.risk_manager.violations()) == 90


async def test_many_concurrent_creates_never_overshoot_gross_exposure():
    limits = RiskLimits(max_positions=None, max_gross_exposure_pct=100.0)
    async with manager(limits) as pm:  # each trade is 5 % of equity on its own
        results = await asyncio.gather(
            *(pm.create_position(f"C{i}/USDT", "long", 5, 100) for i in range(100)),
            return_exceptions=True,
        )
        assert sum(not isinstance(r, BaseException) for r in results) == 20
        summary = await pm.get_portfolio_summary()
        assert summary["positions"]["gross_exposure"] == D(10_000)  # exactly 100 %


async def test_a_paused_portfolio_reports_the_status_in_the_advisory_check():
    async with manager() as pm:
        await pm.pause_portfolio("lunch")
        check = await pm.risk_manager.check_position_risk("BTC/USDT", "0.001", 50_000)
        assert check.action is RiskAction.REJECT
        assert "the portfolio is paused" in check.reason


async def test_the_advisory_check_refuses_bad_input_like_the_ledger():
    from desktop_app.portfolio import InvalidOrderError

    async with manager() as pm:
        risk = pm.risk_manager
        with pytest.raises(InvalidOrderError, match="quoted in USD"):
            await risk.check_position_risk("BTC/USD", 1, 100)
        with pytest.raises(InvalidOrderError, match="LONG or SHORT"):
            await risk.check_position_risk("BTC/USDT", 1, 100, position_type="sideways")
        with pytest.raises(InvalidOrderError, match="size must be greater than zero"):
            await risk.check_position_risk("BTC/USDT", 0, 100)
        with pytest.raises(InvalidOrderError, match="fee cannot be negative"):
            await risk.check_position_risk("BTC/USDT", 1, 100, fee=-1)
