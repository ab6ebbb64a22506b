"""The risk metrics object, and the rule that turns it into a risk level and a score.

Every number follows METRICS.md (fractions: 0.05 is 5 %; VaR and CVaR positive losses,
drawdowns negative). A metric that cannot be computed is ``None`` and ``notes[name]`` says
why ("insufficient history: 12.0 days of common price history; at least 30 needed").

The rule (:func:`assess`): each enforced limit has a *utilisation*, the current value over
the limit value (largest position %, largest symbol exposure %, gross exposure %, leverage,
open positions, 1-day VaR 95 %, the largest position's own VaR, drawdown from the breaker's
peak, today's loss, the losing streak, each risk budget's share). With ``u`` the largest:

* ``risk_score = 100 * min(u, 1)`` (0-100; 100 means at or over a limit);
* ``overall_risk_level`` is CRITICAL when a breaker is tripped or ``u > 1`` (a limit is
  exceeded), else HIGH from a score of 80, MEDIUM from 50, LOW below.

``risk_rule`` names the limit that set the level, with its value and the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any

from .risk_limits import RiskLimits

MEDIUM_FROM = 50.0
HIGH_FROM = 80.0


class RiskLevel(Enum):
    """Overall risk level; ``.value`` is what the UI shows (the spec compares 'critical')."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True)
class LimitUsage:
    """One limit's current value against its limit, in the limit's unit."""

    limit: str  # RiskLimits field name (budgets: "var_budget_by_strategy_pct[momentum]")
    label: str  # in the trader's words
    value: float
    limit_value: float
    unit: str  # "%", "x", "" (counts)

    @property
    def utilisation(self) -> float:
        return self.value / self.limit_value if self.limit_value > 0 else math.inf

    @property
    def status(self) -> str:
        """ "ok", "warning" (from 80 % of the limit) or "breached" (over it)."""
        if self.utilisation > 1:
            return "breached"
        return "warning" if self.utilisation * 100 >= HIGH_FROM else "ok"

    def describe(self) -> str:
        unit = " %" if self.unit == "%" else self.unit
        return f"{self.label} {self.value:.4g}{unit}; limit {self.limit_value:g}{unit}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "label": self.label,
            "value": self.value,
            "limit_value": self.limit_value,
            "unit": self.unit,
            "utilisation_pct": 100.0 * self.utilisation,
            "status": self.status,
        }


@dataclass(frozen=True)
class RiskMetrics:
    """A snapshot of the portfolio's risk. Money in the quote currency as floats."""

    timestamp: datetime
    equity: float
    cash: float
    position_count: int
    long_exposure: float
    short_exposure: float
    gross_exposure: float
    net_exposure: float
    gross_exposure_pct: float | None
    net_exposure_pct: float | None
    leverage: float | None
    largest_position_pct: float | None
    largest_position_symbol: str | None
    largest_symbol_exposure_pct: float | None
    largest_exposure_symbol: str | None
    hhi: float | None
    current_drawdown: float  # from the all-time high of the time-weighted equity (<= 0)
    breaker_drawdown: float  # from the drawdown breaker's peak (reset on re-arm)
    daily_return: float  # time-weighted, since 00:00 UTC
    loss_streak: int
    # --- from price history (one-day horizon; see risk_model) -----------------------
    var_95: float | None = None
    var_99: float | None = None
    parametric_var_95: float | None = None
    parametric_var_99: float | None = None
    cvar_95: float | None = None
    cvar_99: float | None = None
    parametric_cvar_95: float | None = None
    parametric_cvar_99: float | None = None
    covariance_var_95: float | None = None  # zero-mean parametric: sum of component VaR
    component_var_95: dict[str, float] = field(default_factory=dict)  # position id → VaR
    position_var_95: dict[str, float] = field(default_factory=dict)  # stand-alone VaR
    portfolio_volatility: float | None = None  # annualised
    correlation: dict[str, dict[str, float | None]] = field(default_factory=dict)
    beta_btc: float | None = None
    benchmark_symbol: str | None = None
    history_sampling: str | None = None
    history_start: datetime | None = None
    history_end: datetime | None = None
    history_observations: int = 0
    # --- from equity snapshots ------------------------------------------------------
    sharpe_ratio: float | None = None
    sortino_ratio: float | None = None
    max_drawdown: float | None = None
    equity_observations: int = 0
    # --- assessment -------------------------------------------------------------------
    notes: dict[str, str] = field(default_factory=dict)
    limits: tuple[LimitUsage, ...] = ()
    breakers_tripped: tuple[str, ...] = ()
    overall_risk_level: RiskLevel = RiskLevel.LOW
    risk_score: float = 0.0
    risk_rule: str = ""

    def usage(self, limit: str) -> LimitUsage | None:
        return next((u for u in self.limits if u.limit == limit), None)

    def amount(self, name: str) -> float | None:
        """A fraction-of-equity metric in money: ``metrics.amount("var_95")``."""
        value = getattr(self, name)
        return None if value is None else value * self.equity

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: enums as values, datetimes ISO, limit usages as dicts."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, datetime):
                value = value.isoformat()
            elif item.name == "limits":
                value = [usage.to_dict() for usage in value]
            elif isinstance(value, tuple):
                value = list(value)
            data[item.name] = value
        return data


def limit_usages(
    values: dict[str, Any], limits: RiskLimits, budget_shares: dict[str, float]
) -> list[LimitUsage]:
    """The utilisation of every enforced limit whose measure is known."""
    position_vars = values.get("position_var_95") or {}
    measures: list[tuple[str, str, float | None, float | None, str]] = [
        (
            "max_single_position_pct",
            "largest position",
            _pct(values["largest_position_pct"]),
            limits.max_single_position_pct,
            "%",
        ),
        (
            "max_symbol_exposure_pct",
            "largest symbol exposure",
            _pct(values["largest_symbol_exposure_pct"]),
            limits.max_symbol_exposure_pct,
            "%",
        ),
        (
            "max_gross_exposure_pct",
            "gross exposure",
            _pct(values["gross_exposure_pct"]),
            limits.max_gross_exposure_pct,
            "%",
        ),
        ("max_leverage", "leverage", values["leverage"], limits.max_leverage, "x"),
        (
            "max_positions",
            "open positions",
            float(values["position_count"]),
            limits.max_positions,
            "",
        ),
        ("max_var_pct", "1-day VaR 95 %", _pct(values.get("var_95")), limits.max_var_pct, "%"),
        (
            "max_portfolio_risk_pct",
            "largest position VaR",
            _pct(max(position_vars.values(), default=None)),
            limits.max_portfolio_risk_pct,
            "%",
        ),
        (
            "max_drawdown_pct",
            "drawdown",
            -100.0 * values["breaker_drawdown"],
            limits.max_drawdown_pct,
            "%",
        ),
        (
            "max_daily_loss_pct",
            "loss today",
            max(0.0, -100.0 * values["daily_return"]),
            limits.max_daily_loss_pct,
            "%",
        ),
        (
            "max_consecutive_losses",
            "losing trades in a row",
            float(values["loss_streak"]),
            limits.max_consecutive_losses,
            "",
        ),
    ]
    usages = [
        LimitUsage(name, label, float(value), float(limit), unit)
        for name, label, value, limit, unit in measures
        if value is not None and limit is not None
    ]
    for key, share in budget_shares.items():
        kind, name = key.split(":", 1)
        budgets = (
            limits.var_budget_by_strategy_pct
            if kind == "strategy"
            else limits.var_budget_by_symbol_pct
        )
        if name in budgets:
            label = f"strategy '{name}' VaR share" if kind == "strategy" else f"{name} VaR share"
            usages.append(
                LimitUsage(f"var_budget_by_{kind}_pct[{name}]", label, share, budgets[name], "%")
            )
    return usages


def _pct(fraction: float | None) -> float | None:
    return None if fraction is None else 100.0 * fraction


def assess(
    usages: list[LimitUsage], tripped: list[tuple[str, str]], position_count: int
) -> tuple[RiskLevel, float, str]:
    """(level, score, rule) by the rule in the module docstring.

    ``tripped`` lists (breaker, message) of the breakers currently tripped.
    """
    worst = max(usages, key=lambda u: u.utilisation, default=None)
    utilisation = 0.0 if worst is None else worst.utilisation
    score = round(100.0 * min(utilisation, 1.0), 1)
    if tripped:
        breaker, message = tripped[0]
        rule = f"CRITICAL: the {breaker.replace('_', ' ')} breaker is tripped ({message})"
        return RiskLevel.CRITICAL, 100.0, rule
    if position_count == 0 and utilisation == 0:
        return RiskLevel.LOW, score, "LOW: no positions"
    if worst is None:
        return RiskLevel.LOW, score, "LOW: no limit is enforced"
    used = f"{worst.describe()} ({100 * utilisation:.0f} % of the limit)"
    if utilisation > 1:
        return RiskLevel.CRITICAL, score, f"CRITICAL: limit exceeded: {used}"
    if score >= HIGH_FROM:
        return RiskLevel.HIGH, score, f"HIGH: {used}"
    if score >= MEDIUM_FROM:
        return RiskLevel.MEDIUM, score, f"MEDIUM: {used}"
    return RiskLevel.LOW, score, f"LOW: the highest utilisation is {used}"
