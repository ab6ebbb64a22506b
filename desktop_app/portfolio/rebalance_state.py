"""Where the rebalancer keeps its state: the portfolio's store, or memory without one.

The rebalancer needs a few small JSON-able settings (grid state, DCA schedules, the time of
the last rebalance) and an append-only history of rebalances. With a database
(``manager.store``) they go through the store's ``get_setting`` / ``set_setting`` /
``append_record`` / ``read_records`` and survive restarts; a portfolio without a database
(``MemoryJournal``) keeps them in a :class:`MemoryState` for the life of the process.
"""

from __future__ import annotations

import copy
from collections import deque
from datetime import datetime
from typing import Any

__all__ = ["MemoryState", "state_backend"]


class MemoryState:
    """The store's settings-and-records contract, kept in memory."""

    def __init__(self, record_limit: int = 1_000) -> None:
        self._settings: dict[str, Any] = {}
        self._records: dict[str, deque[tuple[datetime | None, dict]]] = {}
        self._record_limit = record_limit

    async def get_setting(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self._settings.get(key, default))

    async def set_setting(self, key: str, value: Any) -> None:
        self._settings[key] = copy.deepcopy(value)

    async def append_record(
        self, kind: str, payload: dict, timestamp: datetime | None = None
    ) -> None:
        records = self._records.setdefault(kind, deque(maxlen=self._record_limit))
        records.append((timestamp, copy.deepcopy(payload)))

    async def read_records(
        self,
        kind: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        rows = [
            copy.deepcopy(payload)
            for stamp, payload in self._records.get(kind, ())
            if (start is None or stamp is None or stamp >= start)
            and (end is None or stamp is None or stamp <= end)
        ]
        return rows if limit is None else rows[-limit:]


def state_backend(manager: Any, fallback: MemoryState) -> Any:
    """The manager's store when it has one, else ``fallback``."""
    store = getattr(manager, "store", None)
    return store if store is not None else fallback
