"""A crosshair across x-linked plots: one vertical line through all of them, a horizontal
line on the plot under the mouse, and the x value reported so the view can print values.

Mouse moves are rate-limited (``pg.SignalProxy``, 60 a second): a crosshair never makes
a chart repaint faster than the screen refreshes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, Signal

from desktop_app.ui.theme import current_theme

from .setup import pen, pyqtgraph

RATE_LIMIT_HZ = 60


class Crosshair(QObject):
    """Emits ``moved(x)`` while the mouse is over one of ``plots``, ``left()`` when it goes."""

    moved = Signal(float)
    left = Signal()

    def __init__(self, plots: list[Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        pg = pyqtgraph()
        self.plots = plots
        self.vlines: list[Any] = []
        self.hlines: list[Any] = []
        self.x: float | None = None
        self._proxies = []
        line_pen = pen(current_theme().muted, dashed=True)
        for plot in plots:
            vline = pg.InfiniteLine(angle=90, movable=False, pen=line_pen)
            hline = pg.InfiniteLine(angle=0, movable=False, pen=line_pen)
            for line in (vline, hline):
                line.setZValue(50)
                line.hide()
                plot.addItem(line, ignoreBounds=True)
            self.vlines.append(vline)
            self.hlines.append(hline)
            self._proxies.append(
                pg.SignalProxy(
                    plot.scene().sigMouseMoved,
                    rateLimit=RATE_LIMIT_HZ,
                    slot=lambda event, p=plot: self._mouse_moved(p, event[0]),
                )
            )
            plot.viewport().installEventFilter(self)

    def _mouse_moved(self, plot: Any, position: QPointF) -> None:
        box = plot.getPlotItem().vb
        if not box.sceneBoundingRect().contains(position):
            self.hide()
            return
        point = box.mapSceneToView(position)
        self.show_at(point.x(), plot, point.y())

    def show_at(self, x: float, plot: Any = None, y: float | None = None) -> None:
        """Put the crosshair at ``x`` (and at ``y`` on ``plot``); tests call this too."""
        self.x = x
        for vline in self.vlines:
            vline.setPos(x)
            vline.show()
        for candidate, hline in zip(self.plots, self.hlines, strict=True):
            if candidate is plot and y is not None:
                hline.setPos(y)
                hline.show()
            else:
                hline.hide()
        self.moved.emit(x)

    def hide(self) -> None:
        if self.x is None:
            return
        self.x = None
        for line in (*self.vlines, *self.hlines):
            line.hide()
        self.left.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self.hide()
        return False

    def restyle(self) -> None:
        line_pen = pen(current_theme().muted, dashed=True)
        for line in (*self.vlines, *self.hlines):
            line.setPen(line_pen)
