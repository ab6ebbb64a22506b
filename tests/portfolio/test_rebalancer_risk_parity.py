"""Risk parity: the solvers (properties on random covariances) and the RISK_PARITY plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.portfolio import PortfolioManager, RebalanceConfig
from desktop_app.portfolio.daily_closes import FrameDailyCloses
from desktop_app.portfolio.rebalancer import inverse_volatility_weights, risk_parity_weights
from desktop_app.portfolio.risk_parity import InvalidCovarianceError, risk_contributions

from .rebalance_helpers import config


@st.composite
def covariances(draw) -> np.ndarray:
    """Random SPD matrices: random factor loadings, idiosyncratic noise, wild volatilities."""
    n = draw(st.integers(2, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    loadings = rng.normal(size=(n, draw(st.integers(1, n))))
    noise = draw(st.floats(0.01, 2.0))
    corr_like = loadings @ loadings.T + noise * np.eye(n)
    scale = np.sqrt(np.diag(corr_like))
    vols = np.exp(rng.uniform(np.log(0.005), np.log(3.0), n))
    return corr_like / np.outer(scale, scale) * np.outer(vols, vols)


@given(covariances())
def test_risk_parity_contributions_are_equal_on_any_covariance(cov):
    weights = risk_parity_weights(cov)
    assert np.all(weights >= 0) and weights.sum() == pytest.approx(1.0, abs=1e-12)
    contributions = risk_contributions(weights, cov)
    target = 1.0 / len(weights)
    assert np.max(np.abs(contributions - target)) / target <= 1e-6


@given(covariances())
def test_inverse_volatility_weights_are_proportional_to_one_over_sigma(cov):
    weights = inverse_volatility_weights(cov)
    assert np.all(weights > 0) and weights.sum() == pytest.approx(1.0, abs=1e-12)
    sigma = np.sqrt(np.diag(cov))
    assert np.allclose(weights * sigma, (weights * sigma)[0], rtol=1e-12)


def test_risk_parity_is_not_inverse_volatility_when_correlations_differ():
    # A and B are highly correlated, C is independent: ERC gives C more than 1/σ would
    vol = np.array([0.2, 0.2, 0.2])
    corr = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.0], [0.0, 0.0, 1.0]])
    cov = corr * np.outer(vol, vol)
    erc = risk_parity_weights(cov)
    assert inverse_volatility_weights(cov) == pytest.approx([1 / 3] * 3)
    assert erc[2] > 0.4 and erc[0] == pytest.approx(erc[1])
    rc = risk_contributions(erc, cov)
    assert np.ptp(rc) / rc.mean() < 1e-6


def test_a_dataframe_gives_labelled_weights():
    cov = pd.DataFrame([[0.04, 0.0], [0.0, 0.01]], index=["A", "B"], columns=["A", "B"])
    weights = risk_parity_weights(cov)
    assert list(weights.index) == ["A", "B"]
    assert weights["B"] == pytest.approx(2 / 3)  # uncorrelated: ERC equals inverse volatility


@pytest.mark.parametrize(
    ("cov", "message"),
    [
        ([[1.0, 1.0], [1.0, 1.0]], "singular"),
        ([[0.04, 0.0], [0.0, 0.0]], "no variance"),
        ([[0.04, 0.01], [0.02, 0.04]], "not symmetric"),
        ([[0.04, float("nan")], [float("nan"), 0.04]], "NaN"),
        ([[0.04, 0.0, 0.0], [0.0, 0.04, 0.0]], "square"),
        ("covariance", "square matrix of numbers"),
    ],
)
def test_degenerate_covariances_are_refused_with_the_reason(cov, message):
    with pytest.raises(InvalidCovarianceError, match=message):
        risk_parity_weights(cov)


def test_one_asset_gets_everything():
    assert risk_parity_weights([[0.09]]) == pytest.approx([1.0])


def simulated_closes(days: int, end: datetime) -> pd.DataFrame:
    """Three assets with daily vols of 1 %, 2 % and 4 % and modest correlation."""
    rng = np.random.default_rng(7)
    common = rng.normal(size=days)
    vols = np.array([0.01, 0.02, 0.04])
    shocks = 0.4 * common[:, None] + np.sqrt(1 - 0.16) * rng.normal(size=(days, 3))
    prices = 100 * np.cumprod(1 + shocks * vols, axis=0)
    index = pd.date_range(end=end, periods=days, freq="1D", tz="UTC")
    return pd.DataFrame(prices, index=index, columns=["BTC/USDT", "ETH/USDT", "SOL/USDT"])


@pytest.mark.parametrize("method", ["equal_risk_contribution", "inverse_volatility"])
async def test_risk_parity_plan_trades_to_the_solved_weights_of_the_invested_share(method):
    now = datetime(2025, 6, 1, tzinfo=UTC)
    closes = simulated_closes(120, now - timedelta(days=1))
    rebalance = RebalanceConfig(risk_parity_lookback_days=90, risk_parity_method=method)
    targets = {"BTC/USDT": 0.3, "ETH/USDT": 0.3, "SOL/USDT": 0.3}  # 90 % invested
    async with PortfolioManager(
        config(rebalance_config=rebalance, target_allocations=targets)
    ) as pm:
        pm.rebalancer.close_source = FrameDailyCloses(closes)
        pm.rebalancer.clock = lambda: now
        await pm.update_prices({s: str(closes[s].iloc[-1]) for s in targets})
        plan = await pm.rebalancer.create_rebalance_plan("risk_parity")
        goal = np.array([plan.target_weights[s] for s in targets])
        assert goal.sum() == pytest.approx(0.9, abs=1e-12)
        cov = closes.iloc[-91:].pct_change().iloc[1:].cov().to_numpy()
        solver = (
            risk_parity_weights
            if method == "equal_risk_contribution"
            else inverse_volatility_weights
        )
        assert goal / 0.9 == pytest.approx(solver(cov), rel=1e-9)
        assert goal[0] > goal[1] > goal[2]  # the calmest asset gets the most
        result = await pm.rebalancer.execute_rebalance_plan(plan)
        held = np.array([result.weights_after[s] for s in targets])
        assert held == pytest.approx(goal, abs=1e-6)
        if method == "equal_risk_contribution":
            rc = risk_contributions(held, cov)
            assert np.ptp(rc) / rc.mean() < 1e-4  # equal up to lot rounding
