"""The payload of ``risk_limit_exceeded``: what was refused or tripped, with the metrics.

One type for the three occasions: a pre-trade refusal (``kind="pre_trade"``), a breaker
trip (``"breaker"``) and a limit found exceeded by the background recomputation
(``"limit"``, e.g. a position that grew past its limit with the market). It carries the
metrics of that moment, so the spec's handler works as written::

    async def risk_alert_handler(risk_metrics):
        if risk_metrics.overall_risk_level.value == 'critical':
            await portfolio.pause_portfolio()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .breakers import BreakerTrip
from .risk_checks import CheckResult, TradeProposal
from .risk_metrics import LimitUsage, RiskLevel, RiskMetrics
from .values import utc_now


@dataclass(frozen=True)
class RiskViolation:
    """One refusal, breaker trip or exceeded limit."""

    kind: str  # "pre_trade", "breaker" or "limit"
    limit: str  # RiskLimits field name
    message: str
    current: float | None
    limit_value: float | None
    action: str  # RiskAction value (pre-trade), BreakerAction value, or "alert"
    metrics: RiskMetrics | None = field(default=None, repr=False, compare=False)
    symbol: str | None = None
    side: str | None = None
    size: Decimal | None = None
    price: Decimal | None = None
    strategy: str | None = None
    allowed_size: Decimal | None = None
    timestamp: datetime = field(default_factory=utc_now)

    @property
    def overall_risk_level(self) -> RiskLevel:
        return RiskLevel.LOW if self.metrics is None else self.metrics.overall_risk_level

    @property
    def risk_score(self) -> float:
        return 0.0 if self.metrics is None else self.metrics.risk_score

    @classmethod
    def refused(
        cls, trade: TradeProposal, result: CheckResult, metrics: RiskMetrics | None
    ) -> RiskViolation:
        binding = result.binding
        return cls(
            kind="pre_trade",
            limit=binding.limit if binding else "unknown",
            message=result.reason,
            current=binding.current if binding else None,
            limit_value=binding.limit_value if binding else None,
            action=result.action.value,
            metrics=metrics,
            symbol=trade.symbol,
            side="long" if trade.sign > 0 else "short",
            size=trade.size,
            price=trade.price,
            strategy=trade.strategy,
            allowed_size=result.allowed_size or None,
        )

    @classmethod
    def tripped(cls, trip: BreakerTrip, metrics: RiskMetrics | None) -> RiskViolation:
        return cls(
            kind="breaker",
            limit=trip.limit,
            message=trip.message,
            current=trip.current,
            limit_value=trip.limit_value,
            action=trip.action.value,
            metrics=metrics,
            timestamp=trip.timestamp,
        )

    @classmethod
    def exceeded(cls, usage: LimitUsage, metrics: RiskMetrics) -> RiskViolation:
        return cls(
            kind="limit",
            limit=usage.limit,
            message=f"limit exceeded: {usage.describe()}",
            current=usage.value,
            limit_value=usage.limit_value,
            action="alert",
            metrics=metrics,
            timestamp=metrics.timestamp,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the level and score of the moment (not the whole metrics)."""

        def text(value: Decimal | None) -> str | None:
            return None if value is None else format(value, "f")

        return {
            "kind": self.kind,
            "limit": self.limit,
            "message": self.message,
            "current": self.current,
            "limit_value": self.limit_value,
            "action": self.action,
            "symbol": self.symbol,
            "side": self.side,
            "size": text(self.size),
            "price": text(self.price),
            "strategy": self.strategy,
            "allowed_size": text(self.allowed_size),
            "timestamp": self.timestamp.isoformat(),
            "overall_risk_level": self.overall_risk_level.value,
            "risk_score": self.risk_score,
            "risk_rule": None if self.metrics is None else self.metrics.risk_rule,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskViolation:
        """A stored violation (its metrics are not stored: level and score only in the dict)."""

        def number(value: Any) -> Decimal | None:
            return None if value is None else Decimal(str(value))

        return cls(
            kind=data.get("kind", "pre_trade"),
            limit=data.get("limit", "unknown"),
            message=data.get("message", ""),
            current=data.get("current"),
            limit_value=data.get("limit_value"),
            action=data.get("action", "reject"),
            symbol=data.get("symbol"),
            side=data.get("side"),
            size=number(data.get("size")),
            price=number(data.get("price")),
            strategy=data.get("strategy"),
            allowed_size=number(data.get("allowed_size")),
            timestamp=_moment(data.get("timestamp")),
        )


def _moment(value: Any) -> datetime:
    """A stored timestamp: a datetime (the store's records) or ISO text (exports)."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value) if isinstance(value, str) else utc_now()
