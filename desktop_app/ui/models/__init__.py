"""Table models of the trading grids (declarative columns over QAbstractTableModel)."""
