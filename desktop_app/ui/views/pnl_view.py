"""Live P&L (``pnlView``): the equity curve, its drawdown below, and open P&L per symbol.

* **Equity** and **drawdown** (underwater) share one time axis (local time): zooming or
  panning one moves the other. Range buttons 1H, 1D, 1W, 1M and ALL set the window and
  keep following the latest point; panning by hand stops following until a button is
  pressed again. The crosshair prints time, equity and drawdown in the header.
* **History** is the store's equity curve (read once, then only the new snapshots, every
  ``snapshot_interval_s``), with the time-weighted drawdown computed in an executor
  (:mod:`.pnl_data`); each price flush (at most ten a second) adds a live point.
* **Unrealized P&L per symbol**: bars from the ledger's totals of the same flush; with
  many symbols the largest by size are shown and the rest summed as "others".

Long histories stay smooth: 1-pixel pens, clip to view and peak downsampling
(:func:`~desktop_app.ui.charts.setup.fast_curve`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop_app.portfolio import PortfolioManager
from desktop_app.ui.charts.bars import SignedBars
from desktop_app.ui.charts.crosshair import Crosshair
from desktop_app.ui.charts.setup import (
    fast_curve,
    number_axis,
    plot_widget,
    pyqtgraph,
    style_plot,
)
from desktop_app.ui.format import DASH, format_clock, format_money, format_pct, format_timestamp
from desktop_app.ui.theme import current_theme, number_font

from .common import alive
from .pnl_data import EquityHistory, LiveTail, extend_history, live_drawdown_pct, nearest

log = logging.getLogger(__name__)

#: What each range button shows, for its tooltip.
RANGE_TIPS = {
    "1H": "the last hour",
    "1D": "the last day",
    "1W": "the last week",
    "1M": "the last 30 days",
    "ALL": "the whole history",
}
#: Range buttons: label → seconds shown (None: everything).
RANGES: dict[str, float | None] = {
    "1H": 3_600.0,
    "1D": 86_400.0,
    "1W": 7 * 86_400.0,
    "1M": 30 * 86_400.0,
    "ALL": None,
}
DEFAULT_RANGE = "1D"
#: Symbols shown as bars; the rest are summed into "others".
MAX_SYMBOL_BARS = 14
MIN_HISTORY_POLL_S = 10.0
#: The charts redraw at most this often (the live points are all kept): a line that moves
#: four times a second reads as live, and a repaint of a chart's axes is not free.
REDRAW_MS = 250
#: The narrowest time window shown (a brand-new portfolio's first minutes).
MIN_SPAN_S = 300.0


class PnlView(QWidget):
    """Equity, drawdown and per-symbol unrealized P&L of one portfolio."""

    def __init__(self, manager: PortfolioManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pnlView")
        self.manager = manager
        self.quote = manager.config.quote_currency
        self.history = EquityHistory()
        self.tail = LiveTail()
        self.range_name: str | None = DEFAULT_RANGE
        self._loading = False
        self._last_live_s = 0.0
        pg = pyqtgraph()

        self.headline = QLabel(self)
        self.headline.setObjectName("pnlHeadline")
        self.headline.setFont(number_font(0.5))
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setMinimumWidth(0)
        self.headline.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.headline.setWordWrap(True)  # a narrow dock wraps it instead of cutting it
        self.range_buttons: dict[str, QPushButton] = {}
        self.range_group = QButtonGroup(self)
        self.range_group.setExclusive(True)
        header = QHBoxLayout()
        header.setContentsMargins(8, 6, 8, 2)
        header.addWidget(self.headline, 1)
        for name in RANGES:
            button = QPushButton(name, self)
            button.setObjectName(f"range{name}Button")
            button.setCheckable(True)
            button.setFixedWidth(40)
            button.setStyleSheet("padding: 3px 2px;")
            button.setToolTip(f"Show {RANGE_TIPS[name]} and follow the latest point")
            button.clicked.connect(lambda _checked=False, n=name: self.set_range(n))
            self.range_group.addButton(button)
            self.range_buttons[name] = button
            header.addWidget(button)
        self.range_buttons[DEFAULT_RANGE].setChecked(True)

        self.equity_plot = plot_widget(
            self,
            name="equityPlot",
            axis_items={"bottom": pg.DateAxisItem(), "left": number_axis()},
        )
        self.drawdown_plot = plot_widget(
            self,
            name="drawdownPlot",
            axis_items={"bottom": pg.DateAxisItem(), "left": number_axis()},
        )
        self.drawdown_plot.setXLink(self.equity_plot)
        theme = current_theme()
        self.equity_curve = fast_curve(self.equity_plot, theme.accent, name="equity")
        self.equity_tail = fast_curve(self.equity_plot, theme.accent, name="equity live")
        self.drawdown_curve = fast_curve(self.drawdown_plot, theme.negative, name="drawdown")
        self.drawdown_tail = fast_curve(self.drawdown_plot, theme.negative, name="drawdown live")
        for curve in (self.drawdown_curve, self.drawdown_tail):
            curve.setFillLevel(0.0)
            curve.setBrush(pg.mkBrush(_alpha(theme.negative, 70)))
        for plot, label in ((self.equity_plot, self.quote), (self.drawdown_plot, "%")):
            item = plot.getPlotItem()
            item.setLabel("left", label)
            item.getAxis("left").setWidth(64)
            item.getViewBox().setAutoVisible(y=True)
            item.getViewBox().sigRangeChangedManually.connect(self._panned)
        self.drawdown_plot.getPlotItem().setYRange(-1, 0.2)
        self.empty = pg.TextItem("", color=theme.muted, anchor=(0.5, 0.5))
        self.equity_plot.addItem(self.empty, ignoreBounds=True)
        self.crosshair = Crosshair([self.equity_plot, self.drawdown_plot], self)
        self.crosshair.moved.connect(self._crosshair_moved)
        self.crosshair.left.connect(self._show_headline)

        self.bars_plot = plot_widget(self, name="symbolPnlPlot", axis_items={"left": number_axis()})
        self.bars_plot.getPlotItem().setLabel("left", f"unrealized, {self.quote}")
        self.bars_plot.getPlotItem().getAxis("left").setWidth(64)
        self.bars_plot.getPlotItem().setMouseEnabled(x=False, y=False)
        self.bars = SignedBars(self.bars_plot)
        self.bars.set_zero_color(theme.border)
        self.bars_title = QLabel("Unrealized P&L by symbol", self)
        self.bars_title.setProperty("role", "muted")
        self.bars_title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        charts = QSplitter(Qt.Orientation.Vertical, self)
        charts.setObjectName("pnlSplitter")
        charts.setChildrenCollapsible(False)
        charts.addWidget(self.equity_plot)
        charts.addWidget(self.drawdown_plot)
        bars_box = QWidget(self)
        bars_layout = QVBoxLayout(bars_box)
        bars_layout.setContentsMargins(8, 2, 0, 0)
        bars_layout.setSpacing(0)
        bars_layout.addWidget(self.bars_title)
        bars_layout.addWidget(self.bars_plot, 1)
        charts.addWidget(bars_box)
        charts.setStretchFactor(0, 5)
        charts.setStretchFactor(1, 2)
        charts.setStretchFactor(2, 3)
        charts.setSizes([300, 120, 170])
        self.splitter = charts
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(charts, 1)

        interval = max(MIN_HISTORY_POLL_S, float(manager.config.snapshot_interval_s or 60.0))
        self.history_timer = QTimer(self)
        self.history_timer.setInterval(int(interval * 1000))
        self.history_timer.timeout.connect(self.reload_history)
        self.history_timer.start()
        self._by_symbol: Mapping[str, Any] | None = None
        self.redraw_timer = QTimer(self)
        self.redraw_timer.setSingleShot(True)
        self.redraw_timer.setInterval(REDRAW_MS)
        self.redraw_timer.timeout.connect(self.redraw)
        self._show_empty()
        self._show_headline()

    # ------------------------------------------------------------------ history
    @asyncSlot()
    async def reload_history(self) -> None:
        await self.read_history()

    async def read_history(self) -> None:
        """Read the snapshots the chart does not have yet (all of them the first time)."""
        store = getattr(self.manager, "store", None)
        if store is None or self._loading:
            return
        self._loading = True
        start = None
        if self.history.last_time is not None:
            start = self.history.last_time + timedelta(milliseconds=1)
        try:
            frame = await store.read_equity_curve(start=start)
            if frame.empty:
                return
            loop = asyncio.get_running_loop()
            self.history = await loop.run_in_executor(None, extend_history, self.history, frame)
        except Exception as exc:  # the chart keeps what it has; the next poll retries
            log.warning("could not read the equity curve: %s", exc)
            return
        finally:
            self._loading = False
        if not alive(self):
            return
        self.tail.drop_until(self.history.times_s[-1] if len(self.history) else 0.0)
        self._draw_history()
        self._draw_tail()

    def _draw_history(self) -> None:
        h = self.history
        self.equity_curve.setData(h.times_s, h.equity)
        self.drawdown_curve.setData(h.times_s, h.drawdown_pct)
        self._show_empty()
        self._follow()
        self._show_headline()

    # --------------------------------------------------------------------- live
    def prices_updated(self, timestamp: datetime, totals: Mapping[str, Any]) -> None:
        """One price flush: a live equity point and the per-symbol bars."""
        equity = float(totals["equity"])
        when_s = timestamp.timestamp()
        if when_s <= self._last_live_s:
            when_s = self._last_live_s + 1e-3
        self._last_live_s = when_s
        drawdown, wealth = live_drawdown_pct(
            self.history, equity, self._flows_since_snapshot(), self.tail.peak_wealth
        )
        if drawdown is None and not len(self.history):
            drawdown, wealth = self._session_drawdown(equity)
        self.tail.add(when_s, equity, drawdown, wealth)
        self._by_symbol = totals["by_symbol"]
        if not self.redraw_timer.isActive():  # charts redraw at most every REDRAW_MS
            self.redraw_timer.start()

    def redraw(self) -> None:
        """Draw the live points and the bars received since the last redraw."""
        self._draw_tail()
        if self._by_symbol is not None:
            self.show_symbol_pnl(self._by_symbol)

    def _session_drawdown(self, equity: float) -> tuple[float, float]:
        """Without any stored snapshot: drawdown from the session's own peak."""
        peak = max(self.tail.equity, default=equity)
        peak = max(peak, equity)
        return (100.0 * (equity / peak - 1.0) if peak > 0 else 0.0), equity

    def _flows_since_snapshot(self) -> float:
        since = self.history.last_time
        movements = self.manager.position_tracker.cash_movements()
        return float(
            sum(
                (m.amount for m in movements if since is None or m.timestamp > since),
                Decimal(0),
            )
        )

    def _draw_tail(self) -> None:
        times, equity = self.tail.times_s, self.tail.equity
        if len(self.history) and times:  # join the live tail to the last snapshot
            times = [float(self.history.times_s[-1]), *times]
            equity = [float(self.history.equity[-1]), *equity]
            drawdown = [float(self.history.drawdown_pct[-1]), *self.tail.drawdown_pct]
        else:
            drawdown = list(self.tail.drawdown_pct)
        self.equity_tail.setData(np.asarray(times), np.asarray(equity))
        self.drawdown_tail.setData(np.asarray(times), np.asarray(drawdown))
        self._show_empty()
        self._follow()
        if self.crosshair.x is None:
            self._show_headline()

    def show_symbol_pnl(self, by_symbol: Mapping[str, Mapping[str, Any]]) -> None:
        ranked = sorted(
            ((symbol, float(row["unrealized_pnl"])) for symbol, row in by_symbol.items()),
            key=lambda item: -abs(item[1]),
        )
        shown = ranked[:MAX_SYMBOL_BARS]
        rest = ranked[MAX_SYMBOL_BARS:]
        shown.sort(key=lambda item: -item[1])
        labels = [symbol.split("/")[0] for symbol, _ in shown]
        values = [value for _, value in shown]
        if rest:
            labels.append(f"+{len(rest)} more")
            values.append(sum(value for _, value in rest))
        theme = current_theme()
        self.bars.set_data(labels, values, theme.positive, theme.negative)
        total = sum(value for _, value in ranked)
        self.bars_title.setText(
            f"Unrealized P&L by symbol · total {format_money(total, sign=True)} {self.quote}"
            if ranked
            else "Unrealized P&L by symbol · no open positions"
        )

    # ------------------------------------------------------------------- ranges
    def set_range(self, name: str) -> None:
        """Show the last hour / day / week / month, or everything, and keep following."""
        self.range_name = name
        self.range_buttons[name].setChecked(True)
        self._follow(force=True)

    def _panned(self, *_args: object) -> None:
        self.range_name = None
        checked = self.range_group.checkedButton()
        if checked is not None:
            self.range_group.setExclusive(False)
            checked.setChecked(False)
            self.range_group.setExclusive(True)

    def data_bounds(self) -> tuple[float, float] | None:
        firsts = [
            t
            for t in (self._first(self.history.times_s), self._first(self.tail.times_s))
            if t is not None
        ]
        lasts = [
            t
            for t in (self._last(self.history.times_s), self._last(self.tail.times_s))
            if t is not None
        ]
        if not firsts:
            return None
        return min(firsts), max(lasts)

    @staticmethod
    def _first(values: Any) -> float | None:
        return float(values[0]) if len(values) else None

    @staticmethod
    def _last(values: Any) -> float | None:
        return float(values[-1]) if len(values) else None

    def _follow(self, *, force: bool = False) -> None:
        if self.range_name is None and not force:
            return
        bounds = self.data_bounds()
        if bounds is None:
            return
        first, last = bounds
        span = RANGES.get(self.range_name or "ALL")
        start = first if span is None else max(first, last - span)  # no empty left part
        start = min(start, last - MIN_SPAN_S)
        box = self.equity_plot.getPlotItem().getViewBox()
        (low, high), width = box.viewRange()[0], last - start
        steady = low <= start + 0.01 * width and last <= high <= last + 0.12 * width
        if not force and steady and span is not None:
            return  # the latest point is in view: no re-layout of the axes at every tick
        # headroom on the right, so the window moves in steps of a tenth of its width
        headroom = max(1.0, width * (0.02 if span is None else 0.1))
        box.setXRange(
            start if span is None else last + headroom - width, last + headroom, padding=0
        )
        box.enableAutoRange(y=True)
        self.drawdown_plot.getPlotItem().getViewBox().enableAutoRange(y=True)

    # ---------------------------------------------------------------- headline
    def _series(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.tail.times_s:
            return self.history.times_s, self.history.equity, self.history.drawdown_pct
        return (
            np.concatenate((self.history.times_s, self.tail.times_s)),
            np.concatenate((self.history.equity, self.tail.equity)),
            np.concatenate((self.history.drawdown_pct, self.tail.drawdown_pct)),
        )

    def _crosshair_moved(self, x: float) -> None:
        times, equity, drawdown = self._series()
        index = nearest(times, x)
        if index is None:
            return
        self._headline_at(float(times[index]), float(equity[index]), float(drawdown[index]))

    def _show_headline(self) -> None:
        times, equity, drawdown = self._series()
        if not times.size:
            self.headline.setText(f"<b>Equity</b> {DASH}")
            return
        self._headline_at(float(times[-1]), float(equity[-1]), float(drawdown[-1]), live=True)

    def _headline_at(
        self, when_s: float, equity: float, drawdown: float, *, live: bool = False
    ) -> None:
        theme = current_theme()
        colour = theme.negative if drawdown < -0.005 else theme.muted
        when = datetime.fromtimestamp(when_s).astimezone()
        moment = f"live {format_clock(when)}" if live else format_timestamp(when)
        self.headline.setText(
            f"<b>Equity {format_money(equity)}</b> {self.quote}"
            f" &nbsp;·&nbsp; <span style='color:{colour}'>drawdown "
            f"{format_pct(drawdown, sign=False)}</span>"
            f" &nbsp;·&nbsp; <span style='color:{theme.muted}'>{moment}</span>"
        )

    def _show_empty(self) -> None:
        if len(self.history) or self.tail.times_s:
            self.empty.setText("")
            return
        store = getattr(self.manager, "store", None)
        self.empty.setText(
            "No equity history yet: the curve starts with the first price"
            if store is not None
            else "This portfolio keeps no history: the curve starts with the first price"
        )
        self.empty.setPos(0.5, 0.5)

    # ------------------------------------------------------------------- style
    def refresh_style(self) -> None:
        theme = current_theme()
        pg = pyqtgraph()
        for plot in (self.equity_plot, self.drawdown_plot, self.bars_plot):
            style_plot(plot)
        for curve in (self.equity_curve, self.equity_tail):
            curve.setPen(pg.mkPen(theme.accent, width=1))
        for curve in (self.drawdown_curve, self.drawdown_tail):
            curve.setPen(pg.mkPen(theme.negative, width=1))
            curve.setBrush(pg.mkBrush(_alpha(theme.negative, 70)))
        self.bars.set_zero_color(theme.border)
        self.crosshair.restyle()
        self.empty.setColor(theme.muted)
        self._show_headline()


def _alpha(color: str, alpha: int) -> Any:
    from PySide6.QtGui import QColor

    value = QColor(color)
    value.setAlpha(alpha)
    return value
