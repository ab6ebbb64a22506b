"""Circuit breakers on scripted price paths: trip once, act, persist, re-arm on resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.portfolio import (
    BreakerAction,
    Event,
    MemoryJournal,
    PortfolioConfig,
    PortfolioManager,
    PortfolioStatus,
    RiskAction,
    RiskLevel,
    RiskLimitError,
    RiskLimits,
    TradingHaltedError,
)
from desktop_app.portfolio.breakers import Breaker, CircuitBreakers

DAY_1 = datetime(2025, 3, 3, tzinfo=UTC)
#: Positions as large as equity are allowed: the breakers are under test here.
ROOMY = {"max_single_position_pct": 100.0, "max_symbol_exposure_pct": 100.0}


def manager(journal: MemoryJournal | None = None, **limits) -> PortfolioManager:
    config = PortfolioConfig(
        performance_update_interval_s=0, risk_limits=RiskLimits(**{**ROOMY, **limits})
    )
    return PortfolioManager(config, journal=journal)


async def walk(pm: PortfolioManager, prices: list[float], start: datetime = DAY_1) -> None:
    for i, price in enumerate(prices):
        await pm.update_prices({"BTC/USDT": price}, timestamp=start + timedelta(minutes=i))
    await pm.risk_manager.drain()
    await pm.events.drain()


def recorder(pm: PortfolioManager) -> list:
    seen: list = []
    pm.register_callback(Event.RISK_LIMIT_EXCEEDED, seen.append)
    return seen


async def test_drawdown_through_an_open_position_pauses_and_fires_once():
    journal = MemoryJournal()
    async with manager(journal, max_daily_loss_pct=None) as pm:
        seen = recorder(pm)
        paused: list = []
        pm.register_callback("portfolio_paused", paused.append)
        await pm.create_position("BTC/USDT", "long", "0.2", 50_000)  # all equity in BTC
        # peak equity 10,400 at 52,000; 8,800 at 44,000 is 15.4 % below it
        await walk(pm, [52_000, 48_000, 45_000])
        assert pm.status is PortfolioStatus.ACTIVE and seen == []
        await walk(pm, [44_000, 43_000, 42_000, 30_000])
        assert pm.status is PortfolioStatus.PAUSED
        assert "drawdown 15.4 % from the equity peak; limit 15 %" in pm.status_reason
        assert journal.status == ("paused", pm.status_reason)
        assert paused == [pm.status_reason]
    assert len(seen) == 1
    trip = seen[0]
    assert (trip.kind, trip.limit, trip.action) == ("breaker", "max_drawdown_pct", "pause")
    assert trip.current == pytest.approx(-100 * (1 - 8_800 / 10_400))
    assert trip.overall_risk_level is RiskLevel.CRITICAL and trip.risk_score == 100.0


async def test_resume_rearms_the_drawdown_breaker_from_the_current_equity():
    async with manager(max_daily_loss_pct=None) as pm:
        seen = recorder(pm)
        await pm.create_position("BTC/USDT", "long", "0.2", 50_000)
        await walk(pm, [42_000])  # 8,400: 16 % down, trips
        assert pm.status is PortfolioStatus.PAUSED
        assert await pm.resume_portfolio()
        await walk(pm, [40_000])  # 8,000: 4.8 % below the re-armed peak of 8,400
        assert pm.status is PortfolioStatus.ACTIVE and len(seen) == 1
        await walk(pm, [35_000])  # 7,000: 16.7 % below 8,400
        assert pm.status is PortfolioStatus.PAUSED and len(seen) == 2
        assert "drawdown 16.7 %" in seen[1].message


async def test_reducing_status_refuses_new_exposure_and_allows_closes():
    async with manager(drawdown_action=BreakerAction.REDUCE, max_daily_loss_pct=None) as pm:
        position = await pm.create_position("BTC/USDT", "long", "0.2", 50_000)
        await walk(pm, [40_000])
        assert pm.status is PortfolioStatus.REDUCING
        with pytest.raises(TradingHaltedError, match="reducing"):
            await pm.create_position("ETH/USDT", "long", 1, 100)
        with pytest.raises(TradingHaltedError):
            await pm.add_to_position(position.position_id, "0.01", 40_000)
        await pm.close_position(position.position_id, 40_000, size="0.1")
        await pm.close_position(position.position_id, 40_000)
        assert pm.get_open_positions() == []
        assert await pm.resume_portfolio()
        await pm.create_position("ETH/USDT", "long", 1, 100)


async def test_daily_loss_counts_from_the_last_equity_before_midnight_utc():
    async with manager(max_drawdown_pct=None, max_daily_loss_pct=5.0) as pm:
        seen = recorder(pm)
        await pm.create_position("BTC/USDT", "long", "0.2", 50_000)
        await walk(pm, [50_000, 48_500], start=DAY_1 + timedelta(hours=22))  # -3 % on day 1
        day_2 = DAY_1 + timedelta(days=1, hours=1)
        await walk(pm, [47_000], start=day_2)  # 9,400 / 9,700: -3.1 % today (-6 % since day 1)
        assert seen == []
        await walk(pm, [46_000], start=day_2 + timedelta(hours=4))  # 9,200 / 9,700: -5.2 %
        assert len(seen) == 1 and pm.status is PortfolioStatus.PAUSED
        assert "loss today 5.2 % of equity (since 00:00 UTC); limit 5 %" in seen[0].message


async def test_deposits_and_withdrawals_are_not_losses():
    async with manager(max_daily_loss_pct=None) as pm:
        seen = recorder(pm)
        await pm.create_position("BTC/USDT", "long", "0.1", 50_000)  # 5,000 in BTC
        await pm.withdraw(4_000)  # equity 10,000 -> 6,000 without any loss
        await walk(pm, [50_000])
        await pm.deposit(500)
        await pm.withdraw(500)
        await walk(pm, [50_000])
        assert seen == [] and pm.status is PortfolioStatus.ACTIVE
        await walk(pm, [40_000])  # equity 5,000 of 6,000: 16.7 % down
        assert len(seen) == 1
        assert "drawdown 16.7 %" in seen[0].message


async def test_consecutive_losses_alert_and_block_new_exposure_for_the_cooldown():
    async with manager(max_consecutive_losses=3, loss_cooldown_minutes=60) as pm:
        seen = recorder(pm)
        pnls = [-10, -10, 10, -10, -10]  # a win resets the streak
        for pnl in pnls:
            position = await pm.create_position("ETH/USDT", "long", 1, 1_000)
            await pm.close_position(position.position_id, 1_000 + pnl)
        await pm.risk_manager.drain()
        assert seen == []
        held = await pm.create_position("ETH/USDT", "long", 1, 1_000)
        loser = await pm.create_position("SOL/USDT", "long", 1, 100)
        await pm.close_position(loser.position_id, 99)  # the third loss in a row
        await pm.risk_manager.drain()
        assert len(seen) == 1
        assert seen[0].limit == "max_consecutive_losses" and seen[0].action == "alert"
        assert pm.status is PortfolioStatus.ACTIVE  # ALERT changes no status
        with pytest.raises(RiskLimitError, match="3 losing trades in a row: no new exposure until"):
            await pm.create_position("BTC/USDT", "long", "0.001", 50_000)
        check = await pm.risk_manager.check_position_risk("BTC/USDT", "0.001", 50_000)
        assert check.action is RiskAction.REJECT
        await pm.close_position(held.position_id, 1_010)  # closing stays possible


async def test_the_cooldown_ends_by_itself():
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    async with manager(max_consecutive_losses=2, loss_cooldown_minutes=60) as pm:
        for _ in range(2):
            position = await pm.create_position("ETH/USDT", "long", 1, 1_000, timestamp=long_ago)
            await pm.close_position(position.position_id, 900, timestamp=long_ago)
        await pm.risk_manager.drain()
        assert pm.risk_manager.breakers.cooldown_until is not None
        await pm.create_position("ETH/USDT", "long", 1, 1_000)  # an hour after it ended


async def test_liquidate_action_closes_everything():
    done: list = []
    async with manager(drawdown_action=BreakerAction.LIQUIDATE, max_daily_loss_pct=None) as pm:
        pm.register_callback("liquidation_completed", done.append)
        await pm.create_position("BTC/USDT", "long", "0.2", 50_000)
        await walk(pm, [40_000])
        assert pm.status is PortfolioStatus.LIQUIDATED
        assert pm.get_open_positions() == []
        assert done and done[0].success


async def test_the_spec_risk_alert_handler_pauses_on_a_critical_level():
    alerts: list[str] = []

    async with manager(daily_loss_action=BreakerAction.ALERT, max_drawdown_pct=None) as portfolio:

        def send_emergency_alert(text: str) -> None:
            alerts.append(text)

        async def risk_alert_handler(risk_metrics):
            if risk_metrics.overall_risk_level.value == "critical":
                # Send alert, pause trading, etc.
                await portfolio.pause_portfolio()
                send_emergency_alert(f"Critical risk level: {risk_metrics.risk_score}")

        portfolio.register_callback("risk_limit_exceeded", risk_alert_handler)
        await portfolio.create_position("BTC/USDT", "long", "0.2", 50_000)
        await walk(portfolio, [47_000])  # -6 % today: the ALERT breaker trips, no status change
        assert portfolio.status is PortfolioStatus.PAUSED
    assert alerts == ["Critical risk level: 100.0"]


async def test_an_alert_breaker_rearms_when_its_condition_clears():
    async with manager(daily_loss_action=BreakerAction.ALERT, max_drawdown_pct=None) as pm:
        seen = recorder(pm)
        await pm.create_position("BTC/USDT", "long", "0.2", 50_000)
        await walk(pm, [47_000, 46_000, 45_000])  # tripped once, not on every batch
        assert len(seen) == 1
        await walk(pm, [49_000, 47_000])  # recovered above the limit, then down again
        assert len(seen) == 2


def test_var_breaker_waits_for_var_to_clear_after_a_resume():
    breakers, limits, now = CircuitBreakers(), RiskLimits(max_var_pct=8.0), DAY_1
    assert [t.breaker for t in breakers.on_var(9.0, now, limits)] == [Breaker.VAR]
    assert breakers.on_var(12.0, now, limits) == []  # once per trip
    assert breakers.rearm() == [Breaker.VAR]
    assert breakers.on_var(9.5, now, limits) == []  # still above: no re-trip after a resume
    assert breakers.on_var(7.0, now, limits) == []  # cleared: armed again
    assert len(breakers.on_var(8.5, now, limits)) == 1


def test_breaker_state_round_trips_for_a_restart():
    breakers = CircuitBreakers()
    limits = RiskLimits(max_drawdown_pct=10.0, max_daily_loss_pct=None)
    breakers.nav.start(10_000, DAY_1)
    breakers.nav.flow(1_000, 11_000)
    trips = breakers.on_prices(9_500, DAY_1, limits)
    assert len(trips) == 1
    restored = CircuitBreakers()
    restored.restore(breakers.to_dict())
    assert restored.nav == breakers.nav
    assert restored.tripped == breakers.tripped
    assert restored.on_prices(9_000, DAY_1, limits) == []  # still tripped, no second event
