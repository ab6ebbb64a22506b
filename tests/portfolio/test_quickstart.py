"""The spec's Quick Start, with only the import path changed, runs and prints the right value."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from desktop_app.portfolio import PortfolioConfig, PortfolioManager, PositionType


def test_spec_quick_start_prints_two_dollars_of_unrealized_pnl(capsys, tmp_path):
    seen: dict[str, Decimal] = {}

    async def basic_example():
        # Configure portfolio
        config = PortfolioConfig(
            target_allocations={"BTC/USDT": 0.6, "SHIB/USDT": 0.4},
            max_single_position_pct=25.0,
            rebalance_enabled=True,
        )

        # Create portfolio manager
        async with PortfolioManager(config=config) as portfolio:
            # Create position
            await portfolio.create_position(
                symbol="SHIB/USDT",
                position_type=PositionType.LONG,
                size=1000000,  # 1M SHIB
                entry_price=0.00001,
            )

            # Update price
            await portfolio.update_position_price("SHIB/USDT", 0.000012)

            # Get summary
            summary = await portfolio.get_portfolio_summary()
            print(f"Portfolio Value: ${summary['total_value']:.2f}")
            print(f"P&L: ${summary['positions']['total_unrealized_pnl']:.2f}")
            seen.update(
                value=summary["total_value"], pnl=summary["positions"]["total_unrealized_pnl"]
            )

    asyncio.run(basic_example())

    out = capsys.readouterr().out
    assert "Portfolio Value: $10002.00" in out
    assert "P&L: $2.00" in out
    assert seen["pnl"] == Decimal("2.00")  # exactly, not 1.9999999999
    assert seen["value"] == Decimal("10002")
