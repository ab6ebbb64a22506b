"""Portfolio configuration: strategy presets, limits, target allocations.

``PortfolioConfig`` is frozen; the manager replaces it (``dataclasses.replace``) when a setting
changes, persists it, and fires ``config_changed``. The spec's limit fields
(``max_single_position_pct``, ``max_drawdown_pct``, ``rebalance_threshold_pct``) default to
the :class:`PortfolioStrategy` preset when not given; explicit values always win.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from enum import Enum
from typing import Any

from .errors import ConfigError
from .rebalance_config import RebalanceConfig
from .risk_limits import RiskLimits
from .values import Number, parse_symbol, to_decimal

#: Weights may exceed 1 by this much from float rounding (0.6 + 0.3 + 0.1).
WEIGHT_TOLERANCE = 1e-9


class PortfolioStrategy(Enum):
    """Risk appetite presets for the spec's limit fields."""

    CONSERVATIVE = "conservative"
    MODERATE = "moderate"
    AGGRESSIVE = "aggressive"
    CUSTOM = "custom"


#: Preset values of (max_single_position_pct, max_drawdown_pct, rebalance_threshold_pct).
STRATEGY_PRESETS: dict[PortfolioStrategy, dict[str, float]] = {
    PortfolioStrategy.CONSERVATIVE: {
        "max_single_position_pct": 10.0,
        "max_drawdown_pct": 5.0,
        "rebalance_threshold_pct": 5.0,
    },
    PortfolioStrategy.MODERATE: {
        "max_single_position_pct": 25.0,
        "max_drawdown_pct": 15.0,
        "rebalance_threshold_pct": 10.0,
    },
    PortfolioStrategy.AGGRESSIVE: {
        "max_single_position_pct": 50.0,
        "max_drawdown_pct": 25.0,
        "rebalance_threshold_pct": 20.0,
    },
}
# CUSTOM starts from the moderate values for anything the trader leaves out.
STRATEGY_PRESETS[PortfolioStrategy.CUSTOM] = dict(STRATEGY_PRESETS[PortfolioStrategy.MODERATE])


def validate_target_allocations(
    targets: Mapping[str, Number] | None, quote_currency: str
) -> dict[str, float]:
    """Canonical symbols → weights in [0, 1] summing to at most 1 (the rest is cash)."""
    if targets is None:
        return {}
    if not isinstance(targets, Mapping):
        raise ConfigError("target allocations must map symbols to weights, e.g. {'BTC/USDT': 0.6}")
    result: dict[str, float] = {}
    for symbol, weight in targets.items():
        try:
            parsed = parse_symbol(symbol)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if parsed.quote != quote_currency:
            raise ConfigError(
                f"target {parsed} is quoted in {parsed.quote}; this portfolio is in "
                f"{quote_currency}"
            )
        try:
            value = float(to_decimal(weight, f"target weight of {parsed}"))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if not math.isfinite(value) or value < 0 or value > 1:
            raise ConfigError(
                f"target weight of {parsed} must be between 0 and 1 (0 % to 100 %), got {weight}"
            )
        key = str(parsed)
        if key in result:
            raise ConfigError(f"{key} appears twice in the target allocations")
        result[key] = value
    total = math.fsum(result.values())
    if total > 1 + WEIGHT_TOLERANCE:
        raise ConfigError(
            f"target allocations add up to {total * 100:.2f} %; they may not exceed 100 %"
        )
    return result


def _check_pct(name: str, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a number of percent, got {value!r}")
    if not 0 < value <= 100:
        raise ConfigError(f"{name} must be above 0 and at most 100 (percent), got {value}")


@dataclass(frozen=True)
class PortfolioConfig:
    """Everything that configures one portfolio. Percentages are in percent (15.0 = 15 %)."""

    strategy: PortfolioStrategy = PortfolioStrategy.MODERATE
    initial_capital: Decimal = Decimal(10_000)
    quote_currency: str = "USDT"
    target_allocations: dict[str, float] = field(default_factory=dict)
    max_single_position_pct: float | None = None
    max_drawdown_pct: float | None = None
    rebalance_threshold_pct: float | None = None
    rebalance_enabled: bool = False
    #: ``desktop_app.portfolio.risk_limits.RiskLimits`` (a stored dict is converted);
    #: authoritative when given, else built from the fields above (``RiskLimits.from_config``).
    risk_limits: Any = None
    #: ``desktop_app.portfolio.rebalancer.RebalanceConfig``; None builds one from
    #: ``rebalance_threshold_pct``. An explicit ``max_drift_pct`` there is authoritative and
    #: ``rebalance_threshold_pct`` mirrors it.
    rebalance_config: Any = None
    #: A demo portfolio (sample positions on simulated prices); the app labels it DEMO.
    demo: bool = False
    #: Seconds between ``performance_update`` events (0 turns them off).
    performance_update_interval_s: float = 5.0
    #: Fills kept in memory; the full journal stays in the store.
    fill_history_limit: int = 10_000
    #: Seconds between background equity snapshots (the equity curve; 0 turns them off).
    #: A snapshot is also taken after every fill and cash movement.
    snapshot_interval_s: float = 60.0
    #: Seconds between comparisons of the ledger with the balance manager (0 turns them off).
    balance_sync_interval_s: float = 300.0

    def __post_init__(self) -> None:
        if not isinstance(self.strategy, PortfolioStrategy):
            try:
                object.__setattr__(self, "strategy", PortfolioStrategy(str(self.strategy).lower()))
            except ValueError:
                raise ConfigError(f"unknown portfolio strategy {self.strategy!r}") from None
        quote = str(self.quote_currency).strip().upper()
        if not quote.isalnum():
            raise ConfigError(
                f"quote currency must be a code like USDT, got {self.quote_currency!r}"
            )
        object.__setattr__(self, "quote_currency", quote)
        try:
            capital = to_decimal(self.initial_capital, "initial capital")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if capital < 0:
            raise ConfigError(f"initial capital cannot be negative, got {capital}")
        object.__setattr__(self, "initial_capital", capital)
        preset = STRATEGY_PRESETS[self.strategy]
        for name, default in preset.items():
            _check_pct(name, getattr(self, name))
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)
            else:
                object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(
            self,
            "target_allocations",
            validate_target_allocations(self.target_allocations, quote),
        )
        self._resolve_rebalance_config()
        if (
            not isinstance(self.performance_update_interval_s, (int, float))
            or self.performance_update_interval_s < 0
        ):
            raise ConfigError("performance_update_interval_s must be zero or more seconds")
        if (
            not isinstance(self.snapshot_interval_s, (int, float))
            or not math.isfinite(self.snapshot_interval_s)
            or self.snapshot_interval_s < 0
        ):
            raise ConfigError("snapshot_interval_s must be zero or more seconds")
        if (
            not isinstance(self.balance_sync_interval_s, (int, float))
            or not math.isfinite(self.balance_sync_interval_s)
            or self.balance_sync_interval_s < 0
        ):
            raise ConfigError("balance_sync_interval_s must be zero or more seconds")
        if not isinstance(self.fill_history_limit, int) or self.fill_history_limit < 1:
            raise ConfigError("fill_history_limit must be a positive whole number")
        if isinstance(self.risk_limits, Mapping):
            object.__setattr__(self, "risk_limits", RiskLimits.from_dict(self.risk_limits))
        elif self.risk_limits is not None and not isinstance(self.risk_limits, RiskLimits):
            raise ConfigError(
                f"risk_limits must be a RiskLimits (or None for the strategy preset), got "
                f"{type(self.risk_limits).__name__}"
            )

    def _resolve_rebalance_config(self) -> None:
        """Keep ``rebalance_threshold_pct`` and ``rebalance_config.max_drift_pct`` one value."""
        rebalance = self.rebalance_config
        if rebalance is None:
            rebalance = RebalanceConfig()
        elif isinstance(rebalance, Mapping):
            rebalance = RebalanceConfig.from_dict(rebalance)
        elif not isinstance(rebalance, RebalanceConfig):
            raise ConfigError(f"rebalance_config must be a RebalanceConfig, got {rebalance!r}")
        if rebalance.max_drift_pct is None:
            rebalance = replace(rebalance, max_drift_pct=self.rebalance_threshold_pct)
        else:
            object.__setattr__(self, "rebalance_threshold_pct", rebalance.max_drift_pct)
        object.__setattr__(self, "rebalance_config", rebalance)

    def with_changes(self, **changes: Any) -> PortfolioConfig:
        """A validated copy with ``changes`` applied.

        Changing ``rebalance_threshold_pct`` alone moves the rebalance config's drift limit
        with it; a new ``rebalance_config`` with a drift limit moves the threshold.
        """
        if "rebalance_threshold_pct" in changes and "rebalance_config" not in changes:
            changes["rebalance_config"] = replace(self.rebalance_config, max_drift_pct=None)
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for storage; nested configs use their own ``to_dict`` when they have one."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, Decimal):
                value = format(value, "f")
            elif hasattr(value, "to_dict"):
                value = value.to_dict()
            elif isinstance(value, dict):
                value = dict(value)
            data[item.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PortfolioConfig:
        """Rebuild a config stored with :meth:`to_dict`; unknown keys are ignored."""
        known = {item.name for item in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})
