"""The engine runs on market time: a replay's clock stamps fills, snapshots and reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desktop_app.portfolio import PortfolioConfig, PortfolioManager
from desktop_app.portfolio.risk_limits import RiskLimits


class ReplayClock:
    """A clock a test moves by hand, like a replay feed's."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment


def config() -> PortfolioConfig:
    return PortfolioConfig(
        performance_update_interval_s=0,
        snapshot_interval_s=0,
        risk_limits=RiskLimits.disabled(),
    )


async def test_fills_snapshots_and_the_summary_carry_the_replay_time(tmp_path):
    clock = ReplayClock(datetime(2022, 5, 9, tzinfo=UTC))
    async with PortfolioManager(config(), data_dir=tmp_path, clock=clock) as pm:
        position = await pm.create_position("BTC/USDT", "long", "0.1", 34_000)
        clock.moment += timedelta(days=3)
        await pm.update_prices({"BTC/USDT": 29_000})
        result = await pm.close_position(position.position_id, 29_000)
        summary = await pm.get_portfolio_summary()
        curve = await pm.store.read_equity_curve()
        last_snapshot = await pm.store.last_equity_time()
    assert position.opened_at == datetime(2022, 5, 9, tzinfo=UTC)
    assert result.fill.timestamp == datetime(2022, 5, 12, tzinfo=UTC)
    assert summary["timestamp"] == datetime(2022, 5, 12, tzinfo=UTC)
    stamps = {moment.to_pydatetime() for moment in curve.index}
    assert datetime(2022, 5, 9, tzinfo=UTC) in stamps
    assert datetime(2022, 5, 12, tzinfo=UTC) in stamps
    assert max(stamps) < datetime(2023, 1, 1, tzinfo=UTC)  # never the wall clock
    assert last_snapshot == max(stamps)


async def test_set_clock_hands_the_engine_over_to_a_replay(tmp_path):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        before = await pm.create_position("ETH/USDT", "long", 1, 2_000)
        assert before.opened_at > datetime(2025, 1, 1, tzinfo=UTC)  # the wall clock
        pm.set_clock(ReplayClock(datetime(2021, 1, 1, tzinfo=UTC)))
        after = await pm.create_position("ETH/USDT", "long", 1, 700)
        metrics = await pm.risk_manager.calculate_risk_metrics()
    assert after.opened_at == datetime(2021, 1, 1, tzinfo=UTC)
    assert metrics.timestamp == datetime(2021, 1, 1, tzinfo=UTC)


async def test_the_equity_curve_gets_a_point_per_interval_of_market_time(tmp_path):
    """A replay at a day a second still records one point per snapshot interval of its own
    time, from the price batches, not one per wall-clock minute."""
    clock = ReplayClock(datetime(2022, 5, 9, tzinfo=UTC))
    hourly = PortfolioConfig(
        performance_update_interval_s=0,
        snapshot_interval_s=3600,
        risk_limits=RiskLimits.disabled(),
    )
    async with PortfolioManager(hourly, data_dir=tmp_path, clock=clock) as pm:
        await pm.create_position("BTC/USDT", "long", "0.1", 34_000)
        for minute in range(1, 6 * 60 + 1):  # six market hours, a batch a minute
            clock.moment = datetime(2022, 5, 9, tzinfo=UTC) + timedelta(minutes=minute)
            await pm.update_prices({"BTC/USDT": 34_000 + minute})
        await pm.store.flush()
        curve = await pm.store.read_equity_curve()
    stamps = sorted(moment.to_pydatetime() for moment in curve.index)
    start = datetime(2022, 5, 9, tzinfo=UTC)
    # the initial deposit's and the fill's points, then one every market hour after them
    assert stamps == [start, start] + [start + timedelta(hours=h) for h in range(1, 7)]
    assert curve["equity"].iloc[-1] == float(pm.position_tracker.cash) + 0.1 * (
        34_000 + 360
    )  # at 06:00
