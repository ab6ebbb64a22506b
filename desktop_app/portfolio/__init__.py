"""The portfolio engine: ledger, risk, rebalancing and analytics. Never imports Qt.

The public API is the one of ``spec/portfolio-system.md`` with ``src.portfolio`` renamed
``desktop_app.portfolio``::

    from desktop_app.portfolio import PortfolioManager, PortfolioConfig, PositionType
"""

from .config import PortfolioConfig, PortfolioStrategy
from .errors import (
    ComponentUnavailableError,
    ConfigError,
    ExecutionError,
    InvalidOrderError,
    LedgerIntegrityError,
    PortfolioError,
    RebalanceError,
    RiskLimitError,
    StoreError,
    TradingHaltedError,
    UnbookedFillError,
    UnknownPositionError,
)
from .events import EVENT_NAMES, Event
from .journal import Journal, MemoryJournal
from .lots import Lot, LotDisposal, LotMethod
from .manager import (
    LiquidationResult,
    OrderResult,
    PortfolioManager,
    PortfolioStatus,
    PriceBatch,
    TradeResult,
)
from .position_tracker import PositionTracker
from .rebalancer import RebalanceConfig, Rebalancer, RebalanceResult, RebalanceStrategy
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
    "OrderResult",
    "OrderSide",
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
    "RebalanceConfig",
    "RebalanceError",
    "RebalanceResult",
    "RebalanceStrategy",
    "Rebalancer",
    "RiskLimitError",
    "StoreError",
    "TagChange",
    "TradeResult",
    "TradingHaltedError",
    "UnbookedFillError",
    "UnknownPositionError",
]
