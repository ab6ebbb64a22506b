"""Performance (``performanceView``): the analytics' report for a period and a benchmark.

Everything comes from ``manager.analytics`` (built in an executor by the engine):

* **Metrics** — ``generate_performance_report(period)``: returns, risk-adjusted ratios,
  drawdown with dates, VaR/CVaR, money-weighted return, trade statistics, and the
  benchmark's own figures beside the portfolio's (benchmark chosen here; the analytics'
  ``configure(benchmark=...)``).
* **Monthly returns** — a heat table by year and month, with each year compounded.
* **Attribution** — P&L, linked contribution and share of VaR by asset, strategy and tag;
  Brinson-Fachler allocation / selection against the targets.
* **Realized gains** — disposals matched with the chosen lot method
  (``calculate_realized_gains``) and the totals of every method side by side.
* **Export** — CSV, JSON or the self-contained HTML report to ``<data dir>/analytics``
  (``export_analytics``), with a progress bar while the report is built and written, and the
  path reported when done.

The report is rebuilt when the period, benchmark or lot method changes, on Refresh, and —
while the view is visible — at most every :data:`AUTO_REFRESH_S` after trades.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop_app.portfolio import PortfolioManager
from desktop_app.portfolio.analytics_period import MetricPeriod
from desktop_app.portfolio.lots import LotMethod
from desktop_app.ui.dialogs.common import describe_failure
from desktop_app.ui.format import format_clock, format_money, sampling_name
from desktop_app.ui.grid import report_grid

from .common import alive
from .performance_models import (
    AllocationEffectModel,
    AttributionModel,
    GainsByMethodModel,
    MetricsModel,
    MonthlyReturnsModel,
    RealizedGainsModel,
    metric_rows,
    pct,
)

log = logging.getLogger(__name__)

AUTO_REFRESH_S = 60.0
BENCHMARKS = (
    ("BTC/USDT", "BTC/USDT"),
    ("ETH/USDT", "ETH/USDT"),
    ("Held basket (equal weight)", "held"),
    ("No benchmark", None),
)
EXPORTS = (("CSV", "csv"), ("JSON", "json"), ("HTML report", "html"))


class PerformanceView(QWidget):
    """Emits ``exported(path)`` after an export wrote its files."""

    exported = Signal(str)

    def __init__(self, manager: PortfolioManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("performanceView")
        self.manager = manager
        self.report: Any = None
        self.gains: Any = None
        self.last_export: Path | None = None
        self.built_at = 0.0
        self.stale = True
        self.busy = False

        self.period = QComboBox(self)
        self.period.setObjectName("periodCombo")
        for period in MetricPeriod:
            self.period.addItem(period.label, period)
        self.period.setCurrentIndex(self.period.findData(MetricPeriod.ALL_TIME))
        self.benchmark = QComboBox(self)
        self.benchmark.setObjectName("benchmarkCombo")
        for label, value in BENCHMARKS:
            self.benchmark.addItem(label, value)
        self.lot_method = QComboBox(self)
        self.lot_method.setObjectName("lotMethodCombo")
        for method in LotMethod:
            self.lot_method.addItem(method.value.upper(), method)
        self.lot_method.setCurrentIndex(self.lot_method.findData(manager.analytics.lot_method))
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("performanceRefreshButton")
        self.status = QLabel(self)
        self.status.setObjectName("performanceStatus")
        self.status.setProperty("role", "muted")
        self.window_label = QLabel(self)
        self.window_label.setObjectName("performanceWindow")
        self.window_label.setWordWrap(True)
        self.export_buttons: dict[str, QPushButton] = {}
        self.progress = QProgressBar(self)
        self.progress.setObjectName("exportProgress")
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.export_label = QLabel(self)
        self.export_label.setObjectName("exportPathLabel")
        self.export_label.setTextFormat(Qt.TextFormat.RichText)
        self.export_label.setOpenExternalLinks(True)
        self.export_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)

        controls = QGridLayout()
        controls.setHorizontalSpacing(6)
        for number, (label, widget) in enumerate(
            (
                ("Period", self.period),
                ("Benchmark", self.benchmark),
                ("Lot method", self.lot_method),
            )
        ):
            controls.addWidget(QLabel(label, self), number // 2, (number % 2) * 2)
            controls.addWidget(widget, number // 2, (number % 2) * 2 + 1)
        controls.addWidget(self.refresh_button, 1, 3)
        controls.setColumnStretch(4, 1)
        self.status.setMinimumWidth(0)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.export_label.setMinimumWidth(0)
        self.export_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        exports = QHBoxLayout()
        exports.addWidget(QLabel("Export", self))
        for label, fmt in EXPORTS:
            button = QPushButton(label, self)
            button.setObjectName(f"export{fmt.upper()}Button")
            button.setToolTip(
                f"Write the report for the chosen period as {label} to the data folder"
            )
            button.clicked.connect(lambda _checked=False, f=fmt: self.export(f))
            self.export_buttons[fmt] = button
            exports.addWidget(button)
        exports.addWidget(self.progress)
        exports.addWidget(self.export_label, 1)

        self.metrics_model = MetricsModel(self)
        self.metrics_table = report_grid(
            "metricsTable", self.metrics_model, self, "Building the report…", source_order=True
        )
        self.monthly_model = MonthlyReturnsModel(self)
        self.monthly_table = QTableView(self)
        self.monthly_table.setObjectName("monthlyReturnsTable")
        self.monthly_table.setModel(self.monthly_model)
        self.monthly_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.monthly_table.verticalHeader().setDefaultSectionSize(24)
        self.monthly_table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.attribution_models = {
            "asset": AttributionModel("Asset", self),
            "strategy": AttributionModel("Strategy", self),
            "tag": AttributionModel("Tag", self),
        }
        self.effects_model = AllocationEffectModel(self)
        self.attribution_label = QLabel(self)
        self.attribution_label.setObjectName("attributionSummary")
        self.attribution_label.setWordWrap(True)
        attribution_tabs = QTabWidget(self)
        attribution_tabs.setObjectName("attributionTabs")
        attribution_tabs.setDocumentMode(True)
        for key, model in self.attribution_models.items():
            grid = report_grid(f"attribution{key.title()}Table", model, self, "Nothing traded")
            attribution_tabs.addTab(grid, f"By {key}")
        attribution_tabs.addTab(
            report_grid(
                "allocationEffectsTable", self.effects_model, self, "No target allocations"
            ),
            "Allocation vs selection",
        )
        attribution = QWidget(self)
        attribution_layout = QVBoxLayout(attribution)
        attribution_layout.setContentsMargins(0, 4, 0, 0)
        attribution_layout.addWidget(self.attribution_label)
        attribution_layout.addWidget(attribution_tabs, 1)

        self.gains_model = RealizedGainsModel(self)
        self.methods_model = GainsByMethodModel(self)
        self.gains_label = QLabel(self)
        self.gains_label.setObjectName("gainsSummary")
        self.gains_label.setWordWrap(True)
        self.gains_export = QPushButton("Export gains CSV", self)
        self.gains_export.setObjectName("exportGainsButton")
        self.gains_export.clicked.connect(self.export_gains)
        gains = QWidget(self)
        gains_layout = QVBoxLayout(gains)
        gains_layout.setContentsMargins(0, 4, 0, 0)
        gains_top = QHBoxLayout()
        gains_top.addWidget(self.gains_label, 1)
        gains_top.addWidget(self.gains_export)
        gains_layout.addLayout(gains_top)
        methods = report_grid("gainsByMethodTable", self.methods_model, self, "No disposals")
        methods.setMaximumHeight(140)
        gains_layout.addWidget(methods)
        gains_layout.addWidget(
            report_grid("realizedGainsTable", self.gains_model, self, "Nothing sold in the window"),
            1,
        )

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("performanceTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.metrics_table, "Metrics")
        self.tabs.addTab(self.monthly_table, "Monthly returns")
        self.tabs.addTab(attribution, "Attribution")
        self.tabs.addTab(gains, "Realized gains")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addLayout(exports)
        layout.addWidget(self.window_label)
        layout.addWidget(self.tabs, 1)

        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        self.benchmark.currentIndexChanged.connect(self._benchmark_chosen)
        self.lot_method.currentIndexChanged.connect(lambda _i: self.refresh_gains())
        self.refresh_button.clicked.connect(self.refresh)
        self.auto_timer = QTimer(self)
        self.auto_timer.setInterval(int(AUTO_REFRESH_S * 1000))
        self.auto_timer.timeout.connect(self._auto_refresh)
        self.auto_timer.start()

    # ------------------------------------------------------------------ building
    def chosen_period(self) -> MetricPeriod:
        return self.period.currentData()

    def mark_stale(self) -> None:
        """Trades happened: rebuild when next shown (or on the timer while visible)."""
        self.stale = True

    def _auto_refresh(self) -> None:
        if self.stale and self.isVisible() and not self.busy:
            self.refresh()

    def _benchmark_chosen(self, _index: int) -> None:
        try:
            self.manager.analytics.configure(benchmark=self.benchmark.currentData())
        except Exception as exc:
            self.status.setText(describe_failure(exc, "use that benchmark"))
            return
        self.refresh()

    @asyncSlot()
    async def refresh(self) -> None:
        await self.build()

    async def build(self) -> Any:
        """Build the report for the chosen period (in the engine's executor) and show it."""
        if self.busy:
            return self.report
        self.busy = True
        self.refresh_button.setEnabled(False)
        self.status.setText("building the report…")
        started = time.perf_counter()
        period = self.chosen_period()
        try:
            report = await self.manager.analytics.generate_performance_report(period)
        except Exception as exc:
            report = None
            failure = describe_failure(exc, "build the performance report")
        self.busy = False
        if not alive(self):
            return report
        self.refresh_button.setEnabled(True)
        if report is None:
            self.status.setText(failure)
            return None
        self.report = report
        self.stale = False
        self.built_at = time.monotonic()
        self.show_report(report)
        elapsed = time.perf_counter() - started
        self.status.setText(f"as of {format_clock(report.generated_at)} · built in {elapsed:.1f} s")
        await self.build_gains()
        return report

    def show_report(self, report: Any) -> None:
        metrics = report.metrics
        window = metrics.window
        bench = metrics.benchmark
        self.metrics_model.benchmark_title = bench.name if bench is not None else "Benchmark"
        self.metrics_model.set_rows(metric_rows(metrics))
        start = f"{window.start:%Y-%m-%d %H:%M}" if window.start else "the first snapshot"
        sampling = sampling_name(window.sampling)
        text = (
            f"<b>{window.period.label}</b>: {window.periods:,} {sampling} returns from {start} "
            f"(UTC){' — since inception' if window.inception else ''}"
        )
        notes = [*metrics.notes, *report.notes]
        if notes:
            text += "<br><span style='color:gray'>" + " · ".join(dict.fromkeys(notes)) + "</span>"
        self.window_label.setText(text)
        self.monthly_model.load(report.calendar_returns)
        attribution = report.attribution
        self.attribution_models["asset"].set_rows(attribution.by_asset)
        self.attribution_models["strategy"].set_rows(attribution.by_strategy)
        self.attribution_models["tag"].set_rows(attribution.by_tag)
        self.effects_model.set_rows(attribution.allocation_selection)
        parts = [f"return rebuilt from fills and prices {pct(attribution.total_return)}"]
        if attribution.portfolio_return is not None:
            parts.append(f"from the equity curve {pct(attribution.portfolio_return)}")
        if attribution.benchmark_return is not None:
            parts.append(f"target mix {pct(attribution.benchmark_return)}")
            parts.append(f"active {pct(attribution.active_return)}")
        self.attribution_label.setText(" · ".join(parts))
        self.methods_model.set_rows(report.realized_gains_by_method)

    @asyncSlot()
    async def refresh_gains(self) -> None:
        await self.build_gains()

    async def build_gains(self) -> Any:
        method = self.lot_method.currentData()
        try:
            gains = await self.manager.analytics.calculate_realized_gains(method)
        except Exception as exc:
            if alive(self):
                self.gains_label.setText(describe_failure(exc, "match the realized gains"))
            return None
        if not alive(self):
            return gains
        self.gains = gains
        self.gains_model.set_rows(gains.rows)
        totals = gains.totals
        quote = gains.quote_currency
        self.gains_label.setText(
            f"<b>{str(totals.method.value).upper()}</b>: {totals.disposals:,} disposal(s) · "
            f"proceeds {format_money(totals.proceeds)} · cost {format_money(totals.cost_basis)}"
            f" · fees {format_money(totals.fees)} · gain "
            f"<b>{format_money(totals.gain, sign=True)}</b> {quote} (short term "
            f"{format_money(totals.short_term_gain, sign=True)}, long term "
            f"{format_money(totals.long_term_gain, sign=True)})"
        )
        return gains

    # -------------------------------------------------------------------- export
    def _exporting(self, busy: bool, text: str = "") -> None:
        for button in (*self.export_buttons.values(), self.gains_export):
            button.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.progress.setRange(0, 0 if busy else 1)
        if text:
            self.export_label.setText(text)

    def _done(self, path: Path, what: str) -> None:
        self.last_export = path
        url = QUrl.fromLocalFile(str(path)).toString()
        folder = QUrl.fromLocalFile(str(path.parent)).toString()
        self.export_label.setText(
            f"{what} written: <a href='{url}'>{path.name}</a> in "
            f"<a href='{folder}'>{path.parent}</a>"
        )
        self.exported.emit(str(path))

    @asyncSlot(str)
    async def export(self, fmt: str) -> None:
        await self.export_report(fmt)

    async def export_report(self, fmt: str) -> Path | None:
        """Write the report as ``fmt`` (csv, json, html); the main file's path."""
        self._exporting(True, f"building and writing the {fmt.upper()} report…")
        try:
            path = await self.manager.analytics.export_analytics(fmt, period=self.chosen_period())
        except Exception as exc:
            if alive(self):
                self._exporting(False, describe_failure(exc, f"export the {fmt.upper()} report"))
            return None
        if not alive(self):
            return path
        self._exporting(False)
        files = self.manager.analytics.last_export_files
        what = f"{fmt.upper()} report" + (f" ({len(files)} files)" if len(files) > 1 else "")
        self._done(path, what)
        return path

    @asyncSlot()
    async def export_gains(self) -> None:
        await self.write_gains()

    async def write_gains(self) -> Path | None:
        """Write the realized gains of the chosen lot method as a tax-tool CSV."""
        self._exporting(True, "writing the realized gains…")
        try:
            path = await self.manager.analytics.export_realized_gains(self.lot_method.currentData())
        except Exception as exc:
            if alive(self):
                self._exporting(False, describe_failure(exc, "export the realized gains"))
            return None
        if not alive(self):
            return path
        self._exporting(False)
        self._done(path, "Realized gains CSV")
        return path

    def refresh_style(self) -> None:
        for model in (
            self.metrics_model,
            self.monthly_model,
            self.gains_model,
            self.methods_model,
            self.effects_model,
            *self.attribution_models.values(),
        ):
            model.refresh_style()
