"""Start-up verification: the derived state a journal stored vs. a replay of its entries.

The ledger is event-sourced: positions and cash are *derived* from the journal, and a
durable journal also stores them as derived state, written in the same transaction as the
entry that produced them. At start-up the manager replays the entries and compares the
result with the stored state. They can only differ if the file was edited, damaged, or the
ledger's rules changed between versions — each of which the trader must hear about. A
difference is reported with both values and never silently "fixed": the replay is what the
engine runs on, the stored values stay in the file for inspection.

Compared per position: every ledger field (sizes, cost basis, realized P&L, fees, times,
tags, strategy and the open tax lots) — not ``current_price``/``price_updated_at``, which
are marks from the live feed rather than ledger facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any

from .journal import RestoredLedger
from .position_tracker import PositionTracker
from .records import Position

#: The ledger facts of a position (everything but the market marks).
LEDGER_FIELDS = (
    "symbol",
    "position_type",
    "size",
    "cost_basis",
    "realized_pnl",
    "fees_paid",
    "opened_at",
    "closed_at",
    "strategy",
    "tags",
    "opened_size",
    "entry_value",
    "closed_size",
    "exit_value",
    "fill_count",
    "last_fill_at",
    "lots",
)
#: ``ledger_facts(position)`` → the tuple of its :data:`LEDGER_FIELDS` values.
ledger_facts = attrgetter(*LEDGER_FIELDS)


@dataclass(frozen=True, slots=True)
class StateMismatch:
    """One stored value that a replay of the journal does not reproduce."""

    what: str  # e.g. "position 1a2b3c4d (BTC/USDT) size", "cash"
    stored: Any
    replayed: Any

    def __str__(self) -> str:
        return f"{self.what}: stored {_show(self.stored)}, replay gives {_show(self.replayed)}"


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, tuple) and len(value) > 3:
        return f"{len(value)} items"
    return str(value)


def position_mismatches(
    position_id: str, stored: Position | None, replayed: Position | None
) -> list[StateMismatch]:
    label = f"position {position_id[:8]}"
    if stored is None:
        assert replayed is not None
        return [StateMismatch(f"{label} ({replayed.symbol})", "missing", "present")]
    if replayed is None:
        return [StateMismatch(f"{label} ({stored.symbol})", "present", "missing")]
    result = []
    for name in LEDGER_FIELDS:
        mine, theirs = getattr(stored, name), getattr(replayed, name)
        if mine != theirs:
            result.append(StateMismatch(f"{label} ({replayed.symbol}) {name}", mine, theirs))
    return result


def compare_with_replay(restored: RestoredLedger, tracker: PositionTracker) -> list[StateMismatch]:
    """Every difference between the stored derived state and ``tracker`` after a replay.

    Only what the journal stored is compared (``MemoryJournal`` stores no derived state).
    """
    mismatches: list[StateMismatch] = []
    if restored.last_sequence is not None and restored.last_sequence != tracker.sequence:
        mismatches.append(
            StateMismatch("last journal entry", restored.last_sequence, tracker.sequence)
        )
    if restored.cash is not None and restored.cash != tracker.cash:
        mismatches.append(StateMismatch("cash", restored.cash, tracker.cash))
    stored: Mapping[str, Position] | None = restored.positions
    if stored is None:
        return mismatches
    replayed = {p.position_id: p for p in tracker.get_all_positions()}
    differing = [
        position_id
        for position_id, position in replayed.items()
        if (mine := stored.get(position_id)) is None or ledger_facts(mine) != ledger_facts(position)
    ]
    differing += [position_id for position_id in stored if position_id not in replayed]
    for position_id in sorted(differing):
        mismatches.extend(
            position_mismatches(position_id, stored.get(position_id), replayed.get(position_id))
        )
    return mismatches
