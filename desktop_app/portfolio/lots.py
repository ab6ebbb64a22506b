"""Tax lots: which acquisition a disposal consumes, and the gain it realizes.

A *lot* is the open part of one opening fill (a buy for a long, a sell for a short). A
*disposal* is the part of a lot consumed by a reducing fill. The gain of a disposal is::

    gain = proceeds - cost - fee

where, for a long lot, ``cost = entry_price * size`` and ``proceeds = exit_price * size``; for
a short lot the roles swap (the short sale produced the proceeds, the buy-back is the cost).
``fee`` is the lot's share of its opening fee plus its share of the closing fee, split
pro rata by size; the last share takes the rounding remainder, so shares always sum to the
fee exactly.

Lot selection methods: FIFO (oldest first), LIFO (newest first), HIFO (highest entry price
first) and AVERAGE (every unit costs the pool's average price; lots are consumed oldest first
only to report acquisition dates; a disposal leaves the average unchanged, so the units left
are re-priced at it and the costs of all disposals add up to what was paid). The ledger
keeps FIFO lots per position; analytics can re-match the same fills with any method.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from .errors import InvalidOrderError
from .values import ZERO, fmt, ledger_math, pro_rata


class LotMethod(Enum):
    """How a disposal picks the lots it consumes."""

    FIFO = "fifo"
    LIFO = "lifo"
    HIFO = "hifo"
    AVERAGE = "average"


@dataclass(frozen=True, slots=True)
class Lot:
    """The still-open part of one opening fill."""

    lot_id: str
    acquired_at: datetime
    size: Decimal
    price: Decimal
    fee: Decimal  # the part of the opening fee that belongs to the remaining size
    is_short: bool = False

    @property
    def cost(self) -> Decimal:
        with ledger_math():
            return self.price * self.size


@dataclass(frozen=True, slots=True)
class LotDisposal:
    """One lot (or part of it) closed by one reducing fill."""

    lot_id: str
    disposal_id: str
    acquired_at: datetime
    disposed_at: datetime
    size: Decimal
    entry_price: Decimal
    exit_price: Decimal
    cost: Decimal
    proceeds: Decimal
    fee: Decimal
    gain: Decimal
    is_short: bool = False

    @property
    def holding_seconds(self) -> float:
        return (self.disposed_at - self.acquired_at).total_seconds()


def _split(total: Decimal, parts: list[Decimal], whole: Decimal) -> list[Decimal]:
    """Split ``total`` pro rata to ``parts`` (which sum to ``whole``); shares sum exactly."""
    if not parts:
        return []
    if len(parts) == 1:
        return [total]
    with ledger_math():
        shares = [pro_rata(total, part, whole) for part in parts[:-1]]
        shares.append(total - sum(shares, ZERO))
    return shares


class LotBook:
    """The open lots of one position (or one asset pool), consumed by a :class:`LotMethod`."""

    __slots__ = ("_lots", "_pool_cost", "method")

    def __init__(self, method: LotMethod = LotMethod.FIFO, lots: tuple[Lot, ...] = ()) -> None:
        self.method = method
        self._lots: list[Lot] = list(lots)
        #: AVERAGE only: the pool's exact cost, kept apart from the lots' rounded average.
        self._pool_cost: Decimal | None = None

    @property
    def lots(self) -> tuple[Lot, ...]:
        return tuple(self._lots)

    @property
    def size(self) -> Decimal:
        with ledger_math():
            return sum((lot.size for lot in self._lots), ZERO)

    def copy(self) -> LotBook:
        book = LotBook(self.method, tuple(self._lots))
        book._pool_cost = self._pool_cost
        return book

    def add(self, lot: Lot) -> None:
        if self._pool_cost is not None:
            with ledger_math():
                self._pool_cost += lot.cost
        self._lots.append(lot)

    def _average_pool_cost(self) -> Decimal:
        if self._pool_cost is None:
            with ledger_math():
                self._pool_cost = sum((lot.cost for lot in self._lots), ZERO)
        return self._pool_cost

    def _order(self) -> list[int]:
        indices = list(range(len(self._lots)))
        if self.method is LotMethod.LIFO:
            indices.reverse()
        elif self.method is LotMethod.HIFO:
            # a short's "highest cost" lot is its lowest sale price
            indices.sort(
                key=lambda i: (
                    self._lots[i].price if not self._lots[i].is_short else -self._lots[i].price
                ),
                reverse=True,
            )
        return indices

    def dispose(
        self,
        size: Decimal,
        exit_price: Decimal,
        fee: Decimal,
        disposed_at: datetime,
        disposal_id: str,
        *,
        report: bool = True,
    ) -> list[LotDisposal]:
        """Consume ``size`` units at ``exit_price``; returns one disposal per lot touched.

        ``report=False`` consumes the same lots but builds no disposal records (a replay of
        the journal needs only the lots that remain).
        """
        with ledger_math():
            available = sum((lot.size for lot in self._lots), ZERO)
            if size <= 0 or size > available:
                raise InvalidOrderError(
                    f"cannot dispose of {fmt(size)} units: {fmt(available)} are held in lots"
                )
            if not report and size == available:  # every lot is consumed whole
                self._lots, self._pool_cost = [], None
                return []
            average = average_costs = None
            if self.method is LotMethod.AVERAGE:
                # the units sold cost their share of the pool's exact cost; selling the whole
                # pool takes all of it, so the costs of every disposal add up to what was paid
                pool_cost = self._average_pool_cost()
                average = pool_cost / available
                sold_cost = pool_cost if size == available else pro_rata(pool_cost, size, available)
                self._pool_cost = pool_cost - sold_cost
            remaining = size
            taken: list[tuple[int, Decimal]] = []
            for index in self._order():
                if remaining == 0:
                    break
                take = min(self._lots[index].size, remaining)
                taken.append((index, take))
                remaining -= take
            close_fees = _split(fee, [take for _, take in taken], size) if report else ()
            if average is not None and report:
                average_costs = _split(sold_cost, [take for _, take in taken], size)
            disposals: list[LotDisposal] = []
            for number, (index, take) in enumerate(taken):
                lot = self._lots[index]
                open_fee = lot.fee if take == lot.size else pro_rata(lot.fee, take, lot.size)
                self._lots[index] = Lot(
                    lot_id=lot.lot_id,
                    acquired_at=lot.acquired_at,
                    size=lot.size - take,
                    price=lot.price,
                    fee=lot.fee - open_fee,
                    is_short=lot.is_short,
                )
                if not report:
                    continue
                close_fee = close_fees[number]
                entry_price = lot.price if average is None else average
                entry_value = entry_price * take if average_costs is None else average_costs[number]
                exit_value = exit_price * take
                cost, proceeds = (
                    (exit_value, entry_value) if lot.is_short else (entry_value, exit_value)
                )
                total_fee = open_fee + close_fee
                disposals.append(
                    LotDisposal(
                        lot_id=lot.lot_id,
                        disposal_id=disposal_id,
                        acquired_at=lot.acquired_at,
                        disposed_at=disposed_at,
                        size=take,
                        entry_price=entry_price,
                        exit_price=exit_price,
                        cost=cost,
                        proceeds=proceeds,
                        fee=total_fee,
                        gain=proceeds - cost - total_fee,
                        is_short=lot.is_short,
                    )
                )
            self._lots = [lot for lot in self._lots if lot.size > 0]
            if average is not None:
                # a disposal leaves the pool's average unchanged: the units left keep costing
                # the average, not their own purchase prices
                self._lots = [
                    Lot(lot.lot_id, lot.acquired_at, lot.size, average, lot.fee, lot.is_short)
                    for lot in self._lots
                ]
        return disposals
