"""Stress tests: what the current positions would lose in a scenario, and which limits break.

Built-in scenarios (``run_stress_test("crypto_crash_30")`` ...):

* ``crypto_crash_30``: every crypto asset -30 % at once (stablecoins unchanged);
* ``btc_crash_50``: BTC -50 %, every other asset by its beta to BTC (one-day returns over
  the risk model's window; beta 1 when a symbol has no history), floored at -100 %;
* ``crash_2022``: the 2021-11-10 → 2022-11-21 crypto winter (BTC's peak to the FTX low)
  replayed from stored daily closes on today's positions: P&L at the end and at the worst
  day; a symbol without prices over the whole window follows BTC by its beta. Without
  stored BTC prices of the window, each coin takes its real return over it as shipped in
  ``resources/market/crash_2022.json`` (no worst day then);
* ``correlation_one``: correlations go to 1: every asset moves ``z_0.99`` of its own 1-day
  volatility in the same direction, the one that hurts the portfolio:
  ``loss = z * |sum_i m_i * sigma_i|`` against the diversified ``z * sqrt(m' S m)``.

User-defined: a :class:`StressScenario` or a dict of shocks as fractions, by symbol or by
base asset, ``"*"`` for every other crypto asset: ``{"BTC": -0.2, "*": -0.35}``.

After the scenario the portfolio is checked against the limits: equity, drawdown from the
breaker's peak, today's loss, position and symbol concentration, gross exposure, leverage.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from . import metrics
from .errors import ConfigError, PortfolioError
from .risk_compute import HeldPosition
from .risk_model import build_panel
from .values import parse_symbol

if TYPE_CHECKING:
    from .risk_manager import RiskManager

STABLECOINS = frozenset({"USDT", "USDC", "DAI", "BUSD", "TUSD", "FDUSD", "USDP", "PYUSD"})
CRASH_2022 = (datetime(2021, 11, 10, tzinfo=UTC), datetime(2022, 11, 21, tzinfo=UTC))
#: Real returns of the basket over CRASH_2022 (desktop_app.market.estimate_params writes it).
CRASH_REFERENCE = ("market", "crash_2022.json")


@dataclass(frozen=True)
class StressScenario:
    """A scenario: fixed shocks, a BTC shock mapped by beta, a replay, or correlations to 1."""

    name: str
    description: str
    kind: str = "shocks"  # "shocks", "btc_beta", "replay", "correlation"
    shocks: Mapping[str, float] = field(default_factory=dict)
    btc_shock: float = -0.5
    start: datetime | None = None
    end: datetime | None = None
    confidence: float = 0.99

    def __post_init__(self) -> None:
        if self.kind not in ("shocks", "btc_beta", "replay", "correlation"):
            raise ConfigError(f"unknown stress scenario kind {self.kind!r}")
        for key, shock in {**self.shocks, "btc_shock": self.btc_shock}.items():
            if not (isinstance(shock, (int, float)) and math.isfinite(shock) and shock >= -1):
                raise ConfigError(
                    f"shock for {key} must be a fraction of at least -1 (-0.3 is -30 %), "
                    f"got {shock!r}"
                )


BUILT_IN: dict[str, StressScenario] = {
    s.name: s
    for s in (
        StressScenario("crypto_crash_30", "every crypto asset falls 30 %", shocks={"*": -0.3}),
        StressScenario("btc_crash_50", "BTC falls 50 %, the others by their beta", "btc_beta"),
        StressScenario(
            "crash_2022",
            "2021-11-10 → 2022-11-21 crypto winter replayed from history",
            "replay",
            start=CRASH_2022[0],
            end=CRASH_2022[1],
        ),
        StressScenario(
            "correlation_one",
            "correlations go to 1 (a 99 % day, no diversification)",
            "correlation",
        ),
    )
}


@dataclass(frozen=True)
class PositionStress:
    position_id: str
    symbol: str
    market_value: float  # before, signed
    shock: float | None  # the price move applied (None: could not be stressed)
    pnl: float


@dataclass(frozen=True)
class StressResult:
    scenario: str
    description: str
    positions: tuple[PositionStress, ...]
    total_pnl: float
    equity_before: float
    equity_after: float
    worst_pnl: float | None = None  # a replay's worst day
    breaches: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def pnl_pct(self) -> float | None:
        return self.total_pnl / self.equity_before * 100 if self.equity_before > 0 else None


def scenario_of(spec: StressScenario | str | Mapping[str, float]) -> StressScenario:
    if isinstance(spec, StressScenario):
        return spec
    if isinstance(spec, str):
        try:
            return BUILT_IN[spec]
        except KeyError:
            known = ", ".join(BUILT_IN)
            raise ConfigError(f"unknown stress scenario '{spec}'; built in: {known}") from None
    if isinstance(spec, Mapping):
        return StressScenario("custom", "user-defined shocks", shocks=dict(spec))
    raise ConfigError(f"a stress scenario is a name, a StressScenario or a dict, got {spec!r}")


def _base(symbol: str) -> str:
    return parse_symbol(symbol).base


def _fixed_shock(scenario: StressScenario, symbol: str) -> float:
    base = _base(symbol)
    for key in (symbol, base):
        if key in scenario.shocks:
            return float(scenario.shocks[key])
    return 0.0 if base in STABLECOINS else float(scenario.shocks.get("*", 0.0))


async def run_stress_test(
    risk: RiskManager, spec: StressScenario | str | Mapping[str, float]
) -> StressResult:
    """Apply the scenario to the open positions (see the module docstring)."""
    scenario = scenario_of(spec)
    tracker = risk.manager.position_tracker
    equity = float(tracker.equity())
    held = [
        HeldPosition(p.position_id, p.symbol, p.strategy, float(p.market_value))
        for p in tracker.get_all_open_positions()
    ]
    benchmark = f"BTC/{risk.manager.config.quote_currency}"
    notes: list[str] = []
    shocks: dict[str, float | None] = {}
    worst = None
    symbols = sorted({p.symbol for p in held})
    if scenario.kind == "shocks":
        shocks = {s: _fixed_shock(scenario, s) for s in symbols}
    elif scenario.kind == "btc_beta":
        shocks = await _beta_shocks(risk, symbols, benchmark, scenario.btc_shock, notes)
    elif scenario.kind == "replay":
        shocks, worst = await _replay(risk, scenario, held, benchmark, notes)
    else:
        shocks = await _correlation_one(risk, scenario, held, notes)
    rows = []
    for p in held:
        shock = shocks.get(p.symbol)
        pnl = 0.0 if shock is None else p.market_value * shock
        if shock is None:
            notes.append(f"{p.symbol}: no price history, not stressed")
        rows.append(PositionStress(p.position_id, p.symbol, p.market_value, shock, pnl))
    total = math.fsum(r.pnl for r in rows)
    after = equity + total
    breaches = _breaches(risk, rows, equity, after)
    return StressResult(
        scenario.name,
        scenario.description,
        tuple(rows),
        total,
        equity,
        after,
        worst,
        tuple(breaches),
        tuple(dict.fromkeys(notes)),
    )


async def _beta_shocks(
    risk: RiskManager, symbols: list[str], benchmark: str, btc_shock: float, notes: list[str]
) -> dict[str, float | None]:
    """Each symbol moved by its beta to ``benchmark`` times ``btc_shock`` (at most -100 %);
    stablecoins stay."""
    betas = await _betas(risk, symbols, benchmark, notes)
    return {s: 0.0 if _base(s) in STABLECOINS else max(-1.0, betas[s] * btc_shock) for s in symbols}


async def _betas(
    risk: RiskManager, symbols: list[str], benchmark: str, notes: list[str]
) -> dict[str, float]:
    betas = dict.fromkeys(symbols, 1.0)
    histories = await risk.history.get([*symbols, benchmark]) if risk.history.available else {}
    if benchmark not in histories:
        notes.append(f"no price history for {benchmark}: every beta taken as 1")
        return betas
    for symbol in symbols:
        if symbol == benchmark:
            continue
        panel = build_panel(histories, [symbol, benchmark], risk.limits.var_lookback_days)
        if panel is None or not panel.sufficient:
            notes.append(f"{symbol}: not enough history for a beta; taken as 1")
            continue
        value = metrics.beta(panel.horizon_returns[:, 0], panel.horizon_returns[:, 1])
        betas[symbol] = 1.0 if value is None else value
    return betas


async def _replay(
    risk: RiskManager,
    scenario: StressScenario,
    held: list[HeldPosition],
    benchmark: str,
    notes: list[str],
) -> tuple[dict[str, float | None], float | None]:
    assert scenario.start is not None and scenario.end is not None
    start, end = scenario.start, scenario.end
    start_day, end_day = int(start.timestamp()) // 86_400, int(end.timestamp()) // 86_400
    days = end_day - start_day + 1
    paths: dict[str, np.ndarray] = {}
    for symbol in sorted({p.symbol for p in held} | {benchmark}):
        history = await risk.history.read_window(symbol, start, end)
        if history.empty:
            continue
        keys, closes = history.day_keys, history.daily
        if keys[0] > start_day + 1 or keys[-1] < end_day - 1:
            continue  # not over the whole window
        grid = np.full(days, np.nan)
        inside = (keys >= start_day) & (keys <= end_day)
        grid[keys[inside] - start_day] = closes[inside]
        grid[0] = closes[0] if np.isnan(grid[0]) else grid[0]
        filled = np.where(np.isnan(grid), 0, np.arange(days))
        grid = grid[np.maximum.accumulate(filled)]
        paths[symbol] = grid / grid[0] - 1.0
    if benchmark not in paths:
        reference = crash_reference() if scenario.name == "crash_2022" else {}
        if _base(benchmark) not in reference:
            raise PortfolioError(
                f"The {scenario.name} replay needs stored {benchmark} prices from "
                f"{start:%Y-%m-%d} to {end:%Y-%m-%d}; import that history first"
            )
        return await _reference_shocks(risk, reference, held, benchmark, notes), None
    proxies = [p.symbol for p in held if p.symbol not in paths]
    betas = await _betas(risk, sorted(set(proxies)), benchmark, notes) if proxies else {}
    for symbol in set(proxies):
        notes.append(f"{symbol}: no prices over the whole window; follows BTC by beta")
        paths[symbol] = np.maximum(-1.0, betas[symbol] * paths[benchmark])
    path_pnl = sum((p.market_value * paths[p.symbol] for p in held), np.zeros(days))
    return {s: float(path[-1]) for s, path in paths.items()}, float(path_pnl.min())


def crash_reference() -> dict[str, float]:
    """Each basket coin's real return over the ``crash_2022`` window, by base asset, as
    shipped in ``resources/market/crash_2022.json`` ({} when the file is missing)."""
    from desktop_app.resources import resource_path

    try:
        data = json.loads(resource_path(*CRASH_REFERENCE).read_text(encoding="utf-8"))
        return {_base(symbol): float(value) for symbol, value in data["returns"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


async def _reference_shocks(
    risk: RiskManager,
    reference: Mapping[str, float],
    held: list[HeldPosition],
    benchmark: str,
    notes: list[str],
) -> dict[str, float | None]:
    """``crash_2022`` without stored prices of the window: each coin's real return over it
    (shipped with the app); other coins follow BTC by their beta. No worst day."""
    notes.append(
        f"no stored {benchmark} prices over the window: each coin moves by its real return "
        f"over it, shipped with the app (BTC {reference[_base(benchmark)]:+.1%}); the worst "
        "day needs the stored history"
    )
    symbols = sorted({p.symbol for p in held})
    shocks: dict[str, float | None] = {
        s: reference[_base(s)] for s in symbols if _base(s) in reference
    }
    others = [s for s in symbols if s not in shocks]
    if others:
        btc = reference[_base(benchmark)]
        shocks.update(await _beta_shocks(risk, others, benchmark, btc, notes))
    notes.extend(
        f"{symbol}: not in the shipped returns; follows BTC by beta"
        for symbol in others
        if _base(symbol) not in STABLECOINS
    )
    return shocks


async def _correlation_one(
    risk: RiskManager, scenario: StressScenario, held: list[HeldPosition], notes: list[str]
) -> dict[str, float | None]:
    symbols = sorted({p.symbol for p in held})
    histories = await risk.history.get(symbols) if risk.history.available else {}
    usable = [s for s in symbols if s in histories]
    panel = build_panel(histories, usable, risk.limits.var_lookback_days) if usable else None
    if panel is None or not panel.sufficient:
        notes.append("not enough price history for volatilities: nothing stressed")
        return dict.fromkeys(symbols)
    sigma = np.sqrt(np.diag(panel.horizon_covariance))
    exposure = panel.weights_vector(
        {s: math.fsum(p.market_value for p in held if p.symbol == s) for s in usable}
    )
    z = NormalDist().inv_cdf(scenario.confidence)
    direction = -1.0 if float(exposure @ sigma) >= 0 else 1.0
    diversified = z * math.sqrt(max(0.0, float(exposure @ panel.horizon_covariance @ exposure)))
    notes.append(
        f"diversified {scenario.confidence:.0%} 1-day loss would be {diversified:,.2f}; "
        f"with correlations at 1 it is {z * abs(float(exposure @ sigma)):,.2f}"
    )
    return {s: direction * z * float(sigma[panel.column(s)]) for s in usable}


def _breaches(
    risk: RiskManager, rows: list[PositionStress], before: float, after: float
) -> list[str]:
    limits = risk.limits
    found: list[str] = []
    if after <= 0:
        return [f"equity would be wiped out ({after:,.2f})"]
    nav = risk.breakers.nav
    nav_after = nav.nav * after / before if before > 0 else nav.nav
    drawdown = 100 * (1 - nav_after / nav.peak_nav) if nav.peak_nav > 0 else 0.0
    if limits.max_drawdown_pct is not None and drawdown >= limits.max_drawdown_pct:
        found.append(f"drawdown breaker: {drawdown:.1f} %; limit {limits.max_drawdown_pct:g} %")
    loss = 100 * (1 - nav_after / nav.day_start_nav) if nav.day_start_nav > 0 else 0.0
    if limits.max_daily_loss_pct is not None and loss >= limits.max_daily_loss_pct:
        found.append(f"daily-loss breaker: {loss:.1f} %; limit {limits.max_daily_loss_pct:g} %")
    values = [r.market_value * (1 + (r.shock or 0.0)) for r in rows]
    gross = math.fsum(abs(v) for v in values)
    by_symbol: dict[str, float] = {}
    for row, value in zip(rows, values, strict=True):
        by_symbol[row.symbol] = by_symbol.get(row.symbol, 0.0) + abs(value)
    checks = [
        ("largest position", max(map(abs, values), default=0.0), limits.max_single_position_pct),
        (
            "largest symbol exposure",
            max(by_symbol.values(), default=0.0),
            limits.max_symbol_exposure_pct,
        ),
        ("gross exposure", gross, limits.max_gross_exposure_pct),
    ]
    for label, value, limit in checks:
        pct = 100 * value / after
        if limit is not None and pct > limit:
            found.append(f"{label}: {pct:.1f} % of equity; limit {limit:g} %")
    if limits.max_leverage is not None and gross / after > limits.max_leverage:
        found.append(f"leverage: {gross / after:.2f}x; limit {limits.max_leverage:g}x")
    return found
