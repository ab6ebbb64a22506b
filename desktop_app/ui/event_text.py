"""Engine events in the trader's words, for the event log and notifications.

Each ``describe_*`` function turns one event payload into a one-line message. Trades are
described from the *fill* (what was executed, at which price, what it realized), so one
trade is one line. Payloads of the risk manager and the rebalancer are read by field name
(attribute or mapping key), so the log keeps working whichever record type they send.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from desktop_app.portfolio import (
    CashMovement,
    Fill,
    FillKind,
    LiquidationResult,
    OrderSide,
    PortfolioStatus,
)

from .format import SymbolPrecision, format_money, humanize


def field_of(payload: Any, *names: str) -> Any:
    """The first of ``names`` present on ``payload`` as an attribute or mapping key."""
    for name in names:
        if isinstance(payload, Mapping) and name in payload:
            return payload[name]
        if hasattr(payload, name):
            return getattr(payload, name)
    return None


def _label(value: Any) -> str:
    value = getattr(value, "value", value)
    return str(value).replace("_", " ")


def describe_fill(fill: Fill, precision: SymbolPrecision) -> str:
    long_position = (fill.side is OrderSide.BUY) == fill.kind.increases
    side = "LONG" if long_position else "SHORT"
    size = precision.size(fill.symbol, fill.size, fill.price)
    price = precision.price(fill.symbol, fill.price)
    fee = f", fee {format_money(fill.fee)}" if fill.fee else ""
    if fill.kind is FillKind.OPEN:
        return f"Opened {side} {size} {fill.symbol} @ {price}{fee} · {fill.strategy}"
    if fill.kind is FillKind.ADD:
        return f"Added {size} to {side} {fill.symbol} @ {price}{fee}"
    realized = format_money(fill.realized_pnl, sign=True)
    what = "Closed" if fill.kind is FillKind.CLOSE else "Partly closed"
    return f"{what} {side} {fill.symbol}: {size} @ {price}{fee} · realized {realized}"


def describe_cash(movement: CashMovement, quote: str) -> str:
    verb = "Deposited" if movement.amount > 0 else "Withdrew"
    note = f" ({movement.note})" if movement.note else ""
    return f"{verb} {format_money(abs(movement.amount))} {quote}{note}"


def describe_status(status: PortfolioStatus, reason: str) -> str:
    detail = f": {reason}" if reason else ""
    return f"Portfolio {status.value.upper()}{detail}"


def describe_liquidation(result: LiquidationResult) -> str:
    text = (
        f"Liquidation closed {len(result.closed)} position(s), "
        f"realized {format_money(result.realized_pnl, sign=True)}"
    )
    if result.failed:
        failures = "; ".join(f"{symbol}: {reason}" for _pid, symbol, reason in result.failed)
        text += f" — {len(result.failed)} could not be closed ({failures})"
    return text


def is_breaker_trip(payload: Any) -> bool:
    kind = field_of(payload, "kind", "type", "event", "limit", "limit_name")
    text = _label(kind).lower() if kind is not None else ""
    return "breaker" in text or bool(field_of(payload, "breaker_tripped", "circuit_breaker"))


def describe_risk(payload: Any) -> str:
    """A risk violation or a breaker trip, whatever record the risk manager sends."""
    message = field_of(payload, "message", "description", "reason")
    limit = field_of(payload, "limit", "limit_name", "metric", "kind", "type")
    value = field_of(payload, "current", "value", "current_value", "actual")
    threshold = field_of(payload, "threshold", "limit_value", "max_value")
    prefix = "Circuit breaker tripped" if is_breaker_trip(payload) else "Risk limit exceeded"
    parts: list[str] = []
    if limit is not None:
        parts.append(humanize(str(getattr(limit, "value", limit))))
    if value is not None and threshold is not None:
        parts.append(f"{_number(value)} vs limit {_number(threshold)}")
    if message:
        parts.append(str(message))
    if not parts:
        level = field_of(payload, "overall_risk_level", "risk_level")
        parts.append(f"risk level {_label(level)}" if level is not None else str(payload))
    return f"{prefix}: " + " — ".join(parts)


def describe_rebalance(payload: Any) -> str:
    summary = getattr(payload, "summary", None)
    if callable(summary):  # the rebalancer's own one-line report
        return f"Rebalance {summary()}"
    trades = field_of(payload, "trades", "executed_trades", "orders")
    count = len(trades) if isinstance(trades, (list, tuple)) else None
    success = field_of(payload, "success")
    cost = field_of(payload, "total_cost", "cost")
    text = "Rebalance completed"
    if success is False:
        text = "Rebalance finished with errors"
    if count is not None:
        text += f": {count} trade(s)"
    if cost is not None:
        text += f", cost {_number(cost)}"
    message = field_of(payload, "message", "error")
    if message:
        text += f" — {message}"
    return text


def describe_error(payload: Any) -> str:
    message = field_of(payload, "message") or str(payload)
    source = field_of(payload, "source")
    return f"Engine error in {source}: {message}" if source else f"Engine error: {message}"


def _number(value: Any) -> str:
    if isinstance(value, (Decimal, float, int)) and not isinstance(value, bool):
        return f"{float(value):,.4g}"
    return str(value)
