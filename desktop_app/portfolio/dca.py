"""Scheduled dollar-cost averaging: a budget spent in equal installments at fixed intervals.

A :class:`DcaSchedule` splits ``budget`` into ``installments`` equal slices (the last slice
takes the rounding remainder, so the slices add up to the budget exactly), one every
``interval_hours`` from ``next_due_at``. Each slice is spent toward the targets (the
schedule's own, or the portfolio's at the time it runs) by ``dca_orders``: the most
underweight assets first.

Catching up: if the app was closed over several due times, the missed slices run together
at the next check (the budget's timeline is kept, not stretched). A slice that could not be
bought (not enough cash, a risk refusal) counts as done and is recorded with its reason —
it is not retried forever. While the portfolio is paused nothing runs and the slices stay due.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from .errors import ConfigError
from .values import ZERO, ledger_math, utc_now

__all__ = ["DcaSchedule", "DcaStatus"]


class DcaStatus(Enum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class DcaSchedule:
    """One DCA plan and its progress. Money in the quote currency."""

    schedule_id: str
    budget: Decimal
    installments: int
    interval_hours: float
    next_due_at: datetime
    targets: dict[str, float] | None = None
    completed: int = 0
    allocated: Decimal = ZERO  # the slices run so far (spent or not)
    spent: Decimal = ZERO  # what the fills actually cost, fees included
    status: DcaStatus = DcaStatus.ACTIVE
    created_at: datetime = field(default_factory=utc_now)
    last_message: str = ""

    def __post_init__(self) -> None:
        if self.budget <= 0:
            raise ConfigError(f"a DCA budget must be above zero, got {self.budget}")
        if isinstance(self.installments, bool) or not isinstance(self.installments, int):
            raise ConfigError("the number of DCA installments must be a whole number")
        if not 1 <= self.installments <= 10_000:
            raise ConfigError(f"DCA installments must be 1 to 10,000, got {self.installments}")
        if not math.isfinite(self.interval_hours) or self.interval_hours <= 0:
            raise ConfigError(
                f"the DCA interval must be above zero hours, got {self.interval_hours}"
            )

    @property
    def remaining(self) -> int:
        return self.installments - self.completed

    @property
    def installment_amount(self) -> Decimal:
        with ledger_math():
            return self.budget / self.installments

    def slices_due(self, now: datetime) -> int:
        """How many slices are due at ``now`` (0 when none or not active)."""
        if self.status is not DcaStatus.ACTIVE or now < self.next_due_at:
            return 0
        elapsed_h = (now - self.next_due_at).total_seconds() / 3600
        return min(self.remaining, int(elapsed_h // self.interval_hours) + 1)

    def amount_for(self, slices: int) -> Decimal:
        """The money of the next ``slices`` slices; the final one closes the budget exactly."""
        with ledger_math():
            if self.completed + slices >= self.installments:
                return self.budget - self.allocated
            return self.installment_amount * slices

    def after_run(self, slices: int, amount: Decimal, spent: Decimal, message: str) -> DcaSchedule:
        completed = self.completed + slices
        with ledger_math():
            return replace(
                self,
                completed=completed,
                allocated=self.allocated + amount,
                spent=self.spent + spent,
                next_due_at=self.next_due_at + timedelta(hours=self.interval_hours * slices),
                status=DcaStatus.COMPLETED if completed >= self.installments else self.status,
                last_message=message,
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schedule_id": self.schedule_id,
            "budget": format(self.budget, "f"),
            "installments": self.installments,
            "interval_hours": self.interval_hours,
            "next_due_at": self.next_due_at.isoformat(),
            "targets": None if self.targets is None else dict(self.targets),
            "completed": self.completed,
            "allocated": format(self.allocated, "f"),
            "spent": format(self.spent, "f"),
            "status": self.status.value,
            "created_at": self.created_at.isoformat(),
            "last_message": self.last_message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DcaSchedule:
        return cls(
            schedule_id=data["schedule_id"],
            budget=Decimal(data["budget"]),
            installments=int(data["installments"]),
            interval_hours=float(data["interval_hours"]),
            next_due_at=datetime.fromisoformat(data["next_due_at"]),
            targets=None if data.get("targets") is None else dict(data["targets"]),
            completed=int(data["completed"]),
            allocated=Decimal(data["allocated"]),
            spent=Decimal(data["spent"]),
            status=DcaStatus(data["status"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            last_message=data.get("last_message", ""),
        )
