"""Performance attribution by asset, strategy and tag, and allocation vs selection.

Everything is measured on the window's sampling bins (see :mod:`.analytics_period`), from
the P&L path the fills and prices imply (:mod:`.ledger_history`). Per bin t:

* ``V_{t-1} = D_{t-1} + sum_i PnL_i(t-1)``: equity at the bin's start (``D`` = net deposits);
  ``dPnL_{k,t}`` the P&L group k made during the bin;
* ``r_t = sum_i dPnL_{i,t} / V_{t-1}``: the time-weighted return (flows are not P&L);
* ``W_{t-1} = prod_{s<t} (1 + r_s)``: growth of 1 up to the bin.

**Contribution to return** of group k: ``C_k = sum_t W_{t-1} * dPnL_{k,t} / V_{t-1}``. Over
any partition of the fills (assets, strategies) the contributions add up exactly to the
compounded return ``prod(1 + r_t) - 1``, because ``W_{t-1} * r_t = W_t - W_{t-1}``. Tags
overlap (a position with two tags counts in both), so tag rows need not add up.

**Share of risk**: the weights at the window's end, ``w_i = MV_i / V`` per symbol, and the
covariance of the symbols' price returns over the window give the Euler decomposition of the
one-period 95 % parametric VaR (:func:`.metrics.marginal_var`): group k's component is
``sum_i w_{k,i} * marginal_i`` and its share that over ``sum_i w_i * marginal_i``.

**Allocation vs selection** (Brinson-Fachler, per bin, against the target weights ``T_i``,
cash the rest): with held weights ``w_i = MV_i / V_{t-1}``, the asset's contribution
``c_i = dPnL_i / V_{t-1}``, its price return ``b_i`` and the target mix's return
``B = sum_i T_i b_i`` (rebalanced every bin, cash earning 0)::

    allocation_i  = (w_i - T_i) * (b_i - B)
    selection_i   = T_i * (R_i - b_i)          with R_i = c_i / w_i
    interaction_i = (w_i - T_i) * (R_i - b_i)

An asset held at weight 0 at the bin's start but traded during it has no ``R_i``: its whole
``c_i`` is selection. Summed over the assets and cash, the three effects equal ``r_t - B``
each bin. Bins are linked with Carino's factors ``k_t = (ln(1 + r_t) - ln(1 + B_t)) /
(r_t - B_t)`` (``1 / (1 + r_t)`` when equal) over ``K`` from the compounded totals, so the
linked effects add up to ``R - B`` over the window exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from desktop_app.lazy import pd

from . import metrics
from .analytics_report import AllocationEffect, AttributionReport, AttributionRow, ReportWindow
from .ledger_history import (
    LedgerPath,
    cumulative_deposits,
    ledger_path,
    prices_at,
)

__all__ = ["CASH", "attribution_report", "window_instants"]

#: The row of the cash left outside the positions (and outside the targets).
CASH = "cash"
_VAR_CONFIDENCE = 0.95


def window_instants(window: ReportWindow, start_includes_events: bool = True) -> np.ndarray:
    """The baseline instant, then the end of every bin of the window (int64 ns, UTC).

    At inception the baseline is just after the first snapshot, so the events at that very
    moment (the first deposit) are in the baseline — unless ``start_includes_events`` is
    False (the start is the first ledger event itself, which belongs to the first bin).
    """
    if window.start is None or window.end is None:
        return np.empty(0, np.int64)
    step = pd.Timedelta(1, unit=window.sampling)
    start = pd.Timestamp(window.start)
    base = (
        start + pd.Timedelta(1, unit="ns") if window.inception and start_includes_events else start
    )
    edges = pd.date_range(start.floor(step) + step, pd.Timestamp(window.end), freq=step)
    return np.concatenate(([base.as_unit("ns").value], edges.as_unit("ns").asi8))


def _carino(r: float, b: float) -> float:
    if abs(r - b) < 1e-15:
        return 1.0 / (1.0 + r)
    return (np.log1p(r) - np.log1p(b)) / (r - b)


class _Periods:
    """The per-bin quantities every part of the attribution shares."""

    def __init__(self, path: LedgerPath, deposits: np.ndarray) -> None:
        total = path.pnl.sum(axis=1).to_numpy() if path.pnl.shape[1] else np.zeros(deposits.size)
        self.equity = deposits + total
        self.capital = self.equity[:-1]
        self.valid = self.capital > 0.0
        with np.errstate(all="ignore"):
            returns = np.where(self.valid, np.diff(total) / self.capital, 0.0)
        self.returns = returns
        self.wealth_before = np.concatenate(([1.0], np.cumprod(1.0 + returns)[:-1]))
        with np.errstate(all="ignore"):
            self.scale = np.where(self.valid, self.wealth_before / self.capital, 0.0)
        self.total_return = float(np.prod(1.0 + returns) - 1.0) if returns.size else None

    @property
    def skipped(self) -> int:
        return int((~self.valid).sum())

    def contributions(self, path: LedgerPath) -> pd.Series:
        change = np.diff(path.pnl.to_numpy(), axis=0)
        return pd.Series(self.scale @ change, index=path.pnl.columns)


def _risk(
    path: LedgerPath, symbols: LedgerPath, prices: pd.DataFrame, equity: float
) -> tuple[pd.Series, float | None, list[str]]:
    """Component VaR per group of ``path`` and the portfolio VaR (one period, 95 %)."""
    notes: list[str] = []
    held = {sym: float(symbols.exposure.loc[sym, sym]) for sym in symbols.exposure.index}
    held = {sym: value for sym, value in held.items() if value != 0.0}
    if not held or equity <= 0.0:
        return pd.Series(dtype="float64"), None, notes
    asset_returns = prices[list(held)].pct_change(fill_method=None).iloc[1:]
    covariance = asset_returns.cov(min_periods=2)
    usable = [sym for sym in held if np.isfinite(covariance.loc[sym].to_numpy()).all()]
    if len(usable) < len(held):
        missing = ", ".join(sorted(set(held) - set(usable)))
        notes.append(f"Share of risk leaves out {missing}: too few prices in this window.")
    if not usable:
        return pd.Series(dtype="float64"), None, notes
    weights = pd.Series({sym: held[sym] / equity for sym in usable})
    marginal = metrics.marginal_var(weights, covariance.loc[usable, usable], _VAR_CONFIDENCE)
    if marginal is None:
        return pd.Series(dtype="float64"), None, notes
    total = float((weights * marginal).sum())
    exposure = path.exposure.reindex(columns=usable, fill_value=0.0) / equity
    return exposure @ marginal, total, notes


def _allocation(
    symbols: LedgerPath,
    prices: pd.DataFrame,
    periods: _Periods,
    targets: Mapping[str, float],
) -> tuple[tuple[AllocationEffect, ...], float | None, list[str]]:
    notes: list[str] = []
    if not targets:
        notes.append("No target allocations are set, so there is no allocation vs selection.")
        return (), None, notes
    universe = sorted(set(symbols.pnl.columns) | set(targets))
    valid = periods.valid
    capital = np.where(valid, periods.capital, np.nan)
    value = symbols.value.reindex(columns=universe, fill_value=0.0).to_numpy()
    pnl = symbols.pnl.reindex(columns=universe, fill_value=0.0).to_numpy()
    with np.errstate(all="ignore"):
        held = np.where(valid[:, None], value[:-1] / capital[:, None], 0.0)
        contribution = np.where(valid[:, None], np.diff(pnl, axis=0) / capital[:, None], 0.0)
    price = prices.reindex(columns=universe).to_numpy()
    with np.errstate(all="ignore"):
        asset = price[1:] / price[:-1] - 1.0
    unknown = [sym for j, sym in enumerate(universe) if not np.isfinite(asset[valid, j]).any()]
    if unknown:
        notes.append(f"No prices for {', '.join(unknown)} in this window: its return counts as 0.")
    asset = np.where(np.isfinite(asset) & valid[:, None], asset, 0.0)
    target = np.array([targets.get(sym, 0.0) for sym in universe])
    benchmark = asset @ target
    cash_held, cash_target = 1.0 - held.sum(axis=1), 1.0 - target.sum()
    allocation = (held - target) * (asset - benchmark[:, None])
    cash_allocation = (cash_held - cash_target) * -benchmark
    holding = held != 0.0
    with np.errstate(all="ignore"):
        own = np.where(holding, contribution / held, 0.0)
    selection = np.where(holding, target * (own - asset), contribution)
    interaction = np.where(holding, (held - target) * (own - asset), 0.0)
    r, b = periods.returns, np.where(valid, benchmark, 0.0)
    total_r, total_b = float(np.prod(1.0 + r) - 1.0), float(np.prod(1.0 + b) - 1.0)
    if (r <= -1.0).any() or (b <= -1.0).any():
        link, scale = np.ones_like(r), 1.0
        notes.append("A bin lost 100 % or more: the effects are summed, not linked.")
    else:
        link = np.array([_carino(x, y) for x, y in zip(r, b, strict=True)])
        scale = _carino(total_r, total_b)
    weights = link / scale
    rows = [
        AllocationEffect(
            key=sym,
            average_weight=float(held[valid, j].mean()) if valid.any() else 0.0,
            target_weight=float(target[j]),
            asset_return=metrics.total_return(asset[valid, j]),
            allocation=float(weights @ allocation[:, j]),
            selection=float(weights @ selection[:, j]),
            interaction=float(weights @ interaction[:, j]),
        )
        for j, sym in enumerate(universe)
    ]
    rows.append(
        AllocationEffect(
            key=CASH,
            average_weight=float(cash_held[valid].mean()) if valid.any() else 0.0,
            target_weight=float(cash_target),
            asset_return=0.0,
            allocation=float(weights @ cash_allocation),
            selection=0.0,
            interaction=0.0,
        )
    )
    return tuple(rows), total_b, notes


def _rows(
    path: LedgerPath, periods: _Periods, risk: pd.Series, portfolio_var: float | None
) -> tuple[AttributionRow, ...]:
    contributions = periods.contributions(path)
    end_equity = float(periods.equity[-1])
    pnl = path.pnl.iloc[-1] - path.pnl.iloc[0]
    weight = path.value.iloc[-1] / end_equity if end_equity > 0 else path.value.iloc[-1] * np.nan
    rows = []
    for key in path.pnl.columns:
        component = metrics.finite_or_none(risk.get(key)) if len(risk) else None
        share = None
        if component is not None and portfolio_var:
            share = metrics.finite_or_none(component / portfolio_var)
        realized = float(path.realized.get(key, 0.0))
        rows.append(
            AttributionRow(
                key=str(key),
                pnl=float(pnl[key]),
                realized_pnl=realized,
                unrealized_change=float(pnl[key]) - realized,
                contribution=metrics.finite_or_none(contributions[key]),
                weight=float(weight[key]) if np.isfinite(weight[key]) else 0.0,
                component_var=component,
                risk_share=share,
            )
        )
    rows.sort(key=lambda row: (-row.pnl, row.key))
    return tuple(rows)


def attribution_report(
    window: ReportWindow,
    fills: pd.DataFrame,
    flows: pd.Series,
    observations: Mapping[str, tuple[np.ndarray, np.ndarray]],
    targets: Mapping[str, float],
    portfolio_return: float | None = None,
    notes: Iterable[str] = (),
    start_includes_events: bool = True,
) -> AttributionReport:
    """Attribution of ``window`` from the fills (:func:`.ledger_history.fills_frame`), the
    deposits and withdrawals (``flows``: amounts indexed by time) and the price observations
    (:func:`.ledger_history.price_observations`).

    ``portfolio_return`` is the time-weighted return of the equity snapshots over the same
    window, shown beside the rebuilt one; ``targets`` maps symbols to target weights;
    ``start_includes_events`` see :func:`window_instants`.
    """
    report_notes = list(notes)
    instants = window_instants(window, start_includes_events)
    if instants.size < 2:
        report_notes.append("No history in this window to attribute.")
        return AttributionReport(
            window,
            None,
            portfolio_return,
            None,
            None,
            None,
            None,
            (),
            (),
            (),
            (),
            tuple(report_notes),
        )
    as_of = pd.Timestamp(window.as_of).as_unit("ns").value
    fills = fills[fills["time"].to_numpy() <= as_of]
    flows = flows[pd.DatetimeIndex(flows.index).as_unit("ns").asi8 <= as_of]
    prices = prices_at(observations, instants)
    deposits = cumulative_deposits(flows, instants)
    symbols = ledger_path(fills, "symbol", instants, prices)
    periods = _Periods(symbols, deposits)
    if periods.skipped:
        report_notes.append(
            f"{periods.skipped} bin(s) started with no positive equity and are left out."
        )
    end_equity = float(periods.equity[-1])
    strategies = ledger_path(fills, "strategy", instants, prices)
    tags = ledger_path(fills, "tags", instants, prices)
    risk_symbols, portfolio_var, risk_notes = _risk(symbols, symbols, prices, end_equity)
    report_notes += risk_notes
    risk_strategies, _, _ = _risk(strategies, symbols, prices, end_equity)
    risk_tags, _, _ = _risk(tags, symbols, prices, end_equity)
    effects, benchmark, allocation_notes = _allocation(symbols, prices, periods, targets)
    report_notes += allocation_notes
    total = periods.total_return
    unexplained = None
    if total is not None and portfolio_return is not None:
        unexplained = portfolio_return - total
    return AttributionReport(
        window=window,
        total_return=metrics.finite_or_none(total),
        portfolio_return=portfolio_return,
        unexplained=metrics.finite_or_none(unexplained),
        benchmark_return=metrics.finite_or_none(benchmark),
        active_return=None if benchmark is None or total is None else total - benchmark,
        portfolio_var_95=portfolio_var,
        by_asset=_rows(symbols, periods, risk_symbols, portfolio_var),
        by_strategy=_rows(strategies, periods, risk_strategies, portfolio_var),
        by_tag=_rows(tags, periods, risk_tags, portfolio_var),
        allocation_selection=effects,
        notes=tuple(report_notes),
    )
