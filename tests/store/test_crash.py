"""Kill a real trading process with SIGKILL at random moments: nothing acknowledged is lost.

Each round starts ``crash_child.py`` on the same data folder, lets it trade until a random
number of acknowledgements (0 to 40) has been read, kills it at once (SIGKILL on POSIX,
TerminateProcess on Windows: no clean-up runs) wherever it is — often inside a transaction
or an fsync — then reopens the folder and checks:

* every acknowledged fill and cash movement is in the journal — including acknowledgements
  still in the pipe when the process died (they were printed after the commit);
* SQLite's ``integrity_check`` is ok;
* the replayed journal equals the stored positions and cash (no mismatch, no error event).
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from pathlib import Path

from .conftest import manager_on

CHILD = Path(__file__).with_name("crash_child.py")
REPO = Path(__file__).resolve().parents[2]
KILLS = 12


def run_until_killed(data_dir: Path, seed: int, acks_before_kill: int) -> list[tuple[str, str]]:
    """Start the trader, kill it after ``acks_before_kill`` acks; every ack it printed."""
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), str(seed)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acks: list[tuple[str, str]] = []
    try:
        ready = proc.stdout.readline()
        assert ready.startswith("ready"), proc.stderr.read()
        while len(acks) < acks_before_kill:
            line = proc.stdout.readline()
            assert line.endswith("\n"), proc.stderr.read()
            kind, ident = line.split()
            acks.append((kind, ident))
    finally:
        proc.kill()
        rest, _ = proc.communicate(timeout=60)
    for line in rest.splitlines(keepends=True):
        if line.endswith("\n"):  # a line cut off by the kill is not an acknowledgement
            kind, ident = line.split()
            acks.append((kind, ident))
    return acks


async def reopen_and_check(data_dir: Path, fills: set[str], movements: set[str]) -> int:
    errors: list = []
    pm = manager_on(data_dir)
    pm.register_callback("error", errors.append)
    await pm.initialize()
    try:
        assert errors == [] and pm.restore_mismatches == ()
        stored_fills = {fill.fill_id for fill in await pm.store.read_fills()}
        stored_movements = {m.movement_id for m in await pm.store.read_cash_movements()}
        assert fills <= stored_fills, f"lost fills: {fills - stored_fills}"
        assert movements <= stored_movements, f"lost cash: {movements - stored_movements}"
        assert await pm.store.check_integrity(full=True) == []
        return pm.position_tracker.sequence
    finally:
        await pm.shutdown()


def test_sigkill_at_random_moments_loses_no_acknowledged_fill(data_dir):
    rnd = random.Random(7_2025)
    fills: set[str] = set()
    movements: set[str] = set()
    sequences: list[int] = []
    for seed in range(KILLS):
        acks = run_until_killed(data_dir, seed, rnd.randint(0, 40))
        fills |= {ident for kind, ident in acks if kind == "fill"}
        movements |= {ident for kind, ident in acks if kind == "cash"}
        sequences.append(asyncio.run(reopen_and_check(data_dir, fills, movements)))
    assert len(fills) > 3 * KILLS  # the child really traded between the kills
    assert sequences == sorted(sequences)  # the journal only ever grew
