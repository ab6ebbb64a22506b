"""Deferred import of pandas, so the app paints its window before pandas has loaded.

pandas takes well over a second to import and the engine only needs it once history is
analysed (risk metrics, analytics, bar storage). Engine modules write::

    from desktop_app.lazy import pd

and use ``pd.DataFrame`` and friends inside functions as usual; the real pandas module is
imported on the first attribute access (``importlib``'s module lock makes that thread-safe,
so the first access may come from an executor thread). Module-level code must not touch
``pd`` — a test checks that importing the app does not import pandas.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

__all__ = ["LazyModule", "pd"]


class LazyModule:
    """Stands in for a module until an attribute is first read."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.load(), attribute)

    def load(self) -> ModuleType:
        """Import the real module now (a no-op once it is in ``sys.modules``)."""
        return importlib.import_module(self._name)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


if TYPE_CHECKING:
    import pandas as pd
else:
    pd = LazyModule("pandas")
