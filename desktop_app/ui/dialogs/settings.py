"""Settings: risk limits, target allocations, rebalancing, data & feed, trading, appearance.

Apply (or OK) sends the engine settings to the engine at once — ``update_config`` for the
portfolio's limits and the ``RiskLimits`` / ``RebalanceConfig`` records,
``set_target_allocations`` for the targets — which validates and persists them with the
ledger; the risk manager and the rebalancer follow the new records. GUI settings go to
:class:`AppSettings`. A refusal from the engine is shown inline and nothing else is lost:
the dialog stays open with what the trader typed.

The risk-limit and rebalancing forms are built from the engine's dataclasses
(:class:`DataclassForm`), so they show exactly the fields the attached components have.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop_app.portfolio import PortfolioManager, PortfolioStrategy
from desktop_app.portfolio.config import STRATEGY_PRESETS
from desktop_app.ui.app_settings import AppSettings

from .allocations import AllocationEditor
from .common import compact_spin, describe_failure, error_label, show_error
from .dataclass_form import DataclassForm
from .settings_pages import AppearancePage, DataFeedPage, TradingPage

log = logging.getLogger(__name__)


def _pct_spin(name: str, value: float, parent: QWidget) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setObjectName(name)
    spin.setRange(0.01, 100.0)
    spin.setDecimals(2)
    spin.setSuffix(" %")
    spin.setValue(value)
    compact_spin(spin)
    return spin


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setProperty("role", "muted")
    return label


class RiskLimitsPage(QWidget):
    """The risk preset and every ``RiskLimits`` field (or the preset limits without one).

    With a risk manager attached its ``RiskLimits`` record is authoritative: the form shows
    each of its fields with its unit, and choosing a preset fills in the preset's position
    and drawdown limits. Without one, the portfolio's own preset limits are edited.
    """

    def __init__(self, manager: PortfolioManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        config = manager.config
        self.strategy = QComboBox(self)
        self.strategy.setObjectName("strategyPresetCombo")
        self.strategy.setMaximumWidth(240)
        for preset in PortfolioStrategy:
            self.strategy.addItem(preset.value.capitalize(), preset)
        self.strategy.setCurrentIndex(self.strategy.findData(config.strategy))
        self.max_position = _pct_spin(
            "maxSinglePositionSpin", float(config.max_single_position_pct or 0), self
        )
        self.max_drawdown = _pct_spin("maxDrawdownSpin", float(config.max_drawdown_pct or 0), self)
        form = QFormLayout()
        form.addRow("Risk preset", self.strategy)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.limits_form: DataclassForm | None = None
        limits = getattr(manager.risk_manager, "limits", None)
        if limits is not None and dataclasses.is_dataclass(limits):
            self.limits_form = DataclassForm(limits, self, prefix="riskLimit_", columns=2)
            self.max_position.hide()
            self.max_drawdown.hide()
            scroll = QScrollArea(self)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(self.limits_form)
            layout.addWidget(scroll, 1)
            layout.addWidget(
                _note(
                    "Enforced before every trade, under the ledger lock; a limit switched off "
                    "is not enforced. Breaker actions say what a tripped breaker does.",
                    self,
                )
            )
        else:
            form.addRow("Max single position", self.max_position)
            form.addRow("Max drawdown", self.max_drawdown)
            layout.addWidget(
                _note(
                    "No risk manager is attached to this portfolio: these limits are stored "
                    "with the portfolio and take effect once one is.",
                    self,
                )
            )
            layout.addStretch(1)
        self.strategy.currentIndexChanged.connect(self._preset_chosen)

    def _preset_chosen(self, _index: int) -> None:
        preset = self.strategy.currentData()
        if preset is PortfolioStrategy.CUSTOM:
            return
        values = STRATEGY_PRESETS[preset]
        self.max_position.setValue(values["max_single_position_pct"])
        self.max_drawdown.setValue(values["max_drawdown_pct"])
        if self.limits_form is not None:
            for name in ("max_single_position_pct", "max_drawdown_pct"):
                if name in self.limits_form.editors:
                    self.limits_form.set_value(name, values[name], enable=True)

    def config_changes(self, manager: PortfolioManager) -> dict[str, Any]:
        config = manager.config
        changes: dict[str, Any] = {}
        preset = self.strategy.currentData()
        if preset is not config.strategy:
            changes["strategy"] = preset
        portfolio_limits = {
            "max_single_position_pct": self.max_position.value(),
            "max_drawdown_pct": self.max_drawdown.value(),
        }
        if self.limits_form is not None:
            typed = self.limits_form.values()
            portfolio_limits = {
                name: float(typed[name]) if typed.get(name) is not None else value
                for name, value in portfolio_limits.items()
            }
            if self.limits_form.changes():
                changes["risk_limits"] = self.limits_form.build()
        changes.update(
            (name, value)
            for name, value in portfolio_limits.items()
            if abs(value - float(getattr(config, name) or 0)) > 1e-9
        )
        return changes


class RebalancingPage(QWidget):
    """Rebalancing on/off, drift threshold, and the ``RebalanceConfig`` when present."""

    def __init__(self, manager: PortfolioManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        config = manager.config
        self.enabled = QCheckBox("Rebalance automatically toward the target allocations", self)
        self.enabled.setObjectName("rebalanceEnabledCheck")
        self.enabled.setChecked(config.rebalance_enabled)
        self.threshold = _pct_spin(
            "rebalanceThresholdSpin", float(config.rebalance_threshold_pct or 0), self
        )
        form = QFormLayout()
        form.addRow("", self.enabled)
        form.addRow("Drift threshold", self.threshold)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.config_form: DataclassForm | None = None
        record = config.rebalance_config
        if record is None and manager.rebalancer is not None:
            record = getattr(manager.rebalancer, "config", None)
        if record is not None and dataclasses.is_dataclass(record):
            self.config_form = DataclassForm(record, self, prefix="rebalance_", columns=2)
            if "max_drift_pct" in self.config_form.editors:  # the same limit, shown once
                self.threshold.hide()
                form.labelForField(self.threshold).hide()
            scroll = QScrollArea(self)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(self.config_form)
            layout.addWidget(scroll, 1)
        if manager.rebalancer is None:
            layout.addWidget(
                _note(
                    "No rebalancer is attached yet: these settings are stored with the "
                    "portfolio and used once it is.",
                    self,
                )
            )
        if self.config_form is None:
            layout.addStretch(1)

    def config_changes(self, manager: PortfolioManager) -> dict[str, Any]:
        config = manager.config
        changes: dict[str, Any] = {}
        if self.enabled.isChecked() != config.rebalance_enabled:
            changes["rebalance_enabled"] = self.enabled.isChecked()
        if self.config_form is not None and self.config_form.changes():
            changes["rebalance_config"] = self.config_form.build()
        elif abs(self.threshold.value() - float(config.rebalance_threshold_pct or 0)) > 1e-9:
            changes["rebalance_threshold_pct"] = self.threshold.value()
        return changes


class SettingsDialog(QDialog):
    """Tabs of settings; Apply/OK apply them immediately to the engine and persist them."""

    applied = Signal(list)  # what changed, in words
    themeChosen = Signal(str)

    def __init__(
        self,
        manager: PortfolioManager,
        settings: AppSettings,
        data_dir: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.manager = manager
        self.settings = settings
        self._busy = False
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("settingsTabs")
        self.risk_page = RiskLimitsPage(manager, self)
        self.allocations = AllocationEditor(manager.config.quote_currency, self)
        summary = manager.position_tracker.get_portfolio_summary()
        equity = summary["equity"]
        current = (
            {s: row["market_value"] / equity for s, row in summary["by_symbol"].items()}
            if equity > 0
            else {}
        )
        self.allocations.load(manager.config.target_allocations, current)
        self.rebalance_page = RebalancingPage(manager, self)
        self.data_page = DataFeedPage(settings, data_dir, self)
        self.trading_page = TradingPage(settings, self)
        self.appearance_page = AppearancePage(settings, self)
        for page, title in (
            (self.risk_page, "Risk limits"),
            (self.allocations, "Target allocations"),
            (self.rebalance_page, "Rebalancing"),
            (self.data_page, "Data && feed"),
            (self.trading_page, "Trading"),
            (self.appearance_page, "Appearance"),
        ):
            self.tabs.addTab(page, title)
        self.error = error_label(self, "settingsError")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("okButton")
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setObjectName("applyButton")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancelButton")
        self.ok_button.clicked.connect(self.ok_clicked)
        self.apply_button.clicked.connect(self.apply_clicked)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(760, 580)
        self.allocations.changed.connect(self._validate)
        for edit in (self.data_page.data_dir, self.data_page.replay_file):
            edit.textChanged.connect(lambda _t: self._validate())
        self.data_page.api_key.textChanged.connect(lambda _t: self._validate())
        self.data_page.api_secret.textChanged.connect(lambda _t: self._validate())
        self.data_page.feed.currentIndexChanged.connect(lambda _i: self._validate())
        self._validate()

    def problem(self) -> str:
        problem = self.allocations.problem()
        if problem:
            return f"Target allocations: {problem}"
        problem = self.data_page.problem()
        if problem:
            return f"Data & feed: {problem}"
        return ""

    def _validate(self) -> None:
        problem = self.problem()
        if not self._busy:
            show_error(self.error, problem)
        for button in (self.ok_button, self.apply_button):
            button.setEnabled(not problem and not self._busy)

    async def apply(self) -> bool:
        """Apply everything; True when all of it was accepted."""
        if self.problem() or self._busy:
            return False
        self._busy = True
        self._validate()
        changed: list[str] = []
        try:
            changes = {
                **self.risk_page.config_changes(self.manager),
                **self.rebalance_page.config_changes(self.manager),
            }
            if changes:
                # the risk manager and the rebalancer read their records from the config
                await self.manager.update_config(**changes)
                changed.extend(name.replace("_", " ") for name in changes)
            targets = self.allocations.targets_or_none()
            if targets is not None and targets != dict(self.manager.config.target_allocations):
                await self.manager.set_target_allocations(targets)
                changed.append("target allocations")
            changed.extend(self.data_page.apply())
            changed.extend(self.trading_page.apply())
            theme_changes = self.appearance_page.apply()
            if theme_changes:
                self.themeChosen.emit(self.appearance_page.chosen_theme())
                changed.extend(theme_changes)
        except Exception as exc:
            show_error(self.error, describe_failure(exc, "apply the settings"))
            if changed:
                self.applied.emit(changed)
            return False
        finally:
            self._busy = False
            self._validate_buttons_only()
        show_error(self.error, "")
        self._rebuild_baselines()
        if changed:
            self.applied.emit(changed)
        return True

    def _validate_buttons_only(self) -> None:
        problem = self.problem()
        for button in (self.ok_button, self.apply_button):
            button.setEnabled(not problem)

    def _rebuild_baselines(self) -> None:
        """After applying, compare later edits against what the engine now holds."""
        if self.risk_page.limits_form is not None:
            limits = getattr(self.manager.risk_manager, "limits", None)
            if limits is not None:
                self.risk_page.limits_form.instance = limits
        if self.rebalance_page.config_form is not None:
            record = self.manager.config.rebalance_config
            if record is not None:
                self.rebalance_page.config_form.instance = record

    @asyncSlot()
    async def apply_clicked(self) -> None:
        await self.apply()

    @asyncSlot()
    async def ok_clicked(self) -> None:
        if await self.apply():
            self.accept()
