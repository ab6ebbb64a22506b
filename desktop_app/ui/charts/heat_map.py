"""A labelled heat map of a square matrix (correlations): colour per cell, value on hover.

Painted with ``QPainter``. Up to :data:`LABELLED_MAX` rows every cell is a rectangle with
its value printed when there is room; beyond that (200 symbols) the matrix is drawn as a
one-pixel-per-cell image scaled up without smoothing, which costs the same whatever the
size. The colour scale is diverging: ``low_colour`` at ``vmin``, the background at the
middle, ``high_colour`` at ``vmax``; missing values (None/NaN) are left blank.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop_app.ui.theme import current_theme, number_font

LABELLED_MAX = 40
LEGEND_HEIGHT = 16


def mix(low: QColor, mid: QColor, high: QColor, t: float) -> QColor:
    """``t`` in [-1, 1]: low at -1, mid at 0, high at +1 (linear in RGB)."""
    t = max(-1.0, min(1.0, t))
    a, b = (mid, high) if t >= 0 else (mid, low)
    u = abs(t)
    return QColor(
        round(a.red() + (b.red() - a.red()) * u),
        round(a.green() + (b.green() - a.green()) * u),
        round(a.blue() + (b.blue() - a.blue()) * u),
    )


class HeatMap(QWidget):
    """``set_matrix(labels, values)``; ``cell_at(point)`` answers hover questions."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.labels: list[str] = []
        self.values = np.empty((0, 0))
        self.vmin, self.vmax = -1.0, 1.0
        self.empty_text = "No data"
        self.low_role, self.high_role = "accent", "negative"
        self._image: QImage | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(160, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(420, 380)

    def set_matrix(
        self,
        labels: Sequence[str],
        values: Sequence[Sequence[float | None]] | np.ndarray,
        *,
        vmin: float = -1.0,
        vmax: float = 1.0,
    ) -> None:
        matrix = np.array(
            [[math.nan if v is None else float(v) for v in row] for row in values], dtype=float
        ).reshape(len(labels), len(labels))
        self.labels, self.values, self.vmin, self.vmax = list(labels), matrix, vmin, vmax
        self._image = None
        self.update()

    # ---------------------------------------------------------------- geometry
    def _label_width(self) -> int:
        if not self.labels or len(self.labels) > LABELLED_MAX:
            return 0
        metrics = self.fontMetrics()
        return max(metrics.horizontalAdvance(label) for label in self.labels) + 8

    def grid_rect(self) -> QRectF:
        label = self._label_width()
        area = QRectF(self.rect()).adjusted(label + 4, label + 4, -6, -(LEGEND_HEIGHT + 10))
        side = max(10.0, min(area.width(), area.height()))
        return QRectF(area.left(), area.top(), side, side)

    def cell_at(self, point: QPoint) -> tuple[int, int] | None:
        n = len(self.labels)
        grid = self.grid_rect()
        if not n or not grid.contains(point.toPointF()):
            return None
        size = grid.width() / n
        col = int((point.x() - grid.left()) / size)
        row = int((point.y() - grid.top()) / size)
        return (row, col) if 0 <= row < n and 0 <= col < n else None

    def _colour(self, value: float) -> QColor:
        theme = current_theme()
        if not math.isfinite(value):
            return theme.color("base")
        middle = (self.vmin + self.vmax) / 2
        half = (self.vmax - self.vmin) / 2 or 1.0
        return mix(
            theme.color(self.low_role),
            theme.color("raised"),
            theme.color(self.high_role),
            (value - middle) / half,
        )

    # ----------------------------------------------------------------- painting
    def paintEvent(self, _event: QPaintEvent) -> None:
        theme = current_theme()
        painter = QPainter(self)
        n = len(self.labels)
        if not n:
            painter.setPen(theme.color("muted"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            painter.end()
            return
        grid = self.grid_rect()
        size = grid.width() / n
        if n > LABELLED_MAX:
            painter.drawImage(grid, self._matrix_image())
        else:
            painter.setFont(number_font(-1.0))
            show_values = size >= 30
            for i in range(n):
                for j in range(n):
                    cell = QRectF(grid.left() + j * size, grid.top() + i * size, size, size)
                    value = float(self.values[i, j])
                    painter.fillRect(cell.adjusted(0.5, 0.5, -0.5, -0.5), self._colour(value))
                    if show_values and math.isfinite(value):
                        painter.setPen(theme.color("text"))
                        painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, f"{value:.2f}")
            painter.setFont(self.font())
            painter.setPen(theme.color("muted"))
            for i, label in enumerate(self.labels):
                row = QRectF(0, grid.top() + i * size, grid.left() - 6, size)
                painter.drawText(
                    row, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label
                )
                painter.save()
                painter.translate(grid.left() + (i + 0.5) * size, grid.top() - 6)
                painter.rotate(-90)
                painter.drawText(
                    QRectF(0, -size / 2, grid.top(), size),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    label,
                )
                painter.restore()
        self._legend(painter, grid)
        painter.end()

    def _matrix_image(self) -> QImage:
        if self._image is None:
            n = len(self.labels)
            image = QImage(n, n, QImage.Format.Format_RGB32)
            for i in range(n):
                for j in range(n):
                    image.setPixelColor(j, i, self._colour(float(self.values[i, j])))
            self._image = image
        return self._image

    def _legend(self, painter: QPainter, grid: QRectF) -> None:
        theme = current_theme()
        top = grid.bottom() + 8
        width = min(grid.width(), 240.0)
        steps = 48
        for k in range(steps):
            t = -1.0 + 2.0 * (k + 0.5) / steps
            value = (self.vmin + self.vmax) / 2 + t * (self.vmax - self.vmin) / 2
            rect = QRectF(grid.left() + 28 + k * width / steps, top, width / steps + 0.5, 8)
            painter.fillRect(rect, self._colour(value))
        painter.setPen(theme.color("muted"))
        painter.setFont(number_font(-1.5))
        painter.drawText(
            QRect(int(grid.left()), int(top - 3), 26, 14),
            Qt.AlignmentFlag.AlignRight,
            f"{self.vmin:g}",
        )
        painter.drawText(
            QRect(int(grid.left() + 32 + width), int(top - 3), 40, 14),
            Qt.AlignmentFlag.AlignLeft,
            f"+{self.vmax:g}",
        )

    # -------------------------------------------------------------------- hover
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position().toPoint())
        if cell is None:
            QToolTip.hideText()
            return
        i, j = cell
        value = float(self.values[i, j])
        text = f"{self.labels[i]} × {self.labels[j]}: " + (
            f"{value:+.2f}" if math.isfinite(value) else "no common history"
        )
        QToolTip.showText(event.globalPosition().toPoint(), text, self)

    def refresh_style(self) -> None:
        self._image = None
        self.update()
