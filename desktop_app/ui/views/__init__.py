"""The visual half of the app: P&L, risk gauges, allocation, rebalancing, performance,
correlations and stress tests — each a view in its own dock widget (see :mod:`.docks`)."""
