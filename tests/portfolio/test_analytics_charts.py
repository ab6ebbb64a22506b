"""Inline SVG charts and point thinning for the HTML report and the dashboard."""

from __future__ import annotations

import numpy as np
import pandas as pd

from desktop_app.portfolio.charts import ChartLine, decimate, nice_ticks, svg_line_chart


def test_thinning_keeps_every_buckets_extremes_and_both_ends():
    rng = np.random.default_rng(3)
    values = rng.normal(size=100_000).cumsum()
    picked = decimate(values, 1_000)
    assert picked.size <= 1_000
    assert picked[0] == 0 and picked[-1] == values.size - 1
    assert np.all(np.diff(picked) > 0)  # in time order, no duplicates
    assert values.argmin() in picked and values.argmax() in picked


def test_a_short_series_is_kept_whole():
    assert decimate(np.arange(10.0), 1_000).tolist() == list(range(10))


def test_ticks_are_round_numbers_covering_the_range():
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(-0.173, 0.01) == [-0.15, -0.1, -0.05, 0.0]
    assert nice_ticks(5.0, 5.0) == [5.0]


def test_a_chart_is_one_svg_element_with_escaped_labels_and_no_outside_links():
    times = pd.date_range("2024-01-01", periods=50, freq="D").to_numpy()
    svg = svg_line_chart(
        [ChartLine("A & B <x>", times, np.linspace(1, 2, 50), fill=True)], title="Growth <1>"
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "A &amp; B &lt;x&gt;" in svg and "Growth &lt;1&gt;" in svg
    assert svg.count("<polyline") == 1 and svg.count("<polygon") == 1
    assert "href" not in svg


def test_a_chart_without_data_says_so():
    svg = svg_line_chart([ChartLine("x", np.array([], "datetime64[ns]"), np.array([]))], title="t")
    assert "no data" in svg
