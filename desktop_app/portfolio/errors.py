"""The engine's error hierarchy.

Every refusal the engine makes is a :class:`PortfolioError` whose message is written for the
trader ("Cannot close 2 BTC: only 1.5 is open"), never a bare ``ValueError``. A call that
raises changes nothing.
"""

from __future__ import annotations

from decimal import Decimal


class PortfolioError(Exception):
    """Base class of every error the engine raises on purpose."""


class InvalidOrderError(PortfolioError, ValueError):
    """An order or input value is malformed: NaN, zero size, bad symbol, closing too much."""


class UnknownPositionError(PortfolioError, KeyError):
    """No position with the given id exists."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown position"


class TradingHaltedError(PortfolioError):
    """The portfolio is paused, reducing-only or liquidated and refuses the action."""


class RiskLimitError(PortfolioError):
    """A risk limit refused the trade; the message names the limit, the value and the limit.

    ``action`` is the check's ``RiskAction`` (REDUCE or REJECT); on REDUCE,
    ``allowed_size`` is the largest size that passes (booking exactly that size succeeds).
    ``limit`` is the ``RiskLimits`` field, ``current`` the post-trade value and
    ``limit_value`` the limit, in that limit's unit.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: str | None = None,
        action: object = None,
        allowed_size: Decimal | None = None,
        current: float | None = None,
        limit_value: float | None = None,
    ) -> None:
        super().__init__(message)
        self.limit = limit
        self.action = action
        self.allowed_size = allowed_size
        self.current = current
        self.limit_value = limit_value


class ComponentUnavailableError(PortfolioError):
    """The requested capability needs a component this engine was built without."""


class LedgerIntegrityError(PortfolioError):
    """The fill journal and the derived state disagree (replay mismatch, corrupt record)."""


class StoreError(PortfolioError):
    """The database cannot be opened, read or written. The message names the file."""


class ExecutionError(PortfolioError):
    """The trade executor could not fill an order: nothing was traded, nothing was booked."""


class UnbookedFillError(PortfolioError):
    """The executor **filled** an order but the ledger could not book (all of) it.

    The trade happened and cannot be undone, so this is never swallowed: the manager keeps
    the fill in ``PortfolioManager.unbooked_fills``, pauses automated trading, emits the
    ``error`` event and raises this. ``book_unbooked_fills()`` (or a reconciliation
    adjustment) brings the ledger back in line with the exchange.
    """

    def __init__(self, message: str, *, unbooked: object = None) -> None:
        super().__init__(message)
        self.unbooked = unbooked


class RebalanceError(PortfolioError):
    """A rebalance cannot be planned: no targets, no prices, not enough price history."""


class ConfigError(PortfolioError, ValueError):
    """A configuration value (target allocation, limit, interval) is out of range."""
