"""Engine events in the trader's words (event log lines and notifications)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from desktop_app.portfolio import (
    LiquidationResult,
    PortfolioStatus,
    PositionTracker,
    PositionType,
)
from desktop_app.ui.event_text import (
    describe_error,
    describe_fill,
    describe_liquidation,
    describe_rebalance,
    describe_risk,
    describe_status,
    is_breaker_trip,
)
from desktop_app.ui.format import SymbolPrecision

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def test_fills_read_as_trades_with_price_fee_and_realized_pnl():
    ledger = PositionTracker("USDT")
    ledger.commit(ledger.prepare_cash(Decimal(10_000)))
    opened = ledger.commit(
        ledger.prepare_open(
            "SHIB/USDT", PositionType.SHORT, 50_000_000, "0.00001234", fee="0.62", strategy="hedge"
        )
    )
    ledger.commit(ledger.prepare_reduce(opened.position_id, "0.00001200", 20_000_000))
    ledger.commit(ledger.prepare_reduce(opened.position_id, "0.00001100"))
    opening, partial, final = reversed(ledger.recent_fills())
    precision = SymbolPrecision()
    assert describe_fill(opening, precision) == (
        "Opened SHORT 50,000,000 SHIB/USDT @ 0.00001234, fee 0.62 · hedge"
    )
    assert describe_fill(partial, precision) == (
        "Partly closed SHORT SHIB/USDT: 20,000,000 @ 0.00001200 · realized +6.80"
    )
    assert describe_fill(final, precision).endswith("realized +40.20")


@dataclass(frozen=True)
class Violation:
    """The fields the risk manager's violation record carries."""

    kind: str
    limit: str
    message: str
    current: float | None
    limit_value: float | None


def test_a_breaker_trip_is_told_apart_from_a_limit_breach():
    trip = Violation("breaker", "max_drawdown_pct", "drawdown 16.2 % ≥ 15 %", 16.2, 15.0)
    breach = Violation("pre_trade", "max_positions", "10 positions open", 10, 10)
    assert is_breaker_trip(trip) and not is_breaker_trip(breach)
    assert describe_risk(trip) == (
        "Circuit breaker tripped: Max drawdown — 16.2 vs limit 15 — drawdown 16.2 % ≥ 15 %"
    )
    assert describe_risk(breach).startswith("Risk limit exceeded: Max positions")


def test_liquidation_failures_are_named():
    result = LiquidationResult(
        closed=(), failed=(("p1", "BTC/USDT", "no price"),), started_at=T0, finished_at=T0
    )
    assert describe_liquidation(result) == (
        "Liquidation closed 0 position(s), realized 0.00 — 1 could not be closed "
        "(BTC/USDT: no price)"
    )


def test_status_rebalance_and_errors():
    assert describe_status(PortfolioStatus.PAUSED, "daily loss") == "Portfolio PAUSED: daily loss"
    assert describe_rebalance({"trades": [1, 2, 3], "total_cost": 4.5}) == (
        "Rebalance completed: 3 trade(s), cost 4.5"
    )
    assert describe_error({"source": "callback:position_opened", "message": "boom"}) == (
        "Engine error in callback:position_opened: boom"
    )
