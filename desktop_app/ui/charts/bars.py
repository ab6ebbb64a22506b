"""Bar charts with text labels on the category axis: signed P&L bars and grouped weights.

pyqtgraph's ``BarGraphItem`` draws all bars of one item in a single call; updating
replaces its options (no items created or destroyed per tick), so a chart of a few dozen
bars costs well under a millisecond to update.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtGui import QColor

from .setup import pen, pyqtgraph


def category_ticks(plot: Any, labels: Sequence[str], *, axis: str = "bottom") -> None:
    """Put ``labels`` at 0, 1, 2 … on ``axis``."""
    plot.getPlotItem().getAxis(axis).setTicks([[(i, label) for i, label in enumerate(labels)]])


def set_bars(item: Any, brushes: Sequence[Any], pens: Sequence[Any], **geometry: Any) -> None:
    """``item.setOpts`` with one brush and pen per bar (none at all for an empty chart:
    pyqtgraph 0.14 cannot take empty per-bar lists)."""
    if brushes:
        item.setOpts(brushes=list(brushes), pens=list(pens), **geometry)
    else:
        item.setOpts(brushes=None, brush=None, pens=None, pen=None, **geometry)


def brush(color: str | QColor, alpha: int = 255) -> Any:
    fill = QColor(color)
    fill.setAlpha(alpha)
    return pyqtgraph().mkBrush(fill)


class SignedBars:
    """One bar per category, green above zero and red below."""

    def __init__(self, plot: Any, *, width: float = 0.7, horizontal: bool = False) -> None:
        pg = pyqtgraph()
        self.plot = plot
        self.horizontal = horizontal
        self.width = width
        self.labels: list[str] = []
        self.values: list[float] = []
        self._value_range = (0.0, 0.0)
        self.item = pg.BarGraphItem(x=[], height=[], width=width)
        plot.addItem(self.item)
        self.zero = pg.InfiniteLine(angle=0 if not horizontal else 90, movable=False)
        plot.addItem(self.zero, ignoreBounds=True)

    def set_data(
        self, labels: Sequence[str], values: Sequence[float], positive: str, negative: str
    ) -> None:
        changed = list(labels) != self.labels
        self.labels, self.values = list(labels), [float(v) for v in values]
        brushes = [brush(positive if v >= 0 else negative, 220) for v in self.values]
        positions = list(range(len(self.values)))
        if self.horizontal:
            set_bars(
                self.item,
                brushes,
                [None] * len(self.values),
                x0=[min(0.0, v) for v in self.values],
                y=positions,
                width=[abs(v) for v in self.values],
                height=self.width,
            )
        else:
            set_bars(
                self.item,
                brushes,
                [None] * len(self.values),
                x=positions,
                height=self.values,
                width=self.width,
            )
        if changed:  # new ticks re-lay the axis out: only when the categories change
            category_ticks(self.plot, self.labels, axis="left" if self.horizontal else "bottom")
            count = max(1, len(self.labels))
            category = (
                self.plot.getPlotItem().setYRange
                if self.horizontal
                else (self.plot.getPlotItem().setXRange)
            )
            category(-0.6, count - 0.4, padding=0)
        self._fit_values()

    def _fit_values(self) -> None:
        """The value axis with slack: it moves only when a bar outgrows it or it is far
        too wide, not with every price."""
        low = min([*self.values, 0.0])
        high = max([*self.values, 0.0])
        span = max(high - low, 1e-9)
        current_low, current_high = self._value_range
        fits = current_low <= low and high <= current_high
        snug = (current_high - current_low) <= 2.5 * span
        if fits and snug:
            return
        self._value_range = (low - 0.15 * span, high + 0.15 * span)
        item = self.plot.getPlotItem()
        setter = item.setXRange if self.horizontal else item.setYRange
        setter(*self._value_range, padding=0)

    def set_zero_color(self, color: str) -> None:
        self.zero.setPen(pen(color))


class GroupedBars:
    """Several series side by side per category (horizontal bars, categories top-down)."""

    def __init__(self, plot: Any, colours: Sequence[str], *, outline: Sequence[bool] = ()) -> None:
        pg = pyqtgraph()
        self.plot = plot
        self.colours = list(colours)
        self.outline = list(outline) or [False] * len(colours)
        self.items = [pg.BarGraphItem(x0=[], y=[], width=[], height=0.2) for _ in colours]
        for item in self.items:
            plot.addItem(item)
        plot.getPlotItem().invertY(True)

    def set_data(self, labels: Sequence[str], series: Sequence[Sequence[float]]) -> None:
        n = len(self.items)
        height = 0.8 / n
        for k, (item, values) in enumerate(zip(self.items, series, strict=True)):
            offset = -0.4 + height * (k + 0.5)
            colour = self.colours[k]
            hollow = self.outline[k]
            set_bars(
                item,
                [brush(colour, 40 if hollow else 220)] * len(values),
                [pen(colour) if hollow else None] * len(values),
                x0=[min(0.0, v) for v in values],
                y=[i + offset for i in range(len(values))],
                width=[abs(v) for v in values],
                height=height * 0.92,
            )
        category_ticks(self.plot, labels, axis="left")
        values = [v for s in series for v in s] or [0.0]
        self.plot.getPlotItem().setXRange(min(0.0, *values) * 1.1, max(1.0, *values) * 1.1)
        self.plot.getPlotItem().setYRange(-0.6, max(0.4, len(labels) - 0.4), padding=0)
