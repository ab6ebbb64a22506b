"""Correlation heat map and stress tests: the risk manager's own matrix and scenarios."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QPoint, Qt

from desktop_app.portfolio import ConfigError, PortfolioConfig, PositionType
from desktop_app.portfolio.stress import BUILT_IN, crash_reference
from desktop_app.ui.views.stress_view import StressModel, SymbolStressModel, by_symbol, parse_shocks

from .helpers import cell_text, until, with_views

LEFT = Qt.MouseButton.LeftButton
SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT")


async def hourly_history(store, days: int = 45) -> dict[str, float]:
    """Correlated hourly bars ending now (ETH follows BTC closely, SOL only a little)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    index = pd.date_range(now - timedelta(days=days), now, freq="h", tz="UTC")
    rng = np.random.default_rng(5)
    common = rng.normal(0, 0.01, len(index))
    moves = {
        "BTC/USDT": common,
        "ETH/USDT": 0.9 * common + 0.4 * rng.normal(0, 0.01, len(index)),
        "SOL/USDT": 0.2 * common + rng.normal(0, 0.01, len(index)),
    }
    last = {}
    for symbol, start in zip(SYMBOLS, (60_000.0, 3_000.0, 150.0), strict=True):
        close = start * np.exp(np.cumsum(moves[symbol]))
        bars = pd.DataFrame(
            {"open": close, "high": close, "low": close, "close": close, "volume": 1.0},
            index=index,
        )
        await store.write_bars(symbol, bars)
        last[symbol] = float(close[-1])
    return last


def test_the_heat_map_shows_the_risk_managers_correlations(run, make_desk):
    async def scenario():
        desk = await make_desk(
            PortfolioConfig(initial_capital=1_000_000, performance_update_interval_s=0)
        )
        prices = await hourly_history(desk.manager.store)
        await desk.manager.update_prices(prices)
        for symbol, size in zip(SYMBOLS, ("2", "30", "500"), strict=True):
            await desk.book(symbol, size, prices[symbol])
        views = await with_views(desk)
        views.docks["correlation"].raise_()
        metrics = await desk.manager.risk_manager.calculate_risk_metrics()
        views.correlation.show_metrics(metrics)
        heat = views.correlation.heat_map
        assert heat.labels == sorted(SYMBOLS)
        for i, a in enumerate(heat.labels):
            for j, b in enumerate(heat.labels):
                assert heat.values[i, j] == pytest.approx(metrics.correlation[a][b])
        btc, eth, sol = (heat.labels.index(s) for s in SYMBOLS)
        assert heat.values[btc, eth] > 0.8 > heat.values[btc, sol]
        assert "hourly returns" in views.correlation.basis.text()
        heat.resize(400, 400)
        grid = heat.grid_rect()
        size = grid.width() / 3
        point = QPoint(int(grid.left() + size * (eth + 0.5)), int(grid.top() + size * (btc + 0.5)))
        assert heat.cell_at(point) == (btc, eth)

    run(scenario())


def test_without_history_the_heat_map_says_why(run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"BTC/USDT": 60_000, "ETH/USDT": 3_000})
        await desk.book("BTC/USDT", 1, 60_000)
        await desk.book("ETH/USDT", 10, 3_000)
        views = await with_views(desk)
        metrics = await desk.manager.risk_manager.calculate_risk_metrics()
        views.correlation.show_metrics(metrics)
        assert views.correlation.heat_map.labels == []
        assert "insufficient history" in views.correlation.heat_map.empty_text

    run(scenario())


def test_stress_scenarios_show_the_engines_pnl_and_the_limits_that_break(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(
            PortfolioConfig(initial_capital=100_000, performance_update_interval_s=0),
            prices={"BTC/USDT": 60_000, "ETH/USDT": 3_000},
        )
        await desk.book("BTC/USDT", "0.3", 60_000)  # 18 %
        await desk.book("ETH/USDT", "4", 3_000, side=PositionType.SHORT)  # -12 %
        view = (await with_views(desk)).stress
        rows = await view.run(dict(BUILT_IN))
        assert [row.scenario for row in rows] == list(BUILT_IN)
        crash = view.model.get("crypto_crash_30")
        engine = await desk.manager.risk_manager.run_stress_test("crypto_crash_30")
        assert crash.pnl == pytest.approx(engine.total_pnl)
        assert crash.pnl == pytest.approx(-0.3 * 18_000 + 0.3 * 12_000)
        assert cell_text(view.table, "crypto_crash_30", "pnl") == "−1,800.00"
        # no stored 2021-2022 prices: each coin's real return over the window, as shipped
        replay = view.model.get("crash_2022")
        real = crash_reference()
        assert replay.pnl == pytest.approx(18_000 * real["BTC"] - 12_000 * real["ETH"])
        view.table.select_key("crypto_crash_30")
        assert {r.symbol for r in view.detail_model.rows()} == {"BTC/USDT", "ETH/USDT"}
        # a scenario of one's own, in percent
        qtbot.keyClicks(view.custom, "BTC: -50, ETH: 60")
        qtbot.mouseClick(view.custom_button, LEFT)
        await until(lambda: view.model.get("custom") is not None, message="the custom row")
        custom = view.model.get("custom")
        assert custom.pnl == pytest.approx(-0.5 * 18_000 - 0.6 * 12_000)  # -16.2 % of equity
        assert "drawdown breaker: 16.2 %" in custom.breaches
        assert "daily-loss breaker" in custom.breaches
        assert math.isfinite(custom.pnl_pct)

    run(scenario())


def test_shocks_are_typed_in_percent_and_bad_ones_are_refused():
    assert parse_shocks("btc: -20, *: -35 %") == {"BTC": -0.2, "*": -0.35}
    for bad in ("", "BTC -20", "BTC: lots"):
        with pytest.raises(ConfigError, match="e.g. BTC: -20"):
            parse_shocks(bad)


def test_the_stress_models_pass_the_model_tester(qtmodeltester, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"BTC/USDT": 60_000})
        await desk.book("BTC/USDT", 1, 60_000)
        result = await desk.manager.risk_manager.run_stress_test("crypto_crash_30")
        from desktop_app.ui.views.stress_view import StressRow

        model = StressModel()
        model.set_rows([StressRow("crypto_crash_30", result.description, result)])
        detail = SymbolStressModel()
        detail.set_rows(by_symbol(result))
        qtmodeltester.check(model)
        qtmodeltester.check(detail)

    run(scenario())
