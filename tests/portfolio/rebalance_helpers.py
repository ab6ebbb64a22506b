"""Portfolios in a known state for the rebalancer tests, and real daily closes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from desktop_app.market.history import read_ohlcv_csv
from desktop_app.portfolio import PortfolioConfig, PortfolioManager, RiskLimits

REAL_SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "ADA/USDT")


def config(**kw) -> PortfolioConfig:
    """A quiet portfolio whose risk limits are off: these tests are about rebalancing (60/40
    books break the default 25 % position limit); test_rebalancer_risk runs with real ones."""
    kw.setdefault("risk_limits", RiskLimits.disabled())
    return PortfolioConfig(performance_update_interval_s=0, **kw)


async def hold(pm: PortfolioManager, values: dict[str, tuple[str, str]]) -> None:
    """Open long positions {symbol: (size, price)} at the mark (manual entries) and mark them."""
    for symbol, (size, price) in values.items():
        await pm.create_position(symbol, "long", size, price)
    await pm.update_prices({symbol: price for symbol, (_, price) in values.items()})


async def drifted_60_40(pm: PortfolioManager) -> None:
    """60/40 BTC/ETH bought at 50,000 / 2,000, then BTC doubles: 75/25, drift ±15 pp."""
    await pm.set_target_allocations({"BTC/USDT": 0.6, "ETH/USDT": 0.4})
    await hold(pm, {"BTC/USDT": ("0.12", "50000"), "ETH/USDT": ("2", "2000")})
    await pm.update_prices({"BTC/USDT": 100_000})


def real_daily_closes(prices_dir: Path, symbols=REAL_SYMBOLS) -> pd.DataFrame:
    """Daily closes of the shared Binance files, one column per symbol, common dates only."""
    columns = {}
    for symbol in symbols:
        path = prices_dir / f"{symbol.replace('/', '-')}_1d.csv"
        columns[symbol] = read_ohlcv_csv(path)["close"]
    return pd.DataFrame(columns).dropna()
