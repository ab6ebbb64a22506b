"""PortfolioAnalytics: performance metrics, benchmarking, attribution, reports and export.

The spec's analytics API (``desktop_app.portfolio.analytics``)::

    metrics = await analytics.calculate_performance_metrics(MetricPeriod.DAILY)
    attribution = await analytics.calculate_attribution_analysis(MetricPeriod.MONTHLY)
    report = await analytics.generate_performance_report()
    dashboard = await analytics.get_dashboard_data()
    filepath = await analytics.export_analytics("json")  # or "csv", "html"

Every number follows METRICS.md through :mod:`.metrics`. The facade only gathers inputs:
the equity snapshots, the full fill journal and the bar closes come from ``manager.store``
(read incrementally, :mod:`.analytics_sources`); positions, cash movements and live marks
from the ledger. It snapshots them on the event loop, then builds the report in the
default executor (:mod:`.analytics_build`), so the GUI's loop never runs the numpy work.

Without a store (a :class:`~.journal.MemoryJournal` portfolio) there is no snapshot
history: the time-weighted figures are None with a note saying why, while trade
statistics, attribution (marked at fill prices and live marks) and realized gains work from
what the ledger holds in memory.

Report periods are explained in :mod:`.analytics_period`, attribution formulas in
:mod:`.attribution`, lot pooling in :mod:`.realized_gains`, files in :mod:`.analytics_export`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.lazy import pd

from .analytics_build import AnalyticsInputs, ReportBuilder, latest_moment, ledger_start
from .analytics_dashboard import CurveView, DashboardData, curve_view, dashboard_data
from .analytics_export import ExportFormat, atomic_write, write_report
from .analytics_period import MetricPeriod, resolve_window
from .analytics_report import (
    AttributionReport,
    PerformanceMetrics,
    PerformanceReport,
    RealizedGainsReport,
)
from .analytics_sources import ClosesCache, EquityCurveCache, FillsCache
from .benchmark import DEFAULT_BENCHMARK, BenchmarkSpec
from .errors import ConfigError, PortfolioError
from .lots import LotMethod
from .metrics_input import check_risk_free
from .realized_gains import write_realized_gains
from .values import as_utc, utc_now

if TYPE_CHECKING:
    from .manager import PortfolioManager

__all__ = ["MetricPeriod", "PortfolioAnalytics"]

log = logging.getLogger(__name__)

#: The 24-hour reference prices of the dashboard's top movers are re-read at most this often.
REFERENCE_REFRESH_S = 60.0


class PortfolioAnalytics:
    """Performance analytics of one portfolio; attached as ``manager.analytics``.

    ``benchmark``: a symbol (default BTC/USDT), a list of symbols (an equal-weight basket),
    ``"held"`` (an equal-weight basket of the held symbols) or None. ``risk_free``: the
    annual risk-free rate for Sharpe and Sortino (0.04 is 4 %). ``lot_method``: how the
    realized gains report matches sales to purchases.
    """

    def __init__(
        self,
        manager: PortfolioManager,
        *,
        benchmark: str | Sequence[str] | None = DEFAULT_BENCHMARK,
        risk_free: float = 0.0,
        lot_method: LotMethod | str = LotMethod.FIFO,
    ) -> None:
        self._manager = manager
        self.benchmark: BenchmarkSpec | None = None
        self.risk_free = 0.0
        self.lot_method = LotMethod.FIFO
        self.configure(benchmark=benchmark, risk_free=risk_free, lot_method=lot_method)
        self._curve = EquityCurveCache()
        self._closes = ClosesCache()
        self._fills = FillsCache()
        self._gains_cache: dict = {}
        self._gains_fills: tuple | None = None
        self._view: CurveView | None = None
        self._view_lock = asyncio.Lock()
        self._references: dict[str, float] = {}
        self._references_read_at = -float("inf")
        self._references_held: tuple[str, ...] = ()
        #: Every file the last :meth:`export_analytics` wrote (the main one first).
        self.last_export_files: tuple[Path, ...] = ()

    # ---------------------------------------------------------------- settings
    def configure(
        self,
        *,
        benchmark: Any = ...,
        risk_free: float | None = None,
        lot_method: LotMethod | str | None = None,
    ) -> None:
        """Change the benchmark, the risk-free rate or the lot method (validated first)."""
        spec = self.benchmark if benchmark is ... else BenchmarkSpec.parse(benchmark)
        try:
            rate = self.risk_free if risk_free is None else check_risk_free(risk_free)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        method = self.lot_method if lot_method is None else _lot_method(lot_method)
        self.benchmark, self.risk_free, self.lot_method = spec, rate, method
        self._view = None

    @property
    def store(self) -> Any:
        return getattr(self._manager, "store", None)

    def invalidate(self) -> None:
        """Forget every cached read (after the store was replaced or rewritten)."""
        self._curve = EquityCurveCache()
        self._closes = ClosesCache()
        self._fills = FillsCache()
        self._gains_cache, self._gains_fills = {}, None
        self._view = None
        self._references_read_at = -float("inf")

    # ------------------------------------------------------------------ inputs
    async def _ready(self) -> None:
        if not self._manager.initialized:
            await self._manager.initialize()

    async def _inputs(self, period: MetricPeriod, as_of: datetime | None) -> AnalyticsInputs:
        """Snapshot everything a report reads (on the loop; reads are incremental)."""
        await self._ready()
        manager, store = self._manager, self.store
        tracker = manager.position_tracker
        await self._curve.refresh(store)
        curve = self._curve.frame
        positions = tuple(tracker.get_all_positions())
        total = sum(p.fill_count for p in positions)
        fills, complete = await self._fills.get(store, tracker, total)
        marks = {
            p.symbol: (p.price_updated_at, float(p.current_price))
            for p in positions
            if p.is_open and p.price_updated_at is not None
        }
        inputs = AnalyticsInputs(
            as_of=None if as_of is None else as_utc(as_of, "as_of"),
            quote_currency=manager.config.quote_currency,
            curve=curve,
            fills=fills,
            fills_complete=complete,
            movements=tuple(tracker.cash_movements()),
            positions=positions,
            marks=marks,
            targets=dict(manager.config.target_allocations),
            benchmark=self.benchmark,
            risk_free=self.risk_free,
            lot_method=self.lot_method,
        )
        moment = inputs.as_of or latest_moment(inputs, curve)
        window = resolve_window(period, ledger_start(inputs, curve), moment)
        if store is None or window.start is None:
            return replace(inputs, as_of=moment)
        held = sorted({p.symbol for p in positions if p.is_open})
        traded = sorted({fill.symbol for fill in fills})
        members = self.benchmark.members(held or traded) if self.benchmark else ()
        symbols = sorted({*traded, *inputs.targets, *members})
        step = pd.Timedelta(1, unit=window.sampling)
        start = pd.Timestamp(window.start) - max(2 * step, pd.Timedelta(days=1))
        closes = await self._closes.get(
            store, symbols, window.sampling, start.to_pydatetime(), moment
        )
        return replace(inputs, as_of=moment, closes=closes)

    def _builder(self, inputs: AnalyticsInputs) -> ReportBuilder:
        """A builder sharing the realized-gains cache while the fill journal is unchanged."""
        if inputs.fills is not self._gains_fills:
            self._gains_cache, self._gains_fills = {}, inputs.fills
        return ReportBuilder(inputs, self._gains_cache)

    async def _build(self, period: MetricPeriod | str, as_of: datetime | None, job: str):
        period = MetricPeriod.parse(period)
        inputs = await self._inputs(period, as_of)
        loop = asyncio.get_running_loop()
        builder = self._builder(inputs)
        return await loop.run_in_executor(None, getattr(builder, job), period)

    # ------------------------------------------------------------ the spec's API
    async def calculate_performance_metrics(
        self, period: MetricPeriod | str = MetricPeriod.ALL_TIME, *, as_of: datetime | None = None
    ) -> PerformanceMetrics:
        """Returns, risk, drawdown, XIRR, trades and the benchmark for one window."""
        return await self._build(period, as_of, "metrics")

    async def calculate_attribution_analysis(
        self, period: MetricPeriod | str = MetricPeriod.ALL_TIME, *, as_of: datetime | None = None
    ) -> AttributionReport:
        """P&L, contribution and share of risk by asset, strategy and tag; allocation vs
        selection against the target weights."""
        return await self._build(period, as_of, "attribution")

    async def generate_performance_report(
        self, period: MetricPeriod | str = MetricPeriod.ALL_TIME, *, as_of: datetime | None = None
    ) -> PerformanceReport:
        """Everything: metrics, every period's headline, calendar returns, attribution,
        realized gains per lot method and the curves (a dict-compatible record tree)."""
        return await self._build(period, as_of, "report")

    async def calculate_realized_gains(
        self,
        method: LotMethod | str | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> RealizedGainsReport:
        """Disposals sold in ``[start, end]`` matched per asset with ``method`` (default:
        the configured lot method); see :mod:`.realized_gains`."""
        await self._ready()
        tracker = self._manager.position_tracker
        total = sum(p.fill_count for p in tracker.get_all_positions())
        fills, complete = await self._fills.get(self.store, tracker, total)
        chosen = self.lot_method if method is None else _lot_method(method)
        inputs = AnalyticsInputs(
            as_of=None if end is None else as_utc(end, "end"),
            quote_currency=self._manager.config.quote_currency,
            fills=fills,
            fills_complete=complete,
            lot_method=chosen,
        )
        loop = asyncio.get_running_loop()
        builder = self._builder(inputs)
        begin = None if start is None else as_utc(start, "start")
        return await loop.run_in_executor(None, builder.realized_gains, chosen, begin)

    # ---------------------------------------------------------------- dashboard
    async def _curve_view(self) -> CurveView:
        async with self._view_lock:
            changed = await self._curve.refresh(self.store)
            if self._view is None or changed:
                loop = asyncio.get_running_loop()
                self._view = await loop.run_in_executor(
                    None, curve_view, self._curve.frame, self.risk_free
                )
            return self._view

    async def _prices_24h_ago(self, held: list[str], now: datetime) -> dict[str, float]:
        store = self.store
        fresh = time.monotonic() - self._references_read_at < REFERENCE_REFRESH_S
        if store is None or not held or (fresh and tuple(held) == self._references_held):
            return self._references if store is not None else {}
        day_ago = pd.Timestamp(now) - pd.Timedelta(days=1)
        closes = await self._closes.get(
            store, held, "h", (day_ago - pd.Timedelta(hours=2)).to_pydatetime(), now
        )
        references = {}
        for symbol, series in closes.items():
            before = series[series.index <= day_ago]
            if len(before):
                references[symbol] = float(before.iloc[-1])
        self._references, self._references_held = references, tuple(held)
        self._references_read_at = time.monotonic()
        return references

    async def get_dashboard_data(self) -> DashboardData:
        """What the GUI draws: curves, per-period returns, allocation, top movers.

        Cheap to call once a second: the snapshot-derived part is rebuilt (in an executor)
        only when new snapshots arrived; the rest is read from the ledger.
        """
        await self._ready()
        view = await self._curve_view()
        tracker = self._manager.position_tracker
        summary = tracker.get_portfolio_summary()
        open_positions = tracker.get_all_open_positions()
        now = self._manager.now()
        held = sorted({p.symbol for p in open_positions})
        references = await self._prices_24h_ago(held, now)
        notes = () if view.snapshots else (_no_history_note(self.store),)
        return dashboard_data(
            view,
            summary,
            open_positions,
            dict(self._manager.config.target_allocations),
            references,
            now,
            self._manager.config.quote_currency,
            notes,
        )

    # ------------------------------------------------------------------ export
    def _export_directory(self, directory: str | Path | None) -> Path:
        if directory is not None:
            return Path(directory)
        data_dir = getattr(self._manager, "data_dir", None)
        if data_dir is None:
            raise PortfolioError(
                "This portfolio has no data folder to export to; pass directory=... "
                "(a portfolio opened with a data folder exports to <data dir>/analytics/)"
            )
        return Path(data_dir) / "analytics"

    async def export_analytics(
        self,
        fmt: ExportFormat | str = "json",
        *,
        period: MetricPeriod | str = MetricPeriod.ALL_TIME,
        directory: str | Path | None = None,
    ) -> Path:
        """Write the performance report as ``json``, ``csv`` or ``html``; returns the path.

        Files go to ``<data dir>/analytics/portfolio_analytics_YYYYMMDD_HHMMSS.<ext>`` (or
        ``directory``); a CSV export writes one file per table beside the main one, listed
        in its ``files`` section and in :attr:`last_export_files`.
        """
        chosen = ExportFormat.parse(fmt)
        target = self._export_directory(directory)
        report = await self.generate_performance_report(period)
        loop = asyncio.get_running_loop()
        files = await loop.run_in_executor(None, write_report, report, chosen, target)
        self.last_export_files = tuple(files)
        log.info("analytics exported to %s", files[0])
        return files[0]

    async def export_realized_gains(
        self,
        method: LotMethod | str | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        directory: str | Path | None = None,
    ) -> Path:
        """Write the realized gains as a tax-tool CSV (``realized_gains_<method>_...csv``)."""
        target = self._export_directory(directory)
        report = await self.calculate_realized_gains(method, start=start, end=end)

        def write() -> Path:
            try:
                target.mkdir(parents=True, exist_ok=True)
                stamp = f"{utc_now():%Y%m%d_%H%M%S}"
                path = target / f"realized_gains_{report.method.value}_{stamp}.csv"
                counter = 2
                while path.exists():
                    path = target / f"realized_gains_{report.method.value}_{stamp}_{counter}.csv"
                    counter += 1
                return atomic_write(path, lambda handle: write_realized_gains(report, handle))
            except OSError as exc:
                raise PortfolioError(
                    f"Could not write the realized gains to {target}: {exc}"
                ) from exc

        return await asyncio.get_running_loop().run_in_executor(None, write)


def _lot_method(value: LotMethod | str) -> LotMethod:
    if isinstance(value, LotMethod):
        return value
    try:
        return LotMethod(str(value).strip().lower())
    except ValueError:
        known = ", ".join(m.value for m in LotMethod)
        raise ConfigError(f"unknown lot method {value!r}; choose one of: {known}") from None


def _no_history_note(store: Any) -> str:
    if store is None:
        return "No equity history: this portfolio has no store, so no snapshots are kept."
    return "No equity snapshot stored yet."
