"""Rebalance plans and results: what a rebalance intends, and what it actually did.

A :class:`RebalancePlan` is a preview: orders with expected prices and costs, weights before
and after, drift, and whether it may be executed. A :class:`RebalanceResult` reports, order
by order (:class:`OrderOutcome`), what was filled, what failed and why, and what was never
attempted — so a partly failed rebalance says exactly what it did.

Cost model (per order, ``m`` the mark, ``s`` the slippage in bps, ``f`` the fee rate)::

    expected price  p = m * (1 ± s / 10_000)        (+ buy, - sell)
    slippage cost     = size * m * s / 10_000
    fee               = size * p * f
    cost              = slippage cost + fee           (money lost against the mark)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from .rebalance_config import RebalanceStrategy
from .records import OrderSide, _plain
from .values import ZERO, fmt, ledger_math, utc_now

__all__ = ["OrderOutcome", "OutcomeStatus", "PlannedOrder", "RebalancePlan", "RebalanceResult"]


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """One market order of a plan, with its expected price and cost."""

    symbol: str
    side: OrderSide
    size: Decimal
    mark_price: Decimal
    expected_price: Decimal
    estimated_fee: Decimal
    estimated_slippage: Decimal
    reason: str
    reduce_only: bool = False
    grid_cell: int | None = None  # GRID: which grid cell this order fills

    @property
    def notional(self) -> Decimal:
        with ledger_math():
            return self.size * self.expected_price

    @property
    def estimated_cost(self) -> Decimal:
        with ledger_math():
            return self.estimated_fee + self.estimated_slippage

    @property
    def cash_delta(self) -> Decimal:
        """Expected effect on cash: a buy pays notional + fee, a sell gets notional - fee."""
        with ledger_math():
            return -self.side.sign * self.notional - self.estimated_fee

    def describe(self) -> str:
        return f"{self.side.value.upper()} {fmt(self.size)} {self.symbol} ≈ {fmt(self.notional, 2)}"

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data["notional"] = self.notional
        return _plain(data)


@dataclass(frozen=True)
class RebalancePlan:
    """A preview of a rebalance. ``executable`` False carries the reason in ``reason``.

    Weights are fractions of equity (float); ``drift_pct`` is current minus target in
    percentage points. Money values are Decimals in the quote currency.
    """

    plan_id: str
    strategy: RebalanceStrategy
    created_at: datetime
    equity: Decimal
    cash: Decimal
    prices: dict[str, Decimal]
    orders: tuple[PlannedOrder, ...]
    weights_before: dict[str, float]
    weights_after: dict[str, float]
    target_weights: dict[str, float]
    drift_pct: dict[str, float]
    max_drift_pct: float
    estimated_fees: Decimal
    estimated_slippage: Decimal
    max_cost_pct: float
    executable: bool = True
    reason: str = ""
    skipped: tuple[tuple[str, str], ...] = ()  # (symbol, why no order)

    @property
    def estimated_cost(self) -> Decimal:
        with ledger_math():
            return self.estimated_fees + self.estimated_slippage

    @property
    def estimated_cost_pct(self) -> float:
        """Estimated cost as a percentage of equity."""
        return float(self.estimated_cost / self.equity * 100) if self.equity > 0 else 0.0

    @property
    def has_orders(self) -> bool:
        return bool(self.orders)

    @property
    def max_abs_drift_pct(self) -> float:
        return max((abs(value) for value in self.drift_pct.values()), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return _plain(
            {
                "plan_id": self.plan_id,
                "strategy": self.strategy,
                "created_at": self.created_at,
                "equity": self.equity,
                "cash": self.cash,
                "prices": self.prices,
                "orders": [order.to_dict() for order in self.orders],
                "weights_before": self.weights_before,
                "weights_after": self.weights_after,
                "target_weights": self.target_weights,
                "drift_pct": self.drift_pct,
                "max_drift_pct": self.max_drift_pct,
                "estimated_fees": self.estimated_fees,
                "estimated_slippage": self.estimated_slippage,
                "estimated_cost": self.estimated_cost,
                "estimated_cost_pct": self.estimated_cost_pct,
                "max_cost_pct": self.max_cost_pct,
                "executable": self.executable,
                "reason": self.reason,
                "skipped": [list(item) for item in self.skipped],
            }
        )


class OutcomeStatus(Enum):
    FILLED = "filled"
    PARTIALLY_FILLED = "partially filled"
    FAILED = "failed"  # refused (risk, status, executor): nothing traded
    SKIPPED = "skipped"  # not attempted (reducing-only, not enough cash, stopped)
    DRY_RUN = "dry run"  # would have been placed
    UNBOOKED = "filled, not booked"  # traded but the ledger could not record it


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """What happened to one planned order."""

    order: PlannedOrder
    status: OutcomeStatus
    filled_size: Decimal = ZERO
    fill_price: Decimal | None = None
    fee: Decimal = ZERO
    slippage_cost: Decimal = ZERO
    fill_ids: tuple[str, ...] = ()
    message: str = ""

    @property
    def traded(self) -> bool:
        return self.status in (
            OutcomeStatus.FILLED,
            OutcomeStatus.PARTIALLY_FILLED,
            OutcomeStatus.UNBOOKED,
        )

    def describe(self) -> str:
        text = f"{self.order.describe()}: {self.status.value}"
        if self.traded and self.fill_price is not None:
            text += f" {fmt(self.filled_size)} at {fmt(self.fill_price)} (fee {fmt(self.fee)})"
        return f"{text} — {self.message}" if self.message else text

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__ if name != "order"}
        data["order"] = self.order.to_dict()
        return _plain(data)


@dataclass(frozen=True)
class RebalanceResult:
    """The report of one rebalance (or of why none ran). Truthy when it succeeded."""

    strategy: RebalanceStrategy
    plan: RebalancePlan | None = None
    outcomes: tuple[OrderOutcome, ...] = ()
    dry_run: bool = False
    reason: str = ""
    weights_after: dict[str, float] = field(default_factory=dict)
    equity_after: Decimal | None = None
    started_at: datetime = field(default_factory=utc_now)
    finished_at: datetime = field(default_factory=utc_now)

    @property
    def executed(self) -> bool:
        """At least one order traded."""
        return any(outcome.traded for outcome in self.outcomes)

    @property
    def failed(self) -> tuple[OrderOutcome, ...]:
        """Orders refused or not booked."""
        return tuple(
            o for o in self.outcomes if o.status in (OutcomeStatus.FAILED, OutcomeStatus.UNBOOKED)
        )

    @property
    def not_done(self) -> tuple[OrderOutcome, ...]:
        """Every planned order that did not fill completely (failed, skipped or partial)."""
        return tuple(
            o
            for o in self.outcomes
            if o.status not in (OutcomeStatus.FILLED, OutcomeStatus.DRY_RUN)
        )

    @property
    def filled(self) -> tuple[OrderOutcome, ...]:
        return tuple(o for o in self.outcomes if o.traded)

    @property
    def success(self) -> bool:
        """Planned, executable, and every order filled completely (or dry-run)."""
        if self.plan is None or not self.plan.executable:
            return False
        return all(o.status in (OutcomeStatus.FILLED, OutcomeStatus.DRY_RUN) for o in self.outcomes)

    @property
    def fees(self) -> Decimal:
        with ledger_math():
            return sum((o.fee for o in self.outcomes), ZERO)

    @property
    def slippage_cost(self) -> Decimal:
        with ledger_math():
            return sum((o.slippage_cost for o in self.outcomes), ZERO)

    @property
    def cost(self) -> Decimal:
        """What the fills cost against the marks: fees plus slippage."""
        with ledger_math():
            return self.fees + self.slippage_cost

    def summary(self) -> str:
        """One line for the trader: what was done and what was not."""
        if not self.outcomes:
            return self.reason or "nothing to do"
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in counts.items())
        return f"{self.strategy.value}: {parts}; cost {fmt(self.cost, 2)}" + (
            f" — {self.reason}" if self.reason else ""
        )

    def __bool__(self) -> bool:
        return self.success

    def to_dict(self) -> dict[str, Any]:
        return _plain(
            {
                "strategy": self.strategy,
                "plan": None if self.plan is None else self.plan.to_dict(),
                "outcomes": [outcome.to_dict() for outcome in self.outcomes],
                "dry_run": self.dry_run,
                "reason": self.reason,
                "executed": self.executed,
                "success": self.success,
                "weights_after": self.weights_after,
                "equity_after": self.equity_after,
                "fees": self.fees,
                "slippage_cost": self.slippage_cost,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "summary": self.summary(),
            }
        )
