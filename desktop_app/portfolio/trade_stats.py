"""Statistics over closed trades: win rate, profit factor, expectancy and friends.

A trade is one position's realized P&L, fees included, in the quote currency (floats,
ints or ``Decimal`` all work). A trade that made exactly 0 counts as a trade but neither as
a win nor as a loss. Losses keep their sign: ``average_loss`` and ``largest_loss`` are
negative amounts. Missing values are dropped; with no trade left every statistic is None.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from desktop_app.lazy import pd

from .metrics_input import SeriesLike, as_float_array, clean_returns, finite_or_none


def _pnls(pnls: SeriesLike) -> np.ndarray:
    return clean_returns(pnls, "pnls")


def win_rate(pnls: SeriesLike) -> float | None:
    """Winning trades over all trades: ``count(pnl > 0) / n``."""
    p = _pnls(pnls)
    return float(np.count_nonzero(p > 0.0)) / p.size if p.size else None


def profit_factor(pnls: SeriesLike) -> float | None:
    """Gross profit over gross loss: ``sum(pnl[pnl > 0]) / abs(sum(pnl[pnl < 0]))``.

    None when no trade lost (the ratio is unbounded); 0.0 when no trade won.
    """
    p = _pnls(pnls)
    gross_loss = float(-p[p < 0.0].sum())
    return finite_or_none(float(p[p > 0.0].sum()) / gross_loss) if gross_loss > 0.0 else None


def expectancy(pnls: SeriesLike) -> float | None:
    """Average realized P&L per trade: ``mean(pnl)``."""
    p = _pnls(pnls)
    return finite_or_none(p.mean()) if p.size else None


def average_win(pnls: SeriesLike) -> float | None:
    """Average P&L of the winning trades: ``mean(pnl[pnl > 0])``; None without a win."""
    wins = _pnls(pnls)
    wins = wins[wins > 0.0]
    return finite_or_none(wins.mean()) if wins.size else None


def average_loss(pnls: SeriesLike) -> float | None:
    """Average P&L of the losing trades (negative): ``mean(pnl[pnl < 0])``; None without one."""
    losses = _pnls(pnls)
    losses = losses[losses < 0.0]
    return finite_or_none(losses.mean()) if losses.size else None


def largest_win(pnls: SeriesLike) -> float | None:
    """The best trade's P&L: ``max(pnl)`` if it is a win, else None."""
    p = _pnls(pnls)
    return float(p.max()) if p.size and p.max() > 0.0 else None


def largest_loss(pnls: SeriesLike) -> float | None:
    """The worst trade's P&L (negative): ``min(pnl)`` if it is a loss, else None."""
    p = _pnls(pnls)
    return float(p.min()) if p.size and p.min() < 0.0 else None


def kelly_fraction(returns: SeriesLike) -> float | None:
    """Kelly fraction of the trades' returns: ``f = W - (1 - W) / R``.

    ``returns`` are per-trade returns on the amount at stake (realized P&L / entry notional);
    ``W = win_rate``, ``R = average_win / abs(average_loss)``. ``f`` is the fraction of
    equity to put at stake when the average loss is what is at stake; it is negative when
    the trades have no edge. None without both a win and a loss.
    """
    p = _pnls(returns)
    win, loss = average_win(p), average_loss(p)
    if win is None or loss is None:
        return None
    rate = float(np.count_nonzero(p > 0.0)) / p.size
    return finite_or_none(rate - (1.0 - rate) / (win / -loss))


def _seconds(holding: SeriesLike) -> np.ndarray:
    """Holding times as float seconds; accepts numbers of seconds or timedeltas."""
    array = holding.to_numpy() if isinstance(holding, pd.Series) else np.asarray(holding)
    is_timedelta = array.dtype.kind == "m" or (
        array.dtype == object and array.size and isinstance(array.flat[0], timedelta)
    )
    if is_timedelta:
        seconds = pd.to_timedelta(array.ravel()).total_seconds()
        return seconds.to_numpy(dtype="float64", na_value=np.nan)
    return as_float_array(array, "holding_seconds")


def trade_statistics(
    pnls: SeriesLike, holding_seconds: SeriesLike | None = None
) -> dict[str, float | int | None]:
    """All trade statistics at once, plus counts, gross sums and the average holding time.

    Keys: ``trades``, ``winning_trades``, ``losing_trades``, ``win_rate``, ``profit_factor``,
    ``expectancy``, ``average_win``, ``average_loss``, ``largest_win``, ``largest_loss``,
    ``gross_profit`` (>= 0), ``gross_loss`` (<= 0, so the two add up to the net P&L) and
    ``average_holding_seconds`` (``mean(holding_seconds)``, None when not given or empty).
    """
    p = _pnls(pnls)
    wins, losses = p[p > 0.0], p[p < 0.0]
    holding = None
    if holding_seconds is not None:
        seconds = _seconds(holding_seconds)
        seconds = seconds[np.isfinite(seconds)]
        holding = finite_or_none(seconds.mean()) if seconds.size else None
    return {
        "trades": int(p.size),
        "winning_trades": int(wins.size),
        "losing_trades": int(losses.size),
        "win_rate": win_rate(p),
        "profit_factor": profit_factor(p),
        "expectancy": expectancy(p),
        "average_win": average_win(p),
        "average_loss": average_loss(p),
        "largest_win": largest_win(p),
        "largest_loss": largest_loss(p),
        "gross_profit": finite_or_none(wins.sum()),
        "gross_loss": finite_or_none(losses.sum()),
        "average_holding_seconds": holding,
    }
