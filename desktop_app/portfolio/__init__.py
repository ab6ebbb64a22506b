"""The portfolio engine: ledger, risk, rebalancing and analytics. Never imports Qt.

The public API is the one of ``spec/portfolio-system.md`` with ``src.portfolio`` renamed
``desktop_app.portfolio``::

    from desktop_app.portfolio import PortfolioManager, PortfolioConfig, PositionType
"""

from .analytics import MetricPeriod, PortfolioAnalytics
from .config import PortfolioConfig, PortfolioStrategy
from .errors import (
    ComponentUnavailableError,
    ConfigError,
    ExecutionError,
    InvalidOrderError,
    LedgerIntegrityError,
    PortfolioError,
    RiskLimitError,
    StoreError,
    TradingHaltedError,
    UnknownPositionError,
)
from .events import EVENT_NAMES, Event
from .journal import Journal, MemoryJournal
from .lots import Lot, LotDisposal, LotMethod
from .manager import (
    LiquidationResult,
    PortfolioManager,
    PortfolioStatus,
    PriceBatch,
    TradeResult,
)
from .position_tracker import PositionTracker
from .records import (
    CashMovement,
    Fill,
    FillKind,
    OrderSide,
    Position,
    PositionStatus,
    PositionType,
    TagChange,
)

__all__ = [
    "EVENT_NAMES",
    "CashMovement",
    "ComponentUnavailableError",
    "ConfigError",
    "Event",
    "ExecutionError",
    "Fill",
    "FillKind",
    "InvalidOrderError",
    "Journal",
    "LedgerIntegrityError",
    "LiquidationResult",
    "Lot",
    "LotDisposal",
    "LotMethod",
    "MemoryJournal",
    "MetricPeriod",
    "OrderSide",
    "PortfolioAnalytics",
    "PortfolioConfig",
    "PortfolioError",
    "PortfolioManager",
    "PortfolioStatus",
    "PortfolioStrategy",
    "Position",
    "PositionStatus",
    "PositionTracker",
    "PositionType",
    "PriceBatch",
    "RiskLimitError",
    "StoreError",
    "TagChange",
    "TradeResult",
    "TradingHaltedError",
    "UnknownPositionError",
]
