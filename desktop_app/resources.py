"""Where the bundled resources (icons, theme, simulation parameters) are found.

The repository keeps them in ``resources/`` at its root. Three layouts must work:

* a PyInstaller bundle: the spec copies ``resources/`` to ``<sys._MEIPASS>/resources``;
* an installed wheel: hatchling force-includes ``resources/`` as ``desktop_app/_resources``
  (see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml);
* a source tree or editable install (``uv run``): ``<repo>/resources``.

:func:`resource_path` tries them in that order and returns the first that exists.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_roots() -> list[Path]:
    """Candidate resource folders, most specific first."""
    roots: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        roots.append(Path(bundle) / "resources")
    roots.append(_PACKAGE_DIR / "_resources")
    roots.append(_PACKAGE_DIR.parent / "resources")
    return roots


def resource_path(*parts: str) -> Path:
    """The path of a bundled resource, e.g. ``resource_path("market", "simulation_params.json")``.

    Raises :class:`FileNotFoundError` naming every place looked in when it is missing, so a
    broken installation says what is wrong instead of failing later on a ``None`` path.
    """
    candidates = [root.joinpath(*parts) for root in resource_roots()]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"bundled resource {'/'.join(parts)} not found (looked in {looked})")
