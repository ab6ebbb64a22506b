"""Exports land in <data dir>/analytics with exact money and a timestamped name."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from desktop_app.portfolio import MemoryJournal, PortfolioError, PortfolioManager
from desktop_app.store import export_portfolio

from .conftest import manager_on, quiet_config

MOMENT = datetime(2025, 1, 2, 12, 0, 0, tzinfo=UTC)


async def book(pm: PortfolioManager) -> None:
    shib = await pm.create_position("SHIB/USDT", "long", 1_000_000, "0.00001234", fee="0.01")
    eth = await pm.create_position("ETH/USDT", "short", "1.5", 2_500, tags="hedge, eth")
    await pm.close_position(eth.position_id, "2400.5", fee="0.9")
    await pm.update_prices({"SHIB/USDT": "0.000012"})
    await pm.deposit(250)
    assert shib.is_open


async def test_json_export_holds_every_table_with_exact_decimals(data_dir):
    async with manager_on(data_dir) as pm:
        await book(pm)
        (path,) = await export_portfolio(pm, "json", now=MOMENT)
    assert path == data_dir / "analytics" / "portfolio_analytics_20250102_120000.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert {"summary", "positions", "closed_positions", "fills", "cash_movements"} <= set(document)
    (open_position,) = document["positions"]
    assert open_position["current_price"] == "0.000012"
    assert D(open_position["unrealized_pnl"]) == D("-0.34")
    (closed,) = document["closed_positions"]
    assert closed["realized_pnl"] == "148.35" and closed["tags"] == ["hedge", "eth"]
    assert [fill["price"] for fill in document["fills"]] == ["0.00001234", "2500", "2400.5"]
    assert [m["amount"] for m in document["cash_movements"]] == ["10000", "250"]
    assert document["summary"]["cash"] == str(pm.position_tracker.cash)
    assert len(document["equity_curve"]) == 5


async def test_csv_export_writes_one_file_per_table_for_a_spreadsheet(data_dir):
    async with manager_on(data_dir) as pm:
        await book(pm)
        paths = await export_portfolio(pm, "csv", now=MOMENT)
        again = await export_portfolio(pm, "csv", now=MOMENT)  # same second: no overwrite
    assert [p.name for p in paths] == [
        f"portfolio_20250102_120000_{table}.csv"
        for table in ("positions", "closed_positions", "fills", "cash_movements", "equity_curve")
    ]
    assert all(p.parent == data_dir / "analytics" for p in paths)
    assert again[0].name == "portfolio_20250102_120000-2_positions.csv"
    with paths[2].open(encoding="utf-8", newline="") as handle:
        fills = list(csv.DictReader(handle))
    assert [row["price"] for row in fills] == ["0.00001234", "2500", "2400.5"]
    assert D(fills[1]["size"]) == D("1.5")
    with paths[1].open(encoding="utf-8", newline="") as handle:
        (closed,) = list(csv.DictReader(handle))
    assert closed["tags"] == "hedge;eth" and closed["realized_pnl"] == "148.35"
    with paths[4].open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["timestamp", "equity", "cash", "market_value", "gross_exposure", "net_flow"]
    assert not list((data_dir / "analytics").glob(".*partial"))


async def test_an_in_memory_portfolio_exports_to_the_default_folder(_private_default_data_dir):
    async with PortfolioManager(quiet_config(), journal=MemoryJournal()) as pm:
        await book(pm)
        (path,) = await export_portfolio(pm, "json", now=MOMENT)
    assert path.parent == _private_default_data_dir.resolve() / "analytics"
    assert json.loads(path.read_text(encoding="utf-8"))["equity_curve"] == []


async def test_an_unknown_export_format_is_refused(data_dir):
    async with manager_on(data_dir) as pm:
        with pytest.raises(PortfolioError, match="json, csv"):
            await export_portfolio(pm, "xlsx")
    assert not (data_dir / "analytics").exists()
