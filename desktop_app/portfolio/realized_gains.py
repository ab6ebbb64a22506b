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
from .lots import Lot, LotBook, LotMethod
from .records import Fill, OrderSide
from .values import LEDGER_CONTEXT, ZERO, ledger_math, parse_symbol

__all__ = [
    "CSV_COLUMNS",
    "LONG_TERM",
    "realized_gains",
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


def _match(fills: Iterable[Fill], method: LotMethod) -> tuple[list[RealizedGain], list[str]]:
    pools: dict[tuple[str, bool], LotBook] = {}
    rows: list[RealizedGain] = []
    notes: list[str] = []
    for fill in sorted(fills, key=lambda f: f.sequence):
        short = _is_short(fill)
        pool = pools.setdefault((fill.symbol, short), LotBook(method))
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
        asset = parse_symbol(fill.symbol).base
        for disposal in disposals:
            held = disposal.disposed_at - disposal.acquired_at
            rows.append(
                RealizedGain(
                    asset=asset,
                    symbol=fill.symbol,
                    quantity=disposal.size,
                    date_acquired=disposal.acquired_at,
                    date_sold=disposal.disposed_at,
                    proceeds=disposal.proceeds,
                    cost_basis=disposal.cost,
                    fee=disposal.fee,
                    gain=disposal.gain,
                    method=method,
                    term="long" if held > LONG_TERM else "short",
                    is_short=disposal.is_short,
                    lot_id=disposal.lot_id,
                    disposal_id=disposal.disposal_id,
                )
            )
    return rows, notes


def _totals(method: LotMethod, rows: Iterable[RealizedGain]) -> RealizedGainsTotals:
    count = 0
    proceeds = cost = fees = gain = short_term = long_term = ZERO
    with ledger_math():
        for row in rows:
            count += 1
            proceeds += row.proceeds
            cost += row.cost_basis
            fees += row.fee
            gain += row.gain
            if row.term == "long":
                long_term += row.gain
            else:
                short_term += row.gain
    return RealizedGainsTotals(method, count, proceeds, cost, fees, gain, short_term, long_term)


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
    rows = tuple(
        row
        for row in matched
        if (start is None or row.date_sold >= start) and (end is None or row.date_sold <= end)
    )
    return RealizedGainsReport(
        method=method,
        start=start,
        end=end,
        quote_currency=quote_currency,
        rows=rows,
        totals=_totals(method, rows),
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
