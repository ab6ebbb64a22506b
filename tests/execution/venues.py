"""Real executors and journals that misbehave on purpose, and a ledger consistency check."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.execution import ExecutionFill, OrderRequest, PaperExecutor
from desktop_app.portfolio import (
    ExecutionError,
    MemoryJournal,
    PortfolioConfig,
    PositionTracker,
    RiskLimits,
)


def quiet_config(**kw) -> PortfolioConfig:
    """A quiet portfolio with the risk limits off: these tests are about execution."""
    kw.setdefault("risk_limits", RiskLimits.disabled())
    return PortfolioConfig(performance_update_interval_s=0, **kw)


class RefusingExecutor(PaperExecutor):
    """A paper venue that genuinely refuses to trade some symbols (a delisted pair, say)."""

    def __init__(self, refused: set[str], **kw) -> None:
        super().__init__(**kw)
        self.refused = refused
        self.requests: list[OrderRequest] = []

    async def place_order(self, request: OrderRequest) -> ExecutionFill:
        self.requests.append(request)
        if request.symbol in self.refused:
            raise ExecutionError(f"{request.symbol} is not tradable on this venue")
        return await super().place_order(request)


class PartialExecutor(PaperExecutor):
    """Fills only ``fraction`` of every order (thin book; the rest is cancelled)."""

    def __init__(self, fraction: Decimal, **kw) -> None:
        super().__init__(**kw)
        self.fraction = fraction

    async def place_order(self, request: OrderRequest) -> ExecutionFill:
        from dataclasses import replace

        return await super().place_order(replace(request, size=request.size * self.fraction))


class FailingJournal(MemoryJournal):
    """A journal whose disk fills up: appends fail while ``broken`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = False

    async def append(self, effect) -> None:
        if self.broken:
            raise OSError("No space left on device")
        await super().append(effect)

    async def save_status(self, status: str, reason: str) -> None:
        if self.broken:
            raise OSError("No space left on device")
        await super().save_status(status, reason)


def replayed(journal: MemoryJournal, quote: str = "USDT") -> PositionTracker:
    """A fresh tracker rebuilt from the journal: what a restart would see."""
    tracker = PositionTracker(quote)
    tracker.replay(journal.entries)
    return tracker


def assert_ledger_consistent(pm, journal: MemoryJournal) -> None:
    """The journal replays to exactly the live state, and equity adds up."""
    again = replayed(journal, pm.config.quote_currency)
    live = pm.position_tracker
    assert again.cash == live.cash
    assert {
        p.position_id: (p.size, p.cost_basis, p.realized_pnl) for p in again.get_all_positions()
    } == {p.position_id: (p.size, p.cost_basis, p.realized_pnl) for p in live.get_all_positions()}
    summary = live.get_portfolio_summary()
    assert summary["equity"] == summary["cash"] + summary["total_market_value"]
