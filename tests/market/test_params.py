"""Simulation parameters: shipped, estimated from real closes, validated, found anywhere."""

from __future__ import annotations

import json

import numpy as np
import pytest

from desktop_app.market import MarketDataError, SimulationParams, estimate_params
from desktop_app.resources import resource_path

BASKET = {
    "BTC/USDT",
    "ETH/USDT",
    "SOL/USDT",
    "ADA/USDT",
    "XRP/USDT",
    "DOGE/USDT",
    "BNB/USDT",
    "SHIB/USDT",
}


def test_shipped_parameters_cover_the_basket_with_a_valid_correlation_matrix():
    params = SimulationParams.load()
    assert set(params.symbols) == BASKET
    corr = np.asarray(params.correlation)
    assert np.allclose(corr, corr.T) and np.allclose(np.diag(corr), 1)
    assert np.all(np.linalg.eigvalsh(corr) > 0)
    chol = params.cholesky()
    assert np.allclose(chol @ chol.T, corr)
    assert all(0.2 < vol < 2.0 for vol in params.volatility_annual)  # crypto: 20 %..200 %/yr
    assert params.start_price("SHIB/USDT") < 0.001 < params.start_price("BTC/USDT")


def test_shipped_file_is_exactly_what_the_estimator_computes_from_the_shared_closes(
    prices_dir, tmp_path
):
    out = tmp_path / "params.json"
    assert estimate_params.main([str(prices_dir), "--out", str(out)]) == 0
    fresh = json.loads(out.read_text())
    shipped = json.loads(resource_path("market", "simulation_params.json").read_text())
    assert_same_numbers(fresh, shipped)
    # the 2022 crash's real returns are written beside it, from the same files
    fresh_crash = json.loads((tmp_path / "crash_2022.json").read_text())
    shipped_crash = json.loads(resource_path("market", "crash_2022.json").read_text())
    assert_same_numbers(fresh_crash, shipped_crash)
    assert -0.8 < shipped_crash["returns"]["BTC/USDT"] < -0.7  # peak to the FTX low


def test_the_crash_returns_are_first_to_last_close_of_the_window(prices_dir):
    crash = estimate_params.estimate_crash(prices_dir, ["BTC/USDT"])
    closes = estimate_params.read_closes(prices_dir, ["BTC/USDT"])["BTC/USDT"]
    window = closes["2021-11-10":"2022-11-21"]
    assert crash["returns"]["BTC/USDT"] == round(window.iloc[-1] / window.iloc[0] - 1, 6)
    assert crash["lowest"]["BTC/USDT"] == round(window.min() / window.iloc[0] - 1, 6)
    assert crash["lowest"]["BTC/USDT"] <= crash["returns"]["BTC/USDT"]


def assert_same_numbers(a, b, where="params"):
    """Equal structure and text; floats equal to 1e-12 (BLAS may differ in the last bit)."""
    if isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for key in b:
            assert_same_numbers(a[key], b[key], f"{where}.{key}")
    elif isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_numbers(x, y, f"{where}[{i}]")
    elif isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15), where
    else:
        assert a == b, where


def test_estimate_uses_overlapping_days_and_annualises_with_365_periods(prices_dir):
    params = estimate_params.estimate(prices_dir, ["BTC/USDT", "SHIB/USDT"])
    closes = estimate_params.read_closes(prices_dir, ["BTC/USDT", "SHIB/USDT"])
    assert params.metadata["first_day"] == "2021-05-10"  # SHIB's listing: the overlap starts
    x = np.diff(np.log(closes["BTC/USDT"].to_numpy()))
    assert params.volatility_annual[0] == pytest.approx(x.std(ddof=1) * np.sqrt(365))
    assert params.drift_annual[0] == pytest.approx((x.mean() + x.var(ddof=1) / 2) * 365)
    assert params.start_prices[0] == closes["BTC/USDT"].iloc[-1]


def test_estimator_reports_a_missing_file_without_a_traceback(tmp_path, capsys):
    assert estimate_params.main([str(tmp_path), "--out", str(tmp_path / "x.json")]) == 1
    assert "no daily price file for BTC/USDT" in capsys.readouterr().err


def test_subset_keeps_the_pairwise_correlations():
    params = SimulationParams.load()
    sub = params.subset(["ETH/USDT", "BTC/USDT"])
    i, j = params.symbols.index("BTC/USDT"), params.symbols.index("ETH/USDT")
    assert sub.symbols == ("ETH/USDT", "BTC/USDT")
    assert sub.correlation[0][1] == pytest.approx(params.correlation[i][j])
    with pytest.raises(MarketDataError, match="has no LINK/USDT"):
        params.subset(["LINK/USDT"])


def test_with_symbols_keeps_the_basket_and_derives_the_rest_through_a_parent():
    params = SimulationParams.load()
    wanted = ["ETH/USDT", "C042/USDT", "BTC/USDT", "C007/USDT"]
    derived = params.with_symbols(wanted, derived_correlation=0.8)
    assert derived.symbols == tuple(wanted)
    assert derived.metadata["derived_symbols"] == ["C042/USDT", "C007/USDT"]
    btc, eth = params.symbols.index("BTC/USDT"), params.symbols.index("ETH/USDT")
    assert derived.correlation[0][2] == pytest.approx(params.correlation[eth][btc])
    assert derived.start_prices[0] == params.start_prices[eth]  # the basket's own
    corr = np.asarray(derived.correlation)
    for k in (1, 3):  # a derived coin: its parent's drift and volatility, 0.8 x its parent
        parent = params.volatility_annual.index(derived.volatility_annual[k])
        assert derived.drift_annual[k] == params.drift_annual[parent]
        assert 0.5 <= derived.start_prices[k] / params.start_prices[parent] < 2
        with_btc = 0.8 * params.correlation[parent][btc]
        assert corr[k, 2] == pytest.approx(with_btc)
    # the same coin gets the same parameters whatever list it comes in
    alone = params.with_symbols(["C042/USDT"])
    assert alone.start_prices[0] == derived.start_prices[1]


def test_two_hundred_derived_symbols_make_a_valid_correlated_market():
    params = SimulationParams.load()
    derived = params.with_symbols([f"C{i:03d}/USDT" for i in range(200)])
    corr = np.asarray(derived.correlation)
    assert corr.shape == (200, 200)
    assert np.linalg.eigvalsh(corr).min() > 0  # positive definite by construction
    off = corr[~np.eye(200, dtype=bool)]
    assert 0 < off.mean() < 0.8  # correlated like crypto, never perfectly
    with pytest.raises(MarketDataError, match="appears twice"):
        params.with_symbols(["C1/USDT", "C1/USDT"])
    with pytest.raises(MarketDataError, match="derived_correlation"):
        params.with_symbols(["C1/USDT"], derived_correlation=1.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"correlation": ((1.0, 1.5), (1.5, 1.0))}, "symmetric with ones"),
        (
            {"correlation": ((1.0, 0.999999), (0.999999, 1.0)), "volatility_annual": (0.5, -1)},
            "not negative",
        ),
        ({"start_prices": (0.0, 1.0)}, "must be positive"),
        ({"drift_annual": (float("nan"), 0.1)}, "finite number"),
    ],
)
def test_invalid_parameters_are_refused_with_a_reason(change, message):
    base = {
        "symbols": ("BTC/USDT", "ETH/USDT"),
        "start_prices": (100.0, 10.0),
        "drift_annual": (0.1, 0.1),
        "volatility_annual": (0.5, 0.6),
        "correlation": ((1.0, 0.5), (0.5, 1.0)),
    }
    with pytest.raises(MarketDataError, match=message):
        SimulationParams(**{**base, **change})


def test_a_not_positive_definite_correlation_matrix_is_refused():
    rho = ((1.0, 0.9, -0.9), (0.9, 1.0, 0.9), (-0.9, 0.9, 1.0))
    with pytest.raises(MarketDataError, match="not positive definite"):
        SimulationParams(
            symbols=("A/USDT", "B/USDT", "C/USDT"),
            start_prices=(1, 1, 1),
            drift_annual=(0, 0, 0),
            volatility_annual=(1, 1, 1),
            correlation=rho,
        )


def test_parameters_round_trip_through_json(tmp_path):
    params = SimulationParams.load()
    params.save(tmp_path / "p.json")
    assert SimulationParams.load(tmp_path / "p.json") == params


def test_a_malformed_parameter_file_names_the_problem(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"symbols": ["BTC/USDT"]}')
    with pytest.raises(MarketDataError, match="incomplete or malformed"):
        SimulationParams.load(path)


def test_resource_path_prefers_a_pyinstaller_bundle(tmp_path, monkeypatch):
    target = tmp_path / "resources" / "market" / "simulation_params.json"
    target.parent.mkdir(parents=True)
    target.write_text("{}")
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path), raising=False)
    assert resource_path("market", "simulation_params.json") == target


def test_resource_path_names_every_place_it_looked_when_missing():
    with pytest.raises(FileNotFoundError, match="looked in .*resources"):
        resource_path("market", "no-such-file.json")
