"""The README's performance table is copied from a benchmark run, never typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.publish import END, START, PublishError, publish

TABLE = "Machine: 2 cores\n\n| benchmark | unit |\n|---|---|\n| ticks | 1/s |\n"


def project(tmp_path: Path, readme: str, results: str | None = TABLE) -> Path:
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    if results is not None:
        (tmp_path / "benchmark-results.md").write_text(results, encoding="utf-8")
    return tmp_path


def test_the_table_replaces_only_the_marked_block(tmp_path):
    root = project(tmp_path, f"# App\n\n## Performance\n{START}\nold numbers\n{END}\n\n## Next\n")
    publish(root)
    text = (root / "README.md").read_text(encoding="utf-8")
    assert "old numbers" not in text
    assert "| ticks | 1/s |" in text and "Machine: 2 cores" in text
    assert text.startswith("# App\n\n## Performance\n") and text.endswith(f"{END}\n\n## Next\n")
    assert "Measured " in text and " at commit `" in text
    publish(root)  # again: still one block
    assert (root / "README.md").read_text(encoding="utf-8").count(START) == 1


def test_without_a_run_or_markers_nothing_changes(tmp_path):
    root = project(tmp_path, f"{START}\nkept\n{END}\n", results=None)
    with pytest.raises(PublishError, match="run `uv run pytest tests/benchmarks` first"):
        publish(root)
    assert "kept" in (root / "README.md").read_text(encoding="utf-8")
    root = project(tmp_path, "# no markers\n")
    with pytest.raises(PublishError, match="needs one"):
        publish(root)
    assert (root / "README.md").read_text(encoding="utf-8") == "# no markers\n"


def test_the_readme_has_one_performance_block():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert readme.count(START) == 1 and readme.count(END) == 1
    block = readme.split(START, 1)[1].split(END, 1)[0]
    assert "| benchmark |" in block and "Machine:" in block
