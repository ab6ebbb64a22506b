"""Input handling shared by the metric modules: array-likes in, clean float64 arrays out.

Every metric accepts a numpy array, a list (floats, ints, ``Decimal`` or ``None``) or a
pandas Series. Missing periods are dropped before anything is computed, so one gap in the
history never turns a whole report into NaN. "Missing" means NaN or ``None`` and also the
non-finite values (``inf``) a return over a zero or negative equity would produce: such a
period has no meaningful return, and letting it through would make every metric inf.

Malformed input (a 2-D table where a series is expected, two series of different lengths
that cannot be aligned on an index) is a programming error and raises ``ValueError``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from desktop_app.lazy import pd

#: What the metric functions accept as a series: numpy array, list or pandas Series.
SeriesLike = Any


def as_float_array(values: SeriesLike, name: str = "returns") -> np.ndarray:
    """``values`` as a 1-D float64 array, missing values as NaN (nothing dropped yet)."""
    if isinstance(values, pd.Series):
        array = values.to_numpy(dtype="float64", na_value=np.nan)
    else:
        array = np.asarray(values, dtype="float64")
    if array.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional series, got shape {array.shape}")
    return array


def drop_missing(array: np.ndarray) -> np.ndarray:
    """The finite values of ``array``, in order (the array itself when nothing is missing)."""
    keep = np.isfinite(array)
    return array if keep.all() else array[keep]


def clean_returns(values: SeriesLike, name: str = "returns") -> np.ndarray:
    """Finite float64 returns, missing periods dropped."""
    return drop_missing(as_float_array(values, name))


def clean_pair(returns: SeriesLike, benchmark: SeriesLike) -> tuple[np.ndarray, np.ndarray]:
    """Portfolio and benchmark returns on the same periods, as two equal-length arrays.

    Two pandas Series are aligned on their index (periods present in both); anything else
    is paired by position. A period missing from either side is dropped from both.
    """
    if isinstance(returns, pd.Series) and isinstance(benchmark, pd.Series):
        returns, benchmark = returns.align(benchmark, join="inner")
    r = as_float_array(returns, "returns")
    b = as_float_array(benchmark, "benchmark")
    if r.shape != b.shape:
        raise ValueError(
            f"returns and benchmark must cover the same periods: {r.size} != {b.size} values"
        )
    keep = np.isfinite(r) & np.isfinite(b)
    if keep.all():
        return r, b
    return r[keep], b[keep]


def finite_or_none(value: float | np.floating | None) -> float | None:
    """``value`` as a Python float, or None when it is missing, NaN or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def check_confidence(confidence: float) -> float:
    """Validate a VaR confidence level such as 0.95 (a fraction, not a percentage)."""
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be a fraction between 0 and 1, got {confidence!r}")
    return confidence


def check_periods_per_year(periods_per_year: float) -> float:
    """Validate the annualisation factor P (365 for daily returns)."""
    periods = float(periods_per_year)
    if not (math.isfinite(periods) and periods > 0):
        raise ValueError(f"periods_per_year must be positive, got {periods_per_year!r}")
    return periods


def check_risk_free(risk_free: float) -> float:
    """Validate an annual risk-free rate (0.04 is 4 %); it must be above -100 %."""
    rate = float(risk_free)
    if not (math.isfinite(rate) and rate > -1.0):
        raise ValueError(f"risk_free is an annual rate above -1 (0.04 is 4 %), got {risk_free!r}")
    return rate
