"""Estimate the simulated market's parameters from real daily closes.

Usage (reads only the given folder; writes the shipped parameter file)::

    python -m desktop_app.market.estimate_params /work/shared/data/prices
    python -m desktop_app.market.estimate_params PRICES_DIR --out path/to/params.json

For each symbol of the basket it reads ``<BASE>-<QUOTE>_1d.csv`` (the shared OHLCV format),
keeps the dates every symbol has (overlapping closes, so the correlations are estimated on
the same days), and computes from the daily log returns ``x`` (``m = mean(x)``,
``s = std(x, ddof=1)``, ``P = 365``):

* volatility ``sigma = s * sqrt(P)``
* GBM drift ``mu = (m + s**2 / 2) * P`` (so ``E[S(t)] = S(0) * exp(mu * t)``)
* correlation: Pearson correlation of the log returns
* start price: the last common close.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from desktop_app.portfolio.stress import CRASH_2022, CRASH_REFERENCE
from desktop_app.portfolio.values import parse_symbol

from .errors import MarketDataError
from .params import PARAMS_RESOURCE, SimulationParams

#: The simulated basket: liquid coins from large caps to a meme coin priced in 1e-5 USDT.
DEFAULT_BASKET = (
    "BTC/USDT",
    "ETH/USDT",
    "SOL/USDT",
    "BNB/USDT",
    "XRP/USDT",
    "ADA/USDT",
    "DOGE/USDT",
    "SHIB/USDT",
)
PERIODS_PER_YEAR = 365


def daily_file(prices_dir: Path, symbol: str) -> Path:
    parsed = parse_symbol(symbol)
    return prices_dir / f"{parsed.base}-{parsed.quote}_1d.csv"


def read_closes(prices_dir: Path, symbols: Sequence[str]) -> pd.DataFrame:
    """Daily closes of ``symbols`` on the dates they all share (UTC dates as index)."""
    columns = {}
    for symbol in symbols:
        path = daily_file(prices_dir, symbol)
        if not path.exists():
            raise MarketDataError(f"no daily price file for {symbol}: {path} is missing")
        frame = pd.read_csv(path, usecols=["timestamp", "close"])
        index = pd.to_datetime(frame["timestamp"], utc=True)
        columns[symbol] = pd.Series(frame["close"].to_numpy(dtype=float), index=index)
    closes = pd.DataFrame(columns).dropna()
    if len(closes) < 30:
        raise MarketDataError(f"only {len(closes)} common days of closes; need at least 30")
    return closes


def estimate(prices_dir: Path, symbols: Sequence[str] = DEFAULT_BASKET) -> SimulationParams:
    """Estimate the GBM parameters of ``symbols`` from the daily files in ``prices_dir``."""
    closes = read_closes(prices_dir, symbols)
    log_returns = np.diff(np.log(closes.to_numpy()), axis=0)
    mean = log_returns.mean(axis=0)
    std = log_returns.std(axis=0, ddof=1)
    correlation = np.corrcoef(log_returns, rowvar=False)
    first, last = closes.index[0], closes.index[-1]
    return SimulationParams(
        symbols=tuple(symbols),
        start_prices=tuple(closes.iloc[-1]),
        drift_annual=tuple((mean + std**2 / 2) * PERIODS_PER_YEAR),
        volatility_annual=tuple(std * np.sqrt(PERIODS_PER_YEAR)),
        correlation=tuple(map(tuple, correlation)),
        periods_per_year=PERIODS_PER_YEAR,
        metadata={
            "description": (
                "Correlated geometric Brownian motion for the simulated feed, estimated from "
                "overlapping daily closes by desktop_app.market.estimate_params. drift_annual "
                "is mu with E[S(t)] = S(0)exp(mu t); volatility_annual = std(log returns) * "
                "sqrt(365); correlation of daily log returns; start_prices = last close."
            ),
            "source": sorted(daily_file(Path("."), s).name for s in symbols),
            "first_day": first.strftime("%Y-%m-%d"),
            "last_day": last.strftime("%Y-%m-%d"),
            "days": len(closes),
        },
    )


#: The crypto winter the ``crash_2022`` stress scenario replays (BTC's peak to the FTX low).
CRASH_WINDOW = tuple(day.strftime("%Y-%m-%d") for day in CRASH_2022)


def estimate_crash(prices_dir: Path, symbols: Sequence[str] = DEFAULT_BASKET) -> dict[str, Any]:
    """Each symbol's return over :data:`CRASH_WINDOW` (first close to last close) and at its
    lowest close inside it: what ``crash_2022`` applies when the store holds no prices of
    that window (a new or simulated portfolio). Two numbers a coin, no price series."""
    first, last = (pd.Timestamp(day, tz="UTC") for day in CRASH_WINDOW)
    returns: dict[str, float] = {}
    lows: dict[str, float] = {}
    for symbol in symbols:
        closes = read_closes(prices_dir, [symbol])[symbol]
        window = closes[(closes.index >= first) & (closes.index <= last)]
        if len(window) < 2 or window.index[0] > first + pd.Timedelta(days=1):
            raise MarketDataError(f"{symbol}: the daily file does not cover {CRASH_WINDOW}")
        returns[symbol] = round(float(window.iloc[-1] / window.iloc[0] - 1), 6)
        lows[symbol] = round(float(window.min() / window.iloc[0] - 1), 6)
    return {
        "description": (
            "Return of each coin from its close on the first day to its close on the last "
            "day of the window, and at its lowest close inside it, from the real daily "
            "closes; written by desktop_app.market.estimate_params"
        ),
        "window": list(CRASH_WINDOW),
        "source": sorted(daily_file(Path("."), s).name for s in symbols),
        "returns": returns,
        "lowest": lows,
    }


def default_output() -> Path:
    return Path(__file__).resolve().parents[2].joinpath("resources", *PARAMS_RESOURCE)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m desktop_app.market.estimate_params", description=__doc__.splitlines()[0]
    )
    parser.add_argument("prices_dir", type=Path, help="folder of <BASE>-<QUOTE>_1d.csv files")
    parser.add_argument("--out", type=Path, default=default_output(), help="JSON file to write")
    parser.add_argument("--symbols", nargs="+", default=list(DEFAULT_BASKET))
    args = parser.parse_args(argv)
    try:
        params = estimate(args.prices_dir, args.symbols)
    except MarketDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    params.save(args.out)
    print(f"wrote {args.out} ({len(params.symbols)} symbols, {params.metadata['days']} days)")
    try:
        crash = estimate_crash(args.prices_dir, args.symbols)
    except MarketDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    crash_out = args.out.with_name(CRASH_REFERENCE[-1])
    crash_out.write_text(json.dumps(crash, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {crash_out} ({len(crash['returns'])} symbols)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
