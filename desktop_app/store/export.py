"""Exports of the ledger for reporting: positions, closed positions, fills, cash, equity curve.

``await export_portfolio(manager, "json")`` writes one file
``<data dir>/analytics/portfolio_analytics_<YYYYmmdd_HHMMSS>.json`` (UTC time, the spec's
naming); ``"csv"`` writes one file per table with the same stamp
(``portfolio_<stamp>_positions.csv``, ``…_closed_positions.csv``, ``…_fills.csv``,
``…_cash_movements.csv``, ``…_equity_curve.csv``) for a spreadsheet. Money stays exact:
Decimals are written as plain decimal text, never rounded through float; times are ISO 8601
UTC. Files are written to a temporary name and renamed, so a crash never leaves half a file,
and the writing runs off the event loop.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.portfolio.errors import PortfolioError
from desktop_app.portfolio.values import utc_now

from .codec import json_default
from .paths import analytics_dir, resolve_data_dir

if TYPE_CHECKING:
    from desktop_app.portfolio.manager import PortfolioManager

FORMATS = ("json", "csv")
EQUITY_FIELDS = ("timestamp", "equity", "cash", "market_value", "gross_exposure", "net_flow")


async def export_portfolio(
    manager: PortfolioManager, fmt: str = "json", *, now: datetime | None = None
) -> list[Path]:
    """Write the export in ``fmt`` ("json" or "csv"); returns the files written."""
    kind = str(fmt).lower().strip()
    if kind not in FORMATS:
        raise PortfolioError(f"Export format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    tables = await _collect(manager)
    folder = analytics_dir(manager.data_dir or resolve_data_dir())
    stamp = (now or utc_now()).strftime("%Y%m%d_%H%M%S")
    return await asyncio.to_thread(_write, folder, stamp, kind, tables)


async def _collect(manager: PortfolioManager) -> dict[str, Any]:
    tracker = manager.position_tracker
    store = manager.store
    if store is not None:
        fills = await store.read_fills()
        movements = await store.read_cash_movements()
        curve = await store.read_equity_curve()
        equity = [
            {"timestamp": moment.isoformat(), **{k: float(v) for k, v in row.items()}}
            for moment, row in zip(curve.index, curve.to_dict("records"), strict=True)
        ]
    else:  # an in-memory ledger: the fills it still holds, no equity curve
        fills = list(reversed(tracker.recent_fills()))
        movements = tracker.cash_movements()
        equity = []
    return {
        "summary": await manager.get_portfolio_summary(),
        "positions": [p.to_dict() for p in manager.get_open_positions()],
        "closed_positions": [p.to_dict() for p in reversed(tracker.get_closed_positions())],
        "fills": [fill.to_dict() for fill in fills],
        "cash_movements": [movement.to_dict() for movement in movements],
        "equity_curve": equity,
    }


def _free_name(folder: Path, stem: str, suffix: str) -> str:
    """``stem`` unless a file of that export already exists (two exports in one second)."""
    name, counter = stem, 2
    while any(folder.glob(f"{name}{suffix}")):
        name, counter = f"{stem}-{counter}", counter + 1
    return name


def _write(folder: Path, stamp: str, kind: str, tables: dict[str, Any]) -> list[Path]:
    if kind == "json":
        name = _free_name(folder, f"portfolio_analytics_{stamp}", ".json")
        document = {"exported_at": utc_now().isoformat(), "data_dir": str(folder.parent)}
        document.update(tables)
        text = json.dumps(document, default=json_default, indent=2, ensure_ascii=False)
        return [_atomic_write(folder / f"{name}.json", text)]
    stem = _free_name(folder, f"portfolio_{stamp}", "_*.csv")
    written = []
    for table in ("positions", "closed_positions", "fills", "cash_movements", "equity_curve"):
        rows = tables[table]
        fields = EQUITY_FIELDS if table == "equity_curve" else _fields(rows)
        written.append(_atomic_write(folder / f"{stem}_{table}.csv", _csv_text(fields, rows)))
    return written


def _fields(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    fields: dict[str, None] = {}
    for row in rows:
        fields.update(dict.fromkeys(row))
    return list(fields)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(str(item) for item in value)
    return value


def _csv_text(fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    from io import StringIO

    buffer = StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in fields])
    return buffer.getvalue()


def _atomic_write(path: Path, text: str) -> Path:
    temporary = path.with_name(f".{path.name}.partial")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path
