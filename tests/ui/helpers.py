"""Helpers for GUI scenarios: awaiting conditions, finding dialogs, the Desk."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.portfolio import PortfolioManager, PositionType
from desktop_app.ui.main_window import MainWindow

T = TypeVar("T")


async def until(
    predicate: Callable[[], T], within_s: float = 5.0, message: str = "", interval: float = 0.01
) -> T:
    """Await until ``predicate()`` is truthy (returning it); fail after ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within_s} s waiting for {message or predicate}")
        await asyncio.sleep(interval)


async def settle(seconds: float = 0.05) -> None:
    """Let queued signals, timers and tasks run for a moment (no condition to wait for)."""
    await asyncio.sleep(seconds)


def find_dialog(cls: type[T], name: str | None = None) -> T | None:
    """The visible top-level widget of type ``cls`` (and object name), if any."""
    for widget in QApplication.topLevelWidgets():
        visible = isinstance(widget, cls) and widget.isVisible()
        if visible and (name is None or widget.objectName() == name):
            return widget
    return None


@dataclass
class Desk:
    """A real engine and the real main window over it."""

    manager: PortfolioManager
    window: MainWindow
    data_dir: Path

    async def book(
        self,
        symbol: str,
        size: str | float,
        price: str | float,
        side: PositionType = PositionType.LONG,
        **kwargs: Any,
    ) -> Any:
        """Open a position through the engine (not the GUI) and wait for its row."""
        position = await self.manager.create_position(symbol, side, size, price, **kwargs)
        model = self.window.positions.model
        await until(lambda: model.get(position.position_id) is not None, message="the row")
        return position


def widget(parent: QWidget, cls: type[T], name: str) -> T:
    """A child widget by type and object name; fails clearly when missing."""
    found = parent.findChild(cls, name)
    assert found is not None, f"no {cls.__name__} named {name!r} in {parent.objectName()}"
    return found


async def with_views(desk: Desk) -> Any:
    """Install the chart docks on the desk's window (as the app does after first paint)."""
    views = await desk.window.install_views()
    assert views is not None
    await views.settled()  # the first loads (equity curve, rebalance history) are in
    return views


def cell_text(grid: Any, key: str, column: str) -> str:
    """The text a grid shows for row ``key`` in column ``column`` (by the column's key)."""
    model = grid.source
    row = model.row_of(key)
    assert row is not None, f"no row {key!r} in {grid.objectName()}"
    return model.data(model.index(row, model.column_index(column)))
