"""The settings dialog applies to the engine at once, validates as you type, persists."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from desktop_app.portfolio import ConfigError, PortfolioConfig, PortfolioManager, PortfolioStrategy
from desktop_app.ui.app_settings import AppSettings
from desktop_app.ui.dialogs.dataclass_form import DataclassForm, field_specs
from desktop_app.ui.dialogs.settings import SettingsDialog
from desktop_app.ui.theme import current_theme

from .helpers import until

LEFT = Qt.MouseButton.LeftButton


def open_settings(desk) -> SettingsDialog:
    desk.window.findChild(QAction, "actionSettings").trigger()
    dialog = desk.window.trading.settings_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_a_limit_changed_in_settings_is_enforced_by_the_engine(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"ETH/USDT": 3200})
        engine = desk.manager
        dialog = open_settings(desk)
        form = dialog.risk_page.limits_form
        assert form is not None  # built from the RiskLimits dataclass
        assert set(form.editors) >= {"max_single_position_pct", "max_positions", "max_leverage"}
        page = dialog.risk_page
        page.strategy.setCurrentIndex(page.strategy.findData(PortfolioStrategy.CONSERVATIVE))
        assert form.values()["max_single_position_pct"] == 10.0  # the preset fills the form
        form.set_value("max_single_position_pct", 5.0)
        qtbot.mouseClick(dialog.apply_button, LEFT)
        await until(lambda: engine.risk_manager.limits.max_single_position_pct == 5.0)
        assert dialog.isVisible()  # Apply keeps the dialog open
        assert engine.config.strategy is PortfolioStrategy.CONSERVATIVE
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await until(lambda: desk.window.trading.settings_dialog is None)
        assert any("Settings applied" in m for m in desk.window.event_log.messages())

        desk.window.trading.open_position("ETH/USDT")
        ticket = desk.window.trading.open_dialog
        ticket.size.setText("20")  # 64,000 = 6.4 % of 1,000,000
        ticket.size.textEdited.emit("20")
        qtbot.mouseClick(ticket.ok_button, LEFT)
        await until(ticket.error.isVisible, message="the refusal")
        assert "limit 5 %" in ticket.error.text()
        ticket.size.setText("15")  # 4.8 %
        ticket.size.textEdited.emit("15")
        qtbot.mouseClick(ticket.ok_button, LEFT)
        await until(lambda: len(engine.get_open_positions()) == 1)

    run(scenario())


def test_changed_limits_survive_a_restart(qtbot, run, make_desk, tmp_path):
    async def scenario():
        engine = PortfolioManager(
            PortfolioConfig(initial_capital=1_000_000, performance_update_interval_s=0),
            data_dir=tmp_path / "db",
        )
        desk = await make_desk(manager=engine)
        dialog = open_settings(desk)
        dialog.risk_page.limits_form.set_value("max_positions", 3)
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await until(lambda: engine.risk_manager.limits.max_positions == 3)
        desk.window.shutdown()
        await engine.shutdown()
        again = PortfolioManager(data_dir=tmp_path / "db")
        await again.initialize()
        try:
            assert again.risk_manager.limits.max_positions == 3
        finally:
            await again.shutdown()

    run(scenario())


def test_target_allocations_over_100_pct_keep_ok_disabled(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk()
        dialog = open_settings(desk)
        editor = dialog.allocations
        model = editor.model
        for symbol, pct in (("BTC/USDT", "60"), ("ETH/USDT", "50")):
            row = model.add_row()
            model.setData(model.index(row, model.SYMBOL), symbol)
            model.setData(model.index(row, model.TARGET), pct)
        assert not dialog.ok_button.isEnabled() and not dialog.apply_button.isEnabled()
        assert "may not exceed 100 %" in dialog.error.text()
        assert editor.cash_label.text() == "Allocated 110.00 % · cash −10.00 %"
        model.setData(model.index(1, model.TARGET), "150")
        assert "between 0 % and 100 %" in dialog.error.text()
        model.setData(model.index(1, model.TARGET), "25")
        assert dialog.ok_button.isEnabled() and not dialog.error.isVisible()
        assert editor.cash_label.text() == "Allocated 85.00 % · cash 15.00 %"
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await until(lambda: desk.manager.config.target_allocations)
        assert desk.manager.config.target_allocations == {"BTC/USDT": 0.6, "ETH/USDT": 0.25}

    run(scenario())


def test_a_symbol_in_another_currency_is_refused_inline(run, make_desk):
    async def scenario():
        desk = await make_desk()
        dialog = open_settings(desk)
        model = dialog.allocations.model
        row = model.add_row()
        model.setData(model.index(row, model.SYMBOL), "btc/eur")
        model.setData(model.index(row, model.TARGET), "10")
        assert "quoted in EUR" in dialog.error.text()
        assert not dialog.ok_button.isEnabled()

    run(scenario())


def test_theme_and_fee_rate_apply_at_once_and_persist(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk()
        dialog = open_settings(desk)
        dialog.appearance_page.light.setChecked(True)
        dialog.trading_page.fee_bps.setValue(7.5)
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await until(lambda: current_theme().name == "light")
        reread = AppSettings(desk.data_dir)
        assert reread.theme == "light" and reread.fee_bps == Decimal("7.5")
        desk.window.apply_theme("dark")

    run(scenario())


def test_replay_feed_needs_a_file_and_keys_need_both_halves(run, make_desk):
    async def scenario():
        desk = await make_desk()
        dialog = open_settings(desk)
        page = dialog.data_page
        page.feed.setCurrentIndex(page.feed.findData("replay"))
        assert "CSV file to replay" in dialog.error.text()
        page.replay_file.setText("/data/BTC-USDT_1m.csv")
        assert dialog.ok_button.isEnabled()
        if page.api_key.isEnabled():  # only with the keyring installed
            page.api_key.setText("key-only")
            assert "both the API key and its secret" in dialog.error.text()

    run(scenario())


class Level(Enum):
    LOW = "low"
    HIGH = "high"


@dataclass(frozen=True)
class ExampleLimits:
    """Stands in for a component's frozen config record: the form is built from fields."""

    max_positions: int = 10
    max_drawdown_pct: float = 15.0
    max_leverage: float = 1.0
    stop_trading: bool = False
    var_confidence: Decimal = Decimal("0.95")
    alert_level: Level = Level.HIGH
    daily_loss_limit_pct: float | None = None
    budget_by_strategy_pct: dict[str, float] = field(default_factory=dict)
    notes: tuple[Level, ...] = ()

    def __post_init__(self) -> None:
        if self.max_leverage > 10:
            raise ValueError("max_leverage must be at most 10")


def test_a_config_form_is_built_from_the_dataclass_fields(qtbot):
    form = DataclassForm(ExampleLimits())
    qtbot.addWidget(form)
    specs = {spec.name: spec for spec in field_specs(ExampleLimits())}
    assert "notes" not in specs  # nested records stay with the engine
    assert specs["budget_by_strategy_pct"].kind is dict
    assert specs["max_drawdown_pct"].unit == "%" and specs["max_drawdown_pct"].label == (
        "Max drawdown"
    )
    assert specs["daily_loss_limit_pct"].optional
    form.set_value("max_positions", 5)
    form.set_value("alert_level", Level.LOW)
    form.switches["daily_loss_limit_pct"].setChecked(True)
    form.set_value("daily_loss_limit_pct", 3.0)
    form.set_value("budget_by_strategy_pct", "momentum: 40, breakout = 25")
    built = form.build()
    assert built.budget_by_strategy_pct == {"momentum": 40.0, "breakout": 25.0}
    assert (built.max_positions, built.alert_level, built.daily_loss_limit_pct) == (
        5,
        Level.LOW,
        3.0,
    )
    assert set(form.changes()) == {
        "max_positions",
        "alert_level",
        "daily_loss_limit_pct",
        "budget_by_strategy_pct",
    }
    form.set_value("budget_by_strategy_pct", "momentum 40")
    with pytest.raises(ConfigError, match="name: number"):
        form.build()
    form.set_value("budget_by_strategy_pct", "")
    form.set_value("max_leverage", 20.0)
    with pytest.raises(ValueError, match="at most 10"):
        form.build()
