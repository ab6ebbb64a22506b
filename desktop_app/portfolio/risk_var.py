"""Post-trade VaR, position risk and risk budgets, for the pre-trade checks.

Uses the one-day historical scenarios of :mod:`.risk_model` on the current holdings plus
the trade: with ``R`` the (T, N) one-day returns, ``m`` the holdings' market values per
symbol and the trade adding ``s`` units of ``sign * mark`` to one column, each scenario's
P&L is ``R @ m + s * sign * mark * R[:, j]`` and the post-trade VaR is
``value_at_risk(P&L / equity(s))`` (95 %, historical, METRICS.md).

Two rules a risk officer expects: a limit that is already breached before the trade does
not stop a trade that lowers the measure (a hedge), so a VaR or budget breach counts only
when the trade also raises it; and the budget checked is the one of the trade's own
strategy and symbol.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from . import metrics
from .risk_limits import RiskLimits
from .risk_model import ReturnPanel

if TYPE_CHECKING:
    from .risk_checks import LimitBreach, PortfolioState, TradeProposal

VAR_CONFIDENCE = 0.95
_BISECTION_STEPS = 40


def _largest_passing(passes: Callable[[float], bool], cap: float) -> float:
    """The largest ``s`` in ``[0, cap]`` that passes, assuming the passing sizes form an
    interval starting at 0 (bisection to ~1e-12 of ``cap``)."""
    if passes(cap):
        return cap
    low, high = 0.0, cap
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        if passes(middle):
            low = middle
        else:
            high = middle
    return low


class PostTradeVar:
    """The history-based limits of one trade. ``panel`` must cover every held symbol and the
    trade's symbol; construct it through :meth:`build`, which says why it cannot."""

    def __init__(self, panel: ReturnPanel, state: PortfolioState) -> None:
        self.panel = panel
        self.state = state
        self.notes: tuple[str, ...] = ()
        self._positions = [
            (h.position_id, h.symbol, h.strategy, float(h.market_value)) for h in state.holdings
        ]
        by_symbol = panel.weights_vector({})
        for _, symbol, _, value in self._positions:
            by_symbol[panel.column(symbol)] += value
        self._base_pnl = panel.horizon_returns @ by_symbol

    @classmethod
    def build(
        cls, panel: ReturnPanel | None, state: PortfolioState, missing: Sequence[str]
    ) -> PostTradeVar | NotesOnly:
        """A model, or the notes that say why the VaR limits cannot be checked."""
        if missing:
            return NotesOnly(
                f"VaR, position-risk and budget limits not checked: no price history for "
                f"{', '.join(sorted(missing))}"
            )
        if panel is None or not panel.sufficient:
            detail = "no price history" if panel is None else panel.history_note()
            return NotesOnly(f"VaR, position-risk and budget limits not checked: {detail}")
        return cls(panel, state)

    # ------------------------------------------------------------------ measures
    def symbol_var(self, symbol: str, sign: int) -> float | None:
        """One-day 95 % historical VaR of one unit of exposure to ``symbol`` (short: -r)."""
        returns = self.panel.horizon_returns[:, self.panel.column(symbol)]
        return metrics.value_at_risk(sign * returns, VAR_CONFIDENCE)

    def _var_pct(self, trade: TradeProposal, equity: float, k: float, size: float) -> float:
        column = self.panel.horizon_returns[:, self.panel.column(trade.symbol)]
        pnl = self._base_pnl + (size * trade.sign * float(trade.mark)) * column
        value = metrics.value_at_risk(pnl / (equity + k * size), VAR_CONFIDENCE)
        return 100.0 * (value or 0.0)

    def _budget_shares(
        self, trade: TradeProposal, equity: float, k: float, size: float
    ) -> dict[tuple[str, str], float]:
        """Component VaR of the trade's strategy and symbol, % of the VaR limit's equity."""
        rows = list(self._positions)
        added = size * trade.sign * float(trade.mark)
        if trade.position_id is None:
            rows.append(("<new>", trade.symbol, trade.strategy, added))
        else:
            rows = [
                (pid, sym, strat, value + added if pid == trade.position_id else value)
                for pid, sym, strat, value in rows
            ]
        weights = np.array([value for *_, value in rows]) / (equity + k * size)
        index = self.panel.sub([sym for _, sym, _, _ in rows])
        cov = self.panel.horizon_covariance[np.ix_(index, index)]
        components = metrics.component_var(weights, cov, VAR_CONFIDENCE)
        shares: dict[tuple[str, str], float] = defaultdict(float)
        if components is None:
            return shares
        for (_, symbol, strategy, _), component in zip(rows, components, strict=True):
            if strategy == trade.strategy:
                shares["strategy", strategy] += 100.0 * float(component)
            if symbol == trade.symbol:
                shares["symbol", symbol] += 100.0 * float(component)
        return shares

    # ------------------------------------------------------------------ checks
    def breaches(
        self,
        trade: TradeProposal,
        equity: Decimal,
        k: Decimal,
        limits: RiskLimits,
        cap: Decimal,
    ) -> list[LimitBreach]:
        """The VaR-limit and budget breaches of ``trade`` with their largest passing sizes."""
        from .risk_checks import LimitBreach

        found: list[LimitBreach] = []
        e, kk, size, top = float(equity), float(k), float(trade.size), float(cap)
        if limits.max_var_pct is not None:
            limit = limits.max_var_pct
            before, after = self._var_pct(trade, e, kk, 0.0), self._var_pct(trade, e, kk, size)
            if after > limit and after > before:
                allowed = (
                    0.0
                    if before > limit
                    else _largest_passing(
                        lambda s: self._var_pct(trade, e, kk, s) <= limit, min(top, size)
                    )
                )
                found.append(
                    LimitBreach(
                        "max_var_pct",
                        after,
                        limit,
                        f"portfolio 1-day 95 % VaR would be {after:.1f} % of equity; "
                        f"limit {limit:g} %",
                        Decimal(repr(allowed)),
                    )
                )
        budgets = {
            ("strategy", trade.strategy): limits.var_budget_by_strategy_pct.get(trade.strategy),
            ("symbol", trade.symbol): limits.var_budget_by_symbol_pct.get(trade.symbol),
        }
        budgets = {key: value for key, value in budgets.items() if value is not None}
        if not budgets or limits.max_var_pct is None:
            return found
        var_limit = limits.max_var_pct

        def share(s: float, key: tuple[str, str]) -> float:
            return self._budget_shares(trade, e, kk, s).get(key, 0.0) / var_limit * 100.0

        for key, budget in budgets.items():
            before, after = share(0.0, key), share(size, key)
            if after > budget and after > before:
                allowed = (
                    0.0
                    if before > budget
                    else _largest_passing(lambda s, key=key, cap=budget: share(s, key) <= cap, top)
                )
                kind, name = key
                label = f"strategy '{name}'" if kind == "strategy" else name
                found.append(
                    LimitBreach(
                        f"var_budget_by_{kind}_pct",
                        after,
                        budget,
                        f"{label} would use {after:.1f} % of the VaR limit; budget {budget:g} %",
                        Decimal(repr(allowed)),
                    )
                )
        return found


class NotesOnly:
    """Stands in for :class:`PostTradeVar` when the history cannot support the checks."""

    def __init__(self, note: str) -> None:
        self.notes = (note,)

    def symbol_var(self, symbol: str, sign: int) -> None:
        return None

    def breaches(self, *args: object, **kwargs: object) -> list[LimitBreach]:
        return []
