"""Shared by the packaging tests: where things are, the version helper, the built app."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "packaging" / "portfolio_desk.spec"


def load_version_info() -> ModuleType:
    """``packaging/version_info.py`` (a script folder, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "portfolio_desk_version_info", REPO / "packaging" / "version_info.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class FrozenApp:
    folder: Path  # dist/Portfolio Desk
    executable: Path
    build_s: float

    @property
    def size_mb(self) -> float:
        """Bytes on disk / 2**20 (PyInstaller links some libraries: count each file once)."""
        files = [f for f in self.folder.rglob("*") if f.is_file() and not f.is_symlink()]
        return sum(f.stat().st_size for f in files) / 2**20
