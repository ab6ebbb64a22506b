"""Shared builders for the analytics tests: real ledgers, equity curves, real closes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from desktop_app.portfolio import PositionTracker
from desktop_app.portfolio.bar_closes import closes_at_bar_ends

T0 = datetime(2024, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def daily_bars(prices_dir: Path, coin: str) -> pd.DataFrame:
    """A real daily OHLCV file as a DataFrame indexed by UTC bar open time."""
    frame = pd.read_csv(prices_dir / f"{coin}-USDT_1d.csv")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("timestamp"), utc=True))
    return frame


def real_closes(prices_dir: Path, coin: str) -> pd.Series:
    """Daily closes indexed by bar open time."""
    return daily_bars(prices_dir, coin)["close"]


def known_closes(closes: pd.Series) -> pd.Series:
    return closes_at_bar_ends(closes)


def curve(times, equity, flows=None) -> pd.DataFrame:
    """An equity curve in the store's shape (cash etc. are not read by the analytics)."""
    equity = np.asarray(equity, dtype="float64")
    flows = np.zeros_like(equity) if flows is None else np.asarray(flows, dtype="float64")
    index = pd.DatetimeIndex(times)
    return pd.DataFrame(
        {
            "equity": equity,
            "cash": np.zeros_like(equity),
            "market_value": np.zeros_like(equity),
            "gross_exposure": np.zeros_like(equity),
            "net_flow": flows,
        },
        index=index,
    )


class Ledger:
    """A real PositionTracker driven with explicit timestamps (no manager needed)."""

    def __init__(self, cash: float = 10_000, at: datetime = T0) -> None:
        self.tracker = PositionTracker("USDT")
        self.deposit(cash, at)

    def deposit(self, amount, at):
        self.tracker.commit(self.tracker.prepare_cash(amount, timestamp=at))

    def open(self, symbol, side, size, price, at, fee=0, strategy=None, tags=None):
        effect = self.tracker.prepare_open(
            symbol, side, size, price, fee=fee, timestamp=at, strategy=strategy, tags=tags
        )
        return self.tracker.commit(effect)

    def add(self, position, size, price, at, fee=0):
        return self.tracker.commit(
            self.tracker.prepare_add(position.position_id, size, price, fee=fee, timestamp=at)
        )

    def close(self, position, price, at, size=None, fee=0):
        effect = self.tracker.prepare_reduce(
            position.position_id, price, size, fee=fee, timestamp=at
        )
        self.tracker.commit(effect)
        return effect.fill

    @property
    def fills(self):
        return tuple(reversed(self.tracker.recent_fills()))

    @property
    def movements(self):
        return tuple(self.tracker.cash_movements())

    @property
    def positions(self):
        return tuple(self.tracker.get_all_positions())
