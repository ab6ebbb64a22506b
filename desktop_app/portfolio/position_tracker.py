"""The ledger: positions, fills, cash and P&L, derived from an append-only journal.

Every change is a journal entry (a :class:`Fill` or a :class:`CashMovement`). Booking is two
steps so that a caller can persist an entry *before* memory changes:

1. ``prepare_*`` / :meth:`PositionTracker.book` validate the entry against the current state
   and compute its :class:`LedgerEffect` (the position after it, the cash after it) without
   changing anything;
2. :meth:`PositionTracker.commit` swaps the effect in.

:meth:`PositionTracker.replay` runs the same two steps over a stored journal, so the state a
replay rebuilds is, by construction, the state live trading produced.

Cost basis is average cost per position; realized P&L on a reduce is
``size * exit_price - cost_basis * size / open_size - fee`` for a long (mirrored for a short).
Lots are kept FIFO per position for tax reporting.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

from .booking import WorkingPosition, apply_fill, fill_cash_delta
from .bulk import gc_paused
from .errors import InvalidOrderError, LedgerIntegrityError, UnknownPositionError
from .lots import LotDisposal, LotMethod
from .records import (
    CashMovement,
    Fill,
    FillKind,
    JournalEntry,
    OrderSide,
    Position,
    PositionStatus,
    PositionType,
    TagChange,
)
from .values import (
    ZERO,
    Number,
    as_utc,
    fmt,
    ledger_math,
    non_negative,
    parse_symbol,
    positive,
    to_decimal,
    utc_now,
)

__all__ = [
    "CashMovement",
    "Fill",
    "FillKind",
    "LedgerEffect",
    "OrderSide",
    "Position",
    "PositionStatus",
    "PositionTracker",
    "PositionType",
    "TagChange",
]


@dataclass(frozen=True, slots=True)
class LedgerEffect:
    """What booking one journal entry will do; computed against tracker ``version``."""

    entry: JournalEntry
    position: Position | None  # the position after the fill (None for cash movements)
    previous: Position | None  # the position before the fill (None for an opening fill)
    cash: Decimal  # cash after the entry
    version: int
    disposals: tuple[LotDisposal, ...] = ()

    @property
    def fill(self) -> Fill | None:
        return self.entry if isinstance(self.entry, Fill) else None


_sequence_of = attrgetter("sequence")


def new_id() -> str:
    return uuid.uuid4().hex


def normalize_tags(tags: Iterable[str] | str | None) -> tuple[str, ...]:
    """``"swing, btc"`` or ``["swing", "btc"]`` → ``("swing", "btc")`` (trimmed, no duplicates)."""
    if tags is None:
        return ()
    items = tags.split(",") if isinstance(tags, str) else tags
    result: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidOrderError(f"tags must be text, got {item!r}")
        text = item.strip()
        if text and text not in result:
            result.append(text)
    return tuple(result)


def _position_type(value: PositionType | str) -> PositionType:
    if isinstance(value, PositionType):
        return value
    try:
        return PositionType(str(value).lower())
    except ValueError:
        raise InvalidOrderError(f"position type must be LONG or SHORT, got {value!r}") from None


@dataclass
class SymbolSums:
    """The open positions of one symbol, summed: what its totals need besides the price."""

    long_size: Decimal = ZERO
    short_size: Decimal = ZERO
    long_cost: Decimal = ZERO
    short_cost: Decimal = ZERO
    count: int = 0

    @classmethod
    def of(cls, positions: Iterable[Position]) -> SymbolSums:
        """Sums of ``positions`` (call inside ``ledger_math``)."""
        sums = cls()
        for position in positions:
            if position.sign > 0:
                sums.long_size += position.size
                sums.long_cost += position.cost_basis
            else:
                sums.short_size += position.size
                sums.short_cost += position.cost_basis
            sums.count += 1
        return sums


class PositionTracker:
    """Positions, fills, cash and P&L for one portfolio in one quote currency."""

    def __init__(
        self,
        quote_currency: str = "USDT",
        *,
        fill_history_limit: int = 10_000,
        lot_method: LotMethod = LotMethod.FIFO,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.quote_currency = quote_currency.upper()
        #: Market time: the default timestamp of fills, cash movements and marks.
        self.clock = clock
        self.lot_method = lot_method
        self._positions: dict[str, Position] = {}
        self._open_by_symbol: dict[str, dict[str, None]] = {}  # ordered sets of position ids
        self._closed_order: list[str] = []
        self._prices: dict[str, Decimal] = {}
        self._price_times: dict[str, datetime] = {}
        self._cash = ZERO
        self._net_deposits = ZERO
        self._realized_total = ZERO
        self._fees_total = ZERO
        self._recent_fills: deque[Fill] = deque(maxlen=fill_history_limit)
        self._client_fills: dict[str, Fill] = {}
        self._movements: list[CashMovement] = []
        self._sequence = 0
        self._version = 0
        self._prices_version = 0  # bumped by every price batch
        self._summary: tuple[tuple[int, int], dict[str, Any]] | None = None
        self._sums: tuple[int, dict[str, SymbolSums]] | None = None
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ reads
    @property
    def cash(self) -> Decimal:
        return self._cash

    @property
    def net_deposits(self) -> Decimal:
        """Deposits minus withdrawals (initial capital included)."""
        return self._net_deposits

    @property
    def realized_pnl(self) -> Decimal:
        return self._realized_total

    @property
    def fees_paid(self) -> Decimal:
        return self._fees_total

    @property
    def sequence(self) -> int:
        """Sequence number of the last booked journal entry."""
        return self._sequence

    @property
    def version(self) -> int:
        return self._version

    def _mark(self, position: Position) -> Position:
        price = self._prices.get(position.symbol)
        if price is None or not position.is_open or price == position.current_price:
            return position
        return replace(
            position, current_price=price, price_updated_at=self._price_times.get(position.symbol)
        )

    def get_position(self, position_id: str) -> Position:
        try:
            return self._mark(self._positions[position_id])
        except KeyError:
            raise UnknownPositionError(f"There is no position with id '{position_id}'") from None

    def get_all_open_positions(self, symbol: str | None = None) -> list[Position]:
        """Open positions (oldest first), marked at the last price; optionally for one symbol."""
        if symbol is not None:
            ids: Iterable[str] = self._open_by_symbol.get(str(parse_symbol(symbol)), {})
        else:
            ids = (pid for group in self._open_by_symbol.values() for pid in group)
        positions = [self._mark(self._positions[pid]) for pid in ids]
        positions.sort(key=lambda p: p.opened_at)
        return positions

    def get_closed_positions(
        self, symbol: str | None = None, limit: int | None = None
    ) -> list[Position]:
        """Closed positions, most recently closed first."""
        wanted = None if symbol is None else str(parse_symbol(symbol))
        result: list[Position] = []
        for pid in reversed(self._closed_order):
            position = self._positions[pid]
            if wanted is None or position.symbol == wanted:
                result.append(position)
                if limit is not None and len(result) >= limit:
                    break
        return result

    def get_all_positions(self) -> list[Position]:
        return [self._mark(p) for p in self._positions.values()]

    def open_symbols(self) -> list[str]:
        return [symbol for symbol, ids in self._open_by_symbol.items() if ids]

    def last_price(self, symbol: str) -> Decimal | None:
        return self._prices.get(symbol)

    @property
    def prices(self) -> Mapping[str, Decimal]:
        return dict(self._prices)

    def recent_fills(self, limit: int | None = None) -> list[Fill]:
        """The most recent fills, newest first (bounded by ``fill_history_limit``)."""
        fills = list(reversed(self._recent_fills))
        return fills if limit is None else fills[:limit]

    def cash_movements(self) -> list[CashMovement]:
        return list(self._movements)

    def booked(self, client_id: str | None) -> Fill | None:
        """The fill already booked under ``client_id``, if any (idempotent submissions)."""
        return None if client_id is None else self._client_fills.get(client_id)

    def open_states(self) -> Iterable[tuple[Position, Decimal]]:
        """Each open position (as last booked) with its symbol's last price.

        For O(positions) readers that need only sizes and prices: no marked snapshot is
        built (``get_all_open_positions`` copies every position, which costs far more).
        """
        return self._open_states()

    def _open_states(self) -> Iterable[tuple[Position, Decimal]]:
        """Each open position with its symbol's last price (no snapshot objects built)."""
        prices = self._prices
        positions = self._positions
        for symbol, ids in self._open_by_symbol.items():
            for pid in ids:
                position = positions[pid]
                yield position, prices.get(symbol, position.current_price)

    def _open_positions_of(self, symbol: str) -> list[Position]:
        positions = self._positions
        return [positions[pid] for pid in self._open_by_symbol.get(symbol, ())]

    def equity(self) -> Decimal:
        """Cash plus the signed market value of every open position."""
        return self._current_summary()["equity"]

    def get_portfolio_summary(self) -> dict[str, Any]:
        """Totals over the ledger. Money values are Decimals in the quote currency.

        A pass over every open position, so it is kept until the ledger or a price changes:
        the manager reads it for each price batch and the GUI several times a second, and
        on a book of thousands of positions one pass costs milliseconds. Each caller gets
        its own copy.
        """
        summary = self._current_summary()
        by_symbol = {symbol: dict(row) for symbol, row in summary["by_symbol"].items()}
        return {**summary, "by_symbol": by_symbol}

    def _current_summary(self) -> dict[str, Any]:
        state = (self._version, self._prices_version)
        if self._summary is None or self._summary[0] != state:
            self._summary = (state, self._summarise())
        return self._summary[1]

    def _symbol_sums(self) -> dict[str, SymbolSums]:
        """The open positions summed per symbol; rebuilt only when the ledger changes."""
        if self._sums is None or self._sums[0] != self._version:
            sums: dict[str, SymbolSums] = {}
            positions = self._positions
            with ledger_math():
                for symbol, ids in self._open_by_symbol.items():
                    if ids:
                        sums[symbol] = SymbolSums.of(positions[pid] for pid in ids)
            self._sums = (self._version, sums)
        return self._sums[1]

    def _summarise(self) -> dict[str, Any]:
        """One pass over the symbols: a symbol's positions share its last price, so
        Σ sign·size·price = price·(Σ long size − Σ short size), exact in ``ledger_math``.
        A symbol not yet priced marks each position at its own price."""
        long_exposure = short_exposure = unrealized = cost = ZERO
        by_symbol: dict[str, dict[str, Any]] = {}
        count = 0
        prices = self._prices
        with ledger_math():
            for symbol, sums in self._symbol_sums().items():
                price = prices.get(symbol)
                if price is None:
                    marked = [(p, p.current_price) for p in self._open_positions_of(symbol)]
                else:
                    marked = [(None, price)]
                for position, mark in marked:
                    part = sums if position is None else SymbolSums.of((position,))
                    long_value = part.long_size * mark
                    short_value = part.short_size * mark
                    pnl = (long_value - part.long_cost) - (short_value - part.short_cost)
                    long_exposure += long_value
                    short_exposure += short_value
                    unrealized += pnl
                    cost += part.long_cost + part.short_cost
                    row = by_symbol.get(symbol)
                    if row is None:
                        row = by_symbol[symbol] = {
                            "net_size": ZERO,
                            "market_value": ZERO,
                            "unrealized_pnl": ZERO,
                            "price": mark,
                            "count": 0,
                        }
                    row["net_size"] += part.long_size - part.short_size
                    row["market_value"] += long_value - short_value
                    row["unrealized_pnl"] += pnl
                    row["count"] += part.count
                count += sums.count
            market_value = long_exposure - short_exposure
            equity = self._cash + market_value
            return {
                "count": count,
                "closed_count": len(self._closed_order),
                "total_market_value": market_value,
                "long_exposure": long_exposure,
                "short_exposure": short_exposure,
                "gross_exposure": long_exposure + short_exposure,
                "net_exposure": market_value,
                "total_cost_basis": cost,
                "total_unrealized_pnl": unrealized,
                "total_realized_pnl": self._realized_total,
                "total_pnl": self._realized_total + unrealized,
                "total_fees": self._fees_total,
                "cash": self._cash,
                "equity": equity,
                "net_deposits": self._net_deposits,
                "by_symbol": by_symbol,
            }

    # ------------------------------------------------------------ preparing
    def _next_sequence(self) -> int:
        return self._sequence + 1

    def _check_symbol(self, symbol: str) -> str:
        parsed = parse_symbol(symbol)
        if parsed.quote != self.quote_currency:
            raise InvalidOrderError(
                f"{parsed} is quoted in {parsed.quote}, but this portfolio keeps its books in "
                f"{self.quote_currency}; trade a {parsed.base}/{self.quote_currency} pair instead"
            )
        return str(parsed)

    def _check_fee_currency(self, fee_currency: str | None) -> str:
        currency = (fee_currency or self.quote_currency).upper()
        if currency != self.quote_currency:
            raise InvalidOrderError(
                f"fees must be booked in {self.quote_currency}; convert the {currency} fee first"
            )
        return currency

    def _timestamp(self, timestamp: datetime | None) -> datetime:
        return self.clock() if timestamp is None else as_utc(timestamp)

    def _open_position(self, position_id: str) -> Position:
        position = self._positions.get(position_id)
        if position is None:
            raise UnknownPositionError(f"There is no position with id '{position_id}'")
        if not position.is_open:
            raise InvalidOrderError(
                f"{position.symbol} position {position_id[:8]} is already closed"
            )
        return position

    def prepare_open(
        self,
        symbol: str,
        position_type: PositionType | str,
        size: Number,
        price: Number,
        *,
        fee: Number = 0,
        fee_currency: str | None = None,
        strategy: str | None = None,
        tags: Iterable[str] | str | None = None,
        timestamp: datetime | None = None,
        client_id: str | None = None,
    ) -> LedgerEffect:
        """Validate a new position and compute its effect; nothing changes until commit."""
        kind = _position_type(position_type)
        fill = Fill(
            fill_id=new_id(),
            sequence=self._next_sequence(),
            position_id=new_id(),
            symbol=self._check_symbol(symbol),
            side=kind.opening_side,
            kind=FillKind.OPEN,
            size=positive(size, "size"),
            price=positive(price, "price"),
            fee=non_negative(fee, "fee"),
            fee_currency=self._check_fee_currency(fee_currency),
            timestamp=self._timestamp(timestamp),
            strategy=(strategy or "manual").strip() or "manual",
            tags=normalize_tags(tags),
            client_id=client_id,
        )
        return self.book(fill)

    def prepare_add(
        self,
        position_id: str,
        size: Number,
        price: Number,
        *,
        fee: Number = 0,
        fee_currency: str | None = None,
        timestamp: datetime | None = None,
        client_id: str | None = None,
    ) -> LedgerEffect:
        """Scale into an open position (average cost moves)."""
        position = self._open_position(position_id)
        fill = Fill(
            fill_id=new_id(),
            sequence=self._next_sequence(),
            position_id=position_id,
            symbol=position.symbol,
            side=position.position_type.opening_side,
            kind=FillKind.ADD,
            size=positive(size, "size"),
            price=positive(price, "price"),
            fee=non_negative(fee, "fee"),
            fee_currency=self._check_fee_currency(fee_currency),
            timestamp=self._timestamp(timestamp),
            strategy=position.strategy,
            tags=position.tags,
            client_id=client_id,
        )
        return self.book(fill)

    def prepare_reduce(
        self,
        position_id: str,
        price: Number,
        size: Number | None = None,
        *,
        fee: Number = 0,
        fee_currency: str | None = None,
        timestamp: datetime | None = None,
        client_id: str | None = None,
    ) -> LedgerEffect:
        """Close ``size`` of a position (all of it when ``size`` is None)."""
        position = self._open_position(position_id)
        amount = position.size if size is None else positive(size, "size")
        if amount > position.size:
            raise InvalidOrderError(
                f"Cannot close {fmt(amount)} {position.symbol}: only {fmt(position.size)} "
                f"is open in this position"
            )
        fill = Fill(
            fill_id=new_id(),
            sequence=self._next_sequence(),
            position_id=position_id,
            symbol=position.symbol,
            side=position.position_type.closing_side,
            kind=FillKind.CLOSE if amount == position.size else FillKind.REDUCE,
            size=amount,
            price=positive(price, "price"),
            fee=non_negative(fee, "fee"),
            fee_currency=self._check_fee_currency(fee_currency),
            timestamp=self._timestamp(timestamp),
            strategy=position.strategy,
            tags=position.tags,
            client_id=client_id,
        )
        return self.book(fill)

    def prepare_cash(
        self, amount: Number, *, note: str = "", timestamp: datetime | None = None
    ) -> LedgerEffect:
        """A deposit (amount > 0) or withdrawal (amount < 0); cash may not go below zero."""
        value = to_decimal(amount, "amount")
        if value == 0:
            raise InvalidOrderError("a deposit or withdrawal must not be zero")
        movement = CashMovement(
            movement_id=new_id(),
            sequence=self._next_sequence(),
            amount=value,
            timestamp=self._timestamp(timestamp),
            note=note,
        )
        return self.book(movement)

    def prepare_retag(
        self,
        position_id: str,
        tags: Iterable[str] | str | None,
        *,
        timestamp: datetime | None = None,
    ) -> LedgerEffect:
        """Replace a position's tags (open or closed); journaled like any other change."""
        if position_id not in self._positions:
            raise UnknownPositionError(f"There is no position with id '{position_id}'")
        change = TagChange(
            change_id=new_id(),
            sequence=self._next_sequence(),
            position_id=position_id,
            tags=normalize_tags(tags),
            timestamp=self._timestamp(timestamp),
        )
        return self.book(change)

    # ---------------------------------------------------------------- booking
    def book(self, entry: JournalEntry) -> LedgerEffect:
        """Compute the effect of ``entry`` on the current state (pure; raises if invalid)."""
        if entry.sequence <= self._sequence:
            raise LedgerIntegrityError(
                f"journal entry {entry.sequence} is out of order (last booked: {self._sequence})"
            )
        with ledger_math():
            if isinstance(entry, TagChange):
                previous = self._positions.get(entry.position_id)
                if previous is None:
                    raise LedgerIntegrityError(
                        f"tag change {entry.change_id} refers to unknown position "
                        f"{entry.position_id}"
                    )
                after = replace(previous, tags=entry.tags)
                return LedgerEffect(entry, after, previous, self._cash, self._version)
            if isinstance(entry, CashMovement):
                return LedgerEffect(entry, None, None, self._cash_after(entry), self._version)
            return self._book_fill(entry)

    def _cash_after(self, movement: CashMovement) -> Decimal:
        cash = self._cash + movement.amount
        if movement.amount < 0 and cash < 0:
            raise InvalidOrderError(
                f"Cannot withdraw {fmt(-movement.amount)} {self.quote_currency}: "
                f"only {fmt(self._cash, 2)} is available as cash"
            )
        return cash

    def _working(self, fill: Fill, existing: Position | WorkingPosition | None) -> WorkingPosition:
        """The working position ``fill`` applies to (a new one for an opening fill)."""
        if fill.kind is FillKind.OPEN:
            if existing is not None:
                raise LedgerIntegrityError(f"position {fill.position_id} is opened twice")
            return WorkingPosition.opened_by(
                fill, self._prices.get(fill.symbol, fill.price), self._price_times.get(fill.symbol)
            )
        if existing is None or not existing.is_open:
            raise LedgerIntegrityError(
                f"fill {fill.fill_id} refers to position {fill.position_id}, which is not open"
            )
        return existing if isinstance(existing, WorkingPosition) else WorkingPosition(existing)

    @staticmethod
    def _priced(fill: Fill, realized: Decimal) -> Fill:
        """The fill carrying its realized P&L; a stored one must match the recomputed value."""
        if fill.realized_pnl is None:
            return replace(fill, realized_pnl=realized)
        if fill.realized_pnl != realized:
            raise LedgerIntegrityError(
                f"fill {fill.fill_id} was booked with realized P&L {fill.realized_pnl}, "
                f"but replaying it gives {realized}"
            )
        return fill

    def _book_fill(self, fill: Fill) -> LedgerEffect:
        """The effect of one fill (call inside ``ledger_math``); see :mod:`.booking`."""
        previous = self._positions.get(fill.position_id)
        work = self._working(fill, previous)
        realized, disposals = apply_fill(work, fill, self.lot_method)
        fill = self._priced(fill, realized)
        return LedgerEffect(
            entry=fill,
            position=work.snapshot(),
            previous=previous,
            cash=self._cash + fill_cash_delta(fill),
            version=self._version,
            disposals=disposals,
        )

    def _record_fill(self, fill: Fill, symbol: str, position_id: str, is_open: bool) -> None:
        """Bookkeeping of a booked fill (shared by commit and replay; in ``ledger_math``)."""
        group = self._open_by_symbol.setdefault(symbol, {})
        if is_open:
            group[position_id] = None
        elif position_id in group:
            del group[position_id]
            self._closed_order.append(position_id)
        self._realized_total += fill.realized_pnl or ZERO
        self._fees_total += fill.fee
        self._recent_fills.append(fill)
        if fill.client_id is not None:
            self._client_fills[fill.client_id] = fill

    def _record_cash(self, movement: CashMovement) -> None:
        self._movements.append(movement)
        self._net_deposits += movement.amount

    def commit(self, effect: LedgerEffect) -> Position | None:
        """Apply a prepared effect. Refuses an effect computed against an older state."""
        if effect.version != self._version:
            raise LedgerIntegrityError(
                "the ledger changed after this entry was prepared; prepare it again"
            )
        entry = effect.entry
        position = effect.position
        with ledger_math():
            if isinstance(entry, CashMovement):
                self._record_cash(entry)
            elif isinstance(entry, TagChange):
                assert position is not None
                self._positions[entry.position_id] = position
            else:
                assert position is not None  # a fill always yields a position
                self._positions[position.position_id] = position
                self._record_fill(entry, position.symbol, position.position_id, position.is_open)
            self._cash = effect.cash
        self._sequence = entry.sequence
        self._version += 1
        return None if position is None else self._mark(position)

    def replay(self, entries: Iterable[JournalEntry]) -> None:
        """Rebuild state from a stored journal, in sequence order, on an empty tracker.

        Each entry is validated and applied by the same code as live booking
        (:func:`.booking.apply_fill`, ``_record_fill``); positions are folded in place and
        snapshotted once at the end. Raises on the first entry that does not book; the
        tracker is then unusable (start again with a new one).
        """
        if self._sequence or self._positions:
            raise LedgerIntegrityError("replay needs an empty ledger")
        working: dict[str, WorkingPosition] = {}
        try:
            with ledger_math(), gc_paused():
                for entry in sorted(entries, key=_sequence_of):
                    if entry.sequence <= self._sequence:
                        raise LedgerIntegrityError(
                            f"journal entry {entry.sequence} is out of order (last booked: "
                            f"{self._sequence})"
                        )
                    if isinstance(entry, Fill):
                        work = self._working(entry, working.get(entry.position_id))
                        realized, _ = apply_fill(work, entry, self.lot_method, report_lots=False)
                        fill = self._priced(entry, realized)
                        working[work.position_id] = work
                        self._cash += fill_cash_delta(fill)
                        self._record_fill(fill, work.symbol, work.position_id, work.is_open)
                    elif isinstance(entry, CashMovement):
                        self._cash = self._cash_after(entry)
                        self._record_cash(entry)
                    else:
                        tagged = working.get(entry.position_id)
                        if tagged is None:
                            raise LedgerIntegrityError(
                                f"tag change {entry.change_id} refers to unknown position "
                                f"{entry.position_id}"
                            )
                        tagged.tags = entry.tags
                    self._sequence = entry.sequence
                    self._version += 1
        finally:
            self._positions = {pid: work.snapshot() for pid, work in working.items()}

    # ----------------------------------------------------------------- prices
    def update_prices(
        self, prices: Mapping[str, Number], timestamp: datetime | None = None
    ) -> dict[str, Decimal]:
        """Record the last price of each symbol; all-or-nothing on invalid input.

        Returns the accepted prices by canonical symbol. Marking is lazy: positions read
        their symbol's last price when snapshotted, so a batch costs O(symbols).
        """
        when = self._timestamp(timestamp)
        parsed: dict[str, Decimal] = {}
        for symbol, price in prices.items():
            key = symbol if symbol in self._prices else str(parse_symbol(symbol))
            parsed[key] = positive(price, f"price of {key}")
        self._prices.update(parsed)
        for key in parsed:
            self._price_times[key] = when
        self._prices_version += 1
        return parsed

    # ------------------------------------------------------ spec's async API
    async def create_position(
        self,
        symbol: str,
        position_type: PositionType | str,
        size: Number,
        entry_price: Number,
        **kwargs: Any,
    ) -> Position:
        async with self._lock:
            effect = self.prepare_open(symbol, position_type, size, entry_price, **kwargs)
            position = self.commit(effect)
        assert position is not None
        return position

    async def add_to_position(
        self, position_id: str, size: Number, price: Number, **kwargs: Any
    ) -> Position:
        async with self._lock:
            position = self.commit(self.prepare_add(position_id, size, price, **kwargs))
        assert position is not None
        return position

    async def close_position_partial(
        self, position_id: str, size: Number, price: Number, **kwargs: Any
    ) -> Decimal:
        """Close ``size`` of a position at ``price``; returns the P&L this realized."""
        async with self._lock:
            effect = self.prepare_reduce(position_id, price, size, **kwargs)
            self.commit(effect)
        assert effect.fill is not None and effect.fill.realized_pnl is not None
        return effect.fill.realized_pnl

    async def close_position(self, position_id: str, price: Number, **kwargs: Any) -> Decimal:
        """Close a whole position; returns the P&L this realized."""
        async with self._lock:
            effect = self.prepare_reduce(position_id, price, None, **kwargs)
            self.commit(effect)
        assert effect.fill is not None and effect.fill.realized_pnl is not None
        return effect.fill.realized_pnl

    async def update_position_price(self, symbol: str, price: Number) -> list[Position]:
        """Mark ``symbol`` at ``price``; returns its open positions as updated."""
        accepted = self.update_prices({symbol: price})
        return self.get_all_open_positions(next(iter(accepted)))

    async def deposit(self, amount: Number, note: str = "deposit") -> Decimal:
        async with self._lock:
            self.commit(self.prepare_cash(positive(amount, "deposit"), note=note))
        return self._cash

    async def withdraw(self, amount: Number, note: str = "withdrawal") -> Decimal:
        async with self._lock:
            self.commit(self.prepare_cash(-positive(amount, "withdrawal"), note=note))
        return self._cash
