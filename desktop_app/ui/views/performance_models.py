"""Table models of the Performance view: metrics, monthly returns, attribution, gains.

Each reads the analytics' own records (``PerformanceMetrics``, ``CalendarReturns``,
``AttributionReport``, ``RealizedGainsReport``); nothing here derives a number, it only
chooses units: returns, weights and shares are fractions in the engine and percentages
on screen; money is in the quote currency.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from desktop_app.ui.charts.heat_map import mix
from desktop_app.ui.format import DASH, format_duration, format_money, format_number, format_pct
from desktop_app.ui.models.columns import RIGHT, Column, ColumnTableModel, Kind
from desktop_app.ui.theme import current_theme, number_font

AnyIndex = QModelIndex | QPersistentModelIndex
#: The metric groups, in the order the table shows them.
GROUPS = ("Returns", "Risk-adjusted", "Risk", "Money", "Against the benchmark", "Trades")
#: A monthly return of this size (either way) gets the strongest colour.
HEAT_SCALE = 0.10


def pct(fraction: float | None, *, sign: bool = True) -> str:
    return DASH if fraction is None else format_pct(100.0 * fraction, sign=sign)


def ratio(value: float | None, digits: int = 2) -> str:
    return format_number(value, digits)  # a dash for None and for inf/nan


# --------------------------------------------------------------------------- metrics
@dataclass(frozen=True)
class MetricRow:
    """One metric: the portfolio's and the benchmark's value, as shown."""

    key: str
    label: str
    portfolio: str
    benchmark: str = ""
    value: float | None = None  # the portfolio's raw number (sorting, colour)
    signed: bool = False  # green/red by sign
    group: str = ""


def metric_rows(metrics: Any) -> list[MetricRow]:
    """The rows of the metrics table for one ``PerformanceMetrics``."""
    s = metrics.statistics
    b = metrics.benchmark.benchmark if metrics.benchmark is not None else None
    rel = metrics.benchmark.relative if metrics.benchmark is not None else None
    rows: list[MetricRow] = []

    def add(
        key: str,
        label: str,
        fmt: Callable[[Any], str],
        group: str,
        *,
        signed: bool = False,
        bench: bool = True,
        source: Any = s,
    ) -> None:
        value = getattr(source, key) if source is not None else None
        other = fmt(getattr(b, key)) if bench and b is not None else ""
        rows.append(MetricRow(key, label, fmt(value), other, value, signed, group))

    add("total_return", "Total return", pct, "Returns", signed=True)
    add("cagr", "CAGR", pct, "Returns", signed=True)
    rows.append(
        MetricRow(
            "money_weighted_return",
            "Money-weighted return (XIRR, a year)",
            pct(metrics.money_weighted_return),
            "",
            metrics.money_weighted_return,
            True,
            "Returns",
        )
    )
    add("best_period", "Best period", pct, "Returns", signed=True)
    add("worst_period", "Worst period", pct, "Returns", signed=True)
    add("volatility", "Volatility (a year)", lambda v: pct(v, sign=False), "Risk")
    add("sharpe_ratio", "Sharpe", ratio, "Risk-adjusted")
    add("sortino_ratio", "Sortino", ratio, "Risk-adjusted")
    add("calmar_ratio", "Calmar", ratio, "Risk-adjusted")
    add("omega_ratio", "Omega", ratio, "Risk-adjusted")
    add("max_drawdown", "Max drawdown", pct, "Risk", signed=True)
    d = metrics.drawdown
    rows.append(
        MetricRow(
            "current_drawdown",
            "Current drawdown",
            pct(d.current_drawdown),
            "",
            d.current_drawdown,
            True,
            "Risk",
        )
    )
    dates = DASH
    if d.peak_at is not None and d.trough_at is not None:
        recovered = f"{d.recovered_at:%Y-%m-%d}" if d.recovered_at else "not recovered"
        dates = f"{d.peak_at:%Y-%m-%d} → {d.trough_at:%Y-%m-%d} → {recovered}"
    rows.append(
        MetricRow("drawdown_dates", "Max drawdown peak → trough → recovery", dates, group="Risk")
    )
    duration = d.max_drawdown_duration_days
    rows.append(
        MetricRow(
            "max_drawdown_duration",
            "Longest time under water",
            DASH if duration is None else f"{duration:,.1f} days",
            group="Risk",
        )
    )
    for key, label in (
        ("var_95", "VaR 95 % (one period)"),
        ("var_99", "VaR 99 % (one period)"),
        ("cvar_95", "CVaR 95 % (one period)"),
        ("cvar_99", "CVaR 99 % (one period)"),
    ):
        add(key, label, lambda v: pct(v, sign=False), "Risk")
    equity = metrics.equity
    rows.append(
        MetricRow(
            "profit",
            "Profit (flows aside)",
            format_money(equity.profit, sign=True),
            "",
            equity.profit,
            True,
            "Money",
        )
    )
    rows.append(
        MetricRow(
            "net_flows", "Net deposits in the window", format_money(equity.net_flows), group="Money"
        )
    )
    if rel is not None:
        for key, label, fmt in (
            ("alpha", "Alpha (a year)", pct),
            ("beta", "Beta", ratio),
            ("correlation", "Correlation", ratio),
            ("tracking_error", "Tracking error (a year)", lambda v: pct(v, sign=False)),
            ("information_ratio", "Information ratio", ratio),
            ("up_capture", "Up capture", lambda v: pct(v, sign=False)),
            ("down_capture", "Down capture", lambda v: pct(v, sign=False)),
        ):
            add(key, label, fmt, "Against the benchmark", bench=False, source=rel)
    t = metrics.trades
    rows += [
        MetricRow("trades", "Closed trades", f"{t.trades:,}", group="Trades"),
        MetricRow("win_rate", "Win rate", pct(t.win_rate, sign=False), group="Trades"),
        MetricRow("profit_factor", "Profit factor", ratio(t.profit_factor), group="Trades"),
        MetricRow(
            "expectancy",
            "Expectancy (a trade)",
            format_money(t.expectancy, sign=True),
            "",
            t.expectancy,
            True,
            "Trades",
        ),
        MetricRow(
            "average_win", "Average win", format_money(t.average_win, sign=True), group="Trades"
        ),
        MetricRow(
            "average_loss", "Average loss", format_money(t.average_loss, sign=True), group="Trades"
        ),
        MetricRow(
            "largest_win", "Largest win", format_money(t.largest_win, sign=True), group="Trades"
        ),
        MetricRow(
            "largest_loss", "Largest loss", format_money(t.largest_loss, sign=True), group="Trades"
        ),
        MetricRow(
            "average_holding",
            "Average holding time",
            format_duration(t.average_holding_seconds),
            group="Trades",
        ),
    ]
    rows.sort(key=lambda r: GROUPS.index(r.group))
    shown: list[MetricRow] = []
    previous = None
    for row in rows:  # each group's name once, on its first row
        shown.append(row if row.group != previous else replace(row, group=""))
        previous = row.group or previous
    return shown


class MetricsModel(ColumnTableModel[MetricRow]):
    key_attr: ClassVar[str] = "key"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.benchmark_title = "Benchmark"
        self.columns = (
            Column.of("group", "", width=110),
            Column.of("label", "Metric", width=230),
            Column.of("portfolio", "Portfolio", kind=Kind.NUMBER, width=130),
            Column.of("benchmark", "Benchmark", kind=Kind.NUMBER, width=130),
        )

    def foreground(self, row: MetricRow, column: Column[Any]) -> QColor | None:
        if column.key == "portfolio" and row.signed and row.value:
            return current_theme().color("positive" if row.value > 0 else "negative")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and section == 3
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return self.benchmark_title
        return super().headerData(section, orientation, role)


# ---------------------------------------------------------------- monthly returns
MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]


class MonthlyReturnsModel(QAbstractTableModel):
    """Years (newest first) × months, plus the year's compounded return; a heat table."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.years: list[int] = []
        self.cells: dict[tuple[int, int], float | None] = {}
        self.totals: dict[int, float | None] = {}
        self._font = number_font()

    def load(self, calendar_returns: Any) -> None:
        self.beginResetModel()
        self.cells = {(m.year, m.month): m.period_return for m in calendar_returns.monthly}
        self.totals = {y.year: y.period_return for y in calendar_returns.yearly}
        self.years = sorted({y for y, _ in self.cells} | set(self.totals), reverse=True)
        self.endResetModel()

    def value(self, row: int, column: int) -> float | None:
        year = self.years[row]
        return self.totals.get(year) if column == 12 else self.cells.get((year, column + 1))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.years)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 13

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return (*MONTHS, "Year")[section] if 0 <= section < 13 else None
        return str(self.years[section]) if 0 <= section < len(self.years) else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.years):
            return None
        if not 0 <= index.column() < 13:
            return None
        value = self.value(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if value is None else format_pct(100.0 * value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(RIGHT)
        if role == Qt.ItemDataRole.FontRole:
            return self._font
        if role == Qt.ItemDataRole.BackgroundRole and value is not None:
            theme = current_theme()
            return mix(
                theme.color("negative"),
                theme.color("base"),
                theme.color("positive"),
                max(-1.0, min(1.0, value / HEAT_SCALE)) * 0.75,
            )
        if role == Qt.ItemDataRole.ToolTipRole and value is not None:
            year = self.years[index.row()]
            when = "the year" if index.column() == 12 else MONTHS[index.column()]
            return f"{when} {year}: {100 * value:+.4f} %"
        return None

    def refresh_style(self) -> None:
        self._font = number_font()
        if self.years:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.years) - 1, 12))


# ------------------------------------------------------------------- attribution
class AttributionModel(ColumnTableModel[Any]):
    """``AttributionRow`` records (by asset, strategy or tag)."""

    key_attr: ClassVar[str] = "key"

    def __init__(self, title: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column("key", title, lambda r: r.key, width=120),
            Column(
                "pnl",
                "P&L",
                lambda r: r.pnl,
                lambda r: format_money(r.pnl, sign=True),
                Kind.PNL,
                "Realized plus change in unrealized over the window",
                width=110,
            ),
            Column(
                "realized",
                "Realized",
                lambda r: r.realized_pnl,
                lambda r: format_money(r.realized_pnl, sign=True),
                Kind.PNL,
                width=100,
            ),
            Column(
                "unrealized",
                "Unrealized Δ",
                lambda r: r.unrealized_change,
                lambda r: format_money(r.unrealized_change, sign=True),
                Kind.PNL,
                width=100,
            ),
            Column(
                "contribution",
                "Contribution",
                lambda r: r.contribution,
                lambda r: pct(r.contribution),
                Kind.PNL,
                "Linked contribution to the time-weighted return",
                width=100,
            ),
            Column.of("weight", "Weight now", lambda v: pct(v, sign=False), Kind.NUMBER, width=90),
            Column(
                "risk_share",
                "Share of VaR",
                lambda r: r.risk_share,
                lambda r: pct(r.risk_share, sign=False),
                Kind.NUMBER,
                "Euler share of the 95 % parametric VaR",
                width=100,
            ),
        )


class AllocationEffectModel(ColumnTableModel[Any]):
    """Brinson-Fachler effects against the target weights (``AllocationEffect``)."""

    key_attr: ClassVar[str] = "key"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column.of("key", "Asset", width=100),
            Column.of(
                "average_weight", "Avg weight", lambda v: pct(v, sign=False), Kind.NUMBER, width=90
            ),
            Column.of(
                "target_weight", "Target", lambda v: pct(v, sign=False), Kind.NUMBER, width=80
            ),
            Column.of("asset_return", "Asset return", pct, Kind.PNL, width=100),
            Column.of("allocation", "Allocation", pct, Kind.PNL, width=90),
            Column.of("selection", "Selection", pct, Kind.PNL, width=90),
            Column.of("interaction", "Interaction", pct, Kind.PNL, width=90),
            Column("total", "Total", lambda r: r.total, lambda r: pct(r.total), Kind.PNL, width=90),
        )


# ----------------------------------------------------------------- realized gains
class RealizedGainsModel(ColumnTableModel[Any]):
    """``RealizedGain`` rows: one disposal of one lot."""

    def key_of(self, row: Any) -> str:
        return f"{row.disposal_id}:{row.lot_id}"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column.of("asset", "Asset", width=70),
            Column(
                "quantity",
                "Quantity",
                lambda r: r.quantity,
                lambda r: format_number(r.quantity, 8).rstrip("0").rstrip("."),
                Kind.NUMBER,
                width=110,
            ),
            Column(
                "date_acquired", "Acquired", lambda r: r.date_acquired, kind=Kind.TIME, width=140
            ),
            Column.of("date_sold", "Sold", kind=Kind.TIME, width=140),
            Column.of("proceeds", "Proceeds", format_money, Kind.NUMBER, width=110),
            Column.of("cost_basis", "Cost basis", format_money, Kind.NUMBER, width=110),
            Column(
                "fee", "Fees", lambda r: r.fee, lambda r: format_money(r.fee), Kind.NUMBER, width=80
            ),
            Column.of("gain", "Gain", lambda v: format_money(v, sign=True), Kind.PNL, width=100),
            Column.of("term", "Term", width=70),
            Column("side", "Lot", lambda r: "short" if r.is_short else "long", width=60),
        )


class GainsByMethodModel(ColumnTableModel[Any]):
    """``RealizedGainsTotals`` per lot method, side by side."""

    def key_of(self, row: Any) -> str:
        return str(row.method.value)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column("method", "Lot method", lambda r: str(r.method.value).upper(), width=100),
            Column(
                "disposals",
                "Disposals",
                lambda r: r.disposals,
                lambda r: f"{r.disposals:,}",
                Kind.NUMBER,
                width=80,
            ),
            Column.of("proceeds", "Proceeds", format_money, Kind.NUMBER, width=110),
            Column.of("cost_basis", "Cost basis", format_money, Kind.NUMBER, width=110),
            Column.of("gain", "Gain", lambda v: format_money(v, sign=True), Kind.PNL, width=110),
            Column.of(
                "short_term_gain",
                "Short term",
                lambda v: format_money(v, sign=True),
                Kind.PNL,
                width=100,
            ),
            Column.of(
                "long_term_gain",
                "Long term",
                lambda v: format_money(v, sign=True),
                Kind.PNL,
                width=100,
            ),
        )
