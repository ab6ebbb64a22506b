"""Execution: the ports to a trading venue and their paper implementations.

* :class:`TradeExecutor` places market orders (``PaperExecutor`` by default);
* :class:`BalanceManager` reports the account's holdings (``PaperBalanceManager``);
* :mod:`.reconcile` compares those holdings with the ledger and books adjustments only when
  the trader accepts them.

Never imports Qt. Real exchange executors run only when the trader configured keys.
"""

# The engine package first: its manager imports the paper executor from here.
import desktop_app.portfolio  # noqa: F401

from .paper import DEFAULT_FEE_RATE, DEFAULT_SLIPPAGE_BPS, PaperBalanceManager, PaperExecutor
from .protocols import (
    BalanceManager,
    ExecutionFill,
    OrderRequest,
    SupportsLotSize,
    TradeExecutor,
)
from .reconcile import (
    BalanceDifference,
    ReconciliationReport,
    book_adjustment,
    compare_holdings,
    ledger_holdings,
    reconcile,
)

__all__ = [
    "DEFAULT_FEE_RATE",
    "DEFAULT_SLIPPAGE_BPS",
    "BalanceDifference",
    "BalanceManager",
    "ExecutionFill",
    "OrderRequest",
    "PaperBalanceManager",
    "PaperExecutor",
    "ReconciliationReport",
    "SupportsLotSize",
    "TradeExecutor",
    "book_adjustment",
    "compare_holdings",
    "ledger_holdings",
    "reconcile",
]
