"""What the GUI's dashboard draws, cheaply enough to ask for once a second.

Two parts with different costs:

* :class:`CurveView` — everything derived from the equity snapshots (the equity and
  drawdown curves thinned to what a screen shows, the last 90 daily returns, monthly returns
  and the all-time headline figures). It costs a pass over the whole history, so the facade
  builds it in an executor only when new snapshots arrived, and reuses it otherwise.
* :func:`dashboard_data` — the live overlay from the ledger (equity now, allocation against
  the targets, top movers): O(open positions), built on the event loop on every call.

The drawdown curve is that of the time-weighted wealth at snapshot resolution
(``returns_from_equity`` with the snapshots' net flows), so a deposit never looks like a
recovery. The live equity is appended to the equity curve as its last point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from desktop_app.lazy import pd

from . import metrics
from .analytics_build import AnalyticsInputs, ReportBuilder
from .analytics_period import MetricPeriod
from .analytics_report import Curve, MonthlyReturn, ReportNode
from .analytics_returns import calendar_returns
from .charts import decimate
from .records import Position

__all__ = [
    "AllocationSlice",
    "CurveView",
    "DashboardData",
    "Headline",
    "TopMover",
    "curve_view",
    "dashboard_data",
]

#: Points per curve the dashboard sends to the chart (extremes of each bucket kept).
MAX_CURVE_POINTS = 2_000
DAILY_RETURNS_SHOWN = 90
TOP_MOVERS = 5


@dataclass(frozen=True)
class Headline(ReportNode):
    """All-time figures from the equity snapshots (see METRICS.md)."""

    total_return: float | None
    cagr: float | None
    volatility: float | None
    sharpe_ratio: float | None
    max_drawdown: float | None
    current_drawdown: float | None
    sampling: str | None


@dataclass(frozen=True)
class AllocationSlice(ReportNode):
    """One symbol (or cash): value now, weight of equity, target and drift (weight - target)."""

    key: str
    market_value: float
    weight: float | None
    target_weight: float | None
    drift: float | None


@dataclass(frozen=True)
class TopMover(ReportNode):
    """A held symbol: price now, change over 24 h (None without history), open P&L."""

    symbol: str
    price: float
    change_24h: float | None
    unrealized_pnl: float
    unrealized_pnl_pct: float | None


@dataclass(frozen=True, eq=False)
class CurveView:
    """The snapshot-derived part of the dashboard (see the module docstring)."""

    equity_curve: Curve
    drawdown_curve: Curve
    daily_returns: Curve
    monthly_returns: tuple[MonthlyReturn, ...]
    headline: Headline
    last_wealth: float | None
    last_equity: float | None
    deposits_to_date: float
    wealth_24h_ago: float | None
    snapshots: int


@dataclass(frozen=True, eq=False)
class DashboardData(ReportNode):
    """``get_dashboard_data()``: curves as numpy arrays (``Curve.epoch_seconds`` for the x
    axis), the rest as plain numbers; ``to_dict()`` makes it JSON-ready."""

    as_of: datetime
    quote_currency: str
    equity: float
    cash: float
    net_deposits: float
    total_pnl: float
    return_since_inception: float | None
    return_24h: float | None
    headline: Headline
    equity_curve: Curve
    drawdown_curve: Curve
    daily_returns: Curve
    monthly_returns: tuple[MonthlyReturn, ...]
    allocation: tuple[AllocationSlice, ...]
    top_movers: tuple[TopMover, ...]
    notes: tuple[str, ...] = ()


def _thin(name: str, index: pd.DatetimeIndex, values: np.ndarray) -> Curve:
    picked = decimate(values, MAX_CURVE_POINTS)
    return Curve.from_index(name, index[picked], values[picked])


def curve_view(curve: pd.DataFrame, risk_free: float = 0.0) -> CurveView:
    """Build the snapshot-derived part from a clean equity curve (runs in an executor)."""
    empty = pd.DatetimeIndex([], tz="UTC")
    builder = ReportBuilder(AnalyticsInputs(curve=curve, risk_free=risk_free))
    curve = builder.curve
    if curve.empty:
        nothing = Curve.from_index("equity", empty, np.empty(0))
        return CurveView(
            nothing,
            Curve.from_index("drawdown", empty, np.empty(0)),
            Curve.from_index("daily_returns", empty, np.empty(0)),
            (),
            Headline(None, None, None, None, None, None, None),
            None,
            None,
            0.0,
            None,
            0,
        )
    equity = curve["equity"]
    flows = curve["net_flow"].to_numpy()
    step = metrics.returns_from_equity(equity.to_numpy(), flows)
    step = np.where(np.isfinite(step), step, 0.0)
    wealth = np.concatenate(([1.0], np.cumprod(1.0 + step)))
    drawdown = wealth / np.maximum.accumulate(wealth) - 1.0
    index = pd.DatetimeIndex(curve.index)
    day_ago = index[-1] - pd.Timedelta(days=1)
    before = index.searchsorted(day_ago, side="right") - 1
    equity_window, r = builder.window_returns(MetricPeriod.ALL_TIME)
    summary = metrics.performance_summary(r, equity_window.window.periods_per_year)
    daily = metrics.resample_equity(equity, curve["net_flow"], "D").dropna()
    shown = daily.iloc[-DAILY_RETURNS_SHOWN:]
    return CurveView(
        equity_curve=_thin("equity", index, equity.to_numpy()),
        drawdown_curve=_thin("drawdown", index, drawdown),
        daily_returns=Curve.from_index("daily_returns", shown.index, shown.to_numpy()),
        monthly_returns=calendar_returns(daily).monthly,
        headline=Headline(
            total_return=summary["total_return"],
            cagr=summary["cagr"],
            volatility=summary["volatility"],
            sharpe_ratio=metrics.sharpe_ratio(r, risk_free, equity_window.window.periods_per_year),
            max_drawdown=summary["max_drawdown"],
            current_drawdown=float(drawdown[-1]),
            sampling=equity_window.window.sampling,
        ),
        last_wealth=float(wealth[-1]),
        last_equity=float(equity.iloc[-1]),
        deposits_to_date=float(curve["net_flow"].sum()),
        wealth_24h_ago=float(wealth[before]) if before >= 0 else None,
        snapshots=len(curve),
    )


def _float(value: Decimal | float | None) -> float:
    return 0.0 if value is None else float(value)


def dashboard_data(
    view: CurveView,
    summary: Mapping[str, Any],
    open_positions: list[Position],
    targets: Mapping[str, float],
    prices_24h_ago: Mapping[str, float],
    now: datetime,
    quote_currency: str,
    notes: tuple[str, ...] = (),
) -> DashboardData:
    """Combine the cached :class:`CurveView` with the ledger's live state.

    ``summary`` is ``PositionTracker.get_portfolio_summary()``; ``prices_24h_ago`` each held
    symbol's last hourly close that ended at least 24 hours before ``now`` (symbols without
    one have no 24-hour change).
    """
    equity = _float(summary["equity"])
    net_deposits = _float(summary["net_deposits"])
    by_symbol = summary["by_symbol"]
    return_24h = since_inception = None
    if view.last_wealth is not None and view.last_equity:
        # the live point extends the time-weighted wealth: flows since the last snapshot
        # (the ledger's net deposits minus those the snapshots recorded) are not return
        since = net_deposits - view.deposits_to_date
        live_wealth = view.last_wealth * (equity - since) / view.last_equity
        since_inception = metrics.finite_or_none(live_wealth - 1.0)
        if view.wealth_24h_ago:
            return_24h = metrics.finite_or_none(live_wealth / view.wealth_24h_ago - 1.0)
    allocation = []
    for symbol in sorted(set(by_symbol) | set(targets)):
        value = _float(by_symbol[symbol]["market_value"]) if symbol in by_symbol else 0.0
        weight = value / equity if equity > 0 else None
        target = targets.get(symbol)
        drift = None if weight is None else weight - (target or 0.0)
        allocation.append(AllocationSlice(symbol, value, weight, target, drift))
    cash = _float(summary["cash"])
    cash_target = 1.0 - sum(targets.values()) if targets else None
    cash_weight = cash / equity if equity > 0 else None
    cash_drift = None if cash_weight is None or cash_target is None else cash_weight - cash_target
    allocation.append(AllocationSlice("cash", cash, cash_weight, cash_target, cash_drift))
    cost: dict[str, float] = {}
    for position in open_positions:
        cost[position.symbol] = cost.get(position.symbol, 0.0) + float(position.cost_basis)
    movers = []
    for symbol, row in by_symbol.items():
        price = _float(row["price"])
        reference = prices_24h_ago.get(symbol)
        change = price / reference - 1.0 if reference else None
        pnl = _float(row["unrealized_pnl"])
        basis = cost.get(symbol)
        movers.append(TopMover(symbol, price, change, pnl, pnl / basis if basis else None))
    movers.sort(
        key=lambda m: -abs(m.change_24h if m.change_24h is not None else m.unrealized_pnl_pct or 0)
    )
    live_index = pd.DatetimeIndex([pd.Timestamp(now).tz_convert("UTC").tz_localize(None)])
    equity_curve = Curve(
        "equity",
        np.concatenate([view.equity_curve.times, live_index.as_unit("ns").to_numpy()]),
        np.append(view.equity_curve.values, equity),
    )
    return DashboardData(
        as_of=now,
        quote_currency=quote_currency,
        equity=equity,
        cash=cash,
        net_deposits=net_deposits,
        total_pnl=_float(summary["total_pnl"]),
        return_since_inception=since_inception,
        return_24h=return_24h,
        headline=view.headline,
        equity_curve=equity_curve,
        drawdown_curve=view.drawdown_curve,
        daily_returns=view.daily_returns,
        monthly_returns=view.monthly_returns,
        allocation=tuple(allocation),
        top_movers=tuple(movers[:TOP_MOVERS]),
        notes=notes,
    )
