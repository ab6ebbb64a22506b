"""The pages of the settings dialog that are not engine configuration: data & feed,
trading defaults and appearance. Each page reads and writes :class:`AppSettings`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.app_settings import (
    FEEDS,
    AppSettings,
    has_api_credentials,
    keyring_module,
    remember_data_dir,
    store_api_credentials,
)

from .common import browse, compact_spin, hrow

EXCHANGES = ("binance", "bybit", "okx", "kraken", "coinbase", "kucoin", "bitget")


class DataFeedPage(QWidget):
    """Data dir, price feed, exchange and API keys (kept in the OS keyring)."""

    def __init__(
        self, settings: AppSettings, current_data_dir: Path, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.settings = settings
        self.current_data_dir = current_data_dir
        self.data_dir = QLineEdit(str(current_data_dir), self)
        self.data_dir.setObjectName("dataDirEdit")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse_data_dir)
        self.feed = QComboBox(self)
        self.feed.setObjectName("feedCombo")
        for kind, label in zip(
            FEEDS,
            ("Simulated prices (offline)", "Replay a CSV file", "Live exchange (ccxt)"),
            strict=True,
        ):
            self.feed.addItem(label, kind)
        self.feed.setCurrentIndex(max(0, self.feed.findData(settings.feed)))
        self.replay_file = QLineEdit(settings.replay_file, self)
        self.replay_file.setObjectName("replayFileEdit")
        self.replay_file.setPlaceholderText("OHLCV CSV, e.g. BTC-USDT_1m.csv")
        replay_browse = QPushButton("Browse…", self)
        replay_browse.clicked.connect(self._browse_replay)
        self.speed = QDoubleSpinBox(self)
        self.speed.setObjectName("replaySpeedSpin")
        self.speed.setRange(0.1, 100_000)
        self.speed.setSuffix(" ×")
        self.speed.setValue(settings.replay_speed)
        compact_spin(self.speed)
        self.exchange = QComboBox(self)
        self.exchange.setObjectName("exchangeCombo")
        self.exchange.setEditable(True)
        self.exchange.addItems(EXCHANGES)
        self.exchange.setCurrentText(settings.exchange)
        self.api_key = QLineEdit(self)
        self.api_key.setObjectName("apiKeyEdit")
        self.api_secret = QLineEdit(self)
        self.api_secret.setObjectName("apiSecretEdit")
        self.api_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_state = QLabel(self)
        self.key_state.setProperty("role", "muted")
        self.key_state.setWordWrap(True)
        if keyring_module() is None:
            for widget in (self.api_key, self.api_secret):
                widget.setEnabled(False)
                widget.setPlaceholderText("needs the 'live' extra (keyring)")
        self.exchange.currentTextChanged.connect(lambda _t: self._show_key_state())
        self._show_key_state()

        note = QLabel(
            "The data dir and the feed apply at the next start. API keys are stored in the "
            "operating system's keyring (Windows Credential Manager), never in a file.",
            self,
        )
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        form = QFormLayout()
        form.addRow("Data folder", hrow(self.data_dir, browse))
        form.addRow("Price feed", self.feed)
        form.addRow("Replay file", hrow(self.replay_file, replay_browse))
        form.addRow("Replay speed", self.speed)
        form.addRow("Exchange", self.exchange)
        form.addRow("API key", self.api_key)
        form.addRow("API secret", self.api_secret)
        form.addRow("", self.key_state)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addStretch(1)

    def _show_key_state(self) -> None:
        exchange = self.exchange.currentText().strip().lower()
        if keyring_module() is None:
            self.key_state.setText("Install the 'live' extra to keep exchange keys.")
        elif has_api_credentials(exchange):
            self.key_state.setText(f"Keys for {exchange} are stored in the keyring.")
        else:
            self.key_state.setText(f"No keys stored for {exchange}.")

    def _browse_data_dir(self) -> None:
        browse(self, self.data_dir, "Data folder", folder=True)

    def _browse_replay(self) -> None:
        browse(self, self.replay_file, "Replay file", name_filter="CSV files (*.csv)")

    def problem(self) -> str:
        if not self.data_dir.text().strip():
            return "Choose a data folder"
        if self.feed.currentData() == "replay" and not self.replay_file.text().strip():
            return "Choose the CSV file to replay (or another price feed)"
        if bool(self.api_key.text().strip()) != bool(self.api_secret.text().strip()):
            return "Enter both the API key and its secret (or neither)"
        return ""

    def chosen_data_dir(self) -> Path:
        return Path(self.data_dir.text().strip()).expanduser()

    def apply(self) -> list[str]:
        """Persist; returns what changed, in words."""
        changed: list[str] = []
        s = self.settings
        exchange = self.exchange.currentText().strip().lower()
        for label, old, new, setter in (
            ("price feed", s.feed, self.feed.currentData(), "feed"),
            ("replay file", s.replay_file, self.replay_file.text().strip(), "replay_file"),
            ("replay speed", s.replay_speed, self.speed.value(), "replay_speed"),
            ("exchange", s.exchange, exchange, "exchange"),
        ):
            if old != new:
                setattr(s, setter, new)
                changed.append(label)
        if self.chosen_data_dir() != self.current_data_dir:
            remember_data_dir(self.chosen_data_dir())
            changed.append("data folder (from the next start)")
        if self.api_key.text().strip():
            store_api_credentials(exchange, self.api_key.text().strip(), self.api_secret.text())
            self.api_key.clear()
            self.api_secret.clear()
            changed.append(f"API keys for {exchange}")
            self._show_key_state()
        return changed


class TradingPage(QWidget):
    """Defaults for manual tickets."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.fee_bps = QDoubleSpinBox(self)
        self.fee_bps.setObjectName("feeBpsSpin")
        self.fee_bps.setRange(0, 1000)
        self.fee_bps.setDecimals(2)
        self.fee_bps.setSuffix(" bps")
        self.fee_bps.setValue(float(settings.fee_bps))
        compact_spin(self.fee_bps)
        help_text = QLabel(
            "The fee prefilled in the open and close tickets: notional × rate "
            "(10 bps = 0.10 %). You can always overwrite it in the ticket.",
            self,
        )
        help_text.setWordWrap(True)
        help_text.setProperty("role", "muted")
        form = QFormLayout()
        form.addRow("Fee rate", self.fee_bps)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(help_text)
        layout.addStretch(1)

    def apply(self) -> list[str]:
        value = Decimal(str(round(self.fee_bps.value(), 2)))
        if value != self.settings.fee_bps:
            self.settings.fee_bps = value
            return ["fee rate"]
        return []


class AppearancePage(QWidget):
    """Dark or light theme, applied at once."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.dark = QRadioButton("Dark (default)", self)
        self.dark.setObjectName("darkThemeRadio")
        self.light = QRadioButton("Light", self)
        self.light.setObjectName("lightThemeRadio")
        group = QButtonGroup(self)
        group.addButton(self.dark)
        group.addButton(self.light)
        (self.light if settings.theme == "light" else self.dark).setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Theme", self))
        layout.addWidget(self.dark)
        layout.addWidget(self.light)
        layout.addStretch(1)

    def chosen_theme(self) -> str:
        return "light" if self.light.isChecked() else "dark"

    def apply(self) -> list[str]:
        if self.chosen_theme() != self.settings.theme:
            self.settings.theme = self.chosen_theme()
            return ["theme"]
        return []
