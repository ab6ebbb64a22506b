"""Cross-asset metrics: portfolio volatility, component VaR, correlations, concentration.

Weights are fractions of equity (a 2 % short is -0.02); covariances are per period, of the
positions' simple returns, so the results are per period too (scale a volatility by
``sqrt(P)`` to annualise it).
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from desktop_app.lazy import pd

from .metrics_input import SeriesLike, as_float_array, check_confidence, drop_missing

if TYPE_CHECKING:
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
    values = frame.to_numpy()
    if values.shape[0] >= 2 and np.isfinite(values).all():
        # every period complete: one matrix product instead of pandas' pair-by-pair loop
        result = pd.DataFrame(
            _complete_correlation(values), index=frame.columns, columns=frame.columns
        )
    else:
        frame = frame.where(np.isfinite(values))
        result = frame.corr(method="pearson", min_periods=2).clip(-1.0, 1.0)
    return result if isinstance(returns, pd.DataFrame) else result.to_numpy()


def _complete_correlation(values: np.ndarray) -> np.ndarray:
    """Pearson correlations of complete columns (see :func:`correlation_from_covariance`);
    a column constant up to rounding noise counts as constant (NaN, as pandas gives)."""
    centred = values - values.mean(axis=0)
    cov = centred.T @ centred
    spread = np.sqrt(np.diag(cov) / values.shape[0])
    constant = spread <= 1e-12 * np.abs(values).max(axis=0)
    cov[constant, :] = 0.0
    cov[:, constant] = 0.0
    return correlation_from_covariance(cov)


def correlation_from_covariance(cov: CovarianceLike) -> np.ndarray | pd.DataFrame:
    """Correlations from a covariance matrix: ``S_ij / sqrt(S_ii * S_jj)``, clipped to [-1, 1].

    A variable with zero variance has NaN correlations (its row and column). For the
    covariance of complete return columns this equals :func:`correlation_matrix` of those
    columns, at the cost of one division instead of a pass over the data.
    """
    matrix = np.asarray(cov, dtype="float64")
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"covariance must be a square matrix, got shape {matrix.shape}")
    scale = np.sqrt(np.clip(np.diag(matrix), 0.0, None))
    with np.errstate(all="ignore"):
        result = matrix / np.outer(scale, scale)
    constant = ~(scale > 0.0)
    result[constant, :] = np.nan
    result[:, constant] = np.nan
    result = np.clip(result, -1.0, 1.0)
    if isinstance(cov, pd.DataFrame):
        return pd.DataFrame(result, index=cov.index, columns=cov.columns)
    return result


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
