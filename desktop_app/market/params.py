"""Parameters of the simulated market: drift, volatility and correlation per symbol.

The shipped file ``resources/market/simulation_params.json`` is estimated from real daily
closes by :mod:`desktop_app.market.estimate_params`; nothing in it is invented. The model is
correlated geometric Brownian motion, annualised with 365 periods a year (METRICS.md)::

    log S_i(t + dt) = log S_i(t) + (mu_i - sigma_i**2 / 2) * dt + sigma_i * sqrt(dt) * (L z)_i

with ``dt`` in years, ``z`` independent standard normals and ``L`` the Cholesky factor of the
correlation matrix, so ``E[S(t)] = S(0) * exp(mu * t)`` and the log returns of symbols i and j
have correlation ``rho_ij``.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.portfolio.values import normalize_symbol
from desktop_app.resources import resource_path

from .errors import MarketDataError

__all__ = ["DERIVED_CORRELATION", "PARAMS_RESOURCE", "SimulationParams"]

#: Where the shipped parameters live inside ``resources/``.
PARAMS_RESOURCE = ("market", "simulation_params.json")

#: A JSON list of plain numbers spread over several lines by ``json.dumps(indent=...)``.
_NUMBER_LIST = re.compile(r"\[\s*((?:-?[0-9.eE+-]+,?\s*)+)\]")

#: Correlation matrices are checked to this tolerance (symmetry, unit diagonal).
_CORRELATION_TOLERANCE = 1e-9

#: How closely a symbol derived from the basket follows its parent (see ``with_symbols``).
DERIVED_CORRELATION = 0.8


def _stable_hash(symbol: str) -> int:
    """The same number for a symbol in every run (Python's ``hash`` is salted per process)."""
    return zlib.crc32(symbol.encode("utf-8"))


@dataclass(frozen=True)
class SimulationParams:
    """Start prices, annual drift ``mu``, annual volatility ``sigma`` and correlations.

    ``correlation[i][j]`` pairs ``symbols[i]`` and ``symbols[j]``. Validated on creation:
    finite positive prices and volatilities, a symmetric positive-definite correlation matrix
    with a unit diagonal.
    """

    symbols: tuple[str, ...]
    start_prices: tuple[float, ...]
    drift_annual: tuple[float, ...]
    volatility_annual: tuple[float, ...]
    correlation: tuple[tuple[float, ...], ...]
    periods_per_year: int = 365
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        symbols = tuple(normalize_symbol(s) for s in self.symbols)
        object.__setattr__(self, "symbols", symbols)
        n = len(symbols)
        if n == 0:
            raise MarketDataError("a simulated market needs at least one symbol")
        if len(set(symbols)) != n:
            raise MarketDataError("a symbol appears twice in the simulation parameters")
        for name in ("start_prices", "drift_annual", "volatility_annual"):
            values = tuple(float(v) for v in getattr(self, name))
            if len(values) != n or not all(math.isfinite(v) for v in values):
                raise MarketDataError(f"{name} needs one finite number per symbol ({n})")
            object.__setattr__(self, name, values)
        if min(self.start_prices) <= 0 or min(self.volatility_annual) < 0:
            raise MarketDataError("start prices must be positive and volatilities not negative")
        corr = np.asarray(self.correlation, dtype=float)
        if corr.shape != (n, n):
            raise MarketDataError(f"the correlation matrix must be {n}×{n}, got {corr.shape}")
        if (
            not np.allclose(corr, corr.T, atol=_CORRELATION_TOLERANCE)
            or not np.allclose(np.diag(corr), 1.0, atol=_CORRELATION_TOLERANCE)
            or np.abs(corr).max() > 1 + _CORRELATION_TOLERANCE
        ):
            raise MarketDataError(
                "the correlation matrix must be symmetric with ones on the diagonal"
            )
        corr = (corr + corr.T) / 2  # exact symmetry; estimates differ in the last bit
        try:
            np.linalg.cholesky(corr)
        except np.linalg.LinAlgError:
            raise MarketDataError("the correlation matrix is not positive definite") from None
        object.__setattr__(self, "correlation", tuple(tuple(map(float, row)) for row in corr))

    # ------------------------------------------------------------------ views
    def cholesky(self) -> np.ndarray:
        """Lower-triangular ``L`` with ``L @ L.T == correlation``."""
        return np.linalg.cholesky(np.asarray(self.correlation))

    def start_price(self, symbol: str) -> float:
        return self.start_prices[self.symbols.index(normalize_symbol(symbol))]

    def subset(self, symbols: Sequence[str]) -> SimulationParams:
        """The parameters of some of the symbols (their correlations are kept)."""
        wanted = [normalize_symbol(s) for s in symbols]
        missing = [s for s in wanted if s not in self.symbols]
        if missing:
            raise MarketDataError(
                f"the simulated market has no {', '.join(missing)}; it simulates "
                f"{', '.join(self.symbols)}"
            )
        idx = [self.symbols.index(s) for s in wanted]
        corr = np.asarray(self.correlation)[np.ix_(idx, idx)]
        return SimulationParams(
            symbols=tuple(wanted),
            start_prices=tuple(self.start_prices[i] for i in idx),
            drift_annual=tuple(self.drift_annual[i] for i in idx),
            volatility_annual=tuple(self.volatility_annual[i] for i in idx),
            correlation=tuple(map(tuple, corr)),
            periods_per_year=self.periods_per_year,
            metadata=self.metadata,
        )

    def with_symbols(
        self, symbols: Sequence[str], *, derived_correlation: float = DERIVED_CORRELATION
    ) -> SimulationParams:
        """Parameters for exactly ``symbols``: the basket's own where it has them, derived
        from the basket for the others (benchmarks and demos of a book of hundreds of coins).

        A symbol the basket lacks follows a *parent* basket symbol, picked by a stable hash
        of its name (so its parameters do not depend on the list's order), through a
        one-factor model with ``rho = derived_correlation``::

            z_derived = rho * z_parent + sqrt(1 - rho**2) * e      (e independent)

        It keeps the parent's drift and volatility, starts at the parent's price times a
        factor in [0.5, 2) from the same hash, and its correlations follow: ``rho * c`` with
        the basket where the parent has ``c``, ``rho**2 * c`` with another derived symbol
        whose parent has ``c`` with this one's (``rho**2`` when they share the parent). That
        is the covariance of actual random variables, so the matrix is always positive
        definite.
        """
        if not 0 <= derived_correlation < 1:
            raise MarketDataError(
                f"derived_correlation must be at least 0 and below 1, got {derived_correlation}"
            )
        wanted = [normalize_symbol(s) for s in symbols]
        if len(set(wanted)) != len(wanted):
            raise MarketDataError("a symbol appears twice in the list to simulate")
        parent = [
            self.symbols.index(s) if s in self.symbols else _stable_hash(s) % len(self.symbols)
            for s in wanted
        ]
        derived = np.array([s not in self.symbols for s in wanted])
        base = np.asarray(self.correlation)[np.ix_(parent, parent)]
        loading = np.where(derived, derived_correlation, 1.0)
        corr = base * np.outer(loading, loading)
        np.fill_diagonal(corr, 1.0)
        scale = [
            2.0 ** ((_stable_hash(s) >> 8) % 1000 / 500.0 - 1.0) if d else 1.0
            for s, d in zip(wanted, derived, strict=True)
        ]
        return SimulationParams(
            symbols=tuple(wanted),
            start_prices=tuple(
                self.start_prices[i] * k for i, k in zip(parent, scale, strict=True)
            ),
            drift_annual=tuple(self.drift_annual[i] for i in parent),
            volatility_annual=tuple(self.volatility_annual[i] for i in parent),
            correlation=tuple(map(tuple, corr)),
            periods_per_year=self.periods_per_year,
            metadata={
                **self.metadata,
                "derived_symbols": [s for s, d in zip(wanted, derived, strict=True) if d],
            },
        )

    # ---------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            **dict(self.metadata),
            "periods_per_year": self.periods_per_year,
            "symbols": list(self.symbols),
            "start_prices": dict(zip(self.symbols, self.start_prices, strict=True)),
            "drift_annual": dict(zip(self.symbols, self.drift_annual, strict=True)),
            "volatility_annual": dict(zip(self.symbols, self.volatility_annual, strict=True)),
            "correlation": [list(row) for row in self.correlation],
            "cholesky": self.cholesky().tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimulationParams:
        try:
            symbols = [str(s) for s in data["symbols"]]
            per_symbol = {
                name: tuple(float(data[name][s]) for s in symbols)
                for name in ("start_prices", "drift_annual", "volatility_annual")
            }
            known = {*per_symbol, "symbols", "correlation", "cholesky", "periods_per_year"}
            return cls(
                symbols=tuple(symbols),
                correlation=tuple(tuple(float(v) for v in row) for row in data["correlation"]),
                periods_per_year=int(data.get("periods_per_year", 365)),
                metadata={k: v for k, v in data.items() if k not in known},
                **per_symbol,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MarketDataError(
                f"simulation parameters are incomplete or malformed: {exc}"
            ) from None

    def save(self, path: Path) -> None:
        """Write JSON with one matrix row per line (readable diffs when re-estimated)."""
        text = json.dumps(self.to_dict(), indent=2)
        text = _NUMBER_LIST.sub(lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | None = None) -> SimulationParams:
        """The parameters in ``path``, or the shipped ones."""
        source = path if path is not None else resource_path(*PARAMS_RESOURCE)
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MarketDataError(f"cannot read simulation parameters {source}: {exc}") from None
        return cls.from_dict(data)
