"""The analytics' result types: a tree of frozen :class:`~.report_node.ReportNode` records.

Read a field as an attribute (``report.metrics.statistics.sharpe_ratio``) or as a key
(``report["metrics"]["statistics"]["sharpe_ratio"]``); ``to_dict()`` gives JSON-ready data.

Units: returns, weights and shares are fractions (0.05 is 5 %); money is in the
portfolio's quote currency — floats for performance figures (they come from float64 time
series), ``Decimal`` for realized gains (they come from the ledger and go to a tax tool).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from .report_node import Curve, ReportNode, plain

__all__ = [
    "AllocationEffect",
    "AttributionReport",
    "AttributionRow",
    "BenchmarkComparison",
    "CalendarReturns",
    "Curve",
    "DrawdownReport",
    "EquitySummary",
    "MonthlyReturn",
    "PerformanceMetrics",
    "PerformanceReport",
    "PeriodOverview",
    "RealizedGain",
    "RealizedGainsReport",
    "RealizedGainsTotals",
    "RelativeMetrics",
    "ReportNode",
    "ReportWindow",
    "ReturnStatistics",
    "TradeStatistics",
    "YearlyReturn",
    "plain",
]


def _names(cls: type) -> tuple[str, ...]:
    return tuple(item.name for item in fields(cls))


# --- the window and the return statistics ------------------------------------------------


@dataclass(frozen=True)
class ReportWindow(ReportNode):
    """What a report covers: returns of ``sampling`` bins (UTC) from ``start`` to ``end``.

    ``start`` is the baseline instant (the equity there is the base of the first return),
    ``end`` the end of the last bin, ``as_of`` the moment the report describes. ``inception``
    is True when the history starts inside the window, so the baseline is the first equity
    snapshot ever. ``periods`` counts the returns actually available.
    """

    period: Enum
    sampling: str
    periods_per_year: float
    start: datetime | None
    end: datetime | None
    as_of: datetime
    inception: bool
    periods: int = 0


@dataclass(frozen=True)
class ReturnStatistics(ReportNode):
    """The METRICS.md set over one return series (``metrics.performance_summary`` keys).

    Durations (``max_drawdown_duration``, ``recovery_time``) are in sampling periods.
    """

    periods: int
    total_return: float | None
    cagr: float | None
    volatility: float | None
    sharpe_ratio: float | None
    sortino_ratio: float | None
    calmar_ratio: float | None
    omega_ratio: float | None
    max_drawdown: float | None
    max_drawdown_duration: int | None
    recovery_time: int | None
    var_95: float | None
    var_99: float | None
    parametric_var_95: float | None
    parametric_var_99: float | None
    cvar_95: float | None
    cvar_99: float | None
    best_period: float | None
    worst_period: float | None

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> ReturnStatistics:
        return cls(**{name: summary.get(name) for name in _names(cls)})


@dataclass(frozen=True)
class RelativeMetrics(ReportNode):
    """The portfolio against its benchmark on the periods both have (METRICS.md)."""

    beta: float | None
    alpha: float | None
    correlation: float | None
    tracking_error: float | None
    information_ratio: float | None
    up_capture: float | None
    down_capture: float | None

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> RelativeMetrics:
        return cls(**{name: summary.get(name) for name in _names(cls)})


@dataclass(frozen=True)
class BenchmarkComparison(ReportNode):
    """A benchmark's own statistics beside the portfolio's, and the relative metrics."""

    name: str
    symbols: tuple[str, ...]
    periods: int
    relative: RelativeMetrics
    benchmark: ReturnStatistics
    missing_symbols: tuple[str, ...] = ()


@dataclass(frozen=True)
class EquitySummary(ReportNode):
    """Equity at the baseline and at the end, the net deposits between, and the profit.

    ``profit = end_equity - start_equity - net_flows``: what the market made, flows aside.
    """

    start_equity: float | None
    end_equity: float | None
    net_flows: float
    profit: float | None


@dataclass(frozen=True)
class DrawdownReport(ReportNode):
    """The worst drawdown with its dates, and where the portfolio stands now.

    Dates are bin labels (the bin's start, UTC; the baseline's own time for the start).
    Durations are in sampling periods and in days.
    """

    max_drawdown: float | None
    peak_at: datetime | None
    trough_at: datetime | None
    recovered_at: datetime | None
    max_drawdown_duration: int | None
    max_drawdown_duration_days: float | None
    recovery_time: int | None
    recovery_days: float | None
    current_drawdown: float | None


@dataclass(frozen=True)
class TradeStatistics(ReportNode):
    """Closed trades (a position's realized P&L, fees included) closed inside the window."""

    trades: int
    winning_trades: int
    losing_trades: int
    win_rate: float | None
    profit_factor: float | None
    expectancy: float | None
    average_win: float | None
    average_loss: float | None
    largest_win: float | None
    largest_loss: float | None
    gross_profit: float | None
    gross_loss: float | None
    average_holding_seconds: float | None
    net_pnl: float | None

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any], net_pnl: float | None) -> TradeStatistics:
        values = {name: stats.get(name) for name in _names(cls) if name != "net_pnl"}
        return cls(**values, net_pnl=net_pnl)


@dataclass(frozen=True)
class PerformanceMetrics(ReportNode):
    """``calculate_performance_metrics(period)``: everything about returns over one window.

    ``money_weighted_return`` is the annual XIRR of the window's cash flows (baseline equity
    in, deposits in, withdrawals out, final equity out), beside the time-weighted
    statistics where flows do not count.
    """

    window: ReportWindow
    statistics: ReturnStatistics
    money_weighted_return: float | None
    equity: EquitySummary
    drawdown: DrawdownReport
    trades: TradeStatistics
    benchmark: BenchmarkComparison | None
    notes: tuple[str, ...] = ()


# --- period tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlyReturn(ReportNode):
    year: int
    month: int
    period_return: float | None


@dataclass(frozen=True)
class YearlyReturn(ReportNode):
    year: int
    period_return: float | None


@dataclass(frozen=True)
class CalendarReturns(ReportNode):
    """Returns compounded by calendar month and year (UTC) from the sampled returns."""

    monthly: tuple[MonthlyReturn, ...]
    yearly: tuple[YearlyReturn, ...]


@dataclass(frozen=True)
class PeriodOverview(ReportNode):
    """Headline figures for one :class:`~.analytics_period.MetricPeriod`."""

    period: Enum
    sampling: str
    periods: int
    total_return: float | None
    volatility: float | None
    sharpe_ratio: float | None
    max_drawdown: float | None


# --- attribution ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributionRow(ReportNode):
    """One asset, strategy or tag over the window (see :mod:`.attribution` for formulas).

    ``pnl = realized_pnl + unrealized_change`` in the quote currency; ``contribution`` its
    linked contribution to the time-weighted return; ``weight`` the signed exposure at the
    end as a fraction of equity; ``component_var`` its Euler share of the 95 % parametric
    VaR and ``risk_share`` that share as a fraction of the portfolio's VaR.
    """

    key: str
    pnl: float
    realized_pnl: float
    unrealized_change: float
    contribution: float | None
    weight: float
    component_var: float | None
    risk_share: float | None


@dataclass(frozen=True)
class AllocationEffect(ReportNode):
    """Brinson-Fachler effects of one asset (or cash) against the target weights, linked.

    ``average_weight`` is the mean start-of-period weight held, ``asset_return`` the
    asset's own price return over the window (0 for cash).
    """

    key: str
    average_weight: float
    target_weight: float
    asset_return: float | None
    allocation: float
    selection: float
    interaction: float

    @property
    def total(self) -> float:
        return self.allocation + self.selection + self.interaction


@dataclass(frozen=True)
class AttributionReport(ReportNode):
    """``calculate_attribution_analysis(period)``.

    ``total_return`` is the time-weighted return rebuilt from the fills and prices, which the
    asset contributions add up to exactly; ``portfolio_return`` the one from the equity
    snapshots, and ``unexplained`` their difference (marks at other moments or prices than
    the stored bars). ``benchmark_return`` is the target mix's return and
    ``active_return = total_return - benchmark_return = allocation + selection +
    interaction`` summed over ``allocation_selection``.
    """

    window: ReportWindow
    total_return: float | None
    portfolio_return: float | None
    unexplained: float | None
    benchmark_return: float | None
    active_return: float | None
    portfolio_var_95: float | None
    by_asset: tuple[AttributionRow, ...]
    by_strategy: tuple[AttributionRow, ...]
    by_tag: tuple[AttributionRow, ...]
    allocation_selection: tuple[AllocationEffect, ...]
    notes: tuple[str, ...] = ()


# --- realized gains -----------------------------------------------------------------------


@dataclass(frozen=True)
class RealizedGain(ReportNode):
    """One disposal of one lot: the row a tax tool imports.

    ``gain = proceeds - cost_basis - fee``; ``fee`` is the lot's share of its purchase fee
    plus its share of the sale fee. For a short lot the sale came first: ``proceeds`` is what
    the short sale raised and ``cost_basis`` what buying back cost.
    """

    asset: str
    symbol: str
    quantity: Decimal
    date_acquired: datetime
    date_sold: datetime
    proceeds: Decimal
    cost_basis: Decimal
    fee: Decimal
    gain: Decimal
    method: Enum
    term: str
    is_short: bool
    lot_id: str
    disposal_id: str

    @property
    def holding_days(self) -> float:
        return (self.date_sold - self.date_acquired).total_seconds() / 86_400.0


@dataclass(frozen=True)
class RealizedGainsTotals(ReportNode):
    """Sums over the disposals of one lot method (``short_term`` held one year or less)."""

    method: Enum
    disposals: int
    proceeds: Decimal
    cost_basis: Decimal
    fees: Decimal
    gain: Decimal
    short_term_gain: Decimal
    long_term_gain: Decimal


@dataclass(frozen=True)
class RealizedGainsReport(ReportNode):
    """Disposals sold between ``start`` and ``end`` matched with one lot method."""

    method: Enum
    start: datetime | None
    end: datetime | None
    quote_currency: str
    rows: tuple[RealizedGain, ...]
    totals: RealizedGainsTotals
    notes: tuple[str, ...] = ()


# --- curves and the whole report ---------------------------------------------------------------


@dataclass(frozen=True)
class PerformanceReport(ReportNode):
    """``generate_performance_report()``: one object with everything the analytics know."""

    generated_at: datetime
    quote_currency: str
    metrics: PerformanceMetrics
    overview: tuple[PeriodOverview, ...]
    calendar_returns: CalendarReturns
    attribution: AttributionReport
    realized_gains: RealizedGainsReport
    realized_gains_by_method: tuple[RealizedGainsTotals, ...]
    equity_curve: Curve
    drawdown_curve: Curve
    growth_curve: Curve
    benchmark_curve: Curve | None
    notes: tuple[str, ...] = ()
