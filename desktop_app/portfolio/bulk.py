"""Keeping Python's cyclic garbage collector out of bulk rebuilds.

A restart decodes and replays the whole journal: hundreds of thousands of small objects
(fills, lots, positions) that are all kept and none of which form cycles. While they are
built, the cyclic collector would walk the growing heap again and again; and because
objects created during a pause stay in the youngest generation, merely pausing moves that
cost to just after the pause. :func:`gc_paused` therefore turns the collector off for the
block and, when asked (``pause.freeze_after = True``), moves every object alive at its end
into the permanent generation (``gc.freeze``) — right for a restored ledger, which lives as
long as the process — before turning the collector back on.

Pauses nest and may overlap across threads: a counter re-enables the collector only when
the last pause ends, and only if it was on before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    lock = threading.Lock()
    depth = 0
    was_enabled = False
    freeze = False


class GcPause:
    """The handle :func:`gc_paused` yields."""

    def __init__(self) -> None:
        self.freeze_after = False


@contextmanager
def gc_paused() -> Iterator[GcPause]:
    pause = GcPause()
    with _Pauses.lock:
        if _Pauses.depth == 0:
            _Pauses.was_enabled = gc.isenabled()
            _Pauses.freeze = False
            gc.disable()
        _Pauses.depth += 1
    try:
        yield pause
    finally:
        with _Pauses.lock:
            _Pauses.freeze = _Pauses.freeze or pause.freeze_after
            _Pauses.depth -= 1
            if _Pauses.depth == 0:
                if _Pauses.freeze:
                    gc.freeze()
                if _Pauses.was_enabled:
                    gc.enable()
