"""SimulatedFeed: correlated GBM with the estimated parameters, reproducible and on time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import numpy as np
import pytest

from desktop_app.market import FeedStatus, MarketDataError, SimulatedFeed, SimulationParams

from .conftest import T0, eventually

SECONDS_PER_YEAR = 365 * 24 * 3600


def log_returns(ticks, symbols) -> np.ndarray:
    prices = np.array([t.price for t in ticks]).reshape(-1, len(symbols))
    return np.diff(np.log(prices), axis=0)


def test_sample_volatility_and_correlation_match_the_parameters():
    params = SimulationParams.load()
    feed = SimulatedFeed(params, seed=11, tick_rate_hz=800, start_time=T0)
    ticks = feed.step(20_000)
    returns = log_returns(ticks, params.symbols)
    dt_years = feed.step_interval_s / SECONDS_PER_YEAR
    sample_vol = returns.std(axis=0, ddof=1) / np.sqrt(dt_years)
    np.testing.assert_allclose(sample_vol, params.volatility_annual, rtol=0.03)
    sample_corr = np.corrcoef(returns, rowvar=False)
    np.testing.assert_allclose(sample_corr, params.correlation, atol=0.03)


def test_drift_includes_the_ito_correction():
    """Mean log return per step is (mu - sigma**2 / 2) * dt, so E[S(t)] = S(0) exp(mu t)."""
    params = SimulationParams(
        symbols=("AAA/USDT",),
        start_prices=(100.0,),
        drift_annual=(1.0,),
        volatility_annual=(0.8,),
        correlation=((1.0,),),
    )
    one_day = 86_400.0
    feed = SimulatedFeed(params, seed=3, tick_rate_hz=1.0, speed=one_day, start_time=T0)
    returns = log_returns(feed.step(40_000), params.symbols)[:, 0]
    dt = 1 / 365
    standard_error = 0.8 * np.sqrt(dt) / np.sqrt(len(returns))
    assert returns.mean() == pytest.approx((1.0 - 0.8**2 / 2) * dt, abs=3 * standard_error)


def test_the_same_seed_gives_the_same_prices_and_times():
    a = SimulatedFeed(seed=42, start_time=T0).step(50)
    b = SimulatedFeed(seed=42, start_time=T0).step(50)
    c = SimulatedFeed(seed=43, start_time=T0).step(50)
    assert a == b
    assert [t.price for t in a] != [t.price for t in c]


def test_each_step_ticks_every_symbol_once_at_the_configured_rate():
    feed = SimulatedFeed(seed=1, tick_rate_hz=80, start_time=T0)  # 8 symbols: 10 steps/s
    ticks = feed.step(3)
    assert len(ticks) == 24
    assert [t.symbol for t in ticks[:8]] == list(feed.params.symbols)
    assert {t.timestamp for t in ticks[:8]} == {T0 + timedelta(seconds=0.1)}
    assert ticks[-1].timestamp == T0 + timedelta(seconds=0.3)
    assert feed.now() == ticks[-1].timestamp
    assert all(t.price > 0 and t.volume == 0 for t in ticks)


def test_advance_publishes_exactly_the_ticks_that_fall_due():
    feed = SimulatedFeed(seed=1, tick_rate_hz=80, start_time=T0)
    assert len(feed.advance(1.0)) == 80
    assert feed.advance(0.05) == []  # half a step is owed, not published
    assert len(feed.advance(0.05)) == 8
    assert feed.now() == T0 + timedelta(seconds=1.1)


def test_long_steps_are_published_in_batches_no_wider_than_the_batch_interval():
    feed = SimulatedFeed(seed=1, tick_rate_hz=800, batch_interval_s=0.1, start_time=T0)
    batches = []
    feed.subscribe(lambda ticks: batches.append((len(ticks), feed.now(), ticks[-1].timestamp)))
    feed.step(100)  # 1 s at 100 steps/s
    assert [n for n, _, _ in batches] == [80] * 10
    assert all(now == last for _, now, last in batches)  # now() is the batch's last tick


def test_jump_moves_the_market_in_one_exact_step():
    feed = SimulatedFeed(seed=5, start_time=T0)
    ticks = feed.jump(3600)
    assert len(ticks) == len(feed.symbols)
    assert feed.now() == T0 + timedelta(hours=1)


def test_a_subset_of_symbols_can_be_simulated_and_unknown_ones_are_refused():
    feed = SimulatedFeed(symbols=["BTC/USDT", "ETH/USDT"], seed=1)
    assert feed.symbols == {"BTC/USDT", "ETH/USDT"}
    with pytest.raises(MarketDataError, match="has no LINK/USDT"):
        SimulatedFeed(symbols=["LINK/USDT"])


def test_derive_missing_simulates_symbols_beyond_the_basket():
    symbols = ["BTC/USDT", *[f"C{i:03d}/USDT" for i in range(199)]]
    feed = SimulatedFeed(symbols=symbols, seed=4, tick_rate_hz=10_000, derive_missing=True)
    assert feed.symbols == set(symbols)
    ticks = feed.advance(1.0)
    assert len(ticks) == 10_000  # 50 steps of 200 ticks
    assert {t.symbol for t in ticks} == set(symbols)
    assert all(t.price > 0 for t in ticks)


@pytest.mark.parametrize("option", ["tick_rate_hz", "batch_interval_s", "speed"])
def test_rates_must_be_positive(option):
    with pytest.raises(MarketDataError, match=f"{option} must be a positive number"):
        SimulatedFeed(**{option: 0})


def test_prices_are_the_current_simulated_prices():
    feed = SimulatedFeed(seed=9, start_time=T0)
    assert feed.prices() == dict(zip(feed.params.symbols, feed.params.start_prices, strict=True))
    last = feed.step(1)
    assert feed.prices() == {t.symbol: t.price for t in last}


async def test_real_time_run_follows_the_clock_and_reports_its_status(clock):
    feed = SimulatedFeed(seed=2, tick_rate_hz=80, batch_interval_s=0.005, clock=clock)
    statuses = []
    feed.add_status_listener(lambda status, message: statuses.append(status))
    received = []
    feed.subscribe(received.extend)
    await feed.start()
    assert feed.status is FeedStatus.LIVE
    clock.advance(0.5)
    await eventually(lambda: len(received) == 40)
    clock.advance(0.25)
    await eventually(lambda: len(received) == 56)
    clock.advance(3600)  # a suspended laptop: one exact jump, not 288,000 ticks
    await eventually(lambda: len(received) == 64)
    await feed.stop()
    assert statuses == [FeedStatus.CONNECTING, FeedStatus.LIVE, FeedStatus.STOPPED]
    times = [t.timestamp for t in received]
    assert times == sorted(times)


async def test_a_stepped_feed_reports_live_but_only_moves_when_stepped():
    feed = SimulatedFeed(seed=2, start_time=T0, realtime=False)
    received = []
    feed.subscribe(received.extend)
    await feed.start()
    assert feed.status is FeedStatus.LIVE and "stepped" in feed.status_message
    await asyncio.sleep(0.05)
    assert received == [] and feed.now() == T0
    feed.step(1)
    assert len(received) == len(feed.symbols)
    await feed.stop()
    assert feed.status is FeedStatus.STOPPED
