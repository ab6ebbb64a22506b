"""Benchmarks: the risk parity solver, and planning / executing a rebalance on the event loop.

* ``risk_parity_weights`` (damped Newton on Spinu's convex problem, to 1e-10) on the real
  covariance of the 8 Binance daily ``*-USDT_1d.csv`` coins (365 days of returns) and on a
  random 50-asset factor covariance; the baseline is cyclical coordinate descent (the usual
  simple ERC algorithm) run to the same tolerance.
* ``create_rebalance_plan`` (THRESHOLD) and paper execution for a 20-asset book, on a memory
  journal and on the real SQLite store: planning runs on the event loop (the GUI's), so it
  should stay well under ~20 ms; with the store, execution waits for every fill's durable
  commit on the writer thread (the loop stays free meanwhile).
"""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pytest

from desktop_app.execution import PaperExecutor
from desktop_app.market.history import read_ohlcv_csv
from desktop_app.portfolio import (
    MemoryJournal,
    PortfolioConfig,
    PortfolioManager,
    RebalanceConfig,
    RiskLimits,
)
from desktop_app.portfolio.risk_parity import risk_contributions, risk_parity_weights
from tests.benchmarks.conftest import Bench, measure

COINS = ("BTC", "ETH", "SOL", "ADA", "BNB", "XRP", "DOGE", "SHIB")


def cyclical_coordinate_descent(cov: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Griveau-Billion et al. (2013): solve ``x_i (Σx)_i = 1/n`` one coordinate at a time.

    Each step takes the positive root of ``Σ_ii x_i² + c_i x_i − b_i = 0`` with
    ``c_i = Σ_{j≠i} Σ_ij x_j``; sweeps repeat until the contributions agree to ``tol``.
    """
    n = cov.shape[0]
    b = 1.0 / n
    x = 1.0 / np.sqrt(np.diag(cov)) / n
    diag = np.diag(cov)
    while True:
        for i in range(n):
            c = cov[i] @ x - diag[i] * x[i]
            x[i] = (-c + np.sqrt(c * c + 4.0 * diag[i] * b)) / (2.0 * diag[i])
        rc = x * (cov @ x)
        if np.max(np.abs(rc - b)) <= tol * b:
            return x / x.sum()


def real_covariance(prices_dir) -> np.ndarray:
    closes = pd.DataFrame(
        {c: read_ohlcv_csv(prices_dir / f"{c}-USDT_1d.csv")["close"] for c in COINS}
    ).dropna()
    return closes.iloc[-366:].pct_change().iloc[1:].cov().to_numpy()


def random_covariance(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    loadings = rng.normal(size=(n, 5))
    corr = loadings @ loadings.T + 0.3 * np.eye(n)
    scale = np.sqrt(np.diag(corr))
    vols = rng.uniform(0.01, 0.08, n)
    return corr / np.outer(scale, scale) * np.outer(vols, vols)


@pytest.mark.parametrize("case", ["real 8 coins", "random 50 assets"])
def test_bench_risk_parity_solver(bench: Bench, prices_dir, case):
    cov = real_covariance(prices_dir) if case == "real 8 coins" else random_covariance(50)
    weights = risk_parity_weights(cov)
    rc = risk_contributions(weights, cov)
    assert np.ptp(rc) / rc.mean() < 1e-9
    baseline = cyclical_coordinate_descent(cov)
    assert np.allclose(baseline, weights, rtol=1e-6)
    bench.record_samples(
        f"risk_parity_weights ({case})",
        measure(lambda: risk_parity_weights(cov), repeat=50),
        baseline_s=measure(lambda: cyclical_coordinate_descent(cov), repeat=10, warmup=1),
        notes="baseline: cyclical coordinate descent to the same 1e-10",
    )


@pytest.mark.parametrize("journal", ["memory", "sqlite"])
def test_bench_threshold_plan_and_paper_execution_for_20_assets(bench: Bench, tmp_path, journal):
    symbols = [f"C{i:02d}/USDT" for i in range(20)]
    targets = dict.fromkeys(symbols, 0.05)

    async def scenario() -> tuple[np.ndarray, np.ndarray]:
        config = PortfolioConfig(
            initial_capital=1_000_000,
            performance_update_interval_s=0,
            target_allocations=targets,
            rebalance_config=RebalanceConfig(max_drift_pct=0.5, automation_check_interval_s=0),
            risk_limits=RiskLimits.disabled(),  # 20 positions: over the default count limit
        )
        executor = PaperExecutor()
        where = {"journal": MemoryJournal()} if journal == "memory" else {"data_dir": tmp_path}
        async with PortfolioManager(config, trade_executor=executor, **where) as pm:
            prices = {s: 10 + i for i, s in enumerate(symbols)}
            await pm.update_prices(prices)
            first = await pm.rebalance_portfolio("threshold")
            assert first.success and len(first.outcomes) == 20
            loop_plan, loop_exec = [], []
            for step in range(15):
                # alternate the drift so every round trades all 20 symbols
                factor = 1.3 if step % 2 == 0 else 1 / 1.3
                moved = {s: p * (factor if i % 2 else 1) for i, (s, p) in enumerate(prices.items())}
                prices = moved
                await pm.update_prices({s: f"{p:.6f}" for s, p in prices.items()})
                start = loop.time()
                plan = await pm.rebalancer.create_rebalance_plan("threshold")
                loop_plan.append(loop.time() - start)
                start = loop.time()
                result = await pm.rebalancer.execute_rebalance_plan(plan)
                loop_exec.append(loop.time() - start)
                assert result.success and len(result.outcomes) == 20
            return np.array(loop_plan[3:]), np.array(loop_exec[3:])

    loop = asyncio.new_event_loop()
    try:
        plan_s, exec_s = loop.run_until_complete(scenario())
    finally:
        loop.close()
    bench.record_samples(f"create_rebalance_plan (20 assets, {journal})", plan_s, target="< 20 ms")
    bench.record_samples(
        f"execute_rebalance_plan (20 paper orders, {journal})",
        exec_s,
        target="< 20 ms" if journal == "memory" else "",
        notes="sqlite: each fill committed (synchronous=FULL) on the writer thread, loop free",
    )
