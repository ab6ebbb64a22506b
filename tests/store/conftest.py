"""Helpers for the store tests: real SQLite files in temp folders, real managers."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from desktop_app.portfolio import PortfolioConfig, PortfolioManager, RiskLimits

FIXTURES = Path(__file__).parent / "fixtures"


def quiet_config(**changes) -> PortfolioConfig:
    """No background timers unless a test asks for them; no risk limits (not under test here:
    these tests book positions of any size to exercise the storage)."""
    settings = {
        "performance_update_interval_s": 0,
        "snapshot_interval_s": 0,
        "risk_limits": RiskLimits.disabled(),
        **changes,
    }
    return PortfolioConfig(**settings)


def manager_on(folder: Path, **changes) -> PortfolioManager:
    return PortfolioManager(quiet_config(**changes), data_dir=folder)


@contextmanager
def raw_db(folder: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to ``<folder>/portfolio.db`` (what another program sees)."""
    connection = sqlite3.connect(folder / "portfolio.db", isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "trading_data"
    folder.mkdir()
    return folder
