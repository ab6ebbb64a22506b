"""Realized gains per lot method, for the trader's tax return.

The ledger books every fill against its own position (average cost, FIFO lots per
position). A tax authority does not care about positions: it matches each sale of an asset
against the purchases of *that asset*, whichever position they were booked in. So this
report re-matches the journal's fills per asset pool with the chosen :class:`LotMethod`
(FIFO, LIFO, HIFO, AVERAGE), using the ledger's own :class:`LotBook`:

* one pool of long lots per symbol (buys add lots, sells that reduce a long dispose of
  them), and a separate pool of short lots per symbol (short sales add lots, buy-backs
  dispose of them) — a short's sale and buy-back are never matched against spot holdings;
* fills are taken in booking order (the order the ledger accepted them);
* ``gain = proceeds - cost_basis - fee``, ``fee`` the lot's share of its purchase fee plus
  its share of the sale fee (see :mod:`.lots`); held more than 365 days is long term.

Totals: once every position is closed, the gains of every method add up to the ledger's
realized P&L exactly (the same money went in and came out). While lots are still open the
two differ by the purchase fees of the open lots: the ledger realizes a fee when it is paid,
a tax lot carries it in its basis until the lot is sold.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from .analytics_report import RealizedGain, RealizedGainsReport, RealizedGainsTotals
from .errors import InvalidOrderError
from .lots import Lot, LotBook, LotDisposal, LotMethod
from .records import Fill, OrderSide
from .values import LEDGER_CONTEXT, ZERO, ledger_math, parse_symbol

__all__ = [
    "CSV_COLUMNS",
    "LONG_TERM",
    "realized_gains",
    "realized_gains_totals",
    "write_realized_gains",
    "write_realized_gains_csv",
]

#: Held longer than this is a long-term gain.
LONG_TERM = timedelta(days=365)

#: Columns of the tax CSV, in order (amounts in the quote currency, times in UTC).
CSV_COLUMNS = (
    "asset",
    "quantity",
    "date_acquired_utc",
    "date_sold_utc",
    "proceeds",
    "cost_basis",
    "fee",
    "gain",
    "currency",
    "method",
    "term",
    "position_side",
    "symbol",
    "lot_id",
    "disposal_id",
)


def _is_short(fill: Fill) -> bool:
    """A short's lots are opened by sells and disposed of by buys."""
    return (fill.side is OrderSide.SELL) == fill.kind.increases


def _match(
    fills: Iterable[Fill], method: LotMethod
) -> tuple[list[tuple[str, LotDisposal]], list[str]]:
    """Every disposal with its symbol, in booking order; and notes on unmatched sales."""
    pools: dict[tuple[str, bool], LotBook] = {}
    matched: list[tuple[str, LotDisposal]] = []
    notes: list[str] = []
    for fill in sorted(fills, key=lambda f: f.sequence):
        short = _is_short(fill)
        pool = pools.get((fill.symbol, short))
        if pool is None:
            pool = pools[(fill.symbol, short)] = LotBook(method)
        if fill.kind.increases:
            pool.add(Lot(fill.fill_id, fill.timestamp, fill.size, fill.price, fill.fee, short))
            continue
        try:
            disposals = pool.dispose(fill.size, fill.price, fill.fee, fill.timestamp, fill.fill_id)
        except InvalidOrderError:
            notes.append(
                f"The {fill.symbol} sale of {fill.timestamp:%Y-%m-%d %H:%M} UTC has no matching "
                "purchase in the fills available; it is left out."
            )
            continue
        matched.extend((fill.symbol, disposal) for disposal in disposals)
    return matched, notes


def _inside(disposal: LotDisposal, start: datetime | None, end: datetime | None) -> bool:
    sold = disposal.disposed_at
    return (start is None or sold >= start) and (end is None or sold <= end)


def _term(disposal: LotDisposal) -> str:
    return "long" if disposal.disposed_at - disposal.acquired_at > LONG_TERM else "short"


def _totals(method: LotMethod, disposals: Iterable[LotDisposal]) -> RealizedGainsTotals:
    count = 0
    proceeds = cost = fees = gain = short_term = long_term = ZERO
    with ledger_math():
        for disposal in disposals:
            count += 1
            proceeds += disposal.proceeds
            cost += disposal.cost
            fees += disposal.fee
            gain += disposal.gain
            if _term(disposal) == "long":
                long_term += disposal.gain
            else:
                short_term += disposal.gain
    return RealizedGainsTotals(method, count, proceeds, cost, fees, gain, short_term, long_term)


def realized_gains_totals(
    fills: Iterable[Fill],
    method: LotMethod,
    start: datetime | None = None,
    end: datetime | None = None,
) -> RealizedGainsTotals:
    """Only the sums of :func:`realized_gains` (no rows are built)."""
    matched, _ = _match(fills, method)
    return _totals(method, (d for _, d in matched if _inside(d, start, end)))


def realized_gains(
    fills: Iterable[Fill],
    method: LotMethod | str = LotMethod.FIFO,
    start: datetime | None = None,
    end: datetime | None = None,
    quote_currency: str = "USDT",
    notes: Iterable[str] = (),
) -> RealizedGainsReport:
    """Every disposal sold in ``[start, end]`` (all when None), matched with ``method``.

    ``fills`` must be the whole journal up to ``end``: purchases before ``start`` are what
    the sales inside it are matched against.
    """
    method = method if isinstance(method, LotMethod) else LotMethod(str(method).lower())
    matched, match_notes = _match(fills, method)
    inside = [(symbol, d) for symbol, d in matched if _inside(d, start, end)]
    assets: dict[str, str] = {}
    rows = tuple(
        RealizedGain(
            asset=assets.get(symbol) or assets.setdefault(symbol, parse_symbol(symbol).base),
            symbol=symbol,
            quantity=d.size,
            date_acquired=d.acquired_at,
            date_sold=d.disposed_at,
            proceeds=d.proceeds,
            cost_basis=d.cost,
            fee=d.fee,
            gain=d.gain,
            method=method,
            term=_term(d),
            is_short=d.is_short,
            lot_id=d.lot_id,
            disposal_id=d.disposal_id,
        )
        for symbol, d in inside
    )
    return RealizedGainsReport(
        method=method,
        start=start,
        end=end,
        quote_currency=quote_currency,
        rows=rows,
        totals=_totals(method, (d for _, d in inside)),
        notes=(*notes, *match_notes),
    )


def _utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _amount(value: Decimal) -> str:
    return format(value.normalize(LEDGER_CONTEXT) if value else ZERO, "f")


def write_realized_gains(report: RealizedGainsReport, handle: TextIO) -> None:
    """Write ``report`` as CSV with :data:`CSV_COLUMNS` (one row per disposal) to ``handle``.

    Amounts are plain decimals in the quote currency (no exponent, no thousands separator),
    times ``YYYY-MM-DD HH:MM:SS`` in UTC: the layout tax tools import as "custom CSV".
    """
    writer = csv.writer(handle)
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        writer.writerow(
            (
                row.asset,
                _amount(row.quantity),
                _utc(row.date_acquired),
                _utc(row.date_sold),
                _amount(row.proceeds),
                _amount(row.cost_basis),
                _amount(row.fee),
                _amount(row.gain),
                report.quote_currency,
                row.method.value,
                row.term,
                "short" if row.is_short else "long",
                row.symbol,
                row.lot_id,
                row.disposal_id,
            )
        )


def write_realized_gains_csv(report: RealizedGainsReport, path: Path) -> Path:
    """:func:`write_realized_gains` into a new file at ``path`` (UTF-8)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_realized_gains(report, handle)
    return path
