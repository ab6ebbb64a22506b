"""History-based pre-trade limits (VaR, risk per position, risk budgets) on real prices.

The panel is built from the real daily BTC and ETH closes; the references recompute the
post-trade scenario P&L with plain numpy: ``P&L = R @ m + s * mark * R[:, j]``,
``VaR = -quantile(P&L / equity, 5 %)``.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import RiskAction, RiskLimits
from desktop_app.portfolio.price_history import SymbolHistory, bin_closes
from desktop_app.portfolio.risk_checks import Holding, PortfolioState, TradeProposal, evaluate_trade
from desktop_app.portfolio.risk_model import build_panel
from desktop_app.portfolio.risk_var import NotesOnly, PostTradeVar

Z95 = 1.6448536269514722
OPEN = {
    "max_single_position_pct": 100.0,
    "max_symbol_exposure_pct": 100.0,
    "max_gross_exposure_pct": 200.0,
    "max_leverage": 2.0,
    "max_portfolio_risk_pct": None,
}


def daily(prices_dir: Path, name: str) -> pd.Series:
    frame = pd.read_csv(prices_dir / f"{name}.csv", parse_dates=["timestamp"])
    return frame.set_index("timestamp")["close"]


@pytest.fixture
def panel(prices_dir):
    histories = {}
    for symbol, name in (("BTC/USDT", "BTC-USDT_1d"), ("ETH/USDT", "ETH-USDT_1d")):
        frame = pd.read_csv(prices_dir / f"{name}.csv", parse_dates=["timestamp"])
        histories[symbol] = SymbolHistory(symbol, *bin_closes(frame.set_index("timestamp")), None)
    return build_panel(histories, ["BTC/USDT", "ETH/USDT"], lookback_days=365)


@pytest.fixture
def returns(prices_dir) -> np.ndarray:
    closes = pd.concat([daily(prices_dir, "BTC-USDT_1d"), daily(prices_dir, "ETH-USDT_1d")], axis=1)
    closes = closes.iloc[-366:].to_numpy()
    return closes[1:] / closes[:-1] - 1.0


def var_pct(returns: np.ndarray, values: np.ndarray, equity: float) -> float:
    return -100.0 * np.quantile(returns @ values / equity, 0.05)


def test_the_var_limit_reduces_a_trade_to_the_size_that_keeps_var_at_the_limit(panel, returns):
    state = PortfolioState(D(7_000), (Holding("btc", "BTC/USDT", "trend", D(3_000)),))
    before = var_pct(returns, np.array([3_000.0, 0.0]), 10_000)
    limit = round(before + 1.0, 1)  # room for about one more point of VaR
    limits = RiskLimits(max_var_pct=limit, **OPEN)
    trade = TradeProposal("ETH/USDT", 1, D(2), D(3_000), D(3_000))  # 6,000 of ETH
    result = evaluate_trade(state, trade, limits, var=PostTradeVar(panel, state))
    after = var_pct(returns, np.array([3_000.0, 6_000.0]), 10_000)
    assert result.action is RiskAction.REDUCE
    assert result.binding.limit == "max_var_pct"
    assert result.binding.current == pytest.approx(after, rel=1e-9)
    assert f"portfolio 1-day 95 % VaR would be {after:.1f} % of equity; limit {limit:g} %" in (
        result.reason
    )
    allowed = float(result.allowed_size)
    assert var_pct(returns, np.array([3_000.0, 3_000.0 * allowed]), 10_000) <= limit
    assert var_pct(returns, np.array([3_000.0, 3_000.0 * allowed * 1.001]), 10_000) > limit


def test_a_trade_that_lowers_var_passes_even_above_the_limit(panel, returns):
    state = PortfolioState(D(0), (Holding("btc", "BTC/USDT", "trend", D(10_000)),))
    limits = RiskLimits(max_var_pct=1.0, **OPEN)
    assert var_pct(returns, np.array([10_000.0, 0.0]), 10_000) > 1.0
    hedge = TradeProposal("ETH/USDT", -1, D(1), D(3_000), D(3_000))
    result = evaluate_trade(state, hedge, limits, var=PostTradeVar(panel, state))
    assert var_pct(returns, np.array([10_000.0, -3_000.0]), 10_000) < var_pct(
        returns, np.array([10_000.0, 0.0]), 10_000
    )
    assert result.action is RiskAction.ALLOW, result.reason


def test_risk_per_position_is_notional_times_the_symbols_var(panel, returns):
    limits = RiskLimits(max_portfolio_risk_pct=1.0, max_var_pct=None, **{
        k: v for k, v in OPEN.items() if k != "max_portfolio_risk_pct"
    })  # fmt: skip
    state = PortfolioState(D(10_000), ())
    trade = TradeProposal("BTC/USDT", 1, D("0.1"), D(50_000), D(50_000))  # 5,000 of BTC
    result = evaluate_trade(state, trade, limits, var=PostTradeVar(panel, state))
    btc_var = -np.quantile(returns[:, 0], 0.05)
    # 1 % of 10,000 = 100 of VaR; each BTC carries 50,000 * VaR of it
    assert result.action is RiskAction.REDUCE
    assert float(result.allowed_size) == pytest.approx(100 / (50_000 * btc_var), rel=1e-6)
    assert "the position's 1-day 95 % VaR would be" in result.reason
    short = TradeProposal("BTC/USDT", -1, D("0.1"), D(50_000), D(50_000))
    short_result = evaluate_trade(state, short, limits, var=PostTradeVar(panel, state))
    rally = np.quantile(returns[:, 0], 0.95)  # a short's tail is the rally
    assert float(short_result.allowed_size) == pytest.approx(100 / (50_000 * rally), rel=1e-6)


def test_a_strategy_budget_caps_its_share_of_the_var_limit(panel, returns):
    limits = RiskLimits(max_var_pct=5.0, var_budget_by_strategy_pct={"alpha": 30.0}, **OPEN)
    state = PortfolioState(D(7_000), (Holding("b", "BTC/USDT", "core", D(3_000)),))
    trade = TradeProposal("ETH/USDT", 1, D(1), D(3_000), D(3_000), strategy="alpha")
    result = evaluate_trade(state, trade, limits, var=PostTradeVar(panel, state))
    cov = np.cov(returns, rowvar=False, ddof=1)
    w = np.array([0.3, 0.3])
    share = w[1] * (cov @ w)[1] / np.sqrt(w @ cov @ w) * Z95 * 100 / 5.0 * 100
    assert share > 30.0
    assert result.action is RiskAction.REDUCE
    assert result.binding.limit == "var_budget_by_strategy_pct"
    assert result.binding.current == pytest.approx(share, rel=1e-9)
    assert (
        f"strategy 'alpha' would use {share:.1f} % of the VaR limit; budget 30 %" in result.reason
    )
    s = float(result.allowed_size) * 3_000 / 10_000
    w = np.array([0.3, s])
    allowed_share = w[1] * (cov @ w)[1] / np.sqrt(w @ cov @ w) * Z95 * 100 / 5.0 * 100
    assert allowed_share == pytest.approx(30.0, abs=1e-3)


def test_without_enough_history_the_var_limits_say_they_were_not_checked(panel):
    state = PortfolioState(D(10_000), ())
    missing = PostTradeVar.build(None, state, ["NEW/USDT"])
    assert isinstance(missing, NotesOnly)
    trade = TradeProposal("NEW/USDT", 1, D(1), D(10), D(10))
    result = evaluate_trade(state, trade, RiskLimits(max_var_pct=1.0), var=missing)
    assert result.action is RiskAction.ALLOW
    assert result.notes == (
        "VaR, position-risk and budget limits not checked: no price history for NEW/USDT",
    )
