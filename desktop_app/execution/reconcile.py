"""Reconciliation: compare the ledger with what the balance manager says the account holds.

The ledger's holding of an asset is, for the quote currency, its cash; for any other asset
``A``, the signed net size of the ``A/QUOTE`` positions (longs minus shorts). A difference
larger than ``tolerance`` is reported as a :class:`BalanceDifference` (exchange minus
ledger). Nothing is booked by comparing: a difference has many causes (a trade on the
exchange's website, a deposit, an airdrop, a fee in another currency), and only the trader
knows which. :func:`book_adjustment` books one difference when the trader accepts it:

* quote currency → a deposit or withdrawal (note "reconciliation …");
* another asset → a fill at the price the trader gives (default: the last price), strategy
  ``reconciliation``. Booking the asset side of an external trade moves the ledger's cash
  too, so reconcile again before booking the cash side. An asset that arrived without a
  trade (a transfer in) is booked the same way, and the next reconciliation then shows its
  value as a cash difference to accept as a deposit — the asset enters at a cost basis,
  and net deposits grow by its value, so it is not counted as performance.

An adjustment records what already happened on the account, so it is booked while paused and
is not subject to the pre-trade risk checks (a limit cannot undo a trade); the risk manager
sees the new state at its next evaluation.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop_app.portfolio.errors import ComponentUnavailableError, PortfolioError
from desktop_app.portfolio.events import Event
from desktop_app.portfolio.records import OrderSide
from desktop_app.portfolio.values import (
    ZERO,
    Number,
    fmt,
    ledger_math,
    non_negative,
    parse_symbol,
    positive,
    to_decimal,
    utc_now,
)

if TYPE_CHECKING:
    from desktop_app.portfolio.manager import PortfolioManager
    from desktop_app.portfolio.position_tracker import PositionTracker

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_TOLERANCE",
    "BalanceDifference",
    "ReconciliationReport",
    "book_adjustment",
    "compare_holdings",
    "ledger_holdings",
    "reconcile",
    "sync_and_report",
]

#: Differences up to this many units of an asset are rounding, not trades.
DEFAULT_TOLERANCE = Decimal("1e-8")


@dataclass(frozen=True, slots=True)
class BalanceDifference:
    """One asset where the account and the ledger disagree. ``difference = exchange - ledger``."""

    asset: str
    ledger_amount: Decimal
    exchange_amount: Decimal
    difference: Decimal
    symbol: str | None  # the BASE/QUOTE pair an adjustment fill books; None for cash

    @property
    def is_cash(self) -> bool:
        return self.symbol is None

    def describe(self) -> str:
        direction = "more" if self.difference > 0 else "less"
        return (
            f"{self.asset}: the account holds {fmt(self.exchange_amount)}, the ledger "
            f"{fmt(self.ledger_amount)} ({fmt(abs(self.difference))} {direction})"
        )


@dataclass(frozen=True)
class ReconciliationReport:
    """The result of one comparison; ``in_sync`` when there is no difference."""

    differences: tuple[BalanceDifference, ...]
    ledger: Mapping[str, Decimal]
    exchange: Mapping[str, Decimal]
    tolerance: Decimal = DEFAULT_TOLERANCE
    checked_at: datetime = field(default_factory=utc_now)

    @property
    def in_sync(self) -> bool:
        return not self.differences

    def difference(self, asset: str) -> BalanceDifference | None:
        wanted = asset.upper()
        return next((d for d in self.differences if d.asset == wanted), None)

    def describe(self) -> list[str]:
        if self.in_sync:
            return ["The ledger matches the account."]
        return [difference.describe() for difference in self.differences]


def ledger_holdings(tracker: PositionTracker) -> dict[str, Decimal]:
    """Cash under the quote currency, net signed size under each base asset."""
    holdings: dict[str, Decimal] = {tracker.quote_currency: tracker.cash}
    with ledger_math():
        for position in tracker.get_all_open_positions():
            base = parse_symbol(position.symbol).base
            holdings[base] = holdings.get(base, ZERO) + position.sign * position.size
    return holdings


def compare_holdings(
    ledger: Mapping[str, Decimal],
    exchange: Mapping[str, Number],
    quote_currency: str,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> ReconciliationReport:
    """Every asset whose two amounts differ by more than ``tolerance``, cash first."""
    account = {str(k).upper(): to_decimal(v, f"{k} balance") for k, v in exchange.items()}
    differences: list[BalanceDifference] = []
    assets = sorted(set(ledger) | set(account), key=lambda a: (a != quote_currency, a))
    with ledger_math():
        for asset in assets:
            mine, theirs = ledger.get(asset, ZERO), account.get(asset, ZERO)
            if abs(theirs - mine) > tolerance:
                symbol = None if asset == quote_currency else f"{asset}/{quote_currency}"
                differences.append(BalanceDifference(asset, mine, theirs, theirs - mine, symbol))
    return ReconciliationReport(tuple(differences), dict(ledger), account, tolerance)


def _balance_manager(manager: PortfolioManager) -> Any:
    if manager.balance_manager is None:
        raise ComponentUnavailableError(
            "Reconciliation needs a balance manager; this portfolio was created without one"
        )
    return manager.balance_manager


async def reconcile(
    manager: PortfolioManager, tolerance: Decimal = DEFAULT_TOLERANCE
) -> ReconciliationReport:
    """Sync the balance manager and compare; logs each difference, books nothing."""
    balances = await _balance_manager(manager).sync()
    report = compare_holdings(
        ledger_holdings(manager.position_tracker),
        balances,
        manager.position_tracker.quote_currency,
        tolerance,
    )
    for line in report.differences:
        log.warning("reconciliation: %s", line.describe())
    return report


async def sync_and_report(manager: PortfolioManager) -> ReconciliationReport:
    """Reconcile, keep the report on the manager, and announce differences that are new.

    A difference not in the previous report (or of another amount) is announced once through
    the ``error`` event (source ``reconciliation``, the report in ``report``): a trade made
    outside the app must reach the trader, and only the trader decides how to book it.
    """
    previous = manager.last_reconciliation
    report = await reconcile(manager)
    manager.last_reconciliation = report
    known = set() if previous is None else set(previous.differences)
    new = [d for d in report.differences if d not in known]
    if new:
        lines = "; ".join(d.describe() for d in new)
        manager.events.emit(
            Event.ERROR,
            {
                "source": "reconciliation",
                "message": f"The account and the ledger differ — {lines}. Nothing was booked; "
                f"review and book an adjustment if the account is right.",
                "report": report,
            },
        )
    return report


async def opening_cash(balance_manager: Any, quote_currency: str) -> Decimal:
    """The quote balance a brand-new ledger starts from when a balance manager is attached."""
    balances = await balance_manager.get_balances()
    return non_negative(balances.get(quote_currency, ZERO), f"{quote_currency} balance")


async def book_adjustment(
    manager: PortfolioManager,
    difference: BalanceDifference,
    price: Number | None = None,
    *,
    fee: Number = 0,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> Any:
    """Book ``difference`` as an explicit adjustment, after checking it still stands.

    Returns the new cash balance (cash) or the ``OrderResult`` of the adjustment fill.
    Raises :class:`PortfolioError` when the account changed since the report (reconcile
    again) or no price is known for an asset adjustment.
    """
    current = (await reconcile(manager, tolerance)).difference(difference.asset)
    if current is None or current.difference != difference.difference:
        now = "no difference" if current is None else fmt(current.difference)
        raise PortfolioError(
            f"The {difference.asset} difference changed since it was reported "
            f"({fmt(difference.difference)} then, {now} now); reconcile again before booking"
        )
    note = f"reconciliation: account {fmt(current.exchange_amount)} {current.asset}, " + (
        f"ledger {fmt(current.ledger_amount)}"
    )
    if current.is_cash:
        if current.difference > 0:
            await manager.deposit(current.difference, note=note)
        else:
            await manager.withdraw(-current.difference, note=note)
        return manager.position_tracker.cash
    assert current.symbol is not None
    symbol = str(parse_symbol(current.symbol))
    fill_price = (
        positive(price, "adjustment price")
        if price is not None
        else manager.position_tracker.last_price(symbol)
    )
    if fill_price is None:
        raise PortfolioError(
            f"No price known for {symbol}: give the price the {current.asset} difference should "
            f"be booked at"
        )
    side = OrderSide.BUY if current.difference > 0 else OrderSide.SELL
    return await manager.record_external_fill(
        symbol,
        side,
        abs(current.difference),
        fill_price,
        fee=fee,
        strategy="reconciliation",
        tags=("reconciliation",),
        note=note,
    )
