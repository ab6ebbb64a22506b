"""Grid trading: buy a fixed size each time the price falls through a level, sell it one level up.

A grid on one symbol has ``levels`` prices evenly spaced from ``lower`` to ``upper``
(``L_0 < … < L_{n−1}``) and ``n − 1`` *cells*; cell ``k`` trades between ``L_k`` and
``L_{k+1}`` and is in one of two states:

* **waiting to buy** at ``L_k``: when a price batch crosses ``L_k`` downward
  (``previous > L_k ≥ new``) it buys ``size_per_level`` and becomes *waiting to sell*;
* **waiting to sell** at ``L_{k+1}``: when a batch crosses ``L_{k+1}`` upward
  (``previous < L_{k+1} ≤ new``) it sells ``size_per_level`` and becomes *waiting to buy*.

That is the re-arm rule: a level's buy fires once per downward crossing and is re-armed only
by the sell its unit makes one level up (the opposite crossing); a level's sell is re-armed
by the buy below it. So each crossed level fills exactly once, a gap through several levels
fills each of them once, and the grid never sells more than it bought. Every cell starts
waiting to buy (the grid buys no inventory up front).

Crossings are measured from the last price the grid processed. A crossing whose order fails
(risk refusal, paused portfolio, not enough cash) leaves its cell unchanged and is reported;
the price still advances, so a stale crossing never fires later. In a dry run the price
advances and no cell changes. The whole state (spec, cells, last price, recent fills) is
persisted after every change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from .errors import ConfigError
from .records import OrderSide
from .values import Number, fmt, ledger_math, parse_symbol, positive, utc_now

__all__ = ["CellState", "GridFill", "GridSpec", "GridState", "grid_crossings"]

#: Fills kept per grid in its persisted state (the ledger keeps every fill anyway).
FILL_LOG_LIMIT = 500


class CellState(Enum):
    WAITING_TO_BUY = "waiting_to_buy"
    WAITING_TO_SELL = "waiting_to_sell"


@dataclass(frozen=True)
class GridSpec:
    """A grid: ``levels`` prices from ``lower`` to ``upper``, ``size_per_level`` base units."""

    symbol: str
    lower: Decimal
    upper: Decimal
    levels: int
    size_per_level: Decimal

    @classmethod
    def build(
        cls, symbol: str, lower: Number, upper: Number, levels: int, size_per_level: Number
    ) -> GridSpec:
        low, high = positive(lower, "grid lower price"), positive(upper, "grid upper price")
        if high <= low:
            raise ConfigError(f"the grid's upper price {fmt(high)} must be above {fmt(low)}")
        if isinstance(levels, bool) or not isinstance(levels, int) or not 2 <= levels <= 1000:
            raise ConfigError(f"a grid needs 2 to 1000 levels, got {levels!r}")
        size = positive(size_per_level, "grid size per level")
        return cls(str(parse_symbol(symbol)), low, high, levels, size)

    @property
    def prices(self) -> tuple[Decimal, ...]:
        with ledger_math():
            step = (self.upper - self.lower) / (self.levels - 1)
            return (*tuple(self.lower + step * k for k in range(self.levels - 1)), self.upper)

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "lower": format(self.lower, "f"),
            "upper": format(self.upper, "f"),
            "levels": self.levels,
            "size_per_level": format(self.size_per_level, "f"),
        }


@dataclass(frozen=True)
class GridFill:
    """One grid order that traded."""

    cell: int
    side: OrderSide
    level_price: Decimal
    fill_price: Decimal
    size: Decimal
    timestamp: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "side": self.side.value,
            "level_price": format(self.level_price, "f"),
            "fill_price": format(self.fill_price, "f"),
            "size": format(self.size, "f"),
            "timestamp": self.timestamp.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GridFill:
        return cls(
            int(data["cell"]),
            OrderSide(data["side"]),
            Decimal(data["level_price"]),
            Decimal(data["fill_price"]),
            Decimal(data["size"]),
            datetime.fromisoformat(data["timestamp"]),
        )


@dataclass(frozen=True)
class GridState:
    """A grid's spec, its cells, the last price it processed and its recent fills."""

    spec: GridSpec
    cells: tuple[CellState, ...]
    last_price: Decimal | None
    fills: tuple[GridFill, ...] = ()
    created_at: datetime = field(default_factory=utc_now)

    @classmethod
    def start(cls, spec: GridSpec, price: Decimal | None) -> GridState:
        return cls(spec, (CellState.WAITING_TO_BUY,) * (spec.levels - 1), price)

    @property
    def inventory(self) -> Decimal:
        """Base units the grid holds: one ``size_per_level`` per cell waiting to sell."""
        with ledger_math():
            held = sum(1 for cell in self.cells if cell is CellState.WAITING_TO_SELL)
            return held * self.spec.size_per_level

    def filled(self, fill: GridFill) -> GridState:
        """The state after ``fill``: its cell flips to the other side."""
        flipped = (
            CellState.WAITING_TO_SELL if fill.side is OrderSide.BUY else CellState.WAITING_TO_BUY
        )
        cells = list(self.cells)
        cells[fill.cell] = flipped
        return replace(self, cells=tuple(cells), fills=(*self.fills, fill)[-FILL_LOG_LIMIT:])

    def advanced(self, price: Decimal) -> GridState:
        return replace(self, last_price=price)

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec.to_dict(),
            "cells": [cell.value for cell in self.cells],
            "last_price": None if self.last_price is None else format(self.last_price, "f"),
            "fills": [fill.to_dict() for fill in self.fills],
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GridState:
        spec_data = data["spec"]
        spec = GridSpec.build(
            spec_data["symbol"],
            spec_data["lower"],
            spec_data["upper"],
            int(spec_data["levels"]),
            spec_data["size_per_level"],
        )
        cells = tuple(CellState(value) for value in data["cells"])
        if len(cells) != spec.levels - 1:
            raise ConfigError(
                f"stored grid of {spec.symbol} has {len(cells)} cells, not {spec.levels - 1}"
            )
        last = data.get("last_price")
        return cls(
            spec,
            cells,
            None if last is None else Decimal(last),
            tuple(GridFill.from_dict(item) for item in data.get("fills", ())),
            datetime.fromisoformat(data["created_at"]),
        )


def grid_crossings(state: GridState, price: Decimal) -> list[tuple[int, OrderSide, Decimal]]:
    """``(cell, side, level price)`` for every cell the move from ``last_price`` triggers.

    Downward moves list buys from the highest level down, upward moves sells from the lowest
    level up — the order the market crossed them.
    """
    previous = state.last_price
    if previous is None or price == previous:
        return []
    levels = state.spec.prices
    triggered: list[tuple[int, OrderSide, Decimal]] = []
    if price < previous:
        for cell in reversed(range(len(state.cells))):
            level = levels[cell]
            if state.cells[cell] is CellState.WAITING_TO_BUY and previous > level >= price:
                triggered.append((cell, OrderSide.BUY, level))
    else:
        for cell in range(len(state.cells)):
            level = levels[cell + 1]
            if state.cells[cell] is CellState.WAITING_TO_SELL and previous < level <= price:
                triggered.append((cell, OrderSide.SELL, level))
    return triggered
