"""Target weights of the strategies that move the targets: momentum, mean reversion, risk parity.

**Tilts** (MOMENTUM, MEAN_REVERSION). Each asset's trailing simple return over the lookback,
``r_i = close_today / close_{lookback days ago} − 1``, is ranked across the assets and mapped
linearly to a score ``s_i ∈ [−1, 1]`` (best +1, worst −1, ties share their average rank).
Momentum uses ``s``, mean reversion ``−s``. With ``t = max_tilt_pct / 100`` and base target
``b_i``::

    raw_i    = b_i (1 + t s_i)
    tilted_i = clip(raw_i + μ b_i,  b_i (1 − t),  b_i (1 + t))

with the one ``μ`` that keeps ``Σ tilted = Σ b`` (the cash share is unchanged). So every
tilted target stays within ±t of its base, the best performer's share grows (momentum) or
shrinks (mean reversion), and assets with a zero target stay at zero.

**Risk parity.** Weights from the covariance of daily simple returns over the lookback
(``ddof = 1``), by equal risk contribution or inverse volatility (:mod:`.risk_parity`),
scaled to the invested share (the sum of the base targets).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from desktop_app.lazy import pd

from .errors import RebalanceError
from .rebalance_config import RiskParityMethod
from .risk_parity import inverse_volatility_weights, risk_parity_weights

__all__ = [
    "fit_within_bounds",
    "rank_scores",
    "risk_parity_targets",
    "tilt_targets",
    "trailing_returns",
]


def trailing_returns(closes: pd.DataFrame, lookback_days: int) -> pd.Series:
    """``last close / close lookback_days rows earlier − 1`` per column."""
    if len(closes) < lookback_days + 1:
        raise RebalanceError(
            f"trailing returns over {lookback_days} days need {lookback_days + 1} daily closes, "
            f"got {len(closes)}"
        )
    last = closes.iloc[-1]
    first = closes.iloc[-1 - lookback_days]
    return last / first - 1.0


def rank_scores(values: pd.Series) -> pd.Series:
    """Ranks mapped linearly onto [−1, 1]: highest +1, lowest −1, ties averaged; one asset: 0."""
    if len(values) < 2:
        return pd.Series(0.0, index=values.index)
    ranks = values.rank(method="average")
    return (ranks - 1.0) / (len(values) - 1.0) * 2.0 - 1.0


def fit_within_bounds(
    raw: np.ndarray, low: np.ndarray, high: np.ndarray, step: np.ndarray, total: float
) -> np.ndarray:
    """``clip(raw + μ·step, low, high)`` with the ``μ`` that makes the sum ``total``.

    The sum is continuous and non-decreasing in ``μ``; bisection pins it to machine precision.
    Needs ``Σ low ≤ total ≤ Σ high``.
    """
    if not low.sum() - 1e-12 <= total <= high.sum() + 1e-12:
        raise RebalanceError("the tilt bounds cannot hold the invested share")
    if np.any(step <= 0):
        raise RebalanceError("every tilt step must be positive")
    span = float(np.max((high - low) / step) + np.max(np.abs(raw - low) / step)) + 1.0
    lo_mu, hi_mu = -span, span
    for _ in range(200):
        mid = (lo_mu + hi_mu) / 2
        if np.clip(raw + mid * step, low, high).sum() < total:
            lo_mu = mid
        else:
            hi_mu = mid
    return np.clip(raw + hi_mu * step, low, high)


def tilt_targets(
    base: Mapping[str, float], scores: Mapping[str, float], max_tilt_pct: float
) -> dict[str, float]:
    """Tilt ``base`` by ``scores`` in [−1, 1] within ±max_tilt_pct % of each target."""
    symbols = [s for s, w in base.items() if w > 0]
    if not symbols:
        return dict(base)
    b = np.array([base[s] for s in symbols])
    s = np.array([float(np.clip(scores.get(sym, 0.0), -1.0, 1.0)) for sym in symbols])
    t = max_tilt_pct / 100.0
    low, high = b * (1 - t), b * (1 + t)
    tilted = fit_within_bounds(b * (1 + t * s), low, high, b, float(b.sum()))
    result = dict.fromkeys(base, 0.0)
    result.update({sym: float(w) for sym, w in zip(symbols, tilted, strict=True)})
    return result


def risk_parity_targets(
    closes: pd.DataFrame, method: RiskParityMethod, invested: float
) -> dict[str, float]:
    """Risk parity weights of the columns of ``closes`` scaled to ``invested`` (0..1)."""
    returns = closes.pct_change().iloc[1:]
    if returns.isna().any().any():
        gaps = [str(c) for c in returns.columns[returns.isna().any()]]
        raise RebalanceError(f"price history has gaps for {', '.join(gaps)}")
    if len(returns) < 2:
        raise RebalanceError("risk parity needs at least 3 daily closes per asset")
    cov = returns.cov(ddof=1)
    if method is RiskParityMethod.INVERSE_VOLATILITY:
        weights = inverse_volatility_weights(cov)
    else:
        weights = risk_parity_weights(cov)
    return {str(symbol): float(w) * invested for symbol, w in weights.items()}
