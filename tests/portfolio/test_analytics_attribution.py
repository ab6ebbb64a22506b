"""Attribution: P&L, contribution and share of risk by asset, strategy and tag; Brinson."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import MetricPeriod
from desktop_app.portfolio.analytics_build import AnalyticsInputs, ReportBuilder
from desktop_app.portfolio.attribution import CASH, window_instants
from desktop_app.portfolio.ledger_history import (
    UNTAGGED,
    fills_frame,
    ledger_path,
    price_observations,
    prices_at,
)

from .analytics_helpers import DAY, T0, Ledger, curve, known_closes, real_closes

TEN = timedelta(hours=10)


def daily(values, start=T0 - DAY) -> pd.Series:
    """Daily closes (indexed by the bar's open day) as known at each day's end."""
    index = pd.date_range(start, periods=len(values), freq="D", tz="UTC")
    return known_closes(pd.Series(values, index=index, dtype="float64"))


def two_day_book():
    """Buy 1 BTC at 100 and 2 ETH at 50 on day 0; sell the ETH at 50 on day 1."""
    book = Ledger(1000, T0)
    book.open("BTC/USDT", "long", 1, 100, T0 + TEN, strategy="trend", tags=["core"])
    eth = book.open("ETH/USDT", "long", 2, 50, T0 + TEN, strategy="swing")
    book.close(eth, 50, T0 + DAY + timedelta(hours=12))
    closes = {"BTC/USDT": daily([100, 120, 132]), "ETH/USDT": daily([50, 45, 54])}
    evening = T0 + timedelta(hours=23, minutes=59)
    snapshots = curve([T0, evening, evening + DAY], [1000, 1010, 1032], [1000, 0, 0])
    return book, closes, snapshots


def attribution_of(book, closes, snapshots, targets=None, period=MetricPeriod.MONTHLY):
    builder = ReportBuilder(
        AnalyticsInputs(
            curve=snapshots,
            fills=book.fills,
            movements=book.movements,
            positions=book.positions,
            closes=closes,
            targets=targets or {},
            benchmark=None,
        )
    )
    return builder.attribution(period)


def by_key(rows):
    return {row.key: row for row in rows}


def test_contributions_are_each_assets_pnl_over_the_capital_of_its_day_linked_by_growth():
    book, closes, snapshots = two_day_book()
    a = attribution_of(book, closes, snapshots)
    # day 0: BTC +20, ETH -10 on 1,000; day 1: BTC +12, ETH +10 on 1,010 (grown by 1.01)
    assets = by_key(a.by_asset)
    assert assets["BTC/USDT"].contribution == pytest.approx(20 / 1000 + 1.01 * 12 / 1010)
    assert assets["ETH/USDT"].contribution == pytest.approx(-10 / 1000 + 1.01 * 10 / 1010)
    assert a.total_return == pytest.approx(1032 / 1000 - 1, rel=1e-12)
    assert a.portfolio_return == pytest.approx(1032 / 1000 - 1, rel=1e-12)
    assert a.unexplained == pytest.approx(0.0, abs=1e-15)
    assert assets["BTC/USDT"].pnl == pytest.approx(32)
    assert assets["BTC/USDT"].realized_pnl == 0 and assets["BTC/USDT"].unrealized_change == 32
    assert assets["ETH/USDT"].pnl == pytest.approx(0) and assets["ETH/USDT"].realized_pnl == 0


def test_strategies_partition_the_return_and_tags_group_untagged_positions_apart():
    book, closes, snapshots = two_day_book()
    a = attribution_of(book, closes, snapshots)
    strategies = by_key(a.by_strategy)
    assert set(strategies) == {"trend", "swing"}
    assert sum(row.contribution for row in a.by_strategy) == pytest.approx(a.total_return)
    assert strategies["trend"].pnl == pytest.approx(32)
    tags = by_key(a.by_tag)
    assert set(tags) == {"core", UNTAGGED}
    assert tags["core"].contribution == pytest.approx(by_key(a.by_asset)["BTC/USDT"].contribution)


def test_a_position_with_two_tags_counts_in_both():
    book = Ledger(1000, T0)
    book.open("BTC/USDT", "long", 1, 100, T0 + TEN, tags=["core", "btc"])
    closes = {"BTC/USDT": daily([100, 110])}
    a = attribution_of(book, closes, curve([], []))
    tags = by_key(a.by_tag)
    assert tags["core"].pnl == pytest.approx(10) and tags["btc"].pnl == pytest.approx(10)
    assert sum(row.pnl for row in a.by_tag) == pytest.approx(20)  # tags overlap


def test_fees_are_part_of_the_pnl_and_realized_pnl_is_split_from_the_unrealized_change():
    book = Ledger(1000, T0)
    btc = book.open("BTC/USDT", "long", 2, 100, T0 + TEN, fee=1)
    book.close(btc, 110, T0 + DAY + TEN, size=1, fee=1)
    closes = {"BTC/USDT": daily([100, 105, 120])}
    a = attribution_of(book, closes, curve([], []))
    (row,) = a.by_asset
    # sold 1 at 110 (+10), 1 left marked at 120 (+20), fees 2
    assert row.pnl == pytest.approx(28)
    assert row.realized_pnl == pytest.approx(10 - 2)  # opening fee realized when paid
    assert row.unrealized_change == pytest.approx(20)


def test_the_pnl_path_of_a_short_is_quantity_times_price_plus_cash():
    book = Ledger(1000, T0)
    short = book.open("ETH/USDT", "short", 2, 50, T0 + TEN)
    fills = fills_frame(book.fills)
    observations = price_observations({"ETH/USDT": daily([50, 45])}, fills)
    instants = np.array([pd.Timestamp(T0 + 2 * DAY).value])
    path = ledger_path(fills, "symbol", instants, prices_at(observations, instants))
    assert path.pnl["ETH/USDT"].iloc[-1] == pytest.approx(10)  # sold at 50, worth 45
    assert path.value["ETH/USDT"].iloc[-1] == pytest.approx(-90)
    book.tracker.update_prices({"ETH/USDT": 45})
    marked = book.tracker.get_position(short.position_id)
    assert float(marked.unrealized_pnl) == pytest.approx(10)


def test_allocation_selection_and_interaction_against_the_targets_by_hand():
    book, closes, snapshots = two_day_book()
    targets = {"BTC/USDT": 0.5, "ETH/USDT": 0.3}
    a = attribution_of(book, closes, snapshots, targets)
    effects = by_key(a.allocation_selection)
    # day 0: nothing held at the start; prices 100 -> 120 and 50 -> 45; target mix +7 %
    b0 = 0.5 * 0.2 + 0.3 * -0.1
    r0 = 0.01
    day0 = {
        "BTC/USDT": (-0.5 * (0.2 - b0), 0.02, 0.0),  # held 0: the trade is all selection
        "ETH/USDT": (-0.3 * (-0.1 - b0), -0.01, 0.0),
        CASH: (0.8 * -b0, 0.0, 0.0),
    }
    # day 1: held 120 BTC, 90 ETH, 800 cash of 1,010; prices +10 % and +20 %
    w_btc, w_eth = 120 / 1010, 90 / 1010
    b1 = 0.5 * 0.1 + 0.3 * 0.2
    r1 = 22 / 1010
    r_btc, r_eth = (12 / 1010) / w_btc, (10 / 1010) / w_eth
    day1 = {
        "BTC/USDT": (
            (w_btc - 0.5) * (0.1 - b1),
            0.5 * (r_btc - 0.1),
            (w_btc - 0.5) * (r_btc - 0.1),
        ),
        "ETH/USDT": (
            (w_eth - 0.3) * (0.2 - b1),
            0.3 * (r_eth - 0.2),
            (w_eth - 0.3) * (r_eth - 0.2),
        ),
        CASH: ((800 / 1010 - 0.2) * -b1, 0.0, 0.0),
    }

    def carino(r, b):
        return (math.log1p(r) - math.log1p(b)) / (r - b)

    total_r, total_b = (1 + r0) * (1 + r1) - 1, (1 + b0) * (1 + b1) - 1
    k0, k1, big_k = carino(r0, b0), carino(r1, b1), carino(total_r, total_b)
    for key in ("BTC/USDT", "ETH/USDT", CASH):
        expected = [
            (x0 * k0 + x1 * k1) / big_k for x0, x1 in zip(day0[key], day1[key], strict=True)
        ]
        got = effects[key]
        assert [got.allocation, got.selection, got.interaction] == pytest.approx(
            expected, rel=1e-12, abs=1e-15
        ), key
    assert a.benchmark_return == pytest.approx(total_b, rel=1e-12)
    assert a.active_return == pytest.approx(total_r - total_b, rel=1e-12)
    assert sum(e.total for e in a.allocation_selection) == pytest.approx(a.active_return)
    assert effects["BTC/USDT"].asset_return == pytest.approx(1.2 * 1.1 - 1)
    assert effects[CASH].target_weight == pytest.approx(0.2)


def test_without_targets_there_is_no_allocation_vs_selection_and_the_report_says_so():
    book, closes, snapshots = two_day_book()
    a = attribution_of(book, closes, snapshots)
    assert a.allocation_selection == () and a.benchmark_return is None
    assert any("No target allocations" in note for note in a.notes)


def test_a_symbol_without_stored_prices_is_marked_at_its_fills_and_the_report_says_so():
    book = Ledger(1000, T0)
    sol = book.open("SOL/USDT", "long", 10, 20, T0 + TEN)
    book.close(sol, 25, T0 + 2 * DAY)
    a = attribution_of(book, {}, curve([], []))
    (row,) = a.by_asset
    assert row.pnl == pytest.approx(50) and row.realized_pnl == pytest.approx(50)
    assert a.total_return == pytest.approx(0.05, rel=1e-12)
    assert any("SOL/USDT" in note and "fill prices" in note for note in a.notes)


def test_window_instants_are_the_baseline_then_every_bin_end():
    *_, snapshots = two_day_book()
    builder = ReportBuilder(AnalyticsInputs(curve=snapshots))
    window = builder.window_returns(MetricPeriod.MONTHLY)[0].window
    instants = pd.DatetimeIndex(pd.to_datetime(window_instants(window), utc=True))
    assert instants[0] == pd.Timestamp(T0) + pd.Timedelta(1, unit="ns")  # the first deposit in
    assert list(instants[1:]) == [pd.Timestamp(T0 + DAY), pd.Timestamp(T0 + 2 * DAY)]


# --- real data ----------------------------------------------------------------------------


def traded_book(prices_dir, days=400, seed=7):
    """A ledger trading BTC, ETH and SOL at real daily closes with fees, longs and shorts,
    three strategies, tags, a deposit and a withdrawal; and its daily snapshots."""
    rng = np.random.default_rng(seed)
    coins = {"BTC": "BTC/USDT", "ETH": "ETH/USDT", "SOL": "SOL/USDT"}
    raw = {sym: real_closes(prices_dir, coin) for coin, sym in coins.items()}
    first = max(series.index[0] for series in raw.values())
    dates = raw["SOL/USDT"].index[raw["SOL/USDT"].index >= first][:days]
    start = dates[0].to_pydatetime()
    book = Ledger(100_000, start)
    open_positions: list = []
    for i, day in enumerate(dates[1:-1], start=1):
        moment = day.to_pydatetime() + timedelta(hours=12)
        prices = {sym: float(raw[sym].loc[dates[i - 1]]) for sym in coins.values()}
        if i == 150:
            book.deposit(25_000, moment)
        if i == 300:
            book.tracker.update_prices(prices)
            book.deposit(-10_000, moment)
        roll = rng.random()
        if roll < 0.15 and open_positions:
            position = open_positions.pop(rng.integers(len(open_positions)))
            book.close(position, prices[position.symbol], moment, fee=1.5)
        elif roll < 0.3:
            symbol = rng.choice(list(coins.values()))
            side = "long" if rng.random() < 0.75 else "short"
            size = round(2_000 / prices[symbol], 6)
            strategy = rng.choice(["trend", "mean_revert", "carry"])
            tags = ["core"] if rng.random() < 0.5 else []
            position = book.open(
                symbol, side, size, prices[symbol], moment, fee=2.0, strategy=strategy, tags=tags
            )
            open_positions.append(position)
    closes = {sym: known_closes(raw[sym].loc[dates]) for sym in coins.values()}
    return book, closes, dates


def test_real_data_contributions_add_up_to_the_return_and_effects_to_the_active_return(
    prices_dir,
):
    book, closes, dates = traded_book(prices_dir)
    targets = {"BTC/USDT": 0.4, "ETH/USDT": 0.3, "SOL/USDT": 0.1}
    builder = ReportBuilder(
        AnalyticsInputs(
            fills=book.fills,
            movements=book.movements,
            positions=book.positions,
            closes=closes,
            targets=targets,
            as_of=dates[-1].to_pydatetime() + timedelta(hours=23),
        )
    )
    a = builder.attribution(MetricPeriod.ALL_TIME)
    assert a.window.sampling == "D" and len(a.by_strategy) == 3
    assert sum(r.contribution for r in a.by_asset) == pytest.approx(a.total_return, rel=1e-12)
    assert sum(r.contribution for r in a.by_strategy) == pytest.approx(a.total_return, rel=1e-12)
    assert sum(e.total for e in a.allocation_selection) == pytest.approx(a.active_return, rel=1e-10)
    # the rebuilt P&L is the ledger's: realized + unrealized at the last closes
    tracker = book.tracker
    tracker.update_prices({sym: float(c.iloc[-1]) for sym, c in closes.items()})
    summary = tracker.get_portfolio_summary()
    assert sum(r.pnl for r in a.by_asset) == pytest.approx(float(summary["total_pnl"]), rel=1e-9)
    assert sum(r.realized_pnl for r in a.by_asset) == pytest.approx(
        float(summary["total_realized_pnl"]), rel=1e-9
    )


def test_real_data_share_of_risk_is_the_euler_split_of_the_parametric_var(prices_dir):
    book, closes, dates = traded_book(prices_dir, seed=11)
    as_of = dates[-1].to_pydatetime() + timedelta(hours=23)
    builder = ReportBuilder(
        AnalyticsInputs(fills=book.fills, movements=book.movements, closes=closes, as_of=as_of)
    )
    a = builder.attribution(MetricPeriod.QUARTERLY)
    held = {r.key: r.weight for r in a.by_asset if r.weight != 0}
    assert len(held) >= 2
    # independent: daily price returns over the window's bins, sample covariance, Euler shares
    window = a.window
    bins = pd.date_range(window.start, window.end, freq="D")
    prices = pd.DataFrame(
        {
            s: c.reindex(c.index.union(bins))
            .ffill()
            .reindex(bins - pd.Timedelta(1, "ns"))
            .to_numpy()
            for s, c in closes.items()
            if s in held
        }
    )
    returns = (prices.iloc[1:].to_numpy() / prices.iloc[:-1].to_numpy()) - 1
    cov = np.cov(returns, rowvar=False, ddof=1)
    w = np.array([held[s] for s in prices.columns])
    shares = w * (cov @ w) / (w @ cov @ w)
    got = by_key(a.by_asset)
    for symbol, share in zip(prices.columns, shares, strict=True):
        assert got[symbol].risk_share == pytest.approx(share, rel=1e-9)
    assert a.portfolio_var_95 == pytest.approx(1.6448536269514722 * math.sqrt(w @ cov @ w))
    assert sum(r.risk_share or 0.0 for r in a.by_asset) == pytest.approx(1.0)
    assert sum(r.risk_share or 0.0 for r in a.by_strategy) == pytest.approx(1.0)
