"""A trader that never stops: started by ``test_crash.py`` and killed with SIGKILL.

``python crash_child.py <data dir> <seed>`` opens the portfolio, prints ``ready``, then trades
in a loop — opens (with client ids), adds, partial and full closes, deposits, withdrawals,
re-tags — and after each call *returns* prints one line: ``fill <fill id>``,
``cash <movement id>`` or ``tag <position id>``. A printed line is an acknowledgement: the
change was committed before the call returned.
"""

from __future__ import annotations

import asyncio
import random
import sys
from decimal import Decimal

from desktop_app.portfolio import PortfolioConfig, PortfolioManager, RiskLimits

SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "SHIB/USDT")


def ack(kind: str, ident: str) -> None:
    sys.stdout.write(f"{kind} {ident}\n")
    sys.stdout.flush()


async def trade_forever(data_dir: str, seed: int) -> None:
    rnd = random.Random(seed)
    config = PortfolioConfig(
        initial_capital=10_000_000,
        performance_update_interval_s=0,
        snapshot_interval_s=0.005,
        risk_limits=RiskLimits.disabled(),  # random trades of any size: durability is tested
    )
    async with PortfolioManager(config, data_dir=data_dir) as pm:
        tracker = pm.position_tracker
        ack("ready", str(tracker.sequence))
        for number in range(1, 1_000_000):
            open_positions = pm.get_open_positions()
            roll = rnd.random()
            price = Decimal(rnd.randint(1, 10**6)) / 100
            size = Decimal(rnd.randint(1, 10**5)) / 1000
            if roll < 0.35 or not open_positions:
                client_id = f"crash-{seed}-{number}"
                await pm.create_position(
                    rnd.choice(SYMBOLS),
                    rnd.choice(("long", "short")),
                    size,
                    price,
                    fee=Decimal(rnd.randint(0, 300)) / 100,
                    client_id=client_id,
                )
                booked = tracker.booked(client_id)
                assert booked is not None
                ack("fill", booked.fill_id)
                continue
            position = rnd.choice(open_positions)
            if roll < 0.5:
                await pm.add_to_position(position.position_id, size, price, fee="0.5")
                ack("fill", tracker.recent_fills(1)[0].fill_id)
            elif roll < 0.85:
                part = None if rnd.random() < 0.5 else (position.size / 3).quantize(Decimal("1e-8"))
                result = await pm.close_position(position.position_id, price, size=part, fee="0.25")
                ack("fill", result.fill.fill_id)
            elif roll < 0.95:
                if rnd.random() < 0.6:
                    await pm.deposit(Decimal(rnd.randint(1, 10_000)))
                else:
                    await pm.withdraw(Decimal(rnd.randint(1, 1_000)))
                ack("cash", tracker.cash_movements()[-1].movement_id)
            else:
                await pm.set_position_tags(position.position_id, f"tag{number}")
                ack("tag", position.position_id)


if __name__ == "__main__":
    asyncio.run(trade_forever(sys.argv[1], int(sys.argv[2])))
