"""Risk limits: what the risk manager enforces, and what each circuit breaker does.

``RiskLimits`` is frozen; a live edit replaces it (``manager.risk_manager.limits = ...`` or
``await manager.risk_manager.update_limits(max_positions=12)``), takes effect on the next
check and is persisted with the portfolio configuration. Every limit may be ``None``: not
enforced (``RiskLimits.disabled()`` turns them all off, for a ledger-only portfolio).

Percentages are in percent of equity (``20.0`` is 20 %). The defaults are the spec's example
plus, for the limits the spec does not name, values a crypto desk would start from:

==============================  =======  ===================================================
limit                           default  measure (post-trade for pre-trade checks)
==============================  =======  ===================================================
max_portfolio_risk_pct          2.0      one position's 1-day 95 % VaR (its notional times
                                         the symbol's historical VaR), % of equity: the risk
                                         per trade; fixed-fractional sizing spends it
max_single_position_pct         20.0     one position's notional, % of equity
max_symbol_exposure_pct         30.0     sum of the notionals of all positions in a symbol
                                         (long and short: gross), % of equity
max_gross_exposure_pct          100.0    long + short notional, % of equity: the desk's
                                         operating limit
max_leverage                    1.0      gross exposure / equity: the account's hard limit
                                         (the tighter of the two binds)
max_positions                   10       open positions
max_var_pct                     8.0      portfolio 1-day 95 % historical VaR, % of equity
max_drawdown_pct                15.0     breaker: fall of the time-weighted equity (NAV)
                                         from its peak, open positions marked to market
max_daily_loss_pct              5.0      breaker: fall of the NAV since 00:00 UTC
max_consecutive_losses          5        breaker: losing closed positions in a row, then
                                         ``loss_cooldown_minutes`` without new exposure
==============================  =======  ===================================================

Risk budgets (``var_budget_by_strategy_pct``, ``var_budget_by_symbol_pct``) give a strategy
or a symbol a share, in percent, of the VaR limit ``max_var_pct``: its component VaR (the
Euler share of the portfolio's parametric VaR, see METRICS.md) may not exceed that share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from typing import Any

from .errors import ConfigError
from .values import parse_symbol


class BreakerAction(Enum):
    """What a tripped circuit breaker does. Every trip is logged, persisted and announced."""

    ALERT = "alert"  # announce only; the portfolio keeps trading
    REDUCE = "reduce"  # status REDUCING: only exposure-reducing trades
    PAUSE = "pause"  # status PAUSED: no new exposure, no automated trading
    LIQUIDATE = "liquidate"  # close every position at its last price (status LIQUIDATED)


#: The breakers, with the limit that arms each one and the field holding its action.
BREAKER_LIMITS: dict[str, str] = {
    "drawdown": "max_drawdown_pct",
    "daily_loss": "max_daily_loss_pct",
    "var": "max_var_pct",
    "consecutive_losses": "max_consecutive_losses",
}

DEFAULT_SYMBOL_EXPOSURE_PCT = 30.0

_PCT_LIMITS = (
    "max_portfolio_risk_pct",
    "max_single_position_pct",
    "max_drawdown_pct",
    "max_daily_loss_pct",
    "max_var_pct",
)
_OPEN_PCT_LIMITS = ("max_symbol_exposure_pct", "max_gross_exposure_pct")  # may exceed 100
_COUNT_LIMITS = ("max_positions", "max_consecutive_losses")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    return float(value)


def _budgets(name: str, value: Any, *, symbols: bool) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name} must map names to percentages, e.g. {{'momentum': 40.0}}")
    result: dict[str, float] = {}
    for key, pct in value.items():
        if symbols:
            try:
                label = str(parse_symbol(key))
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from None
        else:
            label = str(key).strip()
            if not label:
                raise ConfigError(f"{name}: a strategy name must not be empty")
        share = _number(f"{name}[{label}]", pct)
        if not 0 < share <= 100:
            raise ConfigError(
                f"{name}[{label}] is a share of the VaR limit in percent: above 0 and at "
                f"most 100, got {pct}"
            )
        result[label] = share
    return result


@dataclass(frozen=True)
class RiskLimits:
    """The limits the risk manager enforces (see the module docstring for each measure)."""

    max_portfolio_risk_pct: float | None = 2.0
    max_single_position_pct: float | None = 20.0
    max_drawdown_pct: float | None = 15.0
    max_positions: int | None = 10
    max_leverage: float | None = 1.0
    max_daily_loss_pct: float | None = 5.0
    max_var_pct: float | None = 8.0
    max_symbol_exposure_pct: float | None = DEFAULT_SYMBOL_EXPOSURE_PCT
    max_gross_exposure_pct: float | None = 100.0
    max_consecutive_losses: int | None = 5
    #: Minutes without new exposure after ``max_consecutive_losses`` losing trades in a row.
    loss_cooldown_minutes: float = 60.0
    drawdown_action: BreakerAction = BreakerAction.PAUSE
    daily_loss_action: BreakerAction = BreakerAction.PAUSE
    var_action: BreakerAction = BreakerAction.REDUCE
    consecutive_loss_action: BreakerAction = BreakerAction.ALERT
    #: Strategy name → share of ``max_var_pct`` in percent.
    var_budget_by_strategy_pct: dict[str, float] = field(default_factory=dict)
    #: Symbol → share of ``max_var_pct`` in percent.
    var_budget_by_symbol_pct: dict[str, float] = field(default_factory=dict)
    #: Days of price history behind VaR, volatility, correlations and beta.
    var_lookback_days: int = 365
    #: Seconds between background recomputations of the full metrics (0: on demand only).
    risk_update_interval_s: float = 30.0

    def __post_init__(self) -> None:
        for name in _PCT_LIMITS:
            value = getattr(self, name)
            if value is None:
                continue
            number = _number(name, value)
            if not 0 < number <= 100:
                raise ConfigError(f"{name} must be above 0 and at most 100 (percent), got {value}")
            object.__setattr__(self, name, number)
        for name in _OPEN_PCT_LIMITS:
            value = getattr(self, name)
            if value is not None:
                number = _number(name, value)
                if number <= 0:
                    raise ConfigError(f"{name} must be above 0 (percent of equity), got {value}")
                object.__setattr__(self, name, number)
        if self.max_leverage is not None:
            leverage = _number("max_leverage", self.max_leverage)
            if leverage <= 0:
                raise ConfigError(
                    f"max_leverage is gross exposure / equity and must be above 0 (1.0 means "
                    f"no leverage), got {self.max_leverage}"
                )
            object.__setattr__(self, "max_leverage", leverage)
        for name in _COUNT_LIMITS:
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigError(f"{name} must be a whole number of at least 1, got {value!r}")
        if (
            self.max_single_position_pct is not None
            and self.max_symbol_exposure_pct is not None
            and self.max_symbol_exposure_pct < self.max_single_position_pct
        ):
            raise ConfigError(
                f"max_symbol_exposure_pct ({self.max_symbol_exposure_pct:g} %) covers every "
                f"position in a symbol and cannot be below max_single_position_pct "
                f"({self.max_single_position_pct:g} %)"
            )
        cooldown = _number("loss_cooldown_minutes", self.loss_cooldown_minutes)
        if cooldown < 0:
            raise ConfigError(f"loss_cooldown_minutes cannot be negative, got {cooldown}")
        object.__setattr__(self, "loss_cooldown_minutes", cooldown)
        for name in BREAKER_LIMITS:
            attr = f"{'consecutive_loss' if name == 'consecutive_losses' else name}_action"
            value = getattr(self, attr)
            if not isinstance(value, BreakerAction):
                try:
                    object.__setattr__(self, attr, BreakerAction(str(value).lower()))
                except ValueError:
                    options = ", ".join(a.value for a in BreakerAction)
                    raise ConfigError(f"{attr} must be one of {options}; got {value!r}") from None
        object.__setattr__(
            self,
            "var_budget_by_strategy_pct",
            _budgets("var_budget_by_strategy_pct", self.var_budget_by_strategy_pct, symbols=False),
        )
        object.__setattr__(
            self,
            "var_budget_by_symbol_pct",
            _budgets("var_budget_by_symbol_pct", self.var_budget_by_symbol_pct, symbols=True),
        )
        if (self.var_budget_by_strategy_pct or self.var_budget_by_symbol_pct) and (
            self.max_var_pct is None
        ):
            raise ConfigError("risk budgets are shares of max_var_pct, which is not set")
        if (
            isinstance(self.var_lookback_days, bool)
            or not isinstance(self.var_lookback_days, int)
            or not 2 <= self.var_lookback_days <= 3_650
        ):
            raise ConfigError(
                f"var_lookback_days must be a whole number of days from 2 to 3650, got "
                f"{self.var_lookback_days!r}"
            )
        interval = _number("risk_update_interval_s", self.risk_update_interval_s)
        if interval < 0:
            raise ConfigError("risk_update_interval_s must be zero (off) or more seconds")
        object.__setattr__(self, "risk_update_interval_s", interval)

    # ------------------------------------------------------------------ builders
    @classmethod
    def disabled(cls, **changes: Any) -> RiskLimits:
        """No limit and no breaker enforced (a ledger-only portfolio); ``changes`` on top."""
        off = dict.fromkeys((*_PCT_LIMITS, *_OPEN_PCT_LIMITS, *_COUNT_LIMITS, "max_leverage"))
        return cls(**{**off, **changes})

    @classmethod
    def from_config(cls, config: Any) -> RiskLimits:
        """The limits of a config without explicit ``risk_limits``: its (preset) spec fields.

        ``max_single_position_pct`` and ``max_drawdown_pct`` come from the config (the
        strategy preset fills them when not given); the symbol limit is raised to at least
        the single-position limit; everything else takes the defaults above.
        """
        single = config.max_single_position_pct
        symbol = DEFAULT_SYMBOL_EXPOSURE_PCT
        if single is not None:
            symbol = max(symbol, single)
        return cls(
            max_single_position_pct=single,
            max_drawdown_pct=config.max_drawdown_pct,
            max_symbol_exposure_pct=symbol,
        )

    def with_changes(self, **changes: Any) -> RiskLimits:
        """A validated copy with ``changes`` applied; unknown names are refused."""
        known = {item.name for item in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(
                f"unknown risk limit {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return replace(self, **changes)

    def breaker_action(self, breaker: str) -> BreakerAction:
        attr = "consecutive_loss_action" if breaker == "consecutive_losses" else f"{breaker}_action"
        return getattr(self, attr)

    # ------------------------------------------------------------------ storage
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (enums as their values)."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Enum):
                data[key] = value.value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskLimits:
        """Rebuild from :meth:`to_dict`; unknown keys (from a newer version) are ignored."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"stored risk limits must be a mapping, got {type(data).__name__}")
        known = {item.name for item in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})
