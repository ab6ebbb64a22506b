"""From target weights to orders: the arithmetic every rebalance strategy shares.

Weights: each symbol's signed market value at the tracker's last price divided by equity;
cash is the remainder. Targets are fractions summing to at most 1 (the rest stays cash).

Sizing a rebalance toward targets ``t`` over the symbols it trades:

1. the budget is equity minus the plan's own estimated cost (iterated to a fixed point, so
   after the trades each traded symbol sits at ``t_i`` of the equity that remains);
2. a symbol's order is ``(t_i · budget − value_i) / mark`` units: sells first (reduce-only,
   never turning into a short; a zero target sells the whole holding), a short is bought back
   before buying toward a positive target;
3. sizes are Decimal, rounded **down** to the executor's lot size for the symbol, else to
   ``10**-size_decimals``; an order worth less than ``min_order_value`` is skipped (listed in
   the plan with its reason);
4. if the buys would cost more than the cash plus the sells' proceeds, every buy is scaled
   down by the same factor, so the plan never spends cash it does not have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from .errors import RebalanceError
from .position_tracker import PositionTracker
from .rebalance_plan import PlannedOrder
from .records import OrderSide
from .values import ZERO, fmt, ledger_math

__all__ = [
    "CostModel",
    "PortfolioSnapshot",
    "dca_orders",
    "drift_pct",
    "orders_to_targets",
    "project_weights",
    "round_down",
    "take_snapshot",
]

BPS = Decimal(10_000)
Skipped = list[tuple[str, str]]


@dataclass(frozen=True)
class PortfolioSnapshot:
    """Equity, cash, net holdings and marks at one moment (a consistent read of the ledger)."""

    equity: Decimal
    cash: Decimal
    holdings: dict[str, Decimal]  # net signed size per symbol
    prices: dict[str, Decimal]

    def value(self, symbol: str) -> Decimal:
        with ledger_math():
            return self.holdings.get(symbol, ZERO) * self.prices[symbol]

    def weight(self, symbol: str) -> float:
        return float(self.value(symbol) / self.equity) if symbol in self.prices else 0.0

    @property
    def weights(self) -> dict[str, float]:
        return {symbol: self.weight(symbol) for symbol in self.holdings}


def take_snapshot(tracker: PositionTracker, symbols: Iterable[str] = ()) -> PortfolioSnapshot:
    """Holdings and marks of every open symbol plus ``symbols`` (which need a price)."""
    summary = tracker.get_portfolio_summary()
    holdings = {s: row["net_size"] for s, row in summary["by_symbol"].items()}
    prices = {s: row["price"] for s, row in summary["by_symbol"].items()}
    missing = []
    for symbol in symbols:
        if symbol not in prices:
            price = tracker.last_price(symbol)
            if price is None:
                missing.append(symbol)
            else:
                prices[symbol] = price
    if missing:
        raise RebalanceError(
            f"No price yet for {', '.join(missing)}: a rebalance needs a market price for every "
            f"asset it trades"
        )
    equity = summary["equity"]
    if equity <= 0:
        raise RebalanceError(f"Equity is {fmt(equity, 2)}: there is nothing to rebalance")
    return PortfolioSnapshot(equity, summary["cash"], holdings, prices)


def round_down(size: Decimal, step: Decimal) -> Decimal:
    """``size`` rounded toward zero to a multiple of ``step``."""
    with ledger_math():
        return (size / step).to_integral_value(rounding=ROUND_FLOOR) * step


@dataclass(frozen=True)
class CostModel:
    """Fees and slippage of market orders (see :mod:`.rebalance_plan` for the formulas)."""

    fee_rate: Decimal
    slippage_bps: Decimal

    def expected_price(self, side: OrderSide, mark: Decimal) -> Decimal:
        with ledger_math():
            return mark * (1 + side.sign * self.slippage_bps / BPS)

    def order(
        self,
        symbol: str,
        side: OrderSide,
        size: Decimal,
        mark: Decimal,
        reason: str,
        *,
        reduce_only: bool = False,
        grid_cell: int | None = None,
    ) -> PlannedOrder:
        price = self.expected_price(side, mark)
        with ledger_math():
            fee = size * price * self.fee_rate
            slippage = size * mark * self.slippage_bps / BPS
        return PlannedOrder(
            symbol, side, size, mark, price, fee, slippage, reason, reduce_only, grid_cell
        )

    def buy_cost_per_unit(self, mark: Decimal) -> Decimal:
        """Cash a buy of one unit takes, fee included."""
        with ledger_math():
            return self.expected_price(OrderSide.BUY, mark) * (1 + self.fee_rate)


def drift_pct(weights: Mapping[str, float], targets: Mapping[str, float]) -> dict[str, float]:
    """Current minus target weight in percentage points, over targets and holdings."""
    symbols = sorted(set(weights) | set(targets))
    return {s: (weights.get(s, 0.0) - targets.get(s, 0.0)) * 100.0 for s in symbols}


StepFor = Callable[[str], Decimal]


def _sort(orders: list[PlannedOrder]) -> list[PlannedOrder]:
    """Sells first (they free cash), then short covers, then buys; by symbol within each."""
    return sorted(orders, key=lambda o: (o.side is OrderSide.BUY, not o.reduce_only, o.symbol))


def _orders_for_budget(
    snapshot: PortfolioSnapshot,
    targets: Mapping[str, float],
    symbols: Iterable[str],
    budget: Decimal,
    cost: CostModel,
    min_value: Decimal,
    step_for: StepFor,
) -> tuple[list[PlannedOrder], Skipped]:
    orders: list[PlannedOrder] = []
    skipped: Skipped = []

    def add(symbol: str, side: OrderSide, size: Decimal, reason: str, reduce_only: bool) -> None:
        mark = snapshot.prices[symbol]
        if size <= 0:
            return
        with ledger_math():
            value = size * mark
        if value < min_value:
            skipped.append(
                (
                    symbol,
                    f"{side.value} of {fmt(size)} (≈ {fmt(value, 2)}) is below the minimum "
                    f"order value of {fmt(min_value)}",
                )
            )
            return
        orders.append(cost.order(symbol, side, size, mark, reason, reduce_only=reduce_only))

    for symbol in sorted(symbols):
        target = Decimal(repr(targets.get(symbol, 0.0)))
        holding = snapshot.holdings.get(symbol, ZERO)
        mark = snapshot.prices[symbol]
        step = step_for(symbol)
        reason = f"{snapshot.weight(symbol) * 100:.2f} % → {float(target) * 100:.2f} %"
        with ledger_math():
            desired = target * budget
            if holding < 0:
                add(symbol, OrderSide.BUY, -holding, f"cover short; {reason}", True)
                add(symbol, OrderSide.BUY, round_down(desired / mark, step), reason, False)
                continue
            delta = desired - holding * mark
            if delta < 0:
                size = holding if target == 0 else min(holding, round_down(-delta / mark, step))
                add(symbol, OrderSide.SELL, size, reason, True)
            elif delta > 0:
                add(symbol, OrderSide.BUY, round_down(delta / mark, step), reason, False)
    return orders, skipped


def _fit_buys_to_cash(
    snapshot: PortfolioSnapshot,
    orders: list[PlannedOrder],
    cost: CostModel,
    min_value: Decimal,
    step_for: StepFor,
    skipped: Skipped,
) -> list[PlannedOrder]:
    with ledger_math():
        available = snapshot.cash + sum(
            (o.cash_delta for o in orders if o.side is OrderSide.SELL or o.reduce_only), ZERO
        )
        buys = [o for o in orders if o.side is OrderSide.BUY and not o.reduce_only]
        needed = sum((-o.cash_delta for o in buys), ZERO)
        if needed <= available or not buys:
            return orders
        factor = max(available, ZERO) / needed
    kept = [o for o in orders if o.side is OrderSide.SELL or o.reduce_only]
    for order in buys:
        with ledger_math():
            size = round_down(order.size * factor, step_for(order.symbol))
            value = size * order.mark_price
        if size <= 0 or value < min_value:
            skipped.append((order.symbol, "not enough cash for this buy after costs"))
            continue
        kept.append(cost.order(order.symbol, OrderSide.BUY, size, order.mark_price, order.reason))
    return kept


def orders_to_targets(
    snapshot: PortfolioSnapshot,
    targets: Mapping[str, float],
    symbols: Iterable[str],
    cost: CostModel,
    min_value: Decimal,
    step_for: StepFor,
) -> tuple[list[PlannedOrder], Skipped]:
    """Orders that bring ``symbols`` to ``targets`` of the equity left after costs."""
    symbols = list(symbols)
    estimated = ZERO
    orders: list[PlannedOrder] = []
    skipped: Skipped = []
    for _ in range(6):
        with ledger_math():
            budget = snapshot.equity - estimated
        orders, skipped = _orders_for_budget(
            snapshot, targets, symbols, budget, cost, min_value, step_for
        )
        with ledger_math():
            new_estimate = sum((o.estimated_cost for o in orders), ZERO)
        if new_estimate == estimated:
            break
        estimated = new_estimate
    orders = _fit_buys_to_cash(snapshot, orders, cost, min_value, step_for, skipped)
    return _sort(orders), skipped


def dca_orders(
    snapshot: PortfolioSnapshot,
    targets: Mapping[str, float],
    amount: Decimal,
    cost: CostModel,
    min_value: Decimal,
    step_for: StepFor,
) -> tuple[list[PlannedOrder], Skipped]:
    """Buys spending at most ``amount`` (fees included) toward ``targets``.

    The amount first fills each asset's shortfall below target (``t_i · equity − value_i``)
    in proportion to the shortfalls; any rest is spread in proportion to the targets.
    Allocations below ``min_order_value`` are dropped and their money given to the others.
    """
    if amount > snapshot.cash:
        raise RebalanceError(
            f"Not enough cash for a DCA buy of {fmt(amount, 2)}: {fmt(snapshot.cash, 2)} is "
            f"available"
        )
    weights = {s: Decimal(repr(w)) for s, w in targets.items() if w > 0}
    if not weights:
        raise RebalanceError("DCA needs at least one asset with a target above zero")
    with ledger_math():
        shortfall = {
            s: max(w * snapshot.equity - snapshot.value(s), ZERO) for s, w in weights.items()
        }
        total_short = sum(shortfall.values(), ZERO)
        if total_short >= amount:
            alloc = {s: amount * v / total_short for s, v in shortfall.items() if v > 0}
        else:
            rest, total_w = amount - total_short, sum(weights.values(), ZERO)
            alloc = {s: shortfall[s] + rest * w / total_w for s, w in weights.items()}
        skipped: Skipped = []
        while alloc and min(alloc.values()) < min_value and len(alloc) > 1:
            smallest = min(alloc, key=lambda s: alloc[s])
            freed = alloc.pop(smallest)
            skipped.append((smallest, f"its share {fmt(freed, 2)} is below the minimum order"))
            remaining = sum(alloc.values(), ZERO)
            alloc = {s: v + freed * v / remaining for s, v in alloc.items()}
    orders: list[PlannedOrder] = []
    for symbol, money in sorted(alloc.items()):
        mark = snapshot.prices[symbol]
        with ledger_math():
            size = round_down(money / cost.buy_cost_per_unit(mark), step_for(symbol))
            value = size * mark
        if size <= 0 or value < min_value:
            skipped.append((symbol, f"{fmt(money, 2)} is below the minimum order value"))
            continue
        reason = f"DCA {fmt(money, 2)} toward {float(weights[symbol]) * 100:.2f} %"
        orders.append(cost.order(symbol, OrderSide.BUY, size, mark, reason))
    return orders, skipped


def project_weights(
    snapshot: PortfolioSnapshot, orders: Iterable[PlannedOrder]
) -> tuple[dict[str, float], Decimal]:
    """Weights and equity after ``orders`` fill at their expected prices (marked at the marks)."""
    holdings = dict(snapshot.holdings)
    with ledger_math():
        cash = snapshot.cash
        for order in orders:
            holdings[order.symbol] = holdings.get(order.symbol, ZERO) + order.side.sign * order.size
            cash += order.cash_delta
        equity = cash + sum((size * snapshot.prices[s] for s, size in holdings.items()), ZERO)
    if equity <= 0:
        return {}, equity
    weights = {
        s: float(size * snapshot.prices[s] / equity) for s, size in holdings.items() if size != 0
    }
    return weights, equity
