"""Computing the risk metrics: the ledger part (cheap, on the loop) and the history part
(numpy over the return panel and the equity curve, run in an executor).

Every formula is a call into :mod:`.metrics`; this module only chooses the inputs:

* portfolio scenarios: today's weights on the panel's returns (``risk_model``): one-day
  returns for VaR, CVaR and component VaR; period returns for volatility (annualised with
  the panel's ``P``), correlations and beta to BTC;
* component VaR per position: weights ``w_i = market value_i / equity``, covariance of the
  positions' one-day returns; the components sum to ``covariance_var_95``;
* stand-alone position VaR: ``value_at_risk(w_i * r_symbol)`` (a short's tail is the
  symbol's rally);
* correlations: of the period returns, from their covariance (the panel has no missing
  period, so this is ``correlation_matrix`` of the same columns);
* Sharpe, Sortino: daily time-weighted returns of the equity snapshots (``resample_equity``
  with the recorded net flows, ``P = 365``); max drawdown over every snapshot.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from desktop_app.lazy import pd

from . import metrics
from .breakers import CircuitBreakers
from .position_tracker import PositionTracker
from .risk_model import MIN_HISTORY_DAYS, ReturnPanel

VAR_LEVELS = (0.95, 0.99)
MIN_EQUITY_DAYS = MIN_HISTORY_DAYS
HISTORY_FIELDS = (
    "var_95",
    "var_99",
    "parametric_var_95",
    "parametric_var_99",
    "cvar_95",
    "cvar_99",
    "parametric_cvar_95",
    "parametric_cvar_99",
    "covariance_var_95",
    "portfolio_volatility",
    "beta_btc",
)


@dataclass(frozen=True, slots=True)
class HeldPosition:
    """An open position for the history part: float market value, signed."""

    position_id: str
    symbol: str
    strategy: str
    market_value: float


@dataclass(frozen=True)
class OpenBook:
    """The open positions as arrays, for one ledger version.

    Positions change far less often than prices: the arrays are built once per ledger
    version, and marking thousands of positions is then one vectorised product,
    market value_i = signed size_i × last price of its symbol (the position's own price
    while its symbol has none), as ``Position.market_value`` in floats.
    """

    version: int
    position_ids: tuple[str, ...]
    strategies: tuple[str, ...]
    symbols: tuple[str, ...]  # the distinct symbols
    symbol_of: np.ndarray  # index into ``symbols``, per position
    signed_size: np.ndarray
    own_price: np.ndarray

    @classmethod
    def of(cls, tracker: PositionTracker) -> OpenBook:
        """The tracker's book, rebuilt only when its ledger changed."""
        cached = _BOOKS.get(tracker)
        if cached is not None and cached.version == tracker.version:
            return cached
        positions = [p for p, _ in tracker.open_states()]
        symbols = tuple(dict.fromkeys(p.symbol for p in positions))
        number = {symbol: n for n, symbol in enumerate(symbols)}
        book = cls(
            version=tracker.version,
            position_ids=tuple(p.position_id for p in positions),
            strategies=tuple(p.strategy for p in positions),
            symbols=symbols,
            symbol_of=np.fromiter((number[p.symbol] for p in positions), np.intp, len(positions)),
            signed_size=np.fromiter(
                (p.sign * float(p.size) for p in positions), np.float64, len(positions)
            ),
            own_price=np.fromiter(
                (float(p.current_price) for p in positions), np.float64, len(positions)
            ),
        )
        _BOOKS[tracker] = book
        return book

    def market_values(self, tracker: PositionTracker) -> np.ndarray:
        """Signed market value of each position at the tracker's last prices."""
        last = tracker.prices
        marks = np.array([float(last.get(s, math.nan)) for s in self.symbols], np.float64)
        price = marks[self.symbol_of] if self.symbols else self.own_price
        return self.signed_size * np.where(np.isnan(price), self.own_price, price)

    def held(self, market_values: np.ndarray) -> list[HeldPosition]:
        return [
            HeldPosition(pid, self.symbols[n], strategy, value)
            for pid, n, strategy, value in zip(
                self.position_ids,
                self.symbol_of.tolist(),
                self.strategies,
                market_values.tolist(),
                strict=True,
            )
        ]


_BOOKS: weakref.WeakKeyDictionary[PositionTracker, OpenBook] = weakref.WeakKeyDictionary()


def ledger_values(
    tracker: PositionTracker, breakers: CircuitBreakers, *, with_held: bool = True
) -> tuple[dict[str, Any], list[HeldPosition], dict[str, str]]:
    """The metrics that need only the ledger and the NAV.

    Floats over the open positions' market values (:class:`OpenBook`): the metrics are
    floats anyway, and a GUI reads them about once a second on books of thousands of
    positions, where marking a Decimal copy of each position would cost tens of
    milliseconds. ``held`` (for the history part) is empty unless ``with_held``.
    """
    book = OpenBook.of(tracker)
    market = book.market_values(tracker)
    held = book.held(market) if with_held else []
    long_exposure = math.fsum(market[market > 0])
    short_exposure = -math.fsum(market[market < 0])
    cash = float(tracker.cash)
    equity = cash + long_exposure - short_exposure
    notes: dict[str, str] = {}
    values: dict[str, Any] = {
        "equity": equity,
        "cash": cash,
        "position_count": len(market),
        "long_exposure": long_exposure,
        "short_exposure": short_exposure,
        "gross_exposure": long_exposure + short_exposure,
        "net_exposure": long_exposure - short_exposure,
        "current_drawdown": breakers.nav.current_drawdown,
        "breaker_drawdown": breakers.nav.drawdown,
        "daily_return": breakers.nav.daily_return,
        "loss_streak": breakers.loss_streak,
        "largest_position_symbol": None,
        "largest_exposure_symbol": None,
    }
    ratio_fields = (
        "gross_exposure_pct",
        "net_exposure_pct",
        "leverage",
        "largest_position_pct",
        "largest_symbol_exposure_pct",
        "hhi",
    )
    if equity <= 0:
        values.update(dict.fromkeys(ratio_fields))
        notes.update(dict.fromkeys(ratio_fields, "equity is not positive"))
        return values, held, notes
    size = np.abs(market)
    if not len(market):
        values.update(
            dict.fromkeys(ratio_fields, 0.0),
            gross_exposure_pct=values["gross_exposure"] / equity,
            net_exposure_pct=values["net_exposure"] / equity,
            leverage=values["gross_exposure"] / equity,
        )
        return values, held, notes
    by_symbol = np.bincount(book.symbol_of, weights=size, minlength=len(book.symbols))
    largest = int(np.argmax(size))  # the first of equals, as max() would
    top_symbol = int(np.argmax(by_symbol))
    values.update(
        gross_exposure_pct=values["gross_exposure"] / equity,
        net_exposure_pct=values["net_exposure"] / equity,
        leverage=values["gross_exposure"] / equity,
        largest_position_pct=float(size[largest]) / equity,
        largest_position_symbol=book.symbols[int(book.symbol_of[largest])],
        largest_symbol_exposure_pct=float(by_symbol[top_symbol]) / equity,
        largest_exposure_symbol=book.symbols[top_symbol],
        hhi=metrics.hhi(market / equity),
    )
    return values, held, notes


def _flat(values: dict[str, Any]) -> None:
    """No open position: no market risk (zero, not unknown)."""
    values.update(dict.fromkeys(HISTORY_FIELDS, 0.0))


def history_values(
    panel: ReturnPanel | None,
    held: list[HeldPosition],
    equity: float,
    benchmark: str,
    panel_note: str | None,
) -> tuple[dict[str, Any], dict[str, str], dict[str, float]]:
    """VaR, CVaR, component VaR, volatility, correlations and beta of today's holdings.

    Returns (values, notes, group component VaR as "strategy:NAME"/"symbol:NAME" → fraction
    of equity). Pure numpy; safe to run in an executor.
    """
    values: dict[str, Any] = {"benchmark_symbol": benchmark}
    notes: dict[str, str] = {}
    groups: dict[str, float] = {}
    if panel is not None:
        values.update(
            history_sampling=panel.sampling,
            history_start=panel.start,
            history_end=panel.end,
            history_observations=panel.periods,
        )
    if not held:
        _flat(values)
        return values, notes, groups
    if equity <= 0:
        notes.update(dict.fromkeys(HISTORY_FIELDS, "equity is not positive"))
        return values, notes, groups
    if panel is None or not panel.sufficient:
        why = panel_note or ("insufficient history: " + panel.history_note() if panel else "")
        notes.update(dict.fromkeys((*HISTORY_FIELDS, "correlation"), why))
        return values, notes, groups
    symbols = sorted({p.symbol for p in held})
    weights = dict.fromkeys(symbols, 0.0)
    for position in held:
        weights[position.symbol] += position.market_value / equity
    w = panel.weights_vector(weights)
    daily = panel.horizon_returns @ w
    period = panel.returns @ w
    for level in VAR_LEVELS:
        tag = round(level * 100)
        values[f"var_{tag}"] = metrics.value_at_risk(daily, level)
        values[f"parametric_var_{tag}"] = metrics.value_at_risk(daily, level, "parametric")
        values[f"cvar_{tag}"] = metrics.conditional_value_at_risk(daily, level)
        values[f"parametric_cvar_{tag}"] = metrics.conditional_value_at_risk(
            daily, level, "parametric"
        )
    columns = panel.sub([p.symbol for p in held])
    position_weights = np.array([p.market_value / equity for p in held])
    cov = panel.horizon_covariance[np.ix_(columns, columns)]
    components = metrics.component_var(position_weights, cov, 0.95)
    if components is None:
        notes["covariance_var_95"] = "the positions' returns have no variance"
    else:
        values["component_var_95"] = {
            p.position_id: float(c) for p, c in zip(held, components, strict=True)
        }
        values["covariance_var_95"] = float(np.sum(components))
        for p, c in zip(held, components, strict=True):
            for key in (f"strategy:{p.strategy}", f"symbol:{p.symbol}"):
                groups[key] = groups.get(key, 0.0) + float(c)
    position_var: dict[str, float] = {}
    for position in held:
        column = panel.horizon_returns[:, panel.column(position.symbol)]
        value = metrics.value_at_risk(position.market_value / equity * column, 0.95)
        if value is not None:
            position_var[position.position_id] = value
    values["position_var_95"] = position_var
    vol = metrics.portfolio_volatility(w, panel.covariance)
    values["portfolio_volatility"] = None if vol is None else vol * np.sqrt(panel.periods_per_year)
    if vol is None:
        notes["portfolio_volatility"] = "the portfolio's returns have no variance"
    held_columns = panel.sub(symbols)
    corr = metrics.correlation_from_covariance(panel.covariance[np.ix_(held_columns, held_columns)])
    cells = np.where(np.isnan(corr), None, corr).tolist()
    values["correlation"] = {
        a: dict(zip(symbols, row, strict=True)) for a, row in zip(symbols, cells, strict=True)
    }
    if panel.has(benchmark):
        values["beta_btc"] = metrics.beta(period, panel.returns[:, panel.column(benchmark)])
    else:
        notes["beta_btc"] = f"no price history for {benchmark}"
    return values, notes, groups


def equity_values(curve: pd.DataFrame | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Sharpe and Sortino (daily, P = 365) and max drawdown of the equity snapshots."""
    names = ("sharpe_ratio", "sortino_ratio", "max_drawdown")
    if curve is None or curve.empty:
        return {"equity_observations": 0}, dict.fromkeys(
            names, "insufficient history: no equity snapshots are stored"
        )
    equity = curve["equity"]
    flows = curve.get("net_flow", None)
    values: dict[str, Any] = {"equity_observations": len(curve)}
    notes: dict[str, str] = {}
    raw = metrics.returns_from_equity(equity, flows)
    values["max_drawdown"] = metrics.max_drawdown(raw)
    if values["max_drawdown"] is None:
        notes["max_drawdown"] = "insufficient history: fewer than 3 equity snapshots"
    flow_times = None if flows is None else flows[flows != 0]
    daily = metrics.resample_equity(equity, flow_times, "D")
    days = int(np.isfinite(daily.to_numpy()).sum())
    if days < MIN_EQUITY_DAYS:
        why = (
            f"insufficient history: {days} daily equity returns; at least {MIN_EQUITY_DAYS} needed"
        )
        notes.update(sharpe_ratio=why, sortino_ratio=why)
        return values, notes
    values["sharpe_ratio"] = metrics.sharpe_ratio(daily, periods_per_year=365)
    values["sortino_ratio"] = metrics.sortino_ratio(daily, periods_per_year=365)
    for name in ("sharpe_ratio", "sortino_ratio"):
        if values[name] is None:
            notes[name] = "undefined for these returns (no variance or no losing day)"
    return values, notes
