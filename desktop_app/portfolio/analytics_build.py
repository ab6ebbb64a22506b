"""Assemble the reports from plain inputs: pure, synchronous, safe to run in an executor.

:class:`AnalyticsInputs` is a snapshot of everything the analytics read — the equity
snapshots, the fills and cash movements, the positions, bar closes, live marks, target
weights and settings — taken on the event loop; :class:`ReportBuilder` turns it into the
records of :mod:`.analytics_report` without touching the ledger or the store, so a report
never sees a half-applied trade and the heavy numpy work can run off the loop.

The as-of time defaults to the latest thing the inputs know about (snapshot, fill, cash
movement or mark): for a live portfolio that is now; for an imported or replayed history it
is the end of that history, so "the last 30 days" are the last 30 days of data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np

from desktop_app.lazy import pd

from . import metrics
from .analytics_period import MetricPeriod, resolve_window
from .analytics_report import (
    AttributionReport,
    Curve,
    PerformanceMetrics,
    PerformanceReport,
    PeriodOverview,
    RealizedGainsReport,
    RealizedGainsTotals,
    ReportWindow,
    ReturnStatistics,
    TradeStatistics,
)
from .analytics_returns import (
    WindowEquity,
    calendar_returns,
    clean_curve,
    drawdown_report,
    empty_curve,
    window_equity,
)
from .attribution import attribution_report
from .benchmark import (
    DEFAULT_BENCHMARK,
    BenchmarkSpec,
    benchmark_returns,
    compare_to_benchmark,
)
from .ledger_history import deposits_series, fills_frame, price_observations
from .lots import LotMethod
from .realized_gains import realized_gains, realized_gains_totals
from .records import CashMovement, Fill, Position
from .values import utc_now

__all__ = ["NO_HISTORY_NOTE", "AnalyticsInputs", "ReportBuilder", "latest_moment", "ledger_start"]

NO_HISTORY_NOTE = (
    "No equity history yet: the time-weighted figures need stored equity snapshots, which a "
    "portfolio with a data folder records as prices move."
)


@dataclass(frozen=True, eq=False)
class AnalyticsInputs:
    """What one report reads, captured at one moment (see the module docstring).

    ``closes`` maps symbols to close prices indexed by the instant each was known (UTC; see
    :func:`.bar_closes.closes_at_bar_ends`); ``marks`` the
    ledger's live prices with their times; ``fills_complete`` is False when only the most
    recent fills were available (attribution and realized gains then say so).
    """

    as_of: datetime | None = None
    quote_currency: str = "USDT"
    curve: pd.DataFrame = field(default_factory=empty_curve)
    fills: tuple[Fill, ...] = ()
    fills_complete: bool = True
    movements: tuple[CashMovement, ...] = ()
    positions: tuple[Position, ...] = ()
    closes: Mapping[str, pd.Series] = field(default_factory=dict)
    marks: Mapping[str, tuple[datetime, float]] = field(default_factory=dict)
    targets: Mapping[str, float] = field(default_factory=dict)
    benchmark: BenchmarkSpec | None = field(
        default_factory=lambda: BenchmarkSpec((DEFAULT_BENCHMARK,))
    )
    risk_free: float = 0.0
    lot_method: LotMethod = LotMethod.FIFO
    notes: tuple[str, ...] = ()


def latest_moment(inputs: AnalyticsInputs, curve: pd.DataFrame) -> datetime:
    """The default as-of time: the latest snapshot, fill, cash movement or mark (UTC)."""
    moments = [m.timestamp for m in inputs.movements]
    moments += [fill.timestamp for fill in inputs.fills]
    moments += [when for when, _ in inputs.marks.values()]
    if not curve.empty:
        moments.append(curve.index[-1].to_pydatetime())
    latest = max(moments) if moments else utc_now()
    return pd.Timestamp(latest).tz_convert("UTC").to_pydatetime()


def ledger_start(inputs: AnalyticsInputs, curve: pd.DataFrame) -> datetime | None:
    """The first equity snapshot, else the first fill or cash movement (None if nothing)."""
    if not curve.empty:
        return curve.index[0].to_pydatetime()
    moments = [m.timestamp for m in inputs.movements]
    moments += [fill.timestamp for fill in inputs.fills]
    return min(moments) if moments else None


_BIN_NAMES = {"min": "minute", "h": "hourly", "D": "daily"}


def _sparse_note(equity: WindowEquity, returns: pd.Series) -> list[str]:
    """A note when most bins hold no snapshot (their returns are 0 by carrying forward)."""
    if returns.empty:
        return []
    step = pd.Timedelta(1, unit=equity.window.sampling)
    bins = pd.DatetimeIndex(equity.equity.index[1:]).floor(step).unique()
    covered = int(bins.isin(returns.index).sum())
    if covered * 2 >= len(returns):
        return []
    name = _BIN_NAMES.get(equity.window.sampling, equity.window.sampling)
    return [
        f"Only {covered} of the {len(returns)} {name} bins hold an equity snapshot; the "
        "others count as unchanged, which understates the volatility."
    ]


class ReportBuilder:
    """Every report over one :class:`AnalyticsInputs`; intermediate results are shared."""

    def __init__(self, inputs: AnalyticsInputs, gains_cache: dict | None = None) -> None:
        """``gains_cache``: a dict kept by the caller for as long as ``inputs.fills`` is the
        same journal, so re-matching ten thousand fills four ways happens once per change."""
        self.inputs = inputs
        self.curve = clean_curve(inputs.curve)
        self.as_of = inputs.as_of or latest_moment(inputs, self.curve)
        self._windows: dict[MetricPeriod, tuple[WindowEquity, pd.Series]] = {}
        self._gains: dict[tuple, Any] = {} if gains_cache is None else gains_cache
        last_fill = max((fill.timestamp for fill in inputs.fills), default=None)
        #: The end of the realized-gains range: None when it is after every fill anyway.
        self._gains_end = None if last_fill is None or self.as_of >= last_fill else self.as_of

    # ------------------------------------------------------------------ shared parts
    @cached_property
    def fills(self) -> pd.DataFrame:
        tags = {p.position_id: p.tags for p in self.inputs.positions}
        return fills_frame(self.inputs.fills, tags)

    @cached_property
    def flows(self) -> pd.Series:
        """Deposits and withdrawals by time: the snapshots' net flows when there is an equity
        curve (the same flows its time-weighted returns use), else the ledger's movements."""
        if not self.curve.empty:
            return self.curve["net_flow"]
        return deposits_series(self.inputs.movements)

    @cached_property
    def observations(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return price_observations(self.inputs.closes, self.fills, self.inputs.marks)

    @property
    def history_start(self) -> datetime | None:
        """The first equity snapshot (None without any)."""
        return None if self.curve.empty else self.curve.index[0].to_pydatetime()

    @property
    def ledger_start(self) -> datetime | None:
        """The first snapshot, else the first fill or cash movement."""
        return ledger_start(self.inputs, self.curve)

    def window(self, period: MetricPeriod) -> ReportWindow:
        return resolve_window(period, self.ledger_start, self.as_of)

    def window_returns(self, period: MetricPeriod) -> tuple[WindowEquity, pd.Series]:
        """The window's snapshots and their time-weighted returns (cached per period)."""
        if period not in self._windows:
            window = resolve_window(period, self.history_start, self.as_of)
            equity = window_equity(self.curve, window)
            self._windows[period] = (equity, equity.returns())
        return self._windows[period]

    @cached_property
    def held_symbols(self) -> list[str]:
        return sorted({p.symbol for p in self.inputs.positions if p.size})

    # ----------------------------------------------------------------------- reports
    def trade_statistics(self, window: ReportWindow) -> TradeStatistics:
        """Positions closed inside the window (a trade = a position's realized P&L)."""
        start, end = window.start, window.as_of
        closed = [
            p
            for p in self.inputs.positions
            if p.closed_at is not None
            and (start is None or p.closed_at >= start)
            and p.closed_at <= end
        ]
        pnls = np.array([float(p.realized_pnl) for p in closed], dtype="float64")
        held = np.array([(p.closed_at - p.opened_at).total_seconds() for p in closed])
        stats = metrics.trade_statistics(pnls, held)
        net = float(pnls.sum()) if pnls.size else None
        return TradeStatistics.from_stats(stats, net)

    def benchmark(self, period: MetricPeriod, returns: pd.Series) -> tuple:
        """(comparison or None, benchmark returns or None, notes)."""
        spec = self.inputs.benchmark
        if spec is None or returns.dropna().size < 2:
            return None, None, []
        members = spec.members(self.held_symbols)
        if not members and spec.held_basket:
            members = tuple(sorted(self.fills["symbol"].unique()))
        if not members:
            return None, None, ["There is no held symbol to build the benchmark basket from."]
        window = self.window_returns(period)[0].window
        labels = pd.DatetimeIndex(returns.index)
        b, missing = benchmark_returns(self.inputs.closes, members, window.sampling, labels)
        notes = []
        if missing:
            notes.append(f"No stored prices for benchmark symbol(s) {', '.join(missing)}.")
        if b.dropna().size < 2:
            return None, None, notes
        comparison = compare_to_benchmark(
            returns,
            b,
            window.periods_per_year,
            self.inputs.risk_free,
            spec.name(members),
            members,
            missing,
        )
        return comparison, b, notes

    def metrics(self, period: MetricPeriod) -> PerformanceMetrics:
        """``calculate_performance_metrics``: statistics, XIRR, drawdown, trades, benchmark."""
        equity, r = self.window_returns(period)
        window = equity.window
        notes = list(self.inputs.notes)
        if self.curve.empty:
            notes.append(NO_HISTORY_NOTE)
            window = self.window(period)
        elif equity.empty:
            notes.append("No equity snapshot falls inside this window.")
        else:
            notes += _sparse_note(equity, r)
        summary = metrics.performance_summary(r, window.periods_per_year, self.inputs.risk_free)
        comparison, _, benchmark_notes = self.benchmark(period, r)
        notes += benchmark_notes
        clean = r.dropna()
        return PerformanceMetrics(
            window=replace(window, periods=int(clean.size)),
            statistics=ReturnStatistics.from_summary(summary),
            money_weighted_return=equity.money_weighted_return(),
            equity=equity.summary(),
            drawdown=drawdown_report(clean, equity.baseline_time),
            trades=self.trade_statistics(window),
            benchmark=comparison,
            notes=tuple(notes),
        )

    def overview(self, period: MetricPeriod) -> PeriodOverview:
        equity, r = self.window_returns(period)
        summary = metrics.performance_summary(
            r, equity.window.periods_per_year, self.inputs.risk_free
        )
        return PeriodOverview(
            period=period,
            sampling=equity.window.sampling,
            periods=int(summary["periods"] or 0),
            total_return=summary["total_return"],
            volatility=summary["volatility"],
            sharpe_ratio=summary["sharpe_ratio"],
            max_drawdown=summary["max_drawdown"],
        )

    def attribution(self, period: MetricPeriod) -> AttributionReport:
        """``calculate_attribution_analysis``: see :mod:`.attribution`."""
        notes = []
        if not self.inputs.fills_complete:
            notes.append(
                "Only the most recent fills are available (no store): P&L from older fills "
                "is missing from the attribution."
            )
        missing = sorted(set(self.fills["symbol"]) - set(self.inputs.closes))
        if missing:
            notes.append(
                f"No stored prices for {', '.join(missing)}: marked at its fill prices "
                "between trades."
            )
        equity, r = self.window_returns(period)
        portfolio_return = None if equity.empty else metrics.total_return(r)
        window = equity.window if not self.curve.empty else self.window(period)
        return attribution_report(
            window,
            self.fills,
            self.flows,
            self.observations,
            self.inputs.targets,
            portfolio_return,
            notes,
            # a snapshot is taken after the events of its moment; a first fill is not in
            # the baseline before it
            start_includes_events=not self.curve.empty,
        )

    def realized_gains(
        self, method: LotMethod | None = None, start: datetime | None = None
    ) -> RealizedGainsReport:
        method = method or self.inputs.lot_method
        key = ("rows", method, start, self._gains_end)
        if key not in self._gains:
            notes = []
            if not self.inputs.fills_complete:
                notes.append(
                    "Only the most recent fills are available (no store): sales of lots "
                    "bought earlier cannot be matched."
                )
            self._gains[key] = realized_gains(
                self.inputs.fills,
                method,
                start,
                self.as_of,
                self.inputs.quote_currency,
                notes,
            )
        return self._gains[key]

    def realized_gains_totals(
        self, method: LotMethod, start: datetime | None = None
    ) -> RealizedGainsTotals:
        """The sums of :meth:`realized_gains` (its rows are only built when asked for)."""
        rows = self._gains.get(("rows", method, start, self._gains_end))
        if rows is not None:
            return rows.totals
        key = ("totals", method, start, self._gains_end)
        if key not in self._gains:
            self._gains[key] = realized_gains_totals(self.inputs.fills, method, start, self.as_of)
        return self._gains[key]

    def report(self, period: MetricPeriod = MetricPeriod.ALL_TIME) -> PerformanceReport:
        """``generate_performance_report``: everything, for one window."""
        performance = self.metrics(period)
        equity, r = self.window_returns(period)
        clean = r.dropna()
        start = performance.window.start if not performance.window.inception else None
        sampled = equity.sampled_equity()
        base = sampled.index[:1] if len(sampled) else pd.DatetimeIndex([], tz="UTC")
        times = base.append(pd.DatetimeIndex(clean.index)) if len(base) else base
        _, b, _ = self.benchmark(period, r)
        benchmark_curve = None
        if b is not None:
            shared = b.dropna()
            shared = shared[shared.index.isin(clean.index)]
            if len(shared):
                stamps = base.append(pd.DatetimeIndex(shared.index))
                benchmark_curve = Curve.from_index(
                    "benchmark", stamps, metrics.wealth_index(shared)
                )
        return PerformanceReport(
            generated_at=utc_now(),
            quote_currency=self.inputs.quote_currency,
            metrics=performance,
            overview=tuple(self.overview(p) for p in MetricPeriod),
            calendar_returns=calendar_returns(clean),
            attribution=self.attribution(period),
            realized_gains=self.realized_gains(None, start),
            realized_gains_by_method=tuple(
                self.realized_gains_totals(method, start) for method in LotMethod
            ),
            equity_curve=Curve.from_index("equity", sampled.index, sampled.to_numpy()),
            drawdown_curve=Curve.from_index(
                "drawdown", times, metrics.drawdown_series(clean)[: len(times)]
            ),
            growth_curve=Curve.from_index(
                "growth", times, metrics.wealth_index(clean)[: len(times)]
            ),
            benchmark_curve=benchmark_curve,
            notes=performance.notes,
        )
