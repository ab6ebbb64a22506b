"""Position sizing: three methods, the most conservative wins, clipped to every limit.

* **fixed fractional**: put ``max_portfolio_risk_pct`` of equity at risk per trade;
  ``size = equity * risk % / loss per unit``, the loss per unit being the distance to
  ``stop_price`` when given, else the symbol's 1-day 95 % historical VaR times the price;
* **volatility target**: size the position so that its own annualised volatility as a
  share of equity is ``target_volatility_pct`` (default 10 %):
  ``notional = equity * target / volatility(symbol)``, volatility from the symbol's recent
  returns on the risk model's grid (``risk_model``);
* **half-Kelly**, with at least ``MIN_KELLY_TRADES`` closed trades (of the strategy when it
  has that many, else of the portfolio): the Kelly fraction of the trades' returns on
  their entry notional (``metrics.kelly_fraction``), halved and capped at the
  fixed-fractional risk; ``notional = equity * f / 2 / abs(average loss return)``. No
  edge (``f <= 0``) recommends zero.

The smallest available size is recommended, then clipped by the pre-trade check to every
limit (a REDUCE gives the largest size that passes, a REJECT zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import metrics
from .errors import InvalidOrderError, PortfolioError
from .records import PositionType
from .risk_checks import CheckResult, RiskAction, round_size_down
from .values import ZERO, Number, positive, to_decimal

if TYPE_CHECKING:
    from .risk_manager import RiskManager

MIN_KELLY_TRADES = 30
DEFAULT_TARGET_VOLATILITY_PCT = 10.0


@dataclass(frozen=True)
class SizingMethod:
    """One method's size and the inputs it used (size None: it could not be computed)."""

    name: str
    size: Decimal | None
    inputs: dict[str, Any]
    note: str = ""


@dataclass(frozen=True)
class PositionSizing:
    """The recommendation: ``size`` after every limit, and how it was reached."""

    symbol: str
    side: str
    price: Decimal
    size: Decimal
    method: str  # the method whose size was taken, or "limits" when none could be computed
    unclipped_size: Decimal
    methods: tuple[SizingMethod, ...]
    check: CheckResult
    clipped_by: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def notional(self) -> Decimal:
        return self.size * self.price

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "side": self.side,
            "price": format(self.price, "f"),
            "size": format(self.size, "f"),
            "notional": format(self.notional, "f"),
            "method": self.method,
            "unclipped_size": format(self.unclipped_size, "f"),
            "methods": [
                {
                    "name": m.name,
                    "size": None if m.size is None else format(m.size, "f"),
                    "inputs": m.inputs,
                    "note": m.note,
                }
                for m in self.methods
            ],
            "clipped_by": list(self.clipped_by),
            "notes": list(self.notes),
        }


def _dec(value: float) -> Decimal:
    return Decimal(repr(float(value)))


async def size_position(
    risk: RiskManager,
    symbol: str,
    price: Number,
    *,
    position_type: PositionType | str = PositionType.LONG,
    strategy: str | None = None,
    stop_price: Number | None = None,
    target_volatility_pct: float = DEFAULT_TARGET_VOLATILITY_PCT,
) -> PositionSizing:
    """See the module docstring. Raises when equity is not positive or inputs are invalid."""
    from .risk_manager import position_kind

    canonical = risk.tradable_symbol(symbol)
    entry = positive(price, "price")
    kind = position_kind(position_type)
    sign = 1 if kind is PositionType.LONG else -1
    if not 0 < float(target_volatility_pct) <= 1_000:
        raise InvalidOrderError("target_volatility_pct must be a positive percentage")
    tracker = risk.manager.position_tracker
    equity = tracker.equity()
    if equity <= 0:
        raise PortfolioError("Cannot size a position: the portfolio's equity is not positive")
    limits = risk.limits
    notes: list[str] = []
    panel, missing = await risk.panel([canonical]) if risk.history.available else (None, [])
    usable = panel is not None and panel.sufficient and not missing
    if not usable:
        notes.append(
            "no price history: VaR- and volatility-based sizing unavailable"
            if panel is None
            else f"insufficient history: {panel.history_note()}"
        )
    returns = panel.horizon_returns[:, 0] if usable else None
    methods: list[SizingMethod] = []

    # fixed fractional ------------------------------------------------------------
    risk_pct = limits.max_portfolio_risk_pct
    budget = None if risk_pct is None else equity * _dec(risk_pct) / 100
    inputs: dict[str, Any] = {"equity": float(equity), "risk_pct": risk_pct}
    if budget is None:
        methods.append(SizingMethod("fixed_fractional", None, inputs, "max_portfolio_risk_pct off"))
    elif stop_price is not None:
        stop = positive(stop_price, "stop price")
        loss = (entry - stop) * sign
        if loss <= 0:
            side = "below" if sign > 0 else "above"
            raise InvalidOrderError(f"a {kind.value} stop must be {side} the price {entry}")
        inputs |= {"stop_price": float(stop), "loss_per_unit": float(loss)}
        methods.append(SizingMethod("fixed_fractional", budget / loss, inputs))
    elif returns is not None and (var := metrics.value_at_risk(sign * returns, 0.95)):
        inputs |= {"symbol_var_95": var, "loss_per_unit": float(entry) * var}
        methods.append(SizingMethod("fixed_fractional", budget / (entry * _dec(var)), inputs))
    else:
        methods.append(SizingMethod("fixed_fractional", None, inputs, "no stop and no VaR"))

    # volatility target ----------------------------------------------------------
    assert panel is not None or returns is None
    vol = None
    if returns is not None and panel is not None:
        vol = metrics.volatility(panel.returns[:, 0], panel.periods_per_year)
    inputs = {"target_volatility_pct": target_volatility_pct, "symbol_volatility": vol}
    if vol:
        notional = equity * _dec(target_volatility_pct / 100.0 / vol)
        methods.append(SizingMethod("volatility_target", notional / entry, inputs))
    else:
        methods.append(SizingMethod("volatility_target", None, inputs, "no volatility estimate"))

    # half-Kelly ---------------------------------------------------------------------
    methods.append(_half_kelly(tracker, strategy, equity, entry, budget))

    available = [m for m in methods if m.size is not None]
    if available:
        chosen = min(available, key=lambda m: m.size)  # type: ignore[arg-type,return-value]
        method, wanted = chosen.name, max(ZERO, chosen.size or ZERO)
    else:
        notes.append("no method had its inputs: the size is capped by the limits alone")
        method, wanted = "limits", equity / entry * 100  # far above any limit; clipped below
    wanted = round_size_down(wanted)
    if wanted <= 0:
        check = CheckResult(RiskAction.ALLOW, "nothing to size", (), ZERO)
        return PositionSizing(
            canonical,
            kind.value,
            entry,
            ZERO,
            method,
            ZERO,
            tuple(methods),
            check,
            (),
            tuple(notes),
        )
    check = await risk.check_position_risk(
        canonical, wanted, entry, position_type=kind, strategy=strategy
    )
    size = {RiskAction.ALLOW: wanted, RiskAction.REDUCE: check.allowed_size or ZERO}.get(
        check.action, ZERO
    )
    clipped = tuple(b.limit for b in check.breaches)
    return PositionSizing(
        canonical,
        kind.value,
        entry,
        size,
        method,
        wanted,
        tuple(methods),
        check,
        clipped,
        tuple(notes) + check.notes,
    )


def _half_kelly(
    tracker: Any, strategy: str | None, equity: Decimal, entry: Decimal, cap: Decimal | None
) -> SizingMethod:
    closed = tracker.get_closed_positions()
    own = [p for p in closed if strategy is not None and p.strategy == strategy]
    trades = own if len(own) >= MIN_KELLY_TRADES else closed
    scope = f"strategy '{strategy}'" if trades is own and own else "all strategies"
    returns = [float(p.realized_pnl / p.entry_value) for p in trades if p.entry_value > 0]
    inputs: dict[str, Any] = {"trades": len(returns), "scope": scope}
    if len(returns) < MIN_KELLY_TRADES:
        note = f"needs {MIN_KELLY_TRADES} closed trades; {len(returns)} so far"
        return SizingMethod("half_kelly", None, inputs, note)
    kelly = metrics.kelly_fraction(returns)
    loss = metrics.average_loss(returns)
    inputs |= {"kelly_fraction": kelly, "average_loss_return": loss}
    if kelly is None or loss is None:
        return SizingMethod("half_kelly", None, inputs, "needs both winning and losing trades")
    if kelly <= 0:
        return SizingMethod("half_kelly", ZERO, inputs, "no edge: Kelly recommends no position")
    stake = equity * to_decimal(kelly / 2.0)
    if cap is not None and stake > cap:
        stake = cap
        inputs["capped_at_risk_budget"] = True
    return SizingMethod("half_kelly", stake / _dec(-loss) / entry, inputs)
