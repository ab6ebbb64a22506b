"""Market data: price feeds and the pipeline that marks the portfolio. Never imports Qt.

* :class:`SimulatedFeed` — correlated GBM estimated from real history; the offline default.
* :class:`ReplayFeed` — historical OHLCV bars (CSV or stored) played back at any speed.
* :class:`CcxtFeed` — live exchange tickers (``uv run --extra live``).
* :class:`PricePipeline` — validates ticks, builds 1-minute bars, delivers coalesced
  batches to ``PortfolioManager.update_prices``.
* :func:`seed_demo_portfolio` — the DEMO book of a brand-new data dir;
  :func:`seed_demo_history` opens it three months back on simulated history.

Typical wiring::

    feed = SimulatedFeed(seed=7)
    await seed_demo_portfolio(manager, feed.prices())      # only on a brand-new ledger
    async with PricePipeline(manager, feed) as pipeline:
        ...                                                # pipeline.stats() for the GUI
"""

from .bars import BarAggregator, bars_frame
from .ccxt_feed import CcxtFeed, backoff_delay
from .conversion import PriceConverter, Valuation, plan_valuation
from .demo import (
    DEMO_BOOK,
    DEMO_HISTORY_DAYS,
    DEMO_TARGETS,
    DemoHistoryClock,
    is_new_ledger,
    seed_demo_history,
    seed_demo_portfolio,
)
from .errors import MarketDataError
from .factory import FeedKind, create_feed
from .feed import FeedBase, FeedStatus, PriceFeed, Tick
from .history import backfill_missing_bars, read_ohlcv_csv, symbol_from_filename
from .params import SimulationParams
from .pipeline import PipelineStats, PricePipeline
from .replay import ReplayFeed
from .simulated import SimulatedFeed
from .validation import DropReason

__all__ = [
    "DEMO_BOOK",
    "DEMO_HISTORY_DAYS",
    "DEMO_TARGETS",
    "BarAggregator",
    "CcxtFeed",
    "DemoHistoryClock",
    "DropReason",
    "FeedBase",
    "FeedKind",
    "FeedStatus",
    "MarketDataError",
    "PipelineStats",
    "PriceConverter",
    "PriceFeed",
    "PricePipeline",
    "ReplayFeed",
    "SimulatedFeed",
    "SimulationParams",
    "Tick",
    "Valuation",
    "backfill_missing_bars",
    "backoff_delay",
    "bars_frame",
    "create_feed",
    "is_new_ledger",
    "plan_valuation",
    "read_ohlcv_csv",
    "seed_demo_history",
    "seed_demo_portfolio",
    "symbol_from_filename",
]
