"""The return panel behind every history-based risk number.

Horizon convention (stated once, used everywhere):

* **Sampling: hourly where hourly-or-finer bars cover the window, else daily** — one grid
  for all the symbols of a panel, and never a mix within one return series. The window is
  the daily one (below); hourly sampling is used when, for every symbol, bars of an hour or
  finer give a close in the window's first day, in its last day (the symbol's latest day)
  and at least once every 24 hours in between. Otherwise — a symbol that only has daily or
  4-hourly bars, imported daily history with a few days of live minutes, an hourly file
  that stops before the window ends, the app closed for days — the panel is daily: each
  day's last close from bars of a day or finer (a day's last minute and its daily bar
  agree). Hourly closes are never invented from coarser bars, and a daily close is never
  passed off as 24 flat hours. ``P = 8,760 / step_hours`` periods per year annualises
  volatility (8,760 hourly, 365 daily).
* **VaR horizon: one day.** VaR, CVaR, component VaR and their limits use overlapping
  one-day returns ``C_t / C_{t-h} - 1`` at every grid step (``h = 24 / step_hours``
  periods), i.e. historical simulation of a day's move from every hour of the window, with
  no square-root-of-time scaling. With daily bars ``h = 1``.
* **Current holdings.** A portfolio scenario is today's weights ``w_i = market value_i /
  equity`` (shorts negative, cash earns nothing) applied to each historical move:
  ``r_p = R @ w``. That is the risk *now*, not the risk the portfolio had then.
* **Common window.** Symbols are aligned on the window where all of them have prices, at
  most ``lookback_days`` long and ending at the latest bar; a gap inside it (an exchange
  outage) carries the last close forward, i.e. a zero return.
* **Grid points** are bin labels: hour ``k`` holds the last close of bars ending in
  ``(k, k + 1h]``, day ``D`` the last close of day D (see :mod:`.price_history`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

import numpy as np

from .price_history import SymbolHistory

HOURS_PER_DAY = 24
HOURS_PER_YEAR = 8_760
#: Fewer days in the common window and no history-based metric is computed.
MIN_HISTORY_DAYS = 30


def hour_to_datetime(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3_600, UTC)


@dataclass(frozen=True, eq=False)
class ReturnPanel:
    """Aligned closes and returns of several symbols on one grid (see the module docstring)."""

    symbols: tuple[str, ...]
    step_hours: int
    start_hour: int  # epoch hour of the first grid point
    closes: np.ndarray  # (T, N)
    notes: tuple[str, ...] = ()
    #: The symbol whose first price starts the common window (None: the lookback does).
    limited_by: str | None = None
    _column: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._column.update({symbol: i for i, symbol in enumerate(self.symbols)})

    @property
    def periods(self) -> int:
        return int(self.closes.shape[0])

    @property
    def periods_per_year(self) -> float:
        return HOURS_PER_YEAR / self.step_hours

    @property
    def horizon_periods(self) -> int:
        """Grid steps in the one-day VaR horizon (at least one)."""
        return max(1, HOURS_PER_DAY // self.step_hours)

    @property
    def days(self) -> float:
        return (self.periods - 1) * self.step_hours / HOURS_PER_DAY

    @property
    def start(self) -> datetime:
        return hour_to_datetime(self.start_hour)

    @property
    def end(self) -> datetime:
        return hour_to_datetime(self.start_hour + (self.periods - 1) * self.step_hours)

    @property
    def sampling(self) -> str:
        """The grid as a pandas offset alias (``"h"``, ``"4h"``, ``"D"``)."""
        if self.step_hours == HOURS_PER_DAY:
            return "D"
        return "h" if self.step_hours == 1 else f"{self.step_hours}h"

    @property
    def sufficient(self) -> bool:
        return self.days >= MIN_HISTORY_DAYS and self.periods > self.horizon_periods + 1

    def column(self, symbol: str) -> int:
        return self._column[symbol]

    def has(self, symbol: str) -> bool:
        return symbol in self._column

    @cached_property
    def returns(self) -> np.ndarray:
        """Period returns, (T - 1, N)."""
        return self.closes[1:] / self.closes[:-1] - 1.0

    @cached_property
    def horizon_returns(self) -> np.ndarray:
        """Overlapping one-day returns, (T - h, N)."""
        h = self.horizon_periods
        return self.closes[h:] / self.closes[:-h] - 1.0

    @cached_property
    def horizon_covariance(self) -> np.ndarray:
        """Sample covariance (ddof=1) of the one-day returns, (N, N)."""
        return _covariance(self.horizon_returns)

    @cached_property
    def covariance(self) -> np.ndarray:
        """Sample covariance (ddof=1) of the period returns, (N, N)."""
        return _covariance(self.returns)

    def history_note(self) -> str:
        """Why the window is short, for "insufficient history" messages."""
        text = f"{self.days:.1f} days of common price history; at least {MIN_HISTORY_DAYS} needed"
        if self.limited_by is not None:
            text += f" ({self.limited_by} has prices only from {self.start:%Y-%m-%d %H:%M} UTC)"
        return text

    def weights_vector(self, weights: Mapping[str, float]) -> np.ndarray:
        """A weight per panel column (0 for symbols not held)."""
        vector = np.zeros(len(self.symbols))
        for symbol, weight in weights.items():
            vector[self._column[symbol]] += weight
        return vector

    def sub(self, symbols: Sequence[str]) -> np.ndarray:
        return np.array([self._column[s] for s in symbols], dtype=np.intp)


def _covariance(x: np.ndarray) -> np.ndarray:
    if x.shape[0] < 2:
        return np.full((x.shape[1], x.shape[1]), np.nan)
    centred = x - x.mean(axis=0)
    return (centred.T @ centred) / (x.shape[0] - 1)


#: Hourly sampling needs an hourly-or-finer close at least this often (hours).
MAX_HOURLY_GAP_H = 24


def _hourly_covers(history: SymbolHistory, first_day: int) -> bool:
    """Do hourly-or-finer closes cover ``first_day`` … the symbol's last day (see above)?"""
    keys = history.hour_keys
    if keys.size == 0:
        return False
    start, end = first_day * HOURS_PER_DAY, int(history.day_keys[-1]) * HOURS_PER_DAY
    inside = keys[(keys >= start) & (keys < end + HOURS_PER_DAY)]
    if inside.size == 0 or inside[0] >= start + HOURS_PER_DAY or inside[-1] < end:
        return False
    return bool(np.all(np.diff(inside) <= MAX_HOURLY_GAP_H))


def _window(
    series: Mapping[str, tuple[np.ndarray, np.ndarray]], lookback_periods: int
) -> tuple[int, int]:
    """(first, last) grid key of the common window of ``{symbol: (keys, closes)}``."""
    first = max(int(keys[0]) for keys, _ in series.values())
    last = max(int(keys[-1]) for keys, _ in series.values())
    return max(first, last - lookback_periods), last


def build_panel(
    histories: Mapping[str, SymbolHistory], symbols: Sequence[str], lookback_days: int
) -> ReturnPanel | None:
    """Align ``symbols`` (all must be in ``histories``) on their common window.

    None when a symbol has no history. The grid is hourly or daily (the module docstring
    says which); the window starts where every symbol has a price and is at most
    ``lookback_days`` long, ending at the latest grid point any symbol reached.
    """
    if not symbols or any(s not in histories or histories[s].empty for s in symbols):
        return None
    daily = {s: (histories[s].day_keys, histories[s].daily) for s in symbols}
    first_day, _ = _window(daily, lookback_days)
    uncovered = [s for s in symbols if not _hourly_covers(histories[s], first_day)]
    notes: list[str] = []
    if not uncovered:
        step = 1
        binned = {s: (histories[s].hour_keys, histories[s].hourly) for s in symbols}
        first, last = _window(binned, lookback_days * HOURS_PER_DAY)
    else:
        step = HOURS_PER_DAY
        binned = daily
        first, last = _window(binned, lookback_days)
        if any(histories[s].hour_keys.size for s in symbols):
            notes.append(
                f"sampled daily: the hourly-or-finer bars of {', '.join(uncovered)} do not "
                f"cover the {last - first}-day window"
            )
    closes = _aligned(binned, symbols, first, last, step, notes)
    limiting = max(symbols, key=lambda s: int(binned[s][0][0]))
    limited_by = limiting if int(binned[limiting][0][0]) == first else None
    return ReturnPanel(tuple(symbols), step, first * step, closes, tuple(notes), limited_by)


def _aligned(
    binned: Mapping[str, tuple[np.ndarray, np.ndarray]],
    symbols: Sequence[str],
    first: int,
    last: int,
    step: int,
    notes: list[str],
) -> np.ndarray:
    """(T, N) closes on the grid ``first … last``, gaps carried forward."""
    length = last - first + 1
    closes = np.full((length, len(symbols)), np.nan)
    for column, symbol in enumerate(symbols):
        keys, values = binned[symbol]
        # seed the first row with the last close at or before the window's start
        begin = int(np.searchsorted(keys, first, side="right")) - 1
        inside = keys[begin:] - first
        closes[inside, column] = values[begin:]
        closes[0, column] = values[begin]
        behind_days = (last - int(keys[-1])) * step / HOURS_PER_DAY
        if behind_days > 1:
            notes.append(
                f"{symbol}: price history ends {behind_days:.1f} days before the others; "
                f"its last close is carried forward"
            )
    filled = np.where(np.isnan(closes), 0, np.arange(length)[:, None])
    np.maximum.accumulate(filled, axis=0, out=filled)
    return closes[filled, np.arange(len(symbols))[None, :]]
