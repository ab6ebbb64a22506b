"""Charts without a plotting library: point decimation and inline SVG line charts.

The GUI draws with pyqtgraph; an exported HTML report must open anywhere, offline, with
nothing beside it, so it carries its charts as inline SVG written here (a few hundred
lines of text, no matplotlib in the engine's dependencies). :func:`decimate` keeps the
extremes of every bucket, so a drawdown's trough or an equity spike survives thinning a
million points down to what a screen can show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from desktop_app.lazy import pd

__all__ = ["ChartLine", "decimate", "nice_ticks", "svg_line_chart"]


def decimate(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` points that keep each bucket's minimum and maximum.

    The series is cut into ``max_points // 2`` buckets of consecutive points; each gives
    its lowest and highest point, in time order; the first and last points always stay.
    NaN values are never picked unless a whole bucket is NaN.
    """
    n = values.size
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    size = math.ceil(n / buckets)
    padded = np.full(buckets * size, np.nan)
    padded[:n] = values
    grid = padded.reshape(buckets, size)
    finite = np.isfinite(grid)
    low = np.where(finite, grid, np.inf).argmin(axis=1)
    high = np.where(finite, grid, -np.inf).argmax(axis=1)
    offsets = np.arange(buckets) * size
    picked = np.concatenate(([0], offsets + low, offsets + high, [n - 1]))
    picked = picked[picked < n]
    return np.unique(picked)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (steps of 1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    digits = max(0, 1 - math.floor(math.log10(step)))
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return [round(i * step, digits) + 0.0 for i in range(first, last + 1)]


@dataclass(frozen=True)
class ChartLine:
    """One line: times (datetime64[ns] or int64 ns, UTC), values, a label and a colour."""

    label: str
    times: np.ndarray
    values: np.ndarray
    color: str = "#2563eb"
    fill: bool = False


def _time_ticks(start: int, end: int, count: int = 6) -> list[tuple[int, str]]:
    if end <= start:
        return [(start, pd.Timestamp(start, tz="UTC").strftime("%Y-%m-%d"))]
    span_days = (end - start) / 86_400e9
    fmt = "%Y-%m-%d" if span_days >= 3 else "%m-%d %H:%M"
    stamps = np.linspace(start, end, count).astype(np.int64)
    return [(int(t), pd.Timestamp(int(t), tz="UTC").strftime(fmt)) for t in stamps]


def svg_line_chart(
    lines: Sequence[ChartLine],
    *,
    title: str,
    y_format: Callable[[float], str] = lambda v: f"{v:,.0f}",
    width: int = 900,
    height: int = 260,
    max_points: int = 1200,
) -> str:
    """An inline ``<svg>`` element with the lines, axes, grid, tick labels and a legend."""
    left, right, top, bottom = 70, 16, 28, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    prepared = []
    for line in lines:
        times = np.asarray(line.times).astype("datetime64[ns]").astype(np.int64)
        values = np.asarray(line.values, dtype="float64")
        keep = np.isfinite(values)
        times, values = times[keep], values[keep]
        if values.size:
            picked = decimate(values, max_points)
            prepared.append((line, times[picked], values[picked]))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="18" class="chart-title">{escape(title)}</text>',
    ]
    if not prepared:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
            'class="chart-empty">no data</text></svg>'
        )
        return "".join(parts)
    t0 = min(int(times[0]) for _, times, _ in prepared)
    t1 = max(int(times[-1]) for _, times, _ in prepared)
    v0 = min(float(values.min()) for _, _, values in prepared)
    v1 = max(float(values.max()) for _, _, values in prepared)
    if any(line.fill for line, _, _ in prepared):
        v0, v1 = min(v0, 0.0), max(v1, 0.0)
    pad = (v1 - v0) * 0.05 or abs(v1) * 0.05 or 1.0
    v0, v1 = v0 - pad, v1 + pad

    def x(t: np.ndarray | int) -> np.ndarray:
        return left + (np.asarray(t, dtype="float64") - t0) / max(t1 - t0, 1) * plot_w

    def y(v: np.ndarray | float) -> np.ndarray:
        return top + (v1 - np.asarray(v, dtype="float64")) / (v1 - v0) * plot_h

    for tick in nice_ticks(v0, v1):
        ty = float(y(tick))
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(y_format(tick))}</text>"
        )
    ticks = _time_ticks(t0, t1)
    for number, (stamp, label) in enumerate(ticks):
        tx = float(x(stamp))
        anchor = "start" if number == 0 else "end" if number == len(ticks) - 1 else "middle"
        parts.append(
            f'<text x="{tx:.1f}" y="{height - 8}" text-anchor="{anchor}" class="tick">'
            f"{escape(label)}</text>"
        )
    for line, times, values in prepared:
        xs, ys = x(times), y(values)
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))
        if line.fill:
            zero = float(y(0.0))
            area = f"{xs[0]:.1f},{zero:.1f} {points} {xs[-1]:.1f},{zero:.1f}"
            parts.append(f'<polygon points="{area}" fill="{line.color}" fill-opacity="0.25"/>')
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{line.color}" '
            'stroke-width="1.5" stroke-linejoin="round"/>'
        )
    legend_x = left + 24 + 7 * len(title)  # in the title row, clear of the plot
    for line, _, _ in prepared:
        parts.append(
            f'<rect x="{legend_x}" y="13" width="12" height="3" fill="{line.color}"/>'
            f'<text x="{legend_x + 16}" y="18" class="legend">{escape(line.label)}</text>'
        )
        legend_x += 24 + 7 * len(line.label)
    parts.append("</svg>")
    return "".join(parts)
