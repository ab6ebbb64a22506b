"""One place that turns the app's ``--feed`` choice into a feed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path

from .errors import MarketDataError
from .feed import PriceFeed

__all__ = ["FeedKind", "create_feed"]


class FeedKind(Enum):
    """Where prices come from; ``.value`` is the command-line spelling."""

    SIMULATED = "simulated"  # offline default: correlated GBM estimated from real history
    REPLAY = "replay"  # historical OHLCV CSV files played back
    LIVE = "ccxt"  # an exchange through ccxt (extra `live`); "live" is accepted too


def create_feed(
    kind: FeedKind | str = FeedKind.SIMULATED,
    *,
    symbols: Sequence[str] | None = None,
    seed: int | None = None,
    tick_rate_hz: float = 40.0,
    speed: float | None = None,
    replay_files: Sequence[Path | str] = (),
    replay_start: datetime | None = None,
    exchange_id: str = "binance",
) -> PriceFeed:
    """A ready-to-start feed. ``speed``: market speed (simulated, default 1) or replay
    speed (market seconds per second, default 60). ``replay_start``: where a replay
    begins (default: the files' first bar), e.g. where the last rehearsal stopped."""
    if isinstance(kind, str) and kind.strip().lower() == "live":
        kind = FeedKind.LIVE
    try:
        kind = FeedKind(kind.strip().lower() if isinstance(kind, str) else kind)
    except ValueError:
        choices = ", ".join(k.value for k in FeedKind)
        raise MarketDataError(f"unknown price feed '{kind}'; choose one of {choices}") from None
    if kind is FeedKind.SIMULATED:
        from .simulated import SimulatedFeed

        return SimulatedFeed(
            symbols=symbols, seed=seed, tick_rate_hz=tick_rate_hz, speed=speed or 1.0
        )
    if kind is FeedKind.REPLAY:
        from .replay import ReplayFeed

        if not replay_files:
            raise MarketDataError("a replay needs at least one OHLCV CSV file")
        return ReplayFeed.from_csv(*replay_files, speed=speed or 60.0, start=replay_start)
    from .ccxt_feed import CcxtFeed

    return CcxtFeed(symbols or (), exchange_id=exchange_id)
