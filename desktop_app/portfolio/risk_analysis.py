"""The risk manager's metrics side: price history, return panels, equity curve, metrics.

Kept apart from :mod:`.risk_manager` (limits, checks, breakers, events) because it owns the
caches that make a background recomputation cheap:

* the :class:`PriceHistory` of hourly and daily closes (incremental reads of the store's bars);
* return panels per symbol set, rebuilt only when the history changed;
* the equity curve, read incrementally;
* the history part of the last metrics, which :meth:`RiskAnalysis.quick_metrics` combines
  with a fresh ledger part for event payloads between recomputations.

Everything numpy runs in the default executor; only O(positions) work stays on the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from desktop_app.lazy import pd

from .breakers import Breaker
from .price_history import PriceHistory
from .risk_compute import equity_values, history_values, ledger_values
from .risk_metrics import RiskMetrics, assess, limit_usages
from .risk_model import ReturnPanel, build_panel

if TYPE_CHECKING:
    from .risk_events import RiskViolation
    from .risk_manager import RiskManager

log = logging.getLogger(__name__)


class RiskAnalysis:
    """Computes :class:`RiskMetrics` for one risk manager."""

    def __init__(self, risk: RiskManager) -> None:
        self._risk = risk
        self.history = PriceHistory(risk.store, risk.limits.var_lookback_days)
        self._panels: dict[tuple[str, ...], tuple[int, int, ReturnPanel | None]] = {}
        self._history_part: dict[str, Any] = {}
        self._history_notes: dict[str, str] = {}
        self._groups: dict[str, float] = {}
        self._curve: pd.DataFrame | None = None
        self.latest: RiskMetrics | None = None

    async def panel(self, symbols: Sequence[str]) -> tuple[ReturnPanel | None, list[str]]:
        """The aligned panel of ``symbols`` (cached per history version) and those missing."""
        lookback = self._risk.limits.var_lookback_days
        self.history.lookback_days = lookback  # a live edit of the lookback reloads the cache
        histories = await self.history.get(symbols)
        missing = [s for s in symbols if s not in histories]
        if missing:
            return None, missing
        key = tuple(symbols)
        version = self.history.version
        cached = self._panels.get(key)
        if cached is not None and cached[:2] == (version, lookback):
            return cached[2], []
        loop = asyncio.get_running_loop()
        panel = await loop.run_in_executor(None, build_panel, histories, key, lookback)
        self._panels = {k: v for k, v in self._panels.items() if v[0] == version}
        self._panels[key] = (version, lookback, panel)
        return panel, []

    def _assemble(self, ledger: dict[str, Any], notes: dict[str, str]) -> RiskMetrics:
        limits = self._risk.limits
        values = {**ledger, **self._history_part}
        shares = {}
        if limits.max_var_pct:
            shares = {k: 100.0 * v * 100.0 / limits.max_var_pct for k, v in self._groups.items()}
        usages = limit_usages(values, limits, shares)
        tripped = [(t.breaker.value, t.message) for t in self._risk.breakers.tripped.values()]
        level, score, rule = assess(usages, tripped, ledger["position_count"])
        return RiskMetrics(
            timestamp=self._risk.now(),
            **values,
            notes={**self._history_notes, **notes},
            limits=tuple(usages),
            breakers_tripped=tuple(name for name, _ in tripped),
            overall_risk_level=level,
            risk_score=score,
            risk_rule=rule,
        )

    def quick_metrics(self) -> RiskMetrics:
        """Ledger metrics now, with the history metrics of the last recomputation."""
        tracker = self._risk.manager.position_tracker
        ledger, _, notes = ledger_values(tracker, self._risk.breakers, with_held=False)
        return self._assemble(ledger, notes)

    async def calculate(self) -> RiskMetrics:
        """Every metric, now: history refreshed from the store, numpy in an executor."""
        manager = self._risk.manager
        ledger, held, notes = ledger_values(manager.position_tracker, self._risk.breakers)
        benchmark = f"BTC/{manager.config.quote_currency}"
        symbols = sorted({p.symbol for p in held})
        panel, note = None, None
        if not self.history.available:
            note = "insufficient history: no price store is attached to this portfolio"
        elif symbols:
            self.history.lookback_days = self._risk.limits.var_lookback_days
            await self.history.get([*symbols, benchmark], refresh=True)
            panel, missing = await self.panel(sorted({*symbols, benchmark}))
            if benchmark in missing:  # beta is then unknown; the rest does not need BTC
                panel, missing = await self.panel(symbols)
            if missing:
                note = f"insufficient history: no price bars for {', '.join(missing)}"
        loop = asyncio.get_running_loop()
        history, history_notes, groups = await loop.run_in_executor(
            None, history_values, panel, held, ledger["equity"], benchmark, note
        )
        curve = await self._equity_curve()
        equity, equity_notes = await loop.run_in_executor(None, equity_values, curve)
        self._history_part = {**history, **equity}
        self._history_notes = {**history_notes, **equity_notes}
        self._groups = groups
        self.latest = self._assemble(ledger, notes)
        return self.latest

    async def _equity_curve(self) -> pd.DataFrame | None:
        """The stored equity snapshots, read incrementally (only the new ones each time)."""
        store = self._risk.store()
        if store is None:
            return None
        cached = self._curve
        try:
            since = None if cached is None or cached.empty else cached.index[-1].to_pydatetime()
            new = await store.read_equity_curve(since, None)
        except Exception:
            log.exception("could not read the equity curve")
            return cached
        if cached is not None and not cached.empty and not new.empty:
            new = pd.concat([cached[cached.index < new.index[0]], new])
        elif cached is not None and new.empty:
            new = cached
        self._curve = new
        return new

    def report(self, metrics: RiskMetrics, violations: Sequence[RiskViolation]) -> dict[str, Any]:
        """A JSON-ready report: level, limits with utilisation, metrics, breakers, violations."""
        risk, limits, now = self._risk, self._risk.limits, self._risk.now()
        breakers = {}
        for breaker in Breaker:
            trip = risk.breakers.tripped.get(breaker)
            limit_value = getattr(limits, breaker.limit)
            breakers[breaker.value] = {
                "limit": breaker.limit,
                "limit_value": limit_value,
                "action": limits.breaker_action(breaker.value).value,
                "armed": trip is None and limit_value is not None,
                "tripped": None if trip is None else trip.to_dict(),
            }
        cooldown = risk.breakers.cooldown(now)
        return {
            "timestamp": now.isoformat(),
            "status": risk.manager.status.value,
            "status_reason": risk.manager.status_reason,
            "overall_risk_level": metrics.overall_risk_level.value,
            "risk_score": metrics.risk_score,
            "risk_rule": metrics.risk_rule,
            "limits": limits.to_dict(),
            "limit_usage": [usage.to_dict() for usage in metrics.limits],
            "metrics": metrics.to_dict(),
            "breakers": breakers,
            "cooldown_until": None if cooldown is None else cooldown.isoformat(),
            "loss_streak": risk.breakers.loss_streak,
            "recent_violations": [v.to_dict() for v in violations],
            "notes": dict(metrics.notes),
        }
