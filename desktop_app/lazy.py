"""Deferred import of pandas, so the app paints its window before pandas has loaded.

pandas takes well over a second to import and the engine only needs it once history is
analysed (risk metrics, analytics, bar storage). Engine modules write::

    from desktop_app.lazy import pd

and use ``pd.DataFrame`` and friends inside functions as usual; the real pandas module is
imported on the first attribute access (module-level code must not touch ``pd``; a test
checks that importing the app does not import pandas).

Which thread imports it matters. Importing pandas on a worker thread *while the Qt event
loop keeps running on the main thread* corrupted reference counts here (a segfault in an
unrelated Qt call, or "bool_dealloc: deallocating True or False" at exit) — seen with
pandas 3.1, numpy 2.4 and PySide6 6.12, and never when the import ran with the main thread
idle or on the main thread itself. So:

* the first import is serialised by one lock (importlib's per-module locks can hand a
  second thread partially initialised submodules);
* the app calls :meth:`LazyModule.defer_to_main_thread` at start and :meth:`LazyModule.load`
  on the main thread right after the window's first paint; until then a worker thread that
  needs pandas waits for that import instead of running its own.

Headless scripts need none of this: without ``defer_to_main_thread`` any thread may import.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Any

__all__ = ["LazyModule", "pd"]

log = logging.getLogger(__name__)

#: How long a worker waits for the main thread's import before importing itself. The app
#: imports right after its first paint, well within this; the limit only keeps a worker from
#: waiting forever if that never happens.
MAIN_THREAD_WAIT_S = 30.0


class LazyModule:
    """Stands in for a module until an attribute is first read."""

    __slots__ = ("_lock", "_main_done", "_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None
        self._lock = threading.Lock()
        self._main_done: threading.Event | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self.load()
        return getattr(module, attribute)

    def defer_to_main_thread(self) -> None:
        """From now on, until the main thread has loaded the module, other threads wait."""
        if self._module is None and self._main_done is None:
            self._main_done = threading.Event()

    def load(self) -> ModuleType:
        """Import the real module now, one thread at a time (a no-op once loaded)."""
        if self._module is not None:
            return self._module
        waiting = self._main_done
        on_main = threading.current_thread() is threading.main_thread()
        if waiting is not None and not on_main and not waiting.wait(MAIN_THREAD_WAIT_S):
            log.warning("%s was not imported on the main thread in time", self._name)
        with self._lock:
            if self._module is None:
                self._module = sys.modules.get(self._name) or importlib.import_module(self._name)
        if waiting is not None and on_main:
            waiting.set()
        return self._module

    @property
    def loaded(self) -> bool:
        return self._module is not None

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


if TYPE_CHECKING:
    import pandas as pd
else:
    pd = LazyModule("pandas")
