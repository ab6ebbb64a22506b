"""Errors of the market-data layer, part of the engine's :class:`PortfolioError` hierarchy."""

from __future__ import annotations

from desktop_app.portfolio.errors import PortfolioError


class MarketDataError(PortfolioError):
    """A feed or price cannot be used: unknown symbol, no conversion pair, missing extra."""
