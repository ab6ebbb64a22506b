"""Risk parity weights from a covariance matrix: equal risk contribution and inverse volatility.

**Equal risk contribution (ERC).** With portfolio variance ``σ² = wᵀΣw``, asset ``i``
contributes ``RC_i = w_i (Σw)_i`` (the contributions add up to ``σ²``). ERC weights make every
``RC_i`` equal. Following Spinu (2013), they are the normalised minimiser of the strictly
convex function::

    f(x) = ½ xᵀ Σ x − Σ_i b_i ln x_i,      b_i = 1/n,  x > 0

whose optimality condition ``(Σx)_i − b_i / x_i = 0`` is exactly ``x_i (Σx)_i = b_i``. We solve
it with damped Newton steps (Hessian ``Σ + diag(b / x²)``, backtracking to stay positive and
decrease ``f``; pure Newton steps once the Newton decrement is below 1e-10, where the
decrease of ``f`` is below float resolution) on the correlation-scaled matrix ``C = DΣD``
(``D = diag(1/σ_i)``), which leaves the contributions unchanged (``x = Dy`` gives
``x_i(Σx)_i = y_i(Cy)_i``) and makes the iteration independent of the assets' volatility
levels. Iteration stops when
``max_i |y_i (Cy)_i − b_i| ≤ tol · b_i`` (default ``tol = 1e-10``; for a badly conditioned
matrix, whose residuals stall at float resolution ``n · eps · cond(C)``, at that floor).
Newton's quadratic convergence gets there in a handful of steps.

**Inverse volatility** ``w_i ∝ 1 / σ_i`` ignores correlations; it equals ERC only when all
correlations are equal. Offered as the simpler, more robust alternative.

A covariance that is not symmetric positive definite (an asset with no variance, two assets
that move identically, NaNs) gets :class:`InvalidCovarianceError` naming the problem.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from desktop_app.lazy import pd

from .errors import RebalanceError

__all__ = [
    "InvalidCovarianceError",
    "inverse_volatility_weights",
    "risk_contributions",
    "risk_parity_weights",
]

#: Smallest eigenvalue, relative to the largest, of a usable covariance matrix.
MIN_RELATIVE_EIGENVALUE = 1e-10


class InvalidCovarianceError(RebalanceError, ValueError):
    """The covariance matrix cannot give risk parity weights (singular, NaN, not square)."""


def _matrix(cov: Any) -> tuple[np.ndarray, pd.Index | None]:
    labels = cov.columns if isinstance(cov, pd.DataFrame) else None
    try:
        matrix = np.array(cov, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidCovarianceError("the covariance must be a square matrix of numbers") from None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise InvalidCovarianceError(
            f"the covariance must be a non-empty square matrix, got shape {matrix.shape}"
        )
    if not np.all(np.isfinite(matrix)):
        raise InvalidCovarianceError("the covariance contains NaN or infinite values")
    scale = float(np.max(np.abs(matrix)))
    if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-14 * max(scale, 1e-300)):
        raise InvalidCovarianceError("the covariance matrix is not symmetric")
    variances = np.diag(matrix)
    if np.any(variances <= 0):
        names = _names(labels, np.flatnonzero(variances <= 0))
        raise InvalidCovarianceError(
            f"{names} have no variance; risk parity needs every asset to move"
        )
    return (matrix + matrix.T) / 2, labels


def _names(labels: pd.Index | None, indices: np.ndarray) -> str:
    if labels is None:
        return "assets " + ", ".join(str(i) for i in indices)
    return ", ".join(str(labels[i]) for i in indices)


def _result(weights: np.ndarray, labels: pd.Index | None) -> Any:
    return pd.Series(weights, index=labels) if labels is not None else weights


def inverse_volatility_weights(cov: Any) -> Any:
    """``w_i = (1/σ_i) / Σ_j (1/σ_j)`` from the diagonal of ``cov`` (long-only, sums to 1)."""
    matrix, labels = _matrix(cov)
    inverse = 1.0 / np.sqrt(np.diag(matrix))
    return _result(inverse / inverse.sum(), labels)


def risk_contributions(weights: Any, cov: Any) -> np.ndarray:
    """Each asset's share of portfolio variance: ``w_i (Σw)_i / wᵀΣw`` (sums to 1)."""
    matrix = np.asarray(cov, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    marginal = matrix @ w
    return w * marginal / float(w @ marginal)


def risk_parity_weights(cov: Any, *, tol: float = 1e-10, max_iterations: int = 200) -> Any:
    """Equal-risk-contribution weights (long-only, summing to 1) for covariance ``cov``.

    Returns a numpy array, or a pandas Series indexed like ``cov`` when given a DataFrame.
    """
    matrix, labels = _matrix(cov)
    n = matrix.shape[0]
    if n == 1:
        return _result(np.ones(1), labels)
    scale = 1.0 / np.sqrt(np.diag(matrix))
    corr = matrix * np.outer(scale, scale)
    eigenvalues = np.linalg.eigvalsh(corr)
    if eigenvalues[0] <= MIN_RELATIVE_EIGENVALUE * eigenvalues[-1]:
        raise InvalidCovarianceError(
            "the covariance matrix is singular: some assets are (almost) exact combinations of "
            "others, e.g. two that always move together; drop one of them"
        )
    # What float64 can resolve: residuals of an ill-conditioned matrix stall near
    # n * eps * cond, so that floor (when above ``tol``) is where we stop.
    resolution = n * np.finfo(np.float64).eps * float(eigenvalues[-1] / eigenvalues[0])
    threshold = max(tol, resolution)
    budget = np.full(n, 1.0 / n)
    y = np.ones(n) / np.sqrt(corr.sum())

    def objective(v: np.ndarray) -> float:
        return 0.5 * float(v @ corr @ v) - float(budget @ np.log(v))

    for _ in range(max_iterations):
        cy = corr @ y
        if np.max(np.abs(y * cy - budget)) <= threshold * budget[0]:
            break
        gradient = cy - budget / y
        hessian = corr + np.diag(budget / (y * y))
        step = -np.linalg.solve(hessian, gradient)
        slope = float(gradient @ step)
        current = objective(y)
        t = 1.0
        # Close to the optimum (Newton decrement below 1e-10) the objective's decrease is
        # under float resolution, so Armijo's test is noise: take the full (quadratically
        # convergent) step, only halving it to stay positive.
        pure_newton = -slope < 1e-10
        while True:
            candidate = y + t * step
            if np.all(candidate > 0) and (
                pure_newton or objective(candidate) <= current + 1e-4 * t * slope
            ):
                break
            t *= 0.5
            if t < 1e-20:  # a PD matrix always admits a descent step
                raise InvalidCovarianceError("risk parity did not converge on this covariance")
        y = candidate
    else:
        raise InvalidCovarianceError(
            f"risk parity did not converge within {max_iterations} Newton steps"
        )
    x = y * scale
    return _result(x / x.sum(), labels)
