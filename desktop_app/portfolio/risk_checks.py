"""Pre-trade risk checks: the portfolio *after* the trade, measured against every limit.

A trade that reduces a position is always allowed. An opening or adding trade of size ``S``
is evaluated on the post-trade ledger: cash after paying ``S * price + fee``, the position
valued at the symbol's last price (the ledger's mark; the fill price when there is none),
equity after the fee. For each breached limit the check also solves for the largest size
that would pass:

* ratio limits are linear in the size: with ``a`` the measure and ``E`` the equity before,
  ``b`` the measure per unit and ``k`` the equity change per unit (mark minus price, minus
  the fee share), ``(a + b s) / (E + k s) <= L`` gives ``s <= (L E - a) / (b - L k)``,
  computed in Decimal;
* VaR and risk budgets are not linear; their largest passing size is found by bisection.

The result is ALLOW, REDUCE (a smaller size passes: the largest one, rounded down to eight
significant digits, which passes when booked) or REJECT (nothing passes: a count limit,
a cooldown, or no room left). Every reason names the limit, the post-trade value and the
limit value: "the BTC/USDT position would be 31.2 % of equity; limit 25 %".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from enum import Enum
from functools import cached_property

from .position_tracker import LedgerEffect, PositionTracker
from .records import FillKind
from .risk_limits import RiskLimits
from .risk_var import NotesOnly, PostTradeVar
from .values import ZERO, fmt, ledger_math

HUNDRED = Decimal(100)
SIGNIFICANT_DIGITS = 8


class RiskAction(Enum):
    """The verdict of a pre-trade check."""

    ALLOW = "allow"
    REDUCE = "reduce"  # allowed at a smaller size (the reason and ``allowed_size`` carry it)
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Holding:
    """One open position as the checks see it: signed market value in the quote currency."""

    position_id: str
    symbol: str
    strategy: str
    market_value: Decimal


@dataclass(frozen=True)
class PortfolioState:
    """The ledger before the trade."""

    cash: Decimal
    holdings: tuple[Holding, ...]

    @cached_property
    def equity(self) -> Decimal:
        with ledger_math():
            return self.cash + sum((h.market_value for h in self.holdings), ZERO)

    @classmethod
    def of(cls, tracker: PositionTracker) -> PortfolioState:
        holdings = tuple(
            Holding(p.position_id, p.symbol, p.strategy, p.market_value)
            for p in tracker.get_all_open_positions()
        )
        return cls(tracker.cash, holdings)


@dataclass(frozen=True)
class TradeProposal:
    """An opening (``position_id`` None) or adding trade of ``size`` at ``price``."""

    symbol: str
    sign: int  # +1 long, -1 short
    size: Decimal
    price: Decimal
    mark: Decimal  # the price the ledger will value the position at
    fee: Decimal = ZERO
    strategy: str = "manual"
    position_id: str | None = None

    @property
    def equity_change_per_unit(self) -> Decimal:
        with ledger_math():
            return self.sign * (self.mark - self.price) - self.fee / self.size

    @classmethod
    def of(cls, effect: LedgerEffect, tracker: PositionTracker) -> TradeProposal | None:
        """The proposal behind a prepared fill; None for a reducing fill (always allowed)."""
        fill = effect.fill
        if fill is None or not fill.kind.increases:
            return None
        assert effect.position is not None
        return cls(
            symbol=fill.symbol,
            sign=effect.position.sign,
            size=fill.size,
            price=fill.price,
            mark=tracker.last_price(fill.symbol) or fill.price,
            fee=fill.fee,
            strategy=fill.strategy,
            position_id=None if fill.kind is FillKind.OPEN else fill.position_id,
        )


@dataclass(frozen=True)
class LimitBreach:
    """One limit the trade would break: post-trade value, limit, and the size that passes."""

    limit: str
    current: float
    limit_value: float
    message: str
    allowed_size: Decimal | None = None  # None: no size passes (count limits, cooldowns)


@dataclass(frozen=True)
class CheckResult:
    """The verdict. Unpacks like the spec's tuple: ``action, reason = result``."""

    action: RiskAction
    reason: str
    breaches: tuple[LimitBreach, ...] = ()
    allowed_size: Decimal | None = None
    notes: tuple[str, ...] = field(default=())

    def __iter__(self) -> Iterator[RiskAction | str]:
        return iter((self.action, self.reason))

    @property
    def binding(self) -> LimitBreach | None:
        """The breach that limits the size most (the first refusal reason)."""
        if not self.breaches:
            return None
        return min(
            self.breaches,
            key=lambda b: -1 if b.allowed_size is None else b.allowed_size,
        )


def round_size_down(size: Decimal) -> Decimal:
    """``size`` rounded down to :data:`SIGNIFICANT_DIGITS` significant digits (0 stays 0)."""
    if size <= 0:
        return ZERO
    quantum = Decimal(1).scaleb(size.adjusted() - SIGNIFICANT_DIGITS + 1)
    return size.quantize(quantum, rounding=ROUND_DOWN).normalize()


def _show(value: float, limit: float | None = None) -> str:
    """One decimal, or as many as it takes (up to 4) to show a value above the limit as such."""
    for places in range(1, 5):
        text = f"{value:.{places}f}"
        if limit is None or not (float(text) <= limit < value):
            return text
    return text


def _pct(value: float, limit: float | None = None) -> str:
    return f"{_show(value, limit)} %"


def _limit(value: float) -> str:
    return f"{value:g}"


class _Ratio:
    """``(a + b s) / (E + k s)``: a measure per unit of equity, linear in the trade size."""

    def __init__(self, a: Decimal, b: Decimal, equity: Decimal, k: Decimal) -> None:
        self.a, self.b, self.equity, self.k = a, b, equity, k

    def at(self, size: Decimal) -> Decimal:
        with ledger_math():
            return (self.a + self.b * size) / (self.equity + self.k * size)

    def largest_size(self, limit: Decimal, cap: Decimal) -> Decimal:
        """The largest ``s`` in ``[0, cap]`` with ratio ``<= limit`` (0 if none)."""
        with ledger_math():
            if self.a > limit * self.equity:
                return ZERO
            slope = self.b - limit * self.k
            if slope <= 0:
                return cap
            return min(cap, (limit * self.equity - self.a) / slope)


def evaluate_trade(
    state: PortfolioState,
    trade: TradeProposal,
    limits: RiskLimits,
    *,
    var: PostTradeVar | NotesOnly | None = None,
    cooldown_until: datetime | None = None,
    halted: str | None = None,
) -> CheckResult:
    """Check ``trade`` against ``limits`` on the post-trade portfolio (see the module doc).

    ``var`` carries the price history for the VaR, position-risk and budget limits (None:
    those limits are not checked and a note says why); ``cooldown_until`` is the end of a
    consecutive-loss cooldown in force; ``halted`` a reason new exposure is refused.
    """
    size = trade.size
    notes: list[str] = [] if var is None else list(var.notes)
    hard: list[LimitBreach] = []
    if halted:
        hard.append(LimitBreach("status", 0.0, 0.0, halted))
    if cooldown_until is not None:
        hard.append(
            LimitBreach(
                "max_consecutive_losses",
                float(limits.max_consecutive_losses or 0),
                float(limits.max_consecutive_losses or 0),
                f"{limits.max_consecutive_losses} losing trades in a row: no new exposure until "
                f"{cooldown_until:%Y-%m-%d %H:%M} UTC (cooldown "
                f"{limits.loss_cooldown_minutes:g} min); closing is allowed",
            )
        )
    count = len(state.holdings) + (1 if trade.position_id is None else 0)
    if limits.max_positions is not None and count > limits.max_positions:
        hard.append(
            LimitBreach(
                "max_positions",
                float(count),
                float(limits.max_positions),
                f"open positions would be {count}; limit {limits.max_positions}",
            )
        )
    equity = state.equity
    k = trade.equity_change_per_unit
    ratio_limits = (
        limits.max_single_position_pct,
        limits.max_symbol_exposure_pct,
        limits.max_gross_exposure_pct,
        limits.max_leverage,
        limits.max_portfolio_risk_pct,
        limits.max_var_pct,
    )
    with ledger_math():
        if all(limit is None for limit in ratio_limits):
            return _verdict(hard, [], trade, notes)
        if equity + k * size <= 0:  # every ratio to equity would be meaningless
            hard.append(
                LimitBreach("equity", float(equity + k * size), 0.0, "equity would not be positive")
            )
            return _verdict(hard, [], trade, notes)
        mark = trade.mark
        in_symbol = [h for h in state.holdings if h.symbol == trade.symbol]
        base = next(
            (abs(h.market_value) for h in in_symbol if h.position_id == trade.position_id), ZERO
        )
        symbol_gross = sum((abs(h.market_value) for h in in_symbol), ZERO)
        gross = sum((abs(h.market_value) for h in state.holdings), ZERO)
    ratios: list[tuple[str, _Ratio, float | None, Callable[[float, float], str]]] = [
        (
            "max_single_position_pct",
            _Ratio(base * HUNDRED, mark * HUNDRED, equity, k),
            limits.max_single_position_pct,
            lambda v, cap: f"the {trade.symbol} position would be {_pct(v, cap)} of equity",
        ),
        (
            "max_symbol_exposure_pct",
            _Ratio(symbol_gross * HUNDRED, mark * HUNDRED, equity, k),
            limits.max_symbol_exposure_pct,
            lambda v, cap: f"{trade.symbol} exposure would be {_pct(v, cap)} of equity",
        ),
        (
            "max_gross_exposure_pct",
            _Ratio(gross * HUNDRED, mark * HUNDRED, equity, k),
            limits.max_gross_exposure_pct,
            lambda v, cap: f"gross exposure would be {_pct(v, cap)} of equity",
        ),
        (
            "max_leverage",
            _Ratio(gross, mark, equity, k),
            limits.max_leverage,
            lambda v, cap: f"leverage would be {_show(v, cap)}x",
        ),
    ]
    if limits.max_portfolio_risk_pct is not None and var is not None:
        unit_var = var.symbol_var(trade.symbol, trade.sign)
        if unit_var is not None:
            risk = Decimal(repr(unit_var)) * HUNDRED
            ratios.append(
                (
                    "max_portfolio_risk_pct",
                    _Ratio(base * risk, mark * risk, equity, k),
                    limits.max_portfolio_risk_pct,
                    lambda v, cap: (
                        f"the position's 1-day 95 % VaR would be {_pct(v, cap)} of equity"
                    ),
                )
            )
    breaches: list[LimitBreach] = []
    for name, ratio, limit, describe in ratios:
        if limit is None:
            continue
        value = float(ratio.at(size))
        bound = Decimal(repr(limit))
        if ratio.at(size) > bound:
            unit = "x" if name == "max_leverage" else " %"
            allowed = ratio.largest_size(bound, size)
            breaches.append(
                LimitBreach(
                    name,
                    value,
                    limit,
                    f"{describe(value, limit)}; limit {_limit(limit)}{unit}",
                    allowed,
                )
            )
    if var is not None:
        cap = min((b.allowed_size for b in breaches if b.allowed_size is not None), default=size)
        breaches.extend(var.breaches(trade, equity, k, limits, cap))
    return _verdict(hard, breaches, trade, notes)


def _verdict(
    hard: list[LimitBreach], breaches: list[LimitBreach], trade: TradeProposal, notes: list[str]
) -> CheckResult:
    everything = (*hard, *breaches)
    if not everything:
        return CheckResult(RiskAction.ALLOW, "within every limit", (), trade.size, tuple(notes))
    reason = "; ".join(b.message for b in everything)
    allowed = ZERO
    if not hard:
        allowed = round_size_down(min(b.allowed_size or ZERO for b in breaches))
    if allowed <= 0:
        return CheckResult(RiskAction.REJECT, reason, everything, ZERO, tuple(notes))
    base = trade.symbol.split("/")[0]
    reason += f"; at most {fmt(allowed)} {base} is allowed"
    return CheckResult(RiskAction.REDUCE, reason, everything, allowed, tuple(notes))
