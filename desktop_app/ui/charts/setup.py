"""pyqtgraph, imported late and configured once for a trading screen.

Importing pyqtgraph costs about half a second, so nothing at start-up imports it: the
views call :func:`pyqtgraph` after the main window's first paint. The configuration is the
fast one — no antialiasing (1-pixel pens draw far faster without it), no OpenGL (not
verified on the machines we ship to; ``QT_OPENGL`` drivers vary), row-major images — and
the colours come from the active theme (:func:`style_plot` re-applies them after a theme
switch).

Long curves use :func:`fast_curve`: ``setClipToView`` (only the visible part is processed),
automatic ``peak`` downsampling (each pixel column keeps its minimum and maximum, so a
drawdown's trough survives) and ``setSkipFiniteCheck`` (our series carry no NaN).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtGui import QColor, QFont

from desktop_app.ui.format import format_number
from desktop_app.ui.theme import Theme, current_theme, number_font

_configured: list[bool] = []


def pyqtgraph() -> Any:
    """The ``pyqtgraph`` module, configured for the app on first use."""
    import pyqtgraph as pg

    if not _configured:
        theme = current_theme()
        pg.setConfigOptions(
            antialias=False,
            useOpenGL=False,
            background=theme.base,
            foreground=theme.muted,
            imageAxisOrder="row-major",
        )
        _configured.append(True)
    return pg


def pen(color: str | QColor, width: float = 1.0, *, dashed: bool = False) -> Any:
    """A cosmetic pen (its width in pixels whatever the zoom); 1 px unless asked."""
    from PySide6.QtCore import Qt

    pg = pyqtgraph()
    style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
    return pg.mkPen(QColor(color), width=width, style=style)


def axis_font() -> QFont:
    return number_font(-1.0)


def style_plot(plot: Any, theme: Theme | None = None) -> None:
    """Theme colours, fonts and a faint grid on a ``PlotItem`` (or ``PlotWidget``)."""
    theme = theme or current_theme()
    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
    font = axis_font()
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(pen(theme.border))
        axis.setTextPen(pen(theme.muted))
        axis.setTickFont(font)
    item.showGrid(x=True, y=True, alpha=0.12)
    if hasattr(plot, "setBackground"):
        plot.setBackground(theme.base)


def fast_curve(plot: Any, color: str, *, name: str | None = None, width: float = 1.0) -> Any:
    """A line for long series: clip to view, peak downsampling, no finite check."""
    curve = plot.plot(pen=pen(color, width), name=name)
    curve.setClipToView(True)
    curve.setDownsampling(auto=True, method="peak")
    curve.setSkipFiniteCheck(True)
    return curve


def number_axis(orientation: str = "left", *, suffix: str = "") -> Any:
    """An axis whose ticks read like the grids: ``99,850.00``, ``−2.5``; no SI prefixes."""
    pg = pyqtgraph()

    class NumberAxis(pg.AxisItem):  # type: ignore[misc, name-defined]
        def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
            decimals = max(0, min(8, -math.floor(math.log10(spacing)))) if spacing > 0 else 0
            return [format_number(v * scale, decimals) + suffix for v in values]

    axis = NumberAxis(orientation)
    axis.enableAutoSIPrefix(False)
    return axis


def plot_widget(parent: Any = None, *, name: str = "", axis_items: Any = None) -> Any:
    """A themed ``PlotWidget`` with the mouse menu off (the views offer their own)."""
    pg = pyqtgraph()
    widget = pg.PlotWidget(parent, axisItems=axis_items or {})
    if name:
        widget.setObjectName(name)
    widget.setMenuEnabled(False)
    widget.getPlotItem().hideButtons()
    style_plot(widget)
    return widget
