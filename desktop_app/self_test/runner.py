"""The self-test's runner: outcomes, the order of the checks, and the report."""

from __future__ import annotations

import asyncio
import logging
import platform
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from desktop_app import APP_NAME, __version__

from .checks import NotInstalled, SelfTestError, check_charts, check_live_feed, check_resources
from .desk import Desk

log = logging.getLogger(__name__)

#: A check: returns (or awaits to) the detail shown after PASS; raises to fail.
Work = Callable[[], Awaitable[str] | str]

#: The longest a step may take; a frozen first start on a slow disk with a virus scanner
#: is the worst case.
STEP_TIMEOUT_S = 60.0
LOG_TAIL_LINES = 25


class Outcome(Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class CheckResult:
    name: str
    outcome: Outcome
    detail: str


class SelfTest:
    """Runs the checks, records a result for each, and renders the report."""

    def __init__(self, data_dir: Path, log_path: Path) -> None:
        self.desk = Desk(data_dir, log_path)
        self.results: list[CheckResult] = []
        self.loop_errors: list[str] = []

    def record(self, name: str, outcome: Outcome, detail: str) -> None:
        self.results.append(CheckResult(name, outcome, detail))
        log.info("self-test %s: %s %s", name, outcome.value, detail)

    async def step(self, name: str, work: Work) -> bool:
        """Run one check and record its outcome; True when it passed."""
        try:
            detail = work()
            if not isinstance(detail, str):
                detail = await asyncio.wait_for(detail, STEP_TIMEOUT_S)
        except NotInstalled as exc:
            self.record(name, Outcome.SKIP, str(exc))
            return False
        except SelfTestError as exc:
            log.error("self-test %s failed: %s", name, exc)
            self.record(name, Outcome.FAIL, str(exc))
            return False
        except TimeoutError:
            log.error("self-test %s took longer than %.0f s", name, STEP_TIMEOUT_S)
            self.record(name, Outcome.FAIL, f"took longer than {STEP_TIMEOUT_S:.0f} s")
            return False
        except Exception as exc:
            log.exception("self-test %s failed", name)
            trace = "".join(traceback.format_exception(exc)).rstrip()
            text = f"{type(exc).__name__}: {exc}\n{trace}"
            self.record(name, Outcome.FAIL, text)
            return False
        self.record(name, Outcome.PASS, detail)
        return True

    async def run_chain(self, chain: Sequence[tuple[str, Work]]) -> None:
        """Run the steps in order; once one does not pass, the rest are skipped (they need it)."""
        for index, (name, work) in enumerate(chain):
            if not await self.step(name, work):
                for skipped, _work in chain[index + 1 :]:
                    self.record(skipped, Outcome.SKIP, f"needs {name}")
                return

    def loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """An exception nothing awaited (a slot, a callback): a failure of the run."""
        self.loop_errors.append(str(context.get("exception") or context.get("message")))
        loop.default_exception_handler(context)

    async def run(self) -> None:
        asyncio.get_running_loop().set_exception_handler(self.loop_exception)
        desk = self.desk
        await self.step("resources", check_resources)
        await self.step("charts", check_charts)
        await self.step("live feed", check_live_feed)
        try:
            await self.run_chain(
                [
                    ("engine", desk.open_engine),
                    ("window", desk.open_window),
                    ("prices", desk.start_prices),
                    ("open", desk.open_position),
                    ("close", desk.close_position),
                    ("store", desk.verify_store),
                    ("log", desk.check_log),
                ]
            )
        finally:
            await desk.shut_down()
        if self.loop_errors:
            self.record("event loop", Outcome.FAIL, "; ".join(self.loop_errors))

    @property
    def passed(self) -> bool:
        """Nothing failed (a part that is not installed is skipped, not failed)."""
        outcomes = {r.outcome for r in self.results}
        return Outcome.PASS in outcomes and Outcome.FAIL not in outcomes

    def report(self, platform_name: str) -> str:
        frozen = "frozen" if getattr(sys, "frozen", False) else "from source"
        lines = [
            f"{APP_NAME} {__version__} self-test ({frozen}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, Qt platform {platform_name})"
        ]
        for result in self.results:
            first, *rest = result.detail.splitlines() or [""]
            lines.append(f"  {result.outcome.value}  {result.name}: {first}")
            lines.extend(f"        {line}" for line in rest)
        failed = [r.name for r in self.results if r.outcome is Outcome.FAIL]
        if self.passed:
            passed = sum(r.outcome is Outcome.PASS for r in self.results)
            lines.append(f"PASS: {passed} of {len(self.results)} checks passed, none failed")
        else:
            lines.append(f"FAIL: {', '.join(failed) or 'nothing ran'}")
            log_path = self.desk.log_path
            if log_path.exists():
                tail = log_path.read_text(encoding="utf-8").splitlines()[-LOG_TAIL_LINES:]
                lines.append(f"last lines of the log ({log_path.name}):")
                lines.extend(f"  | {line}" for line in tail)
        return "\n".join(lines)
