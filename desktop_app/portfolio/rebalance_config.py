"""Rebalancing settings: the spec's ``RebalanceConfig`` and the ``RebalanceStrategy`` enum.

Kept apart from the rebalancer so :class:`~desktop_app.portfolio.config.PortfolioConfig` can
hold and persist a ``RebalanceConfig`` without importing the rebalancing machinery.

Drift is measured in **percentage points of equity**: a 60 % target held at 75 % has drifted
+15 pp, and ``max_drift_pct=10.0`` trades it. ``max_drift_pct`` left at None follows the
portfolio's ``rebalance_threshold_pct`` (its strategy preset); a value given here is
authoritative and the portfolio's threshold mirrors it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import Enum
from typing import Any

from .errors import ConfigError
from .values import to_decimal

__all__ = ["RebalanceConfig", "RebalanceStrategy", "RiskParityMethod"]


class RebalanceStrategy(Enum):
    """How a rebalance decides its trades; ``.value`` is what the UI shows."""

    THRESHOLD = "threshold"  # trade back to target only the assets drifted beyond the limit
    DCA = "dca"  # buy a budget slice toward the targets
    GRID = "grid"  # buy below / sell above a price grid per symbol
    MOMENTUM = "momentum"  # tilt targets toward the best trailing returns
    MEAN_REVERSION = "mean_reversion"  # tilt targets away from the best trailing returns
    RISK_PARITY = "risk_parity"  # equal risk contributions (or inverse volatility)


class RiskParityMethod(Enum):
    EQUAL_RISK_CONTRIBUTION = "equal_risk_contribution"  # from the full covariance
    INVERSE_VOLATILITY = "inverse_volatility"  # w_i ∝ 1 / sigma_i, correlations ignored


def _number(name: str, value: Any, *, low: float, high: float, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    if value < low or value > high or (low_open and value == low):
        bound = "above" if low_open else "at least"
        raise ConfigError(f"{name} must be {bound} {low} and at most {high}, got {value}")
    return float(value)


def _decimal(name: str, value: Any, *, low: Decimal, high: Decimal | None = None) -> Decimal:
    try:
        result = to_decimal(value, name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if result < low or (high is not None and result > high):
        upper = f" and at most {high}" if high is not None else ""
        raise ConfigError(f"{name} must be at least {low}{upper}, got {value}")
    return result


@dataclass(frozen=True)
class RebalanceConfig:
    """Everything that shapes a rebalance. Percentages in percent, rates as fractions.

    Costs: ``fee_rate`` (0.001 = 0.1 % of notional) and ``slippage_bps`` (5 = 0.05 % of the
    mark) are the cost model every plan is estimated with; the manager's default paper
    executor fills with exactly these, so its fills cost what the plan said.
    """

    max_drift_pct: float | None = None
    rebalance_interval_hours: float = 24.0
    max_rebalance_cost_pct: float = 0.5
    dry_run: bool = False
    #: The strategy ``auto_rebalance()`` and ``rebalance_portfolio()`` use by default.
    strategy: RebalanceStrategy = RebalanceStrategy.THRESHOLD
    fee_rate: Decimal = Decimal("0.001")
    slippage_bps: Decimal = Decimal(5)
    #: Orders worth less than this (quote currency) are skipped: exchanges refuse dust.
    min_order_value: Decimal = Decimal(10)
    #: Sizes are rounded down to 10**-size_decimals when the executor knows no lot size.
    size_decimals: int = 8
    #: A plan older than this is refused at execution: its prices are stale.
    max_plan_age_s: float = 300.0
    momentum_lookback_days: int = 30
    mean_reversion_lookback_days: int = 30
    #: Each tilted target stays within ±max_tilt_pct % of its base target (50: 40 % → 20..60 %).
    max_tilt_pct: float = 50.0
    risk_parity_lookback_days: int = 90
    risk_parity_method: RiskParityMethod = RiskParityMethod.EQUAL_RISK_CONTRIBUTION
    #: Quote amount of one DCA installment when no DCA schedule is active.
    dca_amount: Decimal = Decimal(100)
    #: Seconds between automation checks (DCA schedules, auto rebalance); 0 turns them off.
    automation_check_interval_s: float = 60.0

    def __post_init__(self) -> None:
        if self.max_drift_pct is not None:
            value = _number("max_drift_pct", self.max_drift_pct, low=0, high=100, low_open=True)
            object.__setattr__(self, "max_drift_pct", value)
        checks = {
            "rebalance_interval_hours": (0.0, 24.0 * 366),
            "max_rebalance_cost_pct": (0.0, 100.0),
            "max_plan_age_s": (1.0, 86_400.0),
            "max_tilt_pct": (0.0, 100.0),
            "automation_check_interval_s": (0.0, 86_400.0),
        }
        for name, (low, high) in checks.items():
            object.__setattr__(self, name, _number(name, getattr(self, name), low=low, high=high))
        for name in ("momentum_lookback_days", "mean_reversion_lookback_days"):
            self._whole(name, 1, 3650)
        self._whole("risk_parity_lookback_days", 5, 3650)
        self._whole("size_decimals", 0, 18)
        fee = _decimal("fee_rate", self.fee_rate, low=Decimal(0), high=Decimal("0.1"))
        object.__setattr__(self, "fee_rate", fee)
        slip = _decimal("slippage_bps", self.slippage_bps, low=Decimal(0), high=Decimal(1000))
        object.__setattr__(self, "slippage_bps", slip)
        for name in ("min_order_value", "dca_amount"):
            object.__setattr__(self, name, _decimal(name, getattr(self, name), low=Decimal(0)))
        if not isinstance(self.dry_run, bool):
            raise ConfigError(f"dry_run must be True or False, got {self.dry_run!r}")
        object.__setattr__(self, "strategy", _enum(RebalanceStrategy, self.strategy))
        method = _enum(RiskParityMethod, self.risk_parity_method)
        object.__setattr__(self, "risk_parity_method", method)

    def _whole(self, name: str, low: int, high: int) -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")

    @property
    def size_step(self) -> Decimal:
        return Decimal(1).scaleb(-self.size_decimals)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, Decimal):
                value = format(value, "f")
            data[item.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RebalanceConfig:
        known = {item.name for item in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def _enum(kind: type[Enum], value: Any) -> Any:
    if isinstance(value, kind):
        return value
    try:
        return kind(str(getattr(value, "value", value)).lower())
    except ValueError:
        names = ", ".join(member.value for member in kind)
        raise ConfigError(f"unknown {kind.__name__} {value!r}; choose one of {names}") from None
