"""The HTML report: one self-contained file a trader can open offline and share.

Inline CSS, inline SVG charts (:mod:`.charts`), no script, no link to anything outside the
file. Figures are formatted for reading (percentages with two decimals, money with
thousands separators); the exact numbers are in the JSON and CSV exports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from .analytics_report import AttributionRow, PerformanceReport, ReturnStatistics
from .charts import ChartLine, svg_line_chart

__all__ = ["MAX_GAIN_ROWS", "render_html"]

#: Disposals listed in the HTML (all of them are in the CSV export).
MAX_GAIN_ROWS = 500
DASH = "—"

_CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:24px;
color:#111827;background:#fff}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;
margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}.sub{color:#6b7280;
font-size:13px}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.card{border:1px
solid #e5e7eb;border-radius:6px;padding:10px 14px;min-width:120px}.card .k{font-size:12px;
color:#6b7280}.card .v{font-size:20px;font-weight:600}table{border-collapse:collapse;
font-size:13px;margin:4px 0 12px}th,td{padding:4px 10px;border-bottom:1px solid #f3f4f6;
text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f9fafb;
font-weight:600}.pos{color:#047857}.neg{color:#b91c1c}.chart-title{font-size:13px;
font-weight:600;fill:#111827}.tick,.legend{font-size:11px;fill:#6b7280}.grid{stroke:#e5e7eb;
stroke-width:1}.chart-empty{fill:#9ca3af}.notes li{font-size:13px;color:#374151}
svg{max-width:100%;height:auto;display:block;margin:8px 0}
"""


def pct(value: Any, digits: int = 2) -> str:
    return DASH if value is None else f"{float(value) * 100:,.{digits}f} %"


def num(value: Any, digits: int = 2) -> str:
    return DASH if value is None else f"{float(value):,.{digits}f}"


def money(value: Any) -> str:
    if value is None:
        return DASH
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{float(value):,.2f}"


def _signed(text: str, value: Any) -> str:
    if value is None or float(value) == 0.0:
        return escape(text)
    css = "pos" if float(value) > 0 else "neg"
    return f'<span class="{css}">{escape(text)}</span>'


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STATISTICS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("Total return", "total_return", pct),
    ("CAGR", "cagr", pct),
    ("Volatility (annual)", "volatility", pct),
    ("Sharpe ratio", "sharpe_ratio", num),
    ("Sortino ratio", "sortino_ratio", num),
    ("Calmar ratio", "calmar_ratio", num),
    ("Omega ratio", "omega_ratio", num),
    ("Max drawdown", "max_drawdown", pct),
    ("VaR 95 % (historical)", "var_95", pct),
    ("VaR 99 % (historical)", "var_99", pct),
    ("CVaR 95 %", "cvar_95", pct),
    ("CVaR 99 %", "cvar_99", pct),
    ("Best period", "best_period", pct),
    ("Worst period", "worst_period", pct),
    ("Periods", "periods", lambda v: DASH if v is None else f"{v:,}"),
)


_COLOURED = frozenset({"total_return", "cagr", "best_period", "worst_period", "max_drawdown"})
_SAMPLING = {"min": "by minute", "h": "hourly", "D": "daily"}


def _statistics_table(portfolio: ReturnStatistics, benchmark: ReturnStatistics | None, name: str):
    header = ["Metric", "Portfolio"] + ([name] if benchmark is not None else [])
    rows = []
    for label, key, fmt in _STATISTICS:
        # green/red only where the sign is good or bad news: returns, not risk figures
        paint = _signed if key in _COLOURED else lambda text, _: escape(text)
        row = [escape(label), paint(fmt(portfolio[key]), portfolio[key])]
        if benchmark is not None:
            row.append(paint(fmt(benchmark[key]), benchmark[key]))
        rows.append(row)
    return _table(header, rows)


def _cards(report: PerformanceReport) -> str:
    s = report.metrics.statistics
    items = (
        ("Total return", pct(s.total_return)),
        ("CAGR", pct(s.cagr)),
        ("Money-weighted (XIRR)", pct(report.metrics.money_weighted_return)),
        ("Sharpe", num(s.sharpe_ratio)),
        ("Max drawdown", pct(s.max_drawdown)),
        ("Volatility", pct(s.volatility)),
    )
    cards = "".join(
        f'<div class="card"><div class="k">{escape(k)}</div><div class="v">{escape(v)}</div></div>'
        for k, v in items
    )
    return f'<div class="cards">{cards}</div>'


def _charts(report: PerformanceReport) -> str:
    quote = report.quote_currency
    equity = svg_line_chart(
        [ChartLine("Equity", report.equity_curve.times, report.equity_curve.values)],
        title=f"Equity ({quote})",
    )
    growth_lines = [
        ChartLine("Portfolio", report.growth_curve.times, report.growth_curve.values, "#2563eb")
    ]
    bench = report.metrics.benchmark
    if report.benchmark_curve is not None and bench is not None:
        growth_lines.append(
            ChartLine(
                bench.name, report.benchmark_curve.times, report.benchmark_curve.values, "#f59e0b"
            )
        )
    growth = svg_line_chart(growth_lines, title="Growth of 1 (time-weighted)", y_format=num)
    drawdown = svg_line_chart(
        [
            ChartLine(
                "Drawdown",
                report.drawdown_curve.times,
                report.drawdown_curve.values,
                "#dc2626",
                fill=True,
            )
        ],
        title="Drawdown",
        y_format=lambda v: pct(v, 0),
    )
    return equity + growth + drawdown


def _calendar(report: PerformanceReport) -> str:
    monthly = {(m.year, m.month): m.period_return for m in report.calendar_returns.monthly}
    yearly = {y.year: y.period_return for y in report.calendar_returns.yearly}
    if not yearly:
        return f"<p>{DASH}</p>"
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    rows = []
    for year in sorted(yearly):
        cells = [str(year)]
        for month in range(1, 13):
            value = monthly.get((year, month))
            cells.append(_signed(pct(value, 1), value) if (year, month) in monthly else "")
        cells.append(_signed(pct(yearly[year], 1), yearly[year]))
        rows.append(cells)
    return _table(["Year", *months, "Year"], rows)


def _attribution_table(rows: Sequence[AttributionRow], quote: str) -> str:
    if not rows:
        return f"<p>{DASH}</p>"
    header = [
        "",
        f"P&L ({quote})",
        "realized",
        "unrealized change",
        "contribution",
        "weight",
        "share of risk",
    ]
    body = [
        [
            escape(row.key),
            _signed(money(row.pnl), row.pnl),
            money(row.realized_pnl),
            money(row.unrealized_change),
            _signed(pct(row.contribution), row.contribution),
            pct(row.weight),
            pct(row.risk_share),
        ]
        for row in rows
    ]
    return _table(header, body)


def _attribution(report: PerformanceReport) -> str:
    a = report.attribution
    quote = report.quote_currency
    summary = _table(
        ["", "value"],
        [
            ["Return rebuilt from fills", pct(a.total_return)],
            ["Return of the equity snapshots", pct(a.portfolio_return)],
            ["Unexplained", pct(a.unexplained, 4)],
            ["Target mix return", pct(a.benchmark_return)],
            ["Active return", pct(a.active_return)],
            ["Portfolio VaR 95 % (one period)", pct(a.portfolio_var_95)],
        ],
    )
    effects = (
        _table(
            [
                "",
                "avg weight",
                "target",
                "asset return",
                "allocation",
                "selection",
                "interaction",
                "total",
            ],
            [
                [
                    escape(e.key),
                    pct(e.average_weight),
                    pct(e.target_weight),
                    pct(e.asset_return),
                    _signed(pct(e.allocation), e.allocation),
                    _signed(pct(e.selection), e.selection),
                    _signed(pct(e.interaction), e.interaction),
                    _signed(pct(e.total), e.total),
                ]
                for e in a.allocation_selection
            ],
        )
        if a.allocation_selection
        else ""
    )
    return (
        summary
        + "<h3>By asset</h3>"
        + _attribution_table(a.by_asset, quote)
        + "<h3>By strategy</h3>"
        + _attribution_table(a.by_strategy, quote)
        + "<h3>By tag</h3>"
        + _attribution_table(a.by_tag, quote)
        + ("<h3>Allocation vs selection (against the targets)</h3>" + effects if effects else "")
    )


def _gains(report: PerformanceReport) -> str:
    totals = _table(
        [
            "Method",
            "disposals",
            "proceeds",
            "cost basis",
            "fees",
            "gain",
            "short term",
            "long term",
        ],
        [
            [
                t.method.value.upper(),
                f"{t.disposals:,}",
                money(t.proceeds),
                money(t.cost_basis),
                money(t.fees),
                _signed(money(t.gain), t.gain),
                money(t.short_term_gain),
                money(t.long_term_gain),
            ]
            for t in report.realized_gains_by_method
        ],
    )
    g = report.realized_gains
    rows = [
        [
            escape(r.asset),
            f"{r.quantity:f}",
            f"{r.date_acquired:%Y-%m-%d %H:%M}",
            f"{r.date_sold:%Y-%m-%d %H:%M}",
            money(r.proceeds),
            money(r.cost_basis),
            money(r.fee),
            _signed(money(r.gain), r.gain),
            r.term,
        ]
        for r in g.rows[:MAX_GAIN_ROWS]
    ]
    more = ""
    if len(g.rows) > MAX_GAIN_ROWS:
        more = f"<p class='sub'>First {MAX_GAIN_ROWS:,} of {len(g.rows):,}; all in the CSV.</p>"
    detail = _table(
        [
            "Asset",
            "quantity",
            "acquired (UTC)",
            "sold (UTC)",
            "proceeds",
            "cost basis",
            "fee",
            "gain",
            "term",
        ],
        rows,
    )
    return totals + f"<h3>Disposals ({g.method.value.upper()})</h3>" + detail + more


def render_html(report: PerformanceReport) -> str:
    """The report as one HTML document (UTF-8 text)."""
    m = report.metrics
    w = m.window
    start = DASH if w.start is None else f"{w.start:%Y-%m-%d %H:%M}"
    bench = m.benchmark
    relative = ""
    if bench is not None:
        r = bench.relative
        relative = (
            "<h2>Against "
            + escape(bench.name)
            + "</h2>"
            + _table(
                ["Metric", "value"],
                [
                    ["Beta", num(r.beta)],
                    ["Alpha (annual)", _signed(pct(r.alpha), r.alpha)],
                    ["Correlation", num(r.correlation)],
                    ["Tracking error", pct(r.tracking_error)],
                    ["Information ratio", num(r.information_ratio)],
                    ["Up capture", num(r.up_capture)],
                    ["Down capture", num(r.down_capture)],
                    ["Shared periods", f"{bench.periods:,}"],
                ],
            )
        )
    d = m.drawdown
    t = m.trades
    hours = None if t.average_holding_seconds is None else t.average_holding_seconds / 3600
    overview = _table(
        ["Period", "sampling", "periods", "return", "volatility", "Sharpe", "max drawdown"],
        [
            [
                escape(o.period.label),
                escape(_SAMPLING.get(o.sampling, o.sampling)),
                f"{o.periods:,}",
                _signed(pct(o.total_return), o.total_return),
                pct(o.volatility),
                num(o.sharpe_ratio),
                pct(o.max_drawdown),
            ]
            for o in report.overview
        ],
    )
    notes = "".join(
        f"<li>{escape(note)}</li>" for note in (*report.notes, *report.attribution.notes)
    )
    sections = [
        f"<h1>Portfolio performance report</h1><div class='sub'>{escape(w.period.label)}, "
        f"{_SAMPLING.get(w.sampling, w.sampling)} returns: {start} → "
        f"{w.as_of:%Y-%m-%d %H:%M} UTC · "
        f"generated {report.generated_at:%Y-%m-%d %H:%M:%S} UTC · "
        f"{escape(report.quote_currency)}</div>",
        _cards(report),
        _charts(report),
        "<h2>Returns and risk</h2>",
        _statistics_table(
            m.statistics, bench.benchmark if bench else None, bench.name if bench else ""
        ),
        relative,
        "<h2>Drawdown</h2>",
        _table(
            ["", "value"],
            [
                ["Max drawdown", pct(d.max_drawdown)],
                ["Peak", DASH if d.peak_at is None else f"{d.peak_at:%Y-%m-%d %H:%M}"],
                ["Trough", DASH if d.trough_at is None else f"{d.trough_at:%Y-%m-%d %H:%M}"],
                [
                    "Recovered",
                    DASH if d.recovered_at is None else f"{d.recovered_at:%Y-%m-%d %H:%M}",
                ],
                ["Longest time under water (days)", num(d.max_drawdown_duration_days)],
                ["Recovery time (days)", num(d.recovery_days)],
                ["Current drawdown", pct(d.current_drawdown)],
            ],
        ),
        "<h2>Money</h2>",
        _table(
            ["", report.quote_currency],
            [
                ["Start equity", money(m.equity.start_equity)],
                ["End equity", money(m.equity.end_equity)],
                ["Net deposits", money(m.equity.net_flows)],
                ["Profit", _signed(money(m.equity.profit), m.equity.profit)],
                ["Money-weighted return (XIRR, annual)", pct(m.money_weighted_return)],
            ],
        ),
        "<h2>Trades</h2>",
        _table(
            ["", "value"],
            [
                ["Closed trades", f"{t.trades:,}"],
                ["Win rate", pct(t.win_rate)],
                ["Profit factor", num(t.profit_factor)],
                ["Expectancy", money(t.expectancy)],
                ["Average win", money(t.average_win)],
                ["Average loss", money(t.average_loss)],
                ["Largest win", money(t.largest_win)],
                ["Largest loss", money(t.largest_loss)],
                ["Average holding time (hours)", num(hours)],
                ["Net realized P&L", _signed(money(t.net_pnl), t.net_pnl)],
            ],
        ),
        "<h2>By period</h2>",
        overview,
        "<h2>Monthly returns</h2>",
        _calendar(report),
        "<h2>Attribution</h2>",
        _attribution(report),
        "<h2>Realized gains</h2>",
        _gains(report),
    ]
    if notes:
        sections.append(f"<h2>Notes</h2><ul class='notes'>{notes}</ul>")
    body = "\n".join(sections)
    title = f"Portfolio analytics {w.as_of:%Y-%m-%d %H:%M} UTC"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )
