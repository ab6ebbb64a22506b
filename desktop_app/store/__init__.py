"""Durable storage: the portfolio's SQLite database in the trader's data folder.

``PortfolioManager(data_dir=...)`` opens a :class:`Store` on ``<data dir>/portfolio.db``;
see :mod:`desktop_app.store.store` for its guarantees and :mod:`desktop_app.store.paths`
for where the data folder is.
"""

from .bar_intervals import BarInterval
from .errors import (
    CsvImportError,
    DatabaseUnusableError,
    DataDirInUseError,
    PriceDataError,
    RowProblem,
    StoreError,
)
from .export import export_portfolio
from .history import RECORD_KINDS, RecordKind
from .paths import ENV_VAR, analytics_dir, database_path, resolve_data_dir
from .schema import latest_version
from .store import Store

__all__ = [
    "ENV_VAR",
    "RECORD_KINDS",
    "BarInterval",
    "CsvImportError",
    "DataDirInUseError",
    "DatabaseUnusableError",
    "PriceDataError",
    "RecordKind",
    "RowProblem",
    "Store",
    "StoreError",
    "analytics_dir",
    "database_path",
    "export_portfolio",
    "latest_version",
    "resolve_data_dir",
]
