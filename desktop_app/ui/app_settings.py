"""The GUI's own settings: theme, fee rate, feed choice, window and grid layout.

They live in an INI file in the data dir (``<data dir>/portfolio-desk.ini``), so a demo
data dir and a real one keep separate layouts and tests never touch the trader's settings.
Only the *choice of data dir* itself lives in the user's profile
(:func:`remembered_data_dir`), since it is needed before any data dir is known.

Engine settings (risk limits, target allocations, rebalancing) are **not** here: they are
part of the portfolio configuration, persisted by the engine with the ledger.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from desktop_app import APP_NAME

FEEDS = ("simulated", "replay", "ccxt")
DEFAULT_FEE_BPS = Decimal(10)  # 0.10 %: a typical spot taker fee
KEYRING_SERVICE = APP_NAME


class AppSettings:
    """Typed access to the INI file; every setter writes through immediately."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.path = data_dir / "portfolio-desk.ini"
        self.qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)

    def _get(self, key: str, default: Any = None) -> Any:
        return self.qsettings.value(key, default)

    def _set(self, key: str, value: Any) -> None:
        self.qsettings.setValue(key, value)
        self.qsettings.sync()

    # ------------------------------------------------------------------ typed
    @property
    def theme(self) -> str:
        return str(self._get("appearance/theme", "dark"))

    @theme.setter
    def theme(self, name: str) -> None:
        self._set("appearance/theme", name)

    @property
    def fee_bps(self) -> Decimal:
        try:
            value = Decimal(str(self._get("trading/fee_bps", DEFAULT_FEE_BPS)))
        except InvalidOperation:
            return DEFAULT_FEE_BPS
        return value if value.is_finite() and value >= 0 else DEFAULT_FEE_BPS

    @fee_bps.setter
    def fee_bps(self, value: Decimal) -> None:
        self._set("trading/fee_bps", str(value))

    @property
    def feed(self) -> str:
        value = str(self._get("feed/kind", "simulated"))
        return value if value in FEEDS else "simulated"

    @feed.setter
    def feed(self, value: str) -> None:
        self._set("feed/kind", value)

    @property
    def exchange(self) -> str:
        return str(self._get("feed/exchange", "binance"))

    @exchange.setter
    def exchange(self, value: str) -> None:
        self._set("feed/exchange", value)

    @property
    def replay_file(self) -> str:
        return str(self._get("feed/replay_file", ""))

    @replay_file.setter
    def replay_file(self, value: str) -> None:
        self._set("feed/replay_file", value)

    @property
    def replay_speed(self) -> float:
        try:
            return float(self._get("feed/speed", 60.0))
        except (TypeError, ValueError):
            return 60.0

    @replay_speed.setter
    def replay_speed(self, value: float) -> None:
        self._set("feed/speed", value)

    def last_ticket(self) -> dict[str, str]:
        """Side and strategy of the last position opened (the next ticket starts there)."""
        return {
            "side": str(self._get("ticket/side", "long")),
            "strategy": str(self._get("ticket/strategy", "manual")),
            "symbol": str(self._get("ticket/symbol", "")),
        }

    def remember_ticket(self, side: str, strategy: str, symbol: str) -> None:
        self._set("ticket/side", side)
        self._set("ticket/strategy", strategy)
        self._set("ticket/symbol", symbol)

    # ------------------------------------------------------------- layouts
    def save_bytes(self, key: str, data: QByteArray) -> None:
        self._set(f"layout/{key}", data)

    def load_bytes(self, key: str) -> QByteArray | None:
        value = self._get(f"layout/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def profile_settings() -> QSettings:
    """Settings in the user's profile (registry on Windows): only the data-dir choice."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "PortfolioDesk", "app")


def remembered_data_dir() -> Path | None:
    value = profile_settings().value("data_dir")
    return Path(str(value)) if value else None


def remember_data_dir(path: Path | None) -> None:
    settings = profile_settings()
    if path is None:
        settings.remove("data_dir")
    else:
        settings.setValue("data_dir", str(path))
    settings.sync()


def keyring_module() -> Any:
    """The ``keyring`` module when installed (the ``live`` extra), else None."""
    try:
        import keyring
    except ImportError:
        return None
    return keyring


def store_api_credentials(exchange: str, api_key: str, secret: str) -> None:
    """Save exchange credentials in the OS keyring — never in a file or the log."""
    keyring = keyring_module()
    if keyring is None:
        raise RuntimeError("Storing API keys needs the keyring package (the 'live' extra)")
    keyring.set_password(KEYRING_SERVICE, f"{exchange}:api_key", api_key)
    keyring.set_password(KEYRING_SERVICE, f"{exchange}:secret", secret)


def has_api_credentials(exchange: str) -> bool:
    keyring = keyring_module()
    if keyring is None:
        return False
    try:
        return keyring.get_password(KEYRING_SERVICE, f"{exchange}:api_key") is not None
    except Exception:  # a locked or missing keyring backend
        return False
