"""An arc gauge: one risk measure against its limit, green / amber / red at a glance.

The dial sweeps 240° from 0 to ``scale_max`` (by default 125 % of the limit, so a breach
is visibly past the red line). Around it three thin bands mark the zones — green below
``warn_fraction`` of the limit, amber up to the limit, red beyond — and a tick marks the
limit itself. The thick arc is the current value in its zone's colour; the number and the
limit are printed in the middle, with a detail line below ("62 % of limit", "insufficient
history"). A tripped breaker turns the whole gauge red and says so.

Painted with ``QPainter`` (no pyqtgraph needed), so a gauge is cheap enough to repaint on
every price flush; :meth:`ArcGauge.set_reading` repaints only when the reading changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.ui.format import DASH
from desktop_app.ui.theme import current_theme, number_font

START_DEG = 210.0  # 8 o'clock
SWEEP_DEG = 240.0  # clockwise to 4 o'clock
DEFAULT_WARN_FRACTION = 0.8
DEFAULT_HEADROOM = 1.25


class GaugeState(Enum):
    """The zone a reading is in; ``.value`` is the word shown."""

    UNKNOWN = "no data"
    OK = "ok"
    WARNING = "near limit"
    BREACHED = "over limit"
    TRIPPED = "breaker tripped"


@dataclass(frozen=True)
class GaugeReading:
    """What one gauge shows. ``value`` and ``limit`` share a unit; texts are preformatted."""

    value: float | None
    limit: float | None
    value_text: str = DASH
    limit_text: str = ""
    detail: str = ""
    tripped: bool = False
    warn_fraction: float = DEFAULT_WARN_FRACTION
    scale_max: float | None = None

    @property
    def state(self) -> GaugeState:
        if self.tripped:
            return GaugeState.TRIPPED
        if self.value is None or not math.isfinite(self.value):
            return GaugeState.UNKNOWN
        if not self.limit or self.limit <= 0:
            return GaugeState.OK
        if self.value > self.limit:
            return GaugeState.BREACHED
        if self.value >= self.warn_fraction * self.limit:
            return GaugeState.WARNING
        return GaugeState.OK

    @property
    def top(self) -> float:
        """The value at the end of the dial."""
        if self.scale_max:
            return self.scale_max
        if self.limit and self.limit > 0:
            return self.limit * DEFAULT_HEADROOM
        return max(1.0, abs(self.value or 0.0) * DEFAULT_HEADROOM)

    def fraction(self, value: float) -> float:
        """Where ``value`` sits on the dial, 0..1."""
        return min(1.0, max(0.0, value / self.top)) if self.top > 0 else 0.0


STATE_COLOURS = {
    GaugeState.UNKNOWN: "muted",
    GaugeState.OK: "positive",
    GaugeState.WARNING: "warning",
    GaugeState.BREACHED: "negative",
    GaugeState.TRIPPED: "negative",
}


class ArcGauge(QWidget):
    """One titled gauge; ``reading`` is what it shows now."""

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.title = title
        self.reading = GaugeReading(None, None)
        self.setAccessibleName(title)
        self.setMinimumSize(128, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(200, 176)

    def set_reading(self, reading: GaugeReading) -> None:
        if reading == self.reading:
            return
        self.reading = reading
        state = reading.state
        lines = [f"{self.title}: {reading.value_text}"]
        if reading.limit_text:
            lines.append(reading.limit_text)
        if reading.detail:
            lines.append(reading.detail)
        if state is not GaugeState.OK:
            lines.append(state.value.upper())
        self.setToolTip("\n".join(lines))
        self.setAccessibleDescription(" · ".join(lines))
        self.update()

    # ------------------------------------------------------------------ painting
    def paintEvent(self, _event: QPaintEvent) -> None:
        theme = current_theme()
        reading = self.reading
        state = reading.state
        accent = theme.color(STATE_COLOURS[state])
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        background = QColor(theme.raised)
        if state is GaugeState.TRIPPED:
            background = _blend(background, accent, 0.22)
        painter.setPen(QPen(accent if state is GaugeState.TRIPPED else theme.color("border"), 1))
        painter.setBrush(background)
        painter.drawRoundedRect(box, 4, 4)

        title_font = QFont(self.font())
        title_font.setPointSizeF(max(7.0, title_font.pointSizeF() - 0.5))
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(theme.color("muted"))
        painter.drawText(
            box.adjusted(8, 5, -8, 0),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
            self.title.upper(),
        )
        title_height = painter.fontMetrics().height() + 6

        line_height = QFontMetricsF(number_font(-0.5)).height()
        area = box.adjusted(8, title_height, -8, -(line_height + 6))
        # the dial reaches 1.2 r above the centre (bands) and 0.55 r below (the arc's ends)
        radius = max(10.0, min(area.width() / 2.4, area.height() / 1.8))
        centre = QPointF(area.center().x(), area.top() + radius * 1.2)
        track = max(4.0, radius * 0.16)
        dial = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)

        painter.setBrush(Qt.BrushStyle.NoBrush)
        self._arc(painter, dial, 0.0, 1.0, theme.color("border"), track)
        if reading.limit and reading.limit > 0:
            band = dial.adjusted(-track * 0.95, -track * 0.95, track * 0.95, track * 0.95)
            warn = reading.fraction(reading.warn_fraction * reading.limit)
            limit = reading.fraction(reading.limit)
            width = max(2.0, track * 0.32)
            self._arc(painter, band, 0.0, warn, _faded(theme.color("positive")), width)
            self._arc(painter, band, warn, limit, _faded(theme.color("warning")), width)
            self._arc(painter, band, limit, 1.0, _faded(theme.color("negative")), width)
            self._tick(painter, centre, radius, track, limit, theme.color("text"))
        if reading.value is not None and math.isfinite(reading.value):
            self._arc(painter, dial, 0.0, reading.fraction(reading.value), accent, track)

        value_font = number_font(max(2.0, radius / 9.0), bold=True)
        painter.setFont(value_font)
        painter.setPen(accent if state is not GaugeState.OK else theme.color("text"))
        height = painter.fontMetrics().height()
        value_box = QRectF(box.left(), centre.y() - height * 0.75, box.width(), height)
        painter.drawText(value_box, Qt.AlignmentFlag.AlignCenter, reading.value_text)
        small = number_font(-0.5)
        painter.setFont(small)
        painter.setPen(theme.color("muted"))
        line = painter.fontMetrics().height()
        limit_box = QRectF(box.left() + 4, value_box.bottom(), box.width() - 8, line)
        painter.drawText(limit_box, Qt.AlignmentFlag.AlignCenter, reading.limit_text)
        detail = reading.detail
        if state is GaugeState.TRIPPED:
            detail = "BREAKER TRIPPED"
        elif state is GaugeState.BREACHED and not detail:
            detail = "OVER LIMIT"
        if detail:
            detail_font = QFont(small)
            detail_font.setBold(state in (GaugeState.TRIPPED, GaugeState.BREACHED))
            painter.setFont(detail_font)
            painter.setPen(
                accent
                if state in (GaugeState.TRIPPED, GaugeState.BREACHED, GaugeState.WARNING)
                else theme.color("muted")
            )
            detail_box = QRectF(box.left() + 4, box.bottom() - line - 4, box.width() - 8, line)
            text = painter.fontMetrics().elidedText(
                detail, Qt.TextElideMode.ElideRight, int(detail_box.width())
            )
            painter.drawText(detail_box, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()

    @staticmethod
    def _arc(
        painter: QPainter, rect: QRectF, start: float, end: float, color: QColor, width: float
    ) -> None:
        if end <= start:
            return
        pen = QPen(color, width)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        painter.setPen(pen)
        begin = START_DEG - SWEEP_DEG * start
        span = -SWEEP_DEG * (end - start)
        painter.drawArc(rect, int(begin * 16), int(span * 16))

    @staticmethod
    def _tick(
        painter: QPainter,
        centre: QPointF,
        radius: float,
        track: float,
        fraction: float,
        color: QColor,
    ) -> None:
        angle = math.radians(START_DEG - SWEEP_DEG * fraction)
        inner, outer = radius - track * 0.75, radius + track * 1.35
        direction = QPointF(math.cos(angle), -math.sin(angle))
        painter.setPen(QPen(color, 2))
        painter.drawLine(centre + direction * inner, centre + direction * outer)


def _faded(color: QColor, alpha: int = 150) -> QColor:
    faded = QColor(color)
    faded.setAlpha(alpha)
    return faded


def _blend(base: QColor, over: QColor, amount: float) -> QColor:
    return QColor(
        round(base.red() + (over.red() - base.red()) * amount),
        round(base.green() + (over.green() - base.green()) * amount),
        round(base.blue() + (over.blue() - base.blue()) * amount),
    )
