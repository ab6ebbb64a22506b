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
from .risk_checks import CheckResult
from .risk_events import RiskViolation
from .risk_limits import BreakerAction, RiskLimits
from .risk_manager import RiskAction, RiskLevel, RiskManager, RiskMetrics

__all__ = [
    "EVENT_NAMES",
    "BreakerAction",
    "CashMovement",
    "CheckResult",
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
    "OrderResult",
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
    "RebalanceConfig",
    "RebalanceError",
    "RebalanceResult",
    "RebalanceStrategy",
    "Rebalancer",
    "RiskAction",
    "RiskLevel",
    "RiskLimitError",
    "RiskLimits",
    "RiskManager",
    "RiskMetrics",
    "RiskViolation",
    "StoreError",
    "TagChange",
    "TradeResult",
    "TradingHaltedError",
    "UnbookedFillError",
    "UnknownPositionError",
]
