"""The feed contract: protocol, status listeners, isolation of consumers, the factory."""

from __future__ import annotations

import logging

import pytest

from desktop_app.market import (
    CcxtFeed,
    FeedKind,
    FeedStatus,
    MarketDataError,
    PriceFeed,
    ReplayFeed,
    SimulatedFeed,
    create_feed,
)

from .conftest import T0, ScriptedFeed


def test_every_feed_satisfies_the_price_feed_protocol(prices_dir):
    feeds = [
        SimulatedFeed(seed=1),
        ReplayFeed.from_csv(prices_dir / "SOL-USDT_1d.csv"),
        CcxtFeed(["BTC/USDT"]),
    ]
    for feed in feeds:
        assert isinstance(feed, PriceFeed)
        assert feed.status is FeedStatus.STOPPED


def test_a_failing_consumer_or_listener_does_not_stop_the_others(caplog):
    feed = ScriptedFeed(["BTC/USDT"])
    received, statuses = [], []

    def broken(_):
        raise RuntimeError("consumer bug")

    feed.subscribe(broken)
    feed.subscribe(received.extend)
    feed.add_status_listener(lambda status, message: 1 / 0)
    feed.add_status_listener(lambda status, message: statuses.append((status, message)))
    feed.push(("BTC/USDT", 1.0, T0))
    feed._set_status(FeedStatus.ERROR, "exchange refused the key")
    assert len(received) == 1
    assert statuses == [(FeedStatus.ERROR, "exchange refused the key")]
    assert "consumer bug" in caplog.text
    assert any(r.levelno == logging.WARNING and "refused" in r.getMessage() for r in caplog.records)


def test_unsubscribing_stops_delivery():
    feed = ScriptedFeed(["BTC/USDT"])
    received = []
    unsubscribe = feed.subscribe(received.extend)
    unsubscribe()
    unsubscribe()  # twice is harmless
    feed.push(("BTC/USDT", 1.0, T0))
    assert received == []


def test_running_states_are_the_ones_that_publish():
    assert FeedStatus.LIVE.is_running and FeedStatus.RECONNECTING.is_running
    assert not FeedStatus.STOPPED.is_running and not FeedStatus.ERROR.is_running


def test_the_factory_builds_each_kind_of_feed(prices_dir):
    simulated = create_feed("simulated", symbols=["BTC/USDT"], seed=3, speed=60)
    assert isinstance(simulated, SimulatedFeed) and simulated.speed == 60
    replay = create_feed(FeedKind.REPLAY, replay_files=[prices_dir / "ETH-USDT_1d.csv"])
    assert isinstance(replay, ReplayFeed) and replay.symbols == {"ETH/USDT"}
    live = create_feed("ccxt", symbols=["ETH/USDT"], exchange_id="kraken")
    assert isinstance(live, CcxtFeed) and live.name == "kraken"
    assert isinstance(create_feed("Live"), CcxtFeed)


def test_the_factory_refuses_unknown_kinds_and_a_replay_without_files():
    with pytest.raises(MarketDataError, match="unknown price feed 'yahoo'; choose one of"):
        create_feed("yahoo")
    with pytest.raises(MarketDataError, match="at least one OHLCV CSV"):
        create_feed("replay")
