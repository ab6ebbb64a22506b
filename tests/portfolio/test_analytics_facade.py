"""PortfolioAnalytics through the manager, on a ledger kept in memory (no store)."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from decimal import Decimal as D

import pytest

from desktop_app.portfolio import (
    ConfigError,
    MemoryJournal,
    MetricPeriod,
    PortfolioAnalytics,
    PortfolioConfig,
    PortfolioError,
    PortfolioManager,
    RiskLimits,
)
from desktop_app.portfolio.analytics_report import PerformanceReport

from .analytics_helpers import DAY, T0


def config(**changes):
    # the analytics are under test here, not the risk limits: any trade size goes
    return PortfolioConfig(
        performance_update_interval_s=0, risk_limits=RiskLimits.disabled(), **changes
    )


async def traded(pm: PortfolioManager) -> None:
    btc = await pm.create_position(
        "BTC/USDT", "long", "0.1", 40_000, fee=4, timestamp=T0, strategy="trend", tags="core"
    )
    eth = await pm.create_position(
        "ETH/USDT", "long", 1, 2_000, fee=2, timestamp=T0 + DAY, strategy="swing"
    )
    await pm.close_position(btc.position_id, 44_000, fee="4.4", timestamp=T0 + 2 * DAY)
    await pm.update_prices({"ETH/USDT": 2_100}, timestamp=T0 + 3 * DAY)
    assert eth.is_open


async def test_every_manager_has_analytics_attached():
    async with PortfolioManager(config(), journal=MemoryJournal()) as pm:
        assert isinstance(pm.analytics, PortfolioAnalytics)


async def test_without_a_store_returns_are_none_with_a_note_but_trades_and_gains_work():
    async with PortfolioManager(config(), journal=MemoryJournal()) as pm:
        await traded(pm)
        m = await pm.analytics.calculate_performance_metrics(MetricPeriod.ALL_TIME)
        assert m.statistics.total_return is None and m.statistics.sharpe_ratio is None
        assert any("No equity history" in note for note in m.notes)
        assert m.trades.trades == 1 and m.trades.win_rate == 1.0
        assert m.trades.net_pnl == pytest.approx(400 - 4 - 4.4)
        assert m.trades.average_holding_seconds == 2 * 86_400
        gains = await pm.analytics.calculate_realized_gains()
        assert gains.totals.gain == D("391.6")


async def test_attribution_without_a_store_accounts_for_the_ledgers_whole_pnl():
    async with PortfolioManager(config(), journal=MemoryJournal()) as pm:
        await traded(pm)
        a = await pm.analytics.calculate_attribution_analysis(
            "all_time", as_of=T0 + 3 * DAY + timedelta(hours=1)
        )
        summary = await pm.get_portfolio_summary()
        assert sum(row.pnl for row in a.by_asset) == pytest.approx(float(summary["total_pnl"]))
        by_strategy = {row.key: row.pnl for row in a.by_strategy}
        assert by_strategy["trend"] == pytest.approx(400 - 4 - 4.4)
        assert by_strategy["swing"] == pytest.approx(100 - 2)


async def test_the_managers_performance_report_is_the_analytics_report_and_reads_like_a_dict():
    async with PortfolioManager(config(), journal=MemoryJournal()) as pm:
        await traded(pm)
        report = await pm.get_performance_report()
        assert isinstance(report, PerformanceReport)
        assert report["metrics"]["trades"]["trades"] == report.metrics.trades.trades == 1
        assert {"metrics", "attribution", "realized_gains", "equity_curve"} <= set(report)
        data = report.to_dict()
        json.dumps(data, allow_nan=False)
        assert data["realized_gains"]["totals"]["gain"] == "391.6"
        assert data["metrics"]["window"]["period"] == "all_time"
        assert len(report.realized_gains_by_method) == 4


async def test_export_needs_a_folder_when_the_portfolio_has_no_data_dir():
    async with PortfolioManager(config(), journal=MemoryJournal()) as pm:
        with pytest.raises(PortfolioError, match="no data folder"):
            await pm.analytics.export_analytics("json")


async def test_exports_are_written_timestamped_and_parse_back(tmp_path):
    async with PortfolioManager(config(), journal=MemoryJournal()) as pm:
        await traded(pm)
        json_path = await pm.analytics.export_analytics("json", directory=tmp_path)
        again = await pm.analytics.export_analytics("json", directory=tmp_path)
        html_path = await pm.analytics.export_analytics("html", directory=tmp_path)
        csv_path = await pm.analytics.export_analytics("csv", directory=tmp_path)
        files = pm.analytics.last_export_files
    assert json_path.name.startswith("portfolio_analytics_") and json_path.suffix == ".json"
    assert again != json_path  # never overwrites an export of the same second
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["metrics"]["trades"]["trades"] == 1
    html = html_path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "<script" not in html
    assert "391.60" in html  # the realized gain
    assert files[0] == csv_path and len(files) > 1 and all(path.exists() for path in files)
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["section", "metric", "value"]
    listed = [value for section, _, value in rows[1:] if section == "files"]
    assert listed == [path.name for path in files[1:]]
    metrics = {(s, k): v for s, k, v in rows[1:]}
    assert metrics[("trades", "trades")] == "1"


async def test_an_unknown_export_format_is_refused():
    async with PortfolioManager(config(), journal=MemoryJournal()) as pm:
        with pytest.raises(PortfolioError, match="json, csv, html"):
            await pm.analytics.export_analytics("xlsx", directory=".")


async def test_settings_are_validated_and_a_refusal_changes_nothing():
    async with PortfolioManager(config(), journal=MemoryJournal()) as pm:
        analytics = pm.analytics
        analytics.configure(benchmark="ETH/USDT", risk_free=0.04, lot_method="hifo")
        for bad in ({"benchmark": "ETHUSDT"}, {"risk_free": -2}, {"lot_method": "random"}):
            with pytest.raises(ConfigError):
                analytics.configure(**bad)
        assert analytics.benchmark.symbols == ("ETH/USDT",)
        assert analytics.risk_free == 0.04 and analytics.lot_method.value == "hifo"
        with pytest.raises(ConfigError, match="fifo, lifo, hifo, average"):
            await analytics.calculate_realized_gains("newest")


async def test_the_dashboard_shows_allocation_against_targets_and_top_movers():
    targets = {"BTC/USDT": 0.5, "ETH/USDT": 0.3}
    async with PortfolioManager(config(target_allocations=targets), journal=MemoryJournal()) as pm:
        await pm.create_position("BTC/USDT", "long", "0.1", 40_000)
        await pm.create_position("ETH/USDT", "long", 1, 2_000)
        await pm.update_prices({"BTC/USDT": 42_000, "ETH/USDT": 1_900})
        dashboard = await pm.analytics.get_dashboard_data()
    slices = {s.key: s for s in dashboard.allocation}
    assert dashboard.equity == pytest.approx(10_000 + 200 - 100)
    assert slices["BTC/USDT"].weight == pytest.approx(4_200 / 10_100)
    assert slices["BTC/USDT"].drift == pytest.approx(4_200 / 10_100 - 0.5)
    assert slices["cash"].target_weight == pytest.approx(0.2)
    assert sum(s.weight for s in dashboard.allocation) == pytest.approx(1.0)
    assert [m.symbol for m in dashboard.top_movers] == ["BTC/USDT", "ETH/USDT"]
    assert dashboard.top_movers[0].unrealized_pnl_pct == pytest.approx(0.05)
    assert dashboard.notes and "no store" in dashboard.notes[0]
    json.dumps(dashboard.to_dict(), allow_nan=False)
