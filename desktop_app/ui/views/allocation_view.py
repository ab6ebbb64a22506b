"""Allocation (``allocationView``): current against target weight per asset, and cash.

Weights are fractions of equity from the ledger's own totals of each price flush::

    weight = market value / equity        (signed: a short weighs negative)
    drift  = weight - target              (percentage points, as the rebalancer measures)

An asset whose drift exceeds the rebalancer's ``max_drift_pct`` is what a THRESHOLD
rebalance would trade: its bar turns amber and its row says by how much. Cash is the last
row; its target is what the targets leave over (``1 - Σ targets``). "To target" is the
trade value that would close the drift: ``(target - weight) × equity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from desktop_app.portfolio import PortfolioManager
from desktop_app.ui.charts.bars import brush, category_ticks, set_bars
from desktop_app.ui.charts.setup import pen, plot_widget, pyqtgraph, style_plot
from desktop_app.ui.format import DASH, format_money, format_pct
from desktop_app.ui.grid import Grid
from desktop_app.ui.models.columns import Column, ColumnTableModel, FilterProxy, Kind
from desktop_app.ui.theme import current_theme

CASH = "Cash"
#: Assets drawn as bars (the table lists them all); more is unreadable at a glance.
MAX_CHART_ROWS = 16


@dataclass(frozen=True)
class AllocationRow:
    """One asset (or cash): value, weight and target as fractions, drift in points."""

    symbol: str
    market_value: float
    weight: float | None
    target: float | None
    beyond_limit: bool = False

    @property
    def drift_pp(self) -> float | None:
        if self.weight is None:
            return None
        return 100.0 * (self.weight - (self.target or 0.0))

    def to_target(self, equity: float) -> float | None:
        if self.weight is None or self.target is None:
            return None
        return (self.target - self.weight) * equity


def allocation_rows(
    totals: Mapping[str, Any], targets: Mapping[str, float], max_drift_pct: float | None
) -> list[AllocationRow]:
    """Rows for every held or targeted symbol, by target then weight, and cash last."""
    equity = float(totals["equity"])
    by_symbol = totals["by_symbol"]
    rows = []
    for symbol in set(by_symbol) | set(targets):
        value = float(by_symbol[symbol]["market_value"]) if symbol in by_symbol else 0.0
        weight = value / equity if equity > 0 else None
        target = targets.get(symbol)
        drift = None if weight is None else 100.0 * (weight - (target or 0.0))
        beyond = drift is not None and max_drift_pct is not None and abs(drift) > max_drift_pct
        rows.append(AllocationRow(symbol, value, weight, target, beyond))
    rows.sort(key=lambda r: (-(r.target or 0.0), -abs(r.weight or 0.0), r.symbol))
    cash = float(totals["cash"])
    cash_target = 1.0 - sum(targets.values()) if targets else None
    rows.append(AllocationRow(CASH, cash, cash / equity if equity > 0 else None, cash_target))
    return rows


def chart_rows(rows: list[AllocationRow], limit: int) -> list[AllocationRow]:
    """At most ``limit`` assets for the bars (the largest by weight or target), the rest
    summed into one "+N more" row, then cash. The table always shows every row."""
    assets, cash = rows[:-1], rows[-1:]
    if len(assets) <= limit:
        return rows
    ranked = sorted(assets, key=lambda r: -max(abs(r.weight or 0.0), r.target or 0.0))
    shown, rest = ranked[:limit], ranked[limit:]
    shown.sort(key=lambda r: (-(r.target or 0.0), -abs(r.weight or 0.0), r.symbol))
    weight = sum(r.weight or 0.0 for r in rest)
    target = sum(r.target or 0.0 for r in rest)
    others = AllocationRow(
        f"+{len(rest)} more", sum(r.market_value for r in rest), weight, target or None
    )
    return [*shown, others, *cash]


def _pct_of(fraction: float | None) -> str:
    return DASH if fraction is None else format_pct(100.0 * fraction, sign=False)


class AllocationModel(ColumnTableModel[AllocationRow]):
    """The allocation table, keyed by symbol."""

    key_attr: ClassVar[str] = "symbol"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.equity = 0.0
        self.columns = (
            Column.of("symbol", "Asset", width=96),
            Column(
                "market_value",
                "Value",
                lambda r: r.market_value,
                lambda r: format_money(r.market_value),
                Kind.NUMBER,
                "Market value (cash: the cash balance), quote currency",
                width=110,
            ),
            Column(
                "weight",
                "Current",
                lambda r: None if r.weight is None else 100.0 * r.weight,
                lambda r: _pct_of(r.weight),
                Kind.NUMBER,
                "Weight of equity now",
                width=80,
            ),
            Column(
                "target",
                "Target",
                lambda r: None if r.target is None else 100.0 * r.target,
                lambda r: _pct_of(r.target),
                Kind.NUMBER,
                "Target weight (cash: what the targets leave over)",
                width=80,
            ),
            Column(
                "drift",
                "Drift",
                lambda r: r.drift_pp,
                lambda r: DASH if r.drift_pp is None else f"{r.drift_pp:+.2f} pp",
                Kind.NUMBER,
                "Current minus target, in percentage points",
                width=86,
            ),
            Column(
                "to_target",
                "To target",
                lambda r: r.to_target(self.equity),
                lambda r: format_money(r.to_target(self.equity), sign=True),
                Kind.NUMBER,
                "Trade value that would bring the asset back to its target",
                width=110,
            ),
        )

    def foreground(self, row: AllocationRow, column: Column[Any]) -> QColor | None:
        if column.key == "drift" and row.beyond_limit:
            return current_theme().color("warning")
        return super().foreground(row, column)


class AllocationView(QWidget):
    """Bars of current vs target weight, the table, and the cash share."""

    def __init__(self, manager: PortfolioManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("allocationView")
        self.manager = manager
        self.rows: list[AllocationRow] = []
        pg = pyqtgraph()
        self.summary = QLabel(self)
        self.summary.setObjectName("allocationSummary")
        self.summary.setWordWrap(True)
        self.plot = plot_widget(self, name="allocationPlot")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "% of equity")
        item.setMouseEnabled(x=False, y=False)
        item.getAxis("left").setWidth(70)
        item.invertY(True)
        self.target_bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.8)
        self.current_bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.42)
        self.plot.addItem(self.target_bars)
        self.plot.addItem(self.current_bars)
        self.labels: list[Any] = []
        self._names: list[str] = []
        self._x_range = (0.0, 0.0)
        self.legend = QLabel(self)
        self.legend.setProperty("role", "muted")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.model = AllocationModel(self)
        self.proxy = FilterProxy(self)
        self.table = Grid("allocationTable", self.model, self.proxy, self)
        self.table.empty_text = "No holdings and no targets"
        self.table.keep_source_order()
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.plot)
        splitter.addWidget(self.table)
        splitter.setSizes([320, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.summary)
        layout.addWidget(self.legend)
        layout.addWidget(splitter, 1)
        self._legend()

    def max_drift_pct(self) -> float | None:
        rebalancer = self.manager.rebalancer
        if rebalancer is not None and rebalancer.config.max_drift_pct is not None:
            return float(rebalancer.config.max_drift_pct)
        return getattr(self.manager.config, "rebalance_threshold_pct", None)

    def refresh(self, totals: Mapping[str, Any] | None = None) -> list[AllocationRow]:
        """Redraw from ``totals`` (the ledger summary; read now when not given)."""
        totals = totals or self.manager.position_tracker.get_portfolio_summary()
        targets = dict(self.manager.config.target_allocations)
        limit = self.max_drift_pct()
        rows = allocation_rows(totals, targets, limit)
        self.rows = rows
        self.model.equity = float(totals["equity"])
        self.model.update_rows(rows)
        self._draw(chart_rows(rows, MAX_CHART_ROWS), limit)
        self._summarise(rows, targets, limit, totals["equity"])
        return rows

    def _draw(self, rows: list[AllocationRow], limit: float | None) -> None:
        theme = current_theme()
        pg = pyqtgraph()
        positions = list(range(len(rows)))
        targets = [100.0 * (r.target or 0.0) for r in rows]
        current = [100.0 * (r.weight or 0.0) for r in rows]
        set_bars(
            self.target_bars,
            [brush(theme.muted, 45)] * len(rows),
            [pen(theme.muted)] * len(rows),
            x0=[min(0.0, t) for t in targets],
            y=positions,
            width=[abs(t) for t in targets],
            height=0.8,
        )
        colours = [
            theme.warning if r.beyond_limit else (theme.muted if r.symbol == CASH else theme.accent)
            for r in rows
        ]
        set_bars(
            self.current_bars,
            [brush(c, 230) for c in colours],
            [None] * len(rows),
            x0=[min(0.0, c) for c in current],
            y=positions,
            width=[abs(c) for c in current],
            height=0.42,
        )
        names = [r.symbol.split("/")[0] for r in rows]
        if names != self._names:  # new ticks re-lay the axis out: only when they change
            self._names = names
            category_ticks(self.plot, names, axis="left")
            self.plot.getPlotItem().setYRange(-0.6, max(0.4, len(rows) - 0.4), padding=0)
        while len(self.labels) < len(rows):  # text items are reused, never re-created
            label = pg.TextItem("", anchor=(0, 0.5))
            self.plot.addItem(label, ignoreBounds=True)
            self.labels.append(label)
        for number, label in enumerate(self.labels):
            row = rows[number] if number < len(rows) else None
            drift = None if row is None else row.drift_pp
            if row is None or drift is None or (row.target is None and not drift):
                label.setText("")
                continue
            text = f"{drift:+.1f} pp" if row.target is not None else "no target"
            label.setText(text)
            label.setColor(theme.warning if row.beyond_limit else theme.muted)
            label.setPos(max(current[number], targets[number], 0.0) + 0.6, number)
        top = max([*targets, *current, 1.0]) * 1.22
        bottom = min([*targets, *current, 0.0]) * 1.1
        low, high = self._x_range
        if top > high or top < 0.7 * high or bottom < low or bottom > 0.7 * low:
            self._x_range = (bottom, top)  # with slack: the axis is not redrawn every tick
            self.plot.getPlotItem().setXRange(bottom, top, padding=0)

    def _summarise(
        self,
        rows: list[AllocationRow],
        targets: Mapping[str, float],
        limit: float | None,
        equity: Decimal | float,
    ) -> None:
        cash = rows[-1]
        beyond = [r.symbol for r in rows if r.beyond_limit]
        parts = [f"Cash {_pct_of(cash.weight)}"]
        if cash.target is not None:
            parts[-1] += f" (target {_pct_of(cash.target)})"
        if not targets:
            parts.append("no target allocations set (Settings → Target allocations)")
        elif limit is not None:
            parts.append(f"drift limit {limit:g} pp")
            parts.append(
                f"{len(beyond)} beyond it: {', '.join(beyond)}"
                if beyond
                else "every asset within it"
            )
        parts.append(f"equity {format_money(equity)} {self.manager.config.quote_currency}")
        self.summary.setText(" · ".join(parts))

    def _legend(self) -> None:
        theme = current_theme()
        self.legend.setText(
            f"<span style='color:{theme.accent}'>■</span> current &nbsp; "
            f"<span style='color:{theme.muted}'>□</span> target &nbsp; "
            f"<span style='color:{theme.warning}'>■</span> drifted beyond the limit"
        )

    def refresh_style(self) -> None:
        style_plot(self.plot)
        self.model.refresh_style()
        self._legend()
        if self.rows:
            self._draw(chart_rows(self.rows, MAX_CHART_ROWS), self.max_drift_pct())
