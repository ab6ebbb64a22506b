"""Where the ledger's journal lives: the persistence port of the engine.

:class:`PortfolioManager` persists every journal entry through a :class:`Journal` *before*
the in-memory state changes, and only returns to its caller after ``append`` has returned —
so an acknowledged trade is as durable as the journal. The SQLite store
(``desktop_app.store``) is the durable implementation; :class:`MemoryJournal` keeps
everything in memory for scripts and tests that need no persistence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar, runtime_checkable

from .position_tracker import LedgerEffect
from .records import JournalEntry, Position


@dataclass(frozen=True)
class RestoredLedger:
    """What a journal hands back at start-up.

    ``entries`` are the source of truth. ``positions``, ``cash`` and ``last_sequence`` are
    the derived state as the journal stored it (None when it stores none); the manager
    replays ``entries`` and reports any difference from them (see ``restore_check``). A
    journal that checks its stored positions itself leaves ``positions`` None and offers
    ``async verify_positions(tracker) -> list[StateMismatch]`` instead.
    """

    entries: Sequence[JournalEntry] = ()
    status: str | None = None
    status_reason: str = ""
    config: Mapping[str, Any] | None = None
    positions: Mapping[str, Position] | None = None
    cash: Decimal | None = None
    last_sequence: int | None = None


@runtime_checkable
class Journal(Protocol):
    """The persistence port. Every method commits before it returns."""

    async def load(self) -> RestoredLedger | None:
        """The stored journal, or None for a brand-new ledger."""

    async def append(self, effect: LedgerEffect) -> None:
        """Durably store one entry and the state it produces, atomically."""

    async def save_status(self, status: str, reason: str) -> None:
        """Persist the portfolio status (active, paused, ...)."""

    async def save_config(self, config: Mapping[str, Any]) -> None:
        """Persist the portfolio configuration (targets, limits, settings)."""

    async def close(self) -> None:
        """Release the storage; later calls are errors."""


class MemoryJournal:
    """A journal that lives and dies with the process (no persistence)."""

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []
        self.status: tuple[str, str] | None = None
        self.config: Mapping[str, Any] | None = None

    async def load(self) -> RestoredLedger | None:
        if not self.entries:
            return None
        status, reason = self.status or (None, "")
        return RestoredLedger(tuple(self.entries), status, reason, self.config)

    async def append(self, effect: LedgerEffect) -> None:
        self.entries.append(effect.entry)

    async def save_status(self, status: str, reason: str) -> None:
        self.status = (status, reason)

    async def save_config(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    async def close(self) -> None:
        return None


T = TypeVar("T")


async def durably(write: Awaitable[None], apply: Callable[[], T]) -> T:
    """Await ``write``, then ``apply()`` the change in memory — as one step.

    The write runs on the store's thread and cannot be called back once started, so a caller
    cancelled while it runs still gets memory updated once the write is done (then sees its
    CancelledError): the file and the engine never disagree.
    """
    task = asyncio.ensure_future(write)
    cancelled = False
    while True:
        try:
            await asyncio.shield(task)
            break
        except asyncio.CancelledError:
            if task.cancelled():
                raise
            cancelled = True
            if task.done():
                task.result()
                break
    result = apply()
    if cancelled:
        raise asyncio.CancelledError
    return result
