"""``portfolio-desk --self-test``: the installation check, run from the source tree.

The frozen build runs the same check (tests/packaging/test_frozen_app.py, marked
``packaging``); here it runs as ``python -m desktop_app``, and the runner's verdicts are
checked on steps that pass, fail or are not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys

from desktop_app.app import build_parser
from desktop_app.self_test import Outcome, SelfTest
from desktop_app.self_test.checks import NotInstalled, SelfTestError


def test_self_test_opens_and_closes_a_position_and_passes(tmp_path):
    trader_data = tmp_path / "trader-data"
    trader_data.mkdir()
    report = tmp_path / "reports" / "self-test.txt"
    env = {**os.environ, "PORTFOLIO_DESK_DATA_DIR": str(trader_data)}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test goes offscreen by itself
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--self-test", str(report)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-4000:]}"
    out = done.stdout
    assert "Qt platform offscreen" in out.splitlines()[0]
    for check in ("engine", "window", "prices", "open", "close", "store", "log"):
        assert f"  PASS  {check}:" in out, check
    assert "LONG 0.01 BTC/USDT" in out and "integrity ok" in out
    assert out.splitlines()[-1].startswith("PASS:")
    assert report.read_text(encoding="utf-8") == out
    assert list(trader_data.iterdir()) == []  # the trader's data folder is never touched


def test_self_test_flag_takes_an_optional_report_file():
    parser = build_parser()
    assert parser.parse_args([]).self_test is None
    assert parser.parse_args(["--self-test"]).self_test == ""
    assert parser.parse_args(["--self-test", "r.txt"]).self_test == "r.txt"


async def test_a_failed_step_is_reported_with_its_reason_and_skips_what_needs_it(tmp_path):
    test = SelfTest(tmp_path, tmp_path / "missing.log")

    def engine() -> str:
        raise SelfTestError("the database folder is read-only")

    def window() -> str:  # must not run: it needs the engine
        raise AssertionError("ran after a failed step")

    await test.run_chain([("engine", engine), ("window", window), ("open", window)])
    assert [(r.name, r.outcome) for r in test.results] == [
        ("engine", Outcome.FAIL),
        ("window", Outcome.SKIP),
        ("open", Outcome.SKIP),
    ]
    assert not test.passed
    report = test.report("offscreen")
    assert "  FAIL  engine: the database folder is read-only" in report
    assert "  SKIP  window: needs engine" in report
    assert report.splitlines()[-1] == "FAIL: engine"


async def test_an_unexpected_error_shows_its_type_and_traceback(tmp_path):
    test = SelfTest(tmp_path, tmp_path / "missing.log")

    async def charts() -> str:
        raise ModuleNotFoundError("No module named 'PySide6.QtOpenGL'")

    assert not await test.step("charts", charts)
    detail = test.results[0].detail
    assert detail.splitlines()[0] == "ModuleNotFoundError: No module named 'PySide6.QtOpenGL'"
    assert "Traceback (most recent call last)" in detail


async def test_an_optional_part_not_installed_is_skipped_without_failing(tmp_path):
    test = SelfTest(tmp_path, tmp_path / "missing.log")

    def live_feed() -> str:
        raise NotInstalled("the optional live extra is not installed")

    await test.step("live feed", live_feed)
    await test.step("resources", lambda: "icon 256×256 px")
    assert [r.outcome for r in test.results] == [Outcome.SKIP, Outcome.PASS]
    assert test.passed
    assert test.report("offscreen").splitlines()[-1] == "PASS: 1 of 2 checks passed, none failed"
