"""Cross-asset metrics: portfolio volatility, component VaR, correlations, concentration.

Weights are fractions of equity (a 2 % short is -0.02); covariances are per period, of the
positions' simple returns, so the results are per period too (scale a volatility by
``sqrt(P)`` to annualise it).
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import NormalDist

import numpy as np
import pandas as pd

from .metrics_input import SeriesLike, as_float_array, check_confidence, drop_missing

CovarianceLike = np.ndarray | pd.DataFrame


def _weights_and_covariance(
    weights: SeriesLike, cov: CovarianceLike
) -> tuple[np.ndarray, np.ndarray] | None:
    """Validated float arrays; None when empty or anything is missing.

    A pandas Series of weights picks its rows and columns out of a covariance DataFrame by
    label, so the two need not be in the same order.
    """
    if isinstance(weights, pd.Series) and isinstance(cov, pd.DataFrame):
        cov = cov.reindex(index=weights.index, columns=weights.index)
    w = as_float_array(weights, "weights")
    matrix = np.asarray(cov, dtype="float64")
    if matrix.shape != (w.size, w.size):
        raise ValueError(
            f"covariance must be {w.size} x {w.size} for {w.size} weights, got {matrix.shape}"
        )
    if w.size == 0 or not (np.isfinite(w).all() and np.isfinite(matrix).all()):
        return None
    return w, matrix


def portfolio_volatility(weights: SeriesLike, cov: CovarianceLike) -> float | None:
    """Per-period volatility of the portfolio return: ``sqrt(w' S w)``.

    None when empty, when a weight or covariance is missing, or when ``w' S w`` is not
    positive (no risk, or a covariance that is not positive semi-definite).
    """
    prepared = _weights_and_covariance(weights, cov)
    if prepared is None:
        return None
    w, matrix = prepared
    variance = float(w @ matrix @ w)
    return float(np.sqrt(variance)) if variance > 0.0 and np.isfinite(variance) else None


def component_var(
    weights: SeriesLike, cov: CovarianceLike, confidence: float = 0.95
) -> np.ndarray | pd.Series | None:
    """Each position's share of the parametric VaR: ``w_i (S w)_i / sqrt(w' S w) * z_c``.

    ``z_c`` is the standard normal quantile at ``confidence`` (1.645 at 0.95). The components
    are positive loss fractions of equity for positions that add risk (negative for hedges)
    and sum to the zero-mean parametric portfolio VaR ``z_c * sqrt(w' S w)``. Returned as an
    array, or a Series on the weights' index when the weights are a Series. None when
    :func:`portfolio_volatility` is None.
    """
    marginal = marginal_var(weights, cov, confidence)
    if marginal is None:
        return None
    components = as_float_array(weights, "weights") * np.asarray(marginal)
    if isinstance(marginal, pd.Series):
        return pd.Series(components, index=marginal.index, name="component_var")
    return components


def marginal_var(
    weights: SeriesLike, cov: CovarianceLike, confidence: float = 0.95
) -> np.ndarray | pd.Series | None:
    """VaR added per unit of weight in each position: ``(S w)_i / sqrt(w' S w) * z_c``.

    ``component_var = w * marginal_var``. Attribution uses it to give a group of exposures
    (a strategy holding several coins) its Euler share of the portfolio VaR,
    ``sum_i w_{g,i} * marginal_i``, which stays additive over any partition of the
    positions. Returned like :func:`component_var`; None when it is None.
    """
    z = NormalDist().inv_cdf(check_confidence(confidence))
    prepared = _weights_and_covariance(weights, cov)
    if prepared is None:
        return None
    w, matrix = prepared
    marginal = matrix @ w
    variance = float(w @ marginal)
    if not (variance > 0.0 and np.isfinite(variance)):
        return None
    values = marginal / np.sqrt(variance) * z
    if isinstance(weights, pd.Series):
        return pd.Series(values, index=weights.index, name="marginal_var")
    return values


def correlation_matrix(returns: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
    """Pearson correlations between the columns, each pair on the periods both have.

    ``returns`` has one column per asset, one row per period; NaN marks a missing period
    and is skipped pairwise, so a coin listed later still correlates over its own history.
    A pair with fewer than 2 shared periods, or a constant column, has NaN (the matrix
    cell is empty, "—"). A 2-D array gives an array back.
    """
    if isinstance(returns, pd.DataFrame):
        frame = returns.astype("float64")
    else:
        array = np.asarray(returns, dtype="float64")
        if array.ndim != 2:
            raise ValueError(f"returns must be a 2-D table (periods x assets), got {array.shape}")
        frame = pd.DataFrame(array)
    frame = frame.where(np.isfinite(frame.to_numpy()))
    result = frame.corr(method="pearson", min_periods=2).clip(-1.0, 1.0)
    return result if isinstance(returns, pd.DataFrame) else result.to_numpy()


def hhi(weights: SeriesLike | Mapping[object, float]) -> float | None:
    """Herfindahl-Hirschman concentration: ``sum(|w_i| ** 2)`` over position weights of equity.

    1.0 is everything in one position, 1/k an equal split over k; with leverage it can
    exceed 1. Missing weights are dropped; None when no weight is left.
    """
    if isinstance(weights, Mapping):
        weights = list(weights.values())
    w = drop_missing(as_float_array(weights, "weights"))
    if w.size == 0:
        return None
    value = float(np.abs(w) @ np.abs(w))
    return value if np.isfinite(value) else None
