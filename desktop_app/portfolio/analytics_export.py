"""Writing reports to files: JSON, CSV tables and the self-contained HTML report.

Files go to ``<data dir>/analytics/`` named ``portfolio_analytics_YYYYMMDD_HHMMSS.<ext>``
after the report's generation time in UTC (``_2``, ``_3`` ... are appended rather than
overwrite an export made in the same second).

* ``json``: the whole report, :meth:`~.analytics_report.ReportNode.to_dict` as written.
* ``csv``: the main file is the metrics table (``section,metric,value``, one row per figure);
  every table beside it is its own file named after the main one plus the table's name
  (``..._curves.csv``, ``..._calendar_returns.csv``, ``..._attribution_by_asset.csv``,
  ``..._attribution_by_strategy.csv``, ``..._attribution_by_tag.csv``,
  ``..._allocation_selection.csv``, ``..._realized_gains_<method>.csv``); the main file's
  last section, ``files``, lists them. The path returned is the main file.
* ``html``: one file with inline CSS and SVG charts (see :mod:`.analytics_html`).

Numbers in CSV are written in full precision (``repr`` of floats, plain decimals), empty
when undefined. Every file is written under a hidden partial name and renamed into place.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from .analytics_html import render_html
from .analytics_report import AttributionRow, Curve, PerformanceReport, plain
from .errors import PortfolioError
from .realized_gains import write_realized_gains

__all__ = ["EXPORT_FORMATS", "ExportFormat", "atomic_write", "export_path", "write_report"]


class ExportFormat(Enum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"

    @classmethod
    def parse(cls, value: ExportFormat | str) -> ExportFormat:
        if isinstance(value, ExportFormat):
            return value
        text = str(value).strip().lower().lstrip(".")
        for fmt in cls:
            if fmt.value == text:
                return fmt
        known = ", ".join(fmt.value for fmt in cls)
        raise PortfolioError(f"Cannot export analytics as {value!r}; choose one of: {known}")


EXPORT_FORMATS = tuple(fmt.value for fmt in ExportFormat)


def export_path(directory: Path, moment: datetime, extension: str) -> Path:
    """A new file name ``portfolio_analytics_YYYYMMDD_HHMMSS[_n].<extension>``."""
    stem = f"portfolio_analytics_{moment:%Y%m%d_%H%M%S}"
    path = directory / f"{stem}.{extension}"
    counter = 2
    while path.exists():
        path = directory / f"{stem}_{counter}.{extension}"
        counter += 1
    return path


def _cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "; ".join(_cell(item) for item in value)
    return str(value)


def _flatten(prefix: str, data: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping) and not isinstance(value, Curve):
            yield from _flatten(name, value)
        else:
            yield name, value


def _metric_rows(report: PerformanceReport) -> list[tuple[str, str, str]]:
    m = report.metrics
    rows: list[tuple[str, str, str]] = [
        ("report", "generated_at", _cell(report.generated_at)),
        ("report", "quote_currency", report.quote_currency),
    ]
    sections: list[tuple[str, Mapping[str, Any]]] = [
        ("window", m.window),
        ("statistics", m.statistics),
        ("equity", m.equity),
        ("drawdown", m.drawdown),
        ("trades", m.trades),
    ]
    for section, node in sections:
        rows += [(section, key, _cell(value)) for key, value in _flatten("", node)]
    rows.append(("returns", "money_weighted_return", _cell(m.money_weighted_return)))
    if m.benchmark is not None:
        rows.append(("benchmark", "name", m.benchmark.name))
        rows.append(("benchmark", "periods", _cell(m.benchmark.periods)))
        rows += [("benchmark", k, _cell(v)) for k, v in _flatten("relative", m.benchmark.relative)]
        rows += [("benchmark", k, _cell(v)) for k, v in _flatten("own", m.benchmark.benchmark)]
    for overview in report.overview:
        for key in ("periods", "total_return", "volatility", "sharpe_ratio", "max_drawdown"):
            rows.append((f"overview.{overview.period.value}", key, _cell(overview[key])))
    a = report.attribution
    for key in ("total_return", "portfolio_return", "unexplained", "benchmark_return"):
        rows.append(("attribution", key, _cell(a[key])))
    rows.append(("attribution", "active_return", _cell(a.active_return)))
    rows.append(("attribution", "portfolio_var_95", _cell(a.portfolio_var_95)))
    for totals in report.realized_gains_by_method:
        for key in ("disposals", "proceeds", "cost_basis", "fees", "gain"):
            rows.append((f"realized_gains.{totals.method.value}", key, _cell(totals[key])))
        rows.append(
            (
                f"realized_gains.{totals.method.value}",
                "short_term_gain",
                _cell(totals.short_term_gain),
            )
        )
        rows.append(
            (
                f"realized_gains.{totals.method.value}",
                "long_term_gain",
                _cell(totals.long_term_gain),
            )
        )
    rows += [("notes", str(i + 1), note) for i, note in enumerate(report.notes)]
    return rows


def atomic_write(path: Path, write: Callable[[TextIO], None]) -> Path:
    """Write through ``write(handle)`` to a hidden partial file, fsync, then rename it into
    place: a crash or a full disk never leaves half an export under the final name."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", newline="", encoding="utf-8") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _write_rows(path: Path, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Path:
    def write(handle: TextIO) -> None:
        writer = csv.writer(handle)
        writer.writerow(list(header))
        writer.writerows([_cell(value) for value in row] for row in rows)

    return atomic_write(path, write)


def _attribution_rows(rows: Iterable[AttributionRow]) -> list[list[Any]]:
    return [[row[name] for name in row] for row in rows]


def _write_csv(report: PerformanceReport, main: Path) -> list[Path]:
    stem = main.with_suffix("")

    def beside(name: str) -> Path:
        return main.with_name(f"{stem.name}_{name}.csv")

    files: list[Path] = []
    curves = [
        c
        for c in (
            report.equity_curve,
            report.drawdown_curve,
            report.growth_curve,
            report.benchmark_curve,
        )
        if c is not None
    ]
    curve_rows = [
        (curve.name, _cell(np.datetime_as_string(t, unit="s") + "Z"), value)
        for curve in curves
        for t, value in zip(curve.times, curve.values, strict=True)
    ]
    files.append(_write_rows(beside("curves"), ("curve", "time_utc", "value"), curve_rows))
    calendar = [(m.year, m.month, m.period_return) for m in report.calendar_returns.monthly]
    calendar += [(y.year, "", y.period_return) for y in report.calendar_returns.yearly]
    files.append(_write_rows(beside("calendar_returns"), ("year", "month", "return"), calendar))
    a = report.attribution
    header = tuple(AttributionRow.__dataclass_fields__)
    for name, rows in (("asset", a.by_asset), ("strategy", a.by_strategy), ("tag", a.by_tag)):
        files.append(_write_rows(beside(f"attribution_by_{name}"), header, _attribution_rows(rows)))
    effects = [
        (
            e.key,
            e.average_weight,
            e.target_weight,
            e.asset_return,
            e.allocation,
            e.selection,
            e.interaction,
            e.total,
        )
        for e in a.allocation_selection
    ]
    files.append(
        _write_rows(
            beside("allocation_selection"),
            (
                "key",
                "average_weight",
                "target_weight",
                "asset_return",
                "allocation",
                "selection",
                "interaction",
                "total",
            ),
            effects,
        )
    )
    method = report.realized_gains.method.value
    gains_path = beside(f"realized_gains_{method}")
    files.append(
        atomic_write(gains_path, lambda handle: write_realized_gains(report.realized_gains, handle))
    )
    rows = _metric_rows(report)
    rows += [("files", str(i + 1), path.name) for i, path in enumerate(files)]
    _write_rows(main, ("section", "metric", "value"), rows)
    return [main, *files]


def write_report(report: PerformanceReport, fmt: ExportFormat, directory: Path) -> list[Path]:
    """Write ``report`` in ``fmt`` into ``directory`` (created); the main file comes first."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = export_path(directory, report.generated_at, fmt.value)
        if fmt is ExportFormat.JSON:
            text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
            return [atomic_write(path, lambda handle: handle.write(text + "\n"))]
        if fmt is ExportFormat.HTML:
            html = render_html(report)
            return [atomic_write(path, lambda handle: handle.write(html))]
        return _write_csv(report, path)
    except OSError as exc:
        raise PortfolioError(f"Could not write the analytics export to {directory}: {exc}") from exc
