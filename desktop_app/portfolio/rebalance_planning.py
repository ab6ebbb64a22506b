"""Rebalance planning: from a strategy to a costed, checked :class:`RebalancePlan`.

Each strategy first sets its *goal* weights — THRESHOLD and DCA use the targets, MOMENTUM and
MEAN_REVERSION tilt them by trailing returns, RISK_PARITY solves them from the covariance
(:mod:`.rebalance_targets`) — then :mod:`.rebalance_sizing` turns goals into orders.
THRESHOLD trades only the symbols whose drift (current minus goal weight, in percentage
points) exceeds ``max_drift_pct``; the others trade every symbol to its goal. A symbol held
without a target has a target of zero: the targets describe the whole book, the rest is
cash. Every plan is costed with the cost model and marked not executable when its estimated
cost exceeds ``max_rebalance_cost_pct`` of equity.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .errors import RebalanceError
from .position_tracker import new_id
from .rebalance_config import RebalanceStrategy, _enum
from .rebalance_plan import PlannedOrder, RebalancePlan
from .rebalance_sizing import (
    PortfolioSnapshot,
    dca_orders,
    drift_pct,
    orders_to_targets,
    project_weights,
    take_snapshot,
)
from .values import ZERO, Number, fmt, ledger_math, positive

if TYPE_CHECKING:
    from .rebalancer import Rebalancer

__all__ = ["Planner"]


def _nothing_to_trade(skipped: list[tuple[str, str]]) -> str:
    if not skipped:
        return "nothing to trade"
    return "nothing to trade: " + "; ".join(f"{symbol} {why}" for symbol, why in skipped)


class Planner:
    """Builds the plans of one rebalancer (reads its config, cost model and clock)."""

    def __init__(self, rebalancer: Rebalancer) -> None:
        self._r = rebalancer

    def targets(self, override: Mapping[str, float] | None = None) -> dict[str, float]:
        if override is not None:
            from .config import validate_target_allocations

            return validate_target_allocations(override, self._r.manager.config.quote_currency)
        return dict(self._r.manager.config.target_allocations)

    def require_targets(self, targets: dict[str, float], strategy: RebalanceStrategy) -> None:
        if not any(w > 0 for w in targets.values()):
            raise RebalanceError(
                f"{strategy.value} rebalancing needs target allocations; set them first "
                f"(e.g. BTC/USDT 60 %, ETH/USDT 40 %)"
            )

    async def closes(self, symbols: list[str], days: int) -> Any:
        from .daily_closes import require_history

        frame = await self._r.close_source.daily_closes(symbols, days, end=self._r.clock())
        return require_history(frame, symbols, days)

    async def create_plan(
        self,
        strategy: RebalanceStrategy | str | None,
        targets: Mapping[str, float] | None,
    ) -> RebalancePlan:
        """A preview of the rebalance ``strategy`` would make now (nothing is traded)."""
        await self._r.manager._ready()
        await self._r.load()
        kind: RebalanceStrategy = _enum(RebalanceStrategy, strategy or self._r.config.strategy)
        if kind is RebalanceStrategy.GRID:
            return self._r.grid.plan(self._r.manager.position_tracker.prices)
        base = self.targets(targets)
        if kind is RebalanceStrategy.DCA:
            self.require_targets(base, kind)
            return self.dca_plan(self._r.config.dca_amount, base)
        config, tracker = self._r.config, self._r.manager.position_tracker
        if kind is RebalanceStrategy.RISK_PARITY:
            goal = await self.risk_parity_goal(base)
        else:
            self.require_targets(base, kind)
            goal = base
            if kind in (RebalanceStrategy.MOMENTUM, RebalanceStrategy.MEAN_REVERSION):
                goal = await self.tilted_goal(kind, base)
        snapshot = take_snapshot(tracker, [s for s, w in goal.items() if w > 0])
        drift = drift_pct(snapshot.weights, goal)
        assert config.max_drift_pct is not None
        if kind is RebalanceStrategy.THRESHOLD:
            trade = [s for s, d in drift.items() if abs(d) > config.max_drift_pct]
        else:
            trade = list(drift)
        orders, skipped = orders_to_targets(
            snapshot, goal, trade, self._r.cost_model, config.min_order_value, self._r.size_step
        )
        if not trade:
            note = f"no asset drifted more than {config.max_drift_pct:g} pp from its target"
        else:
            note = ""
        return self.build_plan(kind, snapshot, orders, skipped, goal, drift, note=note)

    async def tilted_goal(
        self, kind: RebalanceStrategy, base: dict[str, float]
    ) -> dict[str, float]:
        days = (
            self._r.config.momentum_lookback_days
            if kind is RebalanceStrategy.MOMENTUM
            else self._r.config.mean_reversion_lookback_days
        )
        from .rebalance_targets import rank_scores, tilt_targets, trailing_returns

        symbols = [s for s, w in base.items() if w > 0]
        returns = trailing_returns(await self.closes(symbols, days), days)
        scores = rank_scores(returns)
        if kind is RebalanceStrategy.MEAN_REVERSION:
            scores = -scores
        return tilt_targets(base, scores.to_dict(), self._r.config.max_tilt_pct)

    async def risk_parity_goal(self, base: dict[str, float]) -> dict[str, float]:
        from .rebalance_targets import risk_parity_targets

        symbols = [s for s, w in base.items() if w > 0]
        invested = sum(base[s] for s in symbols)
        if not symbols:  # no targets: the long holdings, at today's invested share
            snapshot = take_snapshot(self._r.manager.position_tracker)
            symbols = sorted(s for s, w in snapshot.weights.items() if w > 0)
            invested = sum(snapshot.weight(s) for s in symbols)
        if not symbols:
            raise RebalanceError("Risk parity needs target allocations or open long positions")
        closes = await self.closes(symbols, self._r.config.risk_parity_lookback_days)
        loop = asyncio.get_running_loop()
        method = self._r.config.risk_parity_method
        goal = await loop.run_in_executor(None, risk_parity_targets, closes, method, invested)
        return {**dict.fromkeys(base, 0.0), **goal}

    def dca_plan(self, amount: Number, targets: Mapping[str, float]) -> RebalancePlan:
        """A plan buying ``amount`` (fees included) toward ``targets``, most underweight first."""
        money = positive(amount, "DCA amount")
        tracker = self._r.manager.position_tracker
        snapshot = take_snapshot(tracker, [s for s, w in targets.items() if w > 0])
        orders, skipped = dca_orders(
            snapshot,
            targets,
            money,
            self._r.cost_model,
            self._r.config.min_order_value,
            self._r.size_step,
        )
        drift = drift_pct(snapshot.weights, targets)
        return self.build_plan(RebalanceStrategy.DCA, snapshot, orders, skipped, targets, drift)

    def build_plan(
        self,
        strategy: RebalanceStrategy,
        snapshot: PortfolioSnapshot,
        orders: list[PlannedOrder],
        skipped: list[tuple[str, str]],
        targets: Mapping[str, float],
        drift: Mapping[str, float],
        *,
        note: str = "",
    ) -> RebalancePlan:
        """Cost, projected weights and the executability verdict of ``orders``."""
        config = self._r.config
        weights_after, _ = project_weights(snapshot, orders)
        with ledger_math():
            fees = sum((o.estimated_fee for o in orders), ZERO)
            slippage = sum((o.estimated_slippage for o in orders), ZERO)
        plan = RebalancePlan(
            plan_id=new_id(),
            strategy=strategy,
            created_at=self._r.clock(),
            equity=snapshot.equity,
            cash=snapshot.cash,
            prices=dict(snapshot.prices),
            orders=tuple(orders),
            weights_before=snapshot.weights,
            weights_after=weights_after,
            target_weights=dict(targets),
            drift_pct=dict(drift),
            max_drift_pct=float(config.max_drift_pct or 0.0),
            estimated_fees=fees,
            estimated_slippage=slippage,
            max_cost_pct=config.max_rebalance_cost_pct,
            reason="" if orders else (note or _nothing_to_trade(skipped)),
            skipped=tuple(skipped),
        )
        if plan.estimated_cost_pct > config.max_rebalance_cost_pct:
            reason = (
                f"estimated cost {fmt(plan.estimated_cost, 2)} is "
                f"{plan.estimated_cost_pct:.3f} % of equity, above the "
                f"{config.max_rebalance_cost_pct:g} % limit (max_rebalance_cost_pct)"
            )
            plan = replace(plan, executable=False, reason=reason)
        return plan
