"""Put the last benchmark run's table into README.md (its Performance section).

``uv run pytest tests/benchmarks`` writes ``benchmark-results.md``; then
``uv run python -m tests.benchmarks.publish`` replaces what stands between the README's
``<!-- benchmarks:start -->`` and ``<!-- benchmarks:end -->`` markers with that table,
stamped with the run's date and commit. The numbers are only ever copied from a run.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START = "<!-- benchmarks:start -->"
END = "<!-- benchmarks:end -->"


class PublishError(Exception):
    pass


def commit_of(root: Path) -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return done.stdout.strip()


def section(table: str, run_at: datetime, commit: str) -> str:
    stamp = run_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{START}\nMeasured {stamp} at commit `{commit}`. {table.strip()}\n{END}"


def publish(root: Path = ROOT) -> Path:
    results = root / "benchmark-results.md"
    readme = root / "README.md"
    if not results.exists():
        raise PublishError(f"{results} is missing: run `uv run pytest tests/benchmarks` first")
    text = readme.read_text(encoding="utf-8")
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise PublishError(f"README.md needs one {START} … {END} block")
    run_at = datetime.fromtimestamp(results.stat().st_mtime, UTC)
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    body = section(results.read_text(encoding="utf-8"), run_at, commit_of(root))
    readme.write_text(head + body + tail, encoding="utf-8")
    return readme


def main() -> int:
    try:
        path = publish()
    except PublishError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
