"""CcxtFeed against a loopback server speaking Binance's REST format (never the internet)."""

from __future__ import annotations

import builtins
import random
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.market import (
    CcxtFeed,
    FeedStatus,
    MarketDataError,
    PricePipeline,
    backfill_missing_bars,
    backoff_delay,
    bars_frame,
)
from desktop_app.portfolio import PositionType

from .binance_stub import BinanceStub, kline
from .conftest import ROOMY, eventually, quiet_manager

pytest.importorskip("ccxt", reason="ccxt is in the dev group; install with `uv sync`")


class Harness:
    """A started stub exchange and a feed pointed at it."""

    def __init__(self, prices: dict[str, float], **feed_options) -> None:
        self.stub = BinanceStub(dict(prices))
        self.feed_options = feed_options
        self.feed: CcxtFeed | None = None
        self.statuses: list[FeedStatus] = []

    async def __aenter__(self) -> Harness:
        base_url = await self.stub.start()
        options = {
            "poll_interval_s": 0.02,
            "backoff_initial_s": 0.01,
            "backoff_max_s": 0.08,
            "stale_after_s": 5.0,
            "exchange_config": {"rateLimit": 1},
            "rng": random.Random(1),
            **self.feed_options,
        }
        symbols = options.pop("symbols", ["BTC/USDT", "ETH/USDT"])
        self.feed = CcxtFeed(symbols, api_base_url=base_url, **options)
        self.feed.add_status_listener(lambda status, message: self.statuses.append(status))
        return self

    async def __aexit__(self, *exc_info) -> None:
        assert self.feed is not None
        await self.feed.stop()
        await self.stub.stop()


async def test_watched_symbols_are_fetched_in_one_request_per_poll_and_published_live():
    async with Harness({"BTCUSDT": 65_000.5, "ETHUSDT": 3_100.25, "SOLUSDT": 150.0}) as h:
        received = []
        h.feed.subscribe(received.append)
        await h.feed.start()
        await eventually(lambda: h.feed.status is FeedStatus.LIVE)
        await eventually(lambda: len(received) >= 1)
        batch = received[0]
        assert {t.symbol: t.price for t in batch} == {"BTC/USDT": 65_000.5, "ETH/USDT": 3_100.25}
        assert all(abs(datetime.now(UTC) - t.timestamp) < timedelta(seconds=5) for t in batch)
        polls = h.stub.calls("/ticker/24hr")
        assert polls and all(p["symbols"] == '["BTCUSDT","ETHUSDT"]' for p in polls)
        assert len(h.stub.calls("/exchangeInfo")) == 1  # markets loaded once
    assert h.statuses[0] is FeedStatus.CONNECTING
    assert h.statuses[-1] is FeedStatus.STOPPED


async def test_an_error_burst_backs_off_with_jitter_then_returns_to_live():
    async with Harness({"BTCUSDT": 65_000.0, "ETHUSDT": 3_000.0}) as h:
        await h.feed.start()
        await eventually(lambda: h.feed.status is FeedStatus.LIVE)
        h.stub.fail_next(4, status=503)
        await eventually(lambda: h.feed.status is FeedStatus.RECONNECTING)
        assert "retry" in h.feed.status_message
        await eventually(lambda: h.feed.failures == 0 and h.feed.status is FeedStatus.LIVE)
        assert h.statuses.count(FeedStatus.RECONNECTING) == 4  # one message per retry
        assert h.feed.last_backoff_s is not None and 0.04 <= h.feed.last_backoff_s <= 0.08


def test_backoff_grows_exponentially_with_equal_jitter_up_to_the_cap():
    rng = random.Random(7)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (30, 60.0)]:
        delays = [backoff_delay(attempt, 1.0, 60.0, rng) for _ in range(200)]
        assert base / 2 <= min(delays) and max(delays) <= base
        assert max(delays) - min(delays) > base / 4  # jittered, not constant


async def test_a_frozen_exchange_is_reported_stale_and_live_again_when_prices_move():
    async with Harness({"BTCUSDT": 65_000.0, "ETHUSDT": 3_000.0}, stale_after_s=0.15) as h:
        await h.feed.start()
        await eventually(lambda: h.feed.status is FeedStatus.LIVE)
        h.stub.freeze()
        await eventually(lambda: h.feed.status is FeedStatus.STALE)
        assert "no new binance price" in h.feed.status_message
        h.stub.frozen_ms = None
        await eventually(lambda: h.feed.status is FeedStatus.LIVE)


async def test_symbols_the_exchange_does_not_list_are_rejected_with_a_reason():
    async with Harness({"BTCUSDT": 65_000.0}, symbols=["BTC/USDT", "NOPE/USDT"]) as h:
        await h.feed.start()
        await eventually(lambda: h.feed.status is FeedStatus.LIVE)
        assert h.feed.symbols == {"BTC/USDT"}
        assert "binance has no NOPE/USDT market" in h.feed.rejected_symbols["NOPE/USDT"]
        with pytest.raises(MarketDataError, match="no XYZ/USDT market"):
            await h.feed.watch("XYZ/USDT")


async def test_the_pipeline_marks_positions_with_live_prices_and_watches_new_symbols():
    harness = Harness({"BTCUSDT": 65_000.0, "ETHUSDT": 3_000.0}, symbols=[])
    # a 60 % position: above the default 25 % limit, which is not under test here
    async with harness as h, quiet_manager(initial_capital=100_000, risk_limits=ROOMY) as pm:
        position = await pm.create_position("BTC/USDT", PositionType.LONG, 1, 60_000)
        async with PricePipeline(pm, h.feed, batch_interval_s=0.01, store=None):
            await eventually(lambda: pm.get_position(position.position_id).current_price == 65_000)
            await pm.create_position("ETH/USDT", PositionType.SHORT, 2, 3_100)
            await eventually(lambda: pm.position_tracker.last_price("ETH/USDT") == 3_000)
            summary = await pm.get_portfolio_summary()
            assert summary["positions"]["total_unrealized_pnl"] == 5_000 + 200


async def test_missing_history_is_backfilled_through_fetch_ohlcv_in_pages(bar_store):
    now = datetime(2025, 6, 2, 12, 0, 30, tzinfo=UTC)
    start_ms = int((now - timedelta(minutes=2500)).replace(second=0).timestamp() * 1000)
    rows = [
        kline(start_ms + i * 60_000, 100 + i, 101 + i, 99 + i, 100.5 + i, 2.0) for i in range(2501)
    ]
    async with Harness({"BTCUSDT": 65_000.0}, symbols=["BTC/USDT"]) as h:
        h.stub.kline_rows["BTCUSDT"] = rows
        await h.feed.start()
        written = await backfill_missing_bars(bar_store, h.feed, ["BTC/USDT"], max_days=7, now=now)
        assert written == {"BTC/USDT": 2500}  # the current minute is still open: not stored
        bars = bar_store.bars["BTC/USDT"]
        assert bars.index[0] == datetime.fromtimestamp(start_ms / 1000, UTC)
        assert bars.index[-1] == now.replace(second=0) - timedelta(minutes=1)
        assert bars.iloc[0].tolist() == [100.0, 101.0, 99.0, 100.5, 2.0]
        assert len(h.stub.calls("/klines")) == 3  # 1,000 bars a page
        # a second start finds nothing missing
        assert await backfill_missing_bars(bar_store, h.feed, ["BTC/USDT"], now=now) == {}


async def test_the_pipeline_backfills_from_the_last_stored_bar_on_start(bar_store):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    last_stored = now - timedelta(minutes=5)
    await bar_store.write_bars(
        "BTC/USDT",
        bars_frame([(int(last_stored.timestamp() // 60), 1.0, 1.0, 1.0, 1.0, 0.0)]),
    )
    first_ms = int(last_stored.timestamp() * 1000)
    rows = [kline(first_ms + i * 60_000, 2, 2, 2, 2, 1) for i in range(6)]
    async with Harness({"BTCUSDT": 65_000.0}, symbols=["BTC/USDT"]) as h:
        h.stub.kline_rows["BTCUSDT"] = rows
        async with quiet_manager() as pm:
            pipeline = PricePipeline(pm, h.feed, store=bar_store)
            await pipeline.start(run_loop=False)
            await eventually(lambda: len(bar_store.bars["BTC/USDT"]) >= 5)
            await pipeline.stop()
        first_call = h.stub.calls("/klines")[0]
        assert int(first_call["startTime"]) == first_ms + 60_000  # from the minute after
        assert bar_store.bars["BTC/USDT"]["close"].iloc[1] == 2.0


async def test_stop_closes_the_exchange_session_even_while_retrying():
    async with Harness({"BTCUSDT": 65_000.0}) as h:
        h.stub.fail_next(1_000)
        await h.feed.start()
        await eventually(lambda: h.feed.status is FeedStatus.RECONNECTING)
        exchange = h.feed.exchange
        await h.feed.stop()
        assert h.feed.status is FeedStatus.STOPPED and h.feed.exchange is None
        assert exchange.session is None or exchange.session.closed


async def test_without_ccxt_the_feed_says_how_to_install_it(monkeypatch):
    real_import = builtins.__import__

    def no_ccxt(name, *args, **kwargs):
        if name.startswith("ccxt"):
            raise ImportError("No module named 'ccxt'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ccxt)
    feed = CcxtFeed(["BTC/USDT"])
    with pytest.raises(MarketDataError, match="uv run --extra live"):
        await feed.start()
    assert feed.status is FeedStatus.ERROR and "--extra live" in feed.status_message


async def test_an_unknown_exchange_is_refused():
    with pytest.raises(MarketDataError, match="ccxt does not know an exchange called 'nosuchex'"):
        await CcxtFeed(["BTC/USDT"], exchange_id="nosuchex").start()


async def test_ticks_are_judged_by_the_exchanges_clock_when_this_computers_is_off(caplog):
    async with Harness({"BTCUSDT": 65_000.0}, symbols=["BTC/USDT"]) as h:
        h.stub.clock_offset_ms = 120_000  # this PC runs two minutes behind the exchange
        async with quiet_manager() as pm:
            pipeline = PricePipeline(pm, h.feed, batch_interval_s=0.01, store=None)
            await pipeline.start()
            await eventually(lambda: pm.position_tracker.last_price("BTC/USDT") == 65_000)
            assert h.feed.clock_offset_s == pytest.approx(120, abs=2)
            assert "clock is 120 s behind binance's" in caplog.text
            assert pipeline.stats().ticks_dropped == 0
            await pipeline.stop()


async def test_rejected_credentials_are_an_error_not_an_endless_retry():
    async with Harness({"BTCUSDT": 65_000.0}) as h:
        h.stub.fail_next(1_000, status=401)
        await h.feed.start()
        await eventually(lambda: h.feed.status is FeedStatus.ERROR)
        assert "binance refused access" in h.feed.status_message
        requests = len(h.stub.requests)
        await eventually(h.feed._task.done)  # the poller ended itself
        assert len(h.stub.requests) == requests  # polling stopped
