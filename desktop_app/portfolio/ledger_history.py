"""The ledger's P&L path rebuilt from its fills and prices, per asset, strategy or tag.

For any group of fills in one symbol, the profit so far at an instant t is exactly::

    PnL(t) = Q(t) * p(t) + C(t)

where ``Q`` is the signed quantity held (buys add, sells subtract), ``p`` the symbol's price
at t and ``C`` the sum of the fills' cash effects (``Fill.cash_delta``: notional paid or
received, fees paid). It equals realized plus unrealized P&L, fees included, for longs and
shorts alike, so grouping fills by symbol, by strategy or by tag splits the portfolio's
profit path without replaying the ledger. ``Q`` and ``C`` are summed in ``Decimal`` (a
position closed in several pieces holds exactly 0) and only then turned into floats.

An instant sees the events strictly before it. Prices come from stored bars, each close
stamped at the last instant of its bar (:func:`.bar_closes.closes_at_bar_ends`: a daily
close is known at the end of its day); a symbol without bars, or before its first bar, is
marked at its fill prices; the live mark from the ledger extends the last price to the
as-of time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate

import numpy as np

from desktop_app.lazy import pd

from .records import CashMovement, Fill, OrderSide
from .values import ZERO, ledger_math

__all__ = [
    "UNTAGGED",
    "LedgerPath",
    "cumulative_deposits",
    "deposits_series",
    "fills_frame",
    "ledger_path",
    "price_observations",
    "prices_at",
]

#: The tag group of positions without a tag.
UNTAGGED = "(untagged)"


def _ns(times: Iterable[datetime] | pd.DatetimeIndex) -> np.ndarray:
    index = pd.DatetimeIndex(times)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return index.as_unit("ns").asi8


def fills_frame(
    fills: Iterable[Fill], tags: Mapping[str, tuple[str, ...]] | None = None
) -> pd.DataFrame:
    """One row per fill in time order (ties in booking order).

    Columns: ``time`` (int64 ns UTC), ``symbol``, ``position_id``, ``strategy``, ``tags``
    (the position's current tags from ``tags`` when known, else those booked with the fill),
    ``qty`` and ``cash`` (Decimal: signed quantity and ``cash_delta``), ``price``,
    ``realized_pnl`` and ``fee`` (floats).
    """
    rows = sorted(fills, key=lambda fill: (fill.timestamp, fill.sequence))
    current = tags or {}
    with ledger_math():  # one context for all of them, not one per property call
        quantities = [fill.size if fill.side is OrderSide.BUY else -fill.size for fill in rows]
        cash = [-(q * fill.price) - fill.fee for q, fill in zip(quantities, rows, strict=True)]
    frame = pd.DataFrame(
        {
            "time": _ns([fill.timestamp for fill in rows]) if rows else np.empty(0, np.int64),
            "symbol": [fill.symbol for fill in rows],
            "position_id": [fill.position_id for fill in rows],
            "strategy": [fill.strategy for fill in rows],
            "tags": [current.get(fill.position_id, fill.tags) for fill in rows],
            "qty": quantities,
            "cash": cash,
            "price": np.array([float(fill.price) for fill in rows], dtype="float64"),
            "realized_pnl": np.array(
                [float(fill.realized_pnl or ZERO) for fill in rows], dtype="float64"
            ),
            "fee": np.array([float(fill.fee) for fill in rows], dtype="float64"),
        }
    )
    return frame


def deposits_series(movements: Iterable[CashMovement]) -> pd.Series:
    """The ledger's deposits (+) and withdrawals (-) as floats indexed by their UTC time."""
    rows = sorted(movements, key=lambda m: (m.timestamp, m.sequence))
    index = pd.DatetimeIndex(pd.to_datetime(_ns([m.timestamp for m in rows]), utc=True))
    return pd.Series([float(m.amount) for m in rows], index=index, dtype="float64")


def cumulative_deposits(flows: pd.Series, instants: np.ndarray) -> np.ndarray:
    """Net deposits made strictly before each instant (ns): ``flows`` summed up to it."""
    if flows.empty:
        return np.zeros(instants.size)
    times = _ns(pd.DatetimeIndex(flows.index))
    order = np.argsort(times, kind="stable")
    running = np.concatenate(([0.0], np.cumsum(flows.to_numpy(dtype="float64")[order])))
    return running[np.searchsorted(times[order], instants, side="left")]


def price_observations(
    closes: Mapping[str, pd.Series],
    fills: pd.DataFrame,
    marks: Mapping[str, tuple[datetime, float]] | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{symbol: (times ns, prices)}`` ascending: closes, fill prices, the live mark.

    ``closes`` maps symbols to prices indexed by the instant each was known (see
    :func:`.bar_closes.closes_at_bar_ends`). Fill prices fill in where there are no closes
    yet; the mark counts when it is newer than everything else.
    """
    result: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    by_symbol = dict(list(fills.groupby("symbol", sort=False)))
    for symbol in dict.fromkeys([*closes, *by_symbol, *(marks or {})]):
        times = np.empty(0, np.int64)
        prices = np.empty(0)
        known = closes.get(symbol)
        if known is not None and len(known):
            values = known.to_numpy(dtype="float64")
            keep = np.isfinite(values)
            times, prices = _ns(pd.DatetimeIndex(known.index))[keep], values[keep]
            order = np.argsort(times, kind="stable")
            times, prices = times[order], prices[order]
        group = by_symbol.get(symbol)
        if group is not None:
            fill_times = group["time"].to_numpy()
            early = fill_times < times[0] if times.size else np.ones(len(group), bool)
            times = np.concatenate([fill_times[early], times])
            prices = np.concatenate([group["price"].to_numpy()[early], prices])
        mark = (marks or {}).get(symbol)
        if mark is not None:
            mark_time = int(_ns([mark[0]])[0])
            if not times.size or mark_time > times[-1]:
                times = np.append(times, mark_time)
                prices = np.append(prices, float(mark[1]))
        order = np.argsort(times, kind="stable")
        result[symbol] = (times[order], prices[order])
    return result


def prices_at(
    observations: Mapping[str, tuple[np.ndarray, np.ndarray]], instants: np.ndarray
) -> pd.DataFrame:
    """Each symbol's last price observed strictly before each instant (NaN before any)."""
    columns = {}
    for symbol, (times, prices) in observations.items():
        position = np.searchsorted(times, instants, side="left") - 1
        values = np.full(instants.size, np.nan)
        known = position >= 0
        values[known] = prices[position[known]]
        columns[symbol] = values
    return pd.DataFrame(columns, index=instants)


@dataclass(frozen=True, eq=False)
class LedgerPath:
    """Cumulative P&L and market value per group at each instant.

    ``pnl`` and ``value`` are instants x groups (quote currency; P&L since inception, signed
    market value held); ``exposure`` is groups x symbols, the signed market value at the
    last instant; ``realized`` the fills' realized P&L booked in
    ``[instants[0], instants[-1])`` per group.
    """

    instants: np.ndarray
    pnl: pd.DataFrame
    value: pd.DataFrame
    exposure: pd.DataFrame
    realized: pd.Series


def _group_rows(fills: pd.DataFrame, by: str) -> pd.DataFrame:
    if by == "tags":
        exploded = fills.assign(
            group=[tags if tags else (UNTAGGED,) for tags in fills["tags"]]
        ).explode("group")
        return exploded
    return fills.assign(group=fills[by])


def ledger_path(
    fills: pd.DataFrame, by: str, instants: np.ndarray, prices: pd.DataFrame
) -> LedgerPath:
    """The P&L path of the fills grouped ``by`` "symbol", "strategy" or "tags".

    ``prices`` is :func:`prices_at` on the same ``instants``. A fill with several tags counts
    in each of its tags' groups; a fill without tags in :data:`UNTAGGED`.
    """
    rows = _group_rows(fills, by)
    pnl: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    exposure: dict[str, dict[str, float]] = {}
    realized: dict[str, float] = {}
    first, last = (instants[0], instants[-1]) if instants.size else (0, 0)
    for (group, symbol), part in rows.groupby(["group", "symbol"], sort=True):
        times = part["time"].to_numpy()
        before = np.searchsorted(times, instants, side="left")
        with ledger_math():
            quantity = np.array(
                [float(q) for q in (ZERO, *accumulate(part["qty"]))], dtype="float64"
            )
            cash = np.array([float(c) for c in (ZERO, *accumulate(part["cash"]))])
        held = quantity[before]
        price = prices[symbol].to_numpy() if symbol in prices else np.full(instants.size, np.nan)
        value = np.where(held == 0.0, 0.0, held * price)
        path = value + cash[before]
        key = str(group)
        pnl[key] = pnl.get(key, 0.0) + path
        values[key] = values.get(key, 0.0) + value
        exposure.setdefault(key, {})[symbol] = float(value[-1]) if value.size else 0.0
        inside = (times >= first) & (times < last)
        booked = float(part["realized_pnl"].to_numpy()[inside].sum())
        realized[key] = realized.get(key, 0.0) + booked
    exposure_frame = pd.DataFrame.from_dict(exposure, orient="index").fillna(0.0)
    return LedgerPath(
        instants,
        pd.DataFrame(pnl, index=instants),
        pd.DataFrame(values, index=instants),
        exposure_frame,
        pd.Series(realized, dtype="float64"),
    )
