"""The store's refusals, each a :class:`StoreError` (or a bad-input error) for the trader.

Every message names the file or folder involved and says what to do next; none of them is
ever resolved by overwriting or deleting the trader's data.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.portfolio.errors import PortfolioError, StoreError

__all__ = [
    "CsvImportError",
    "DataDirInUseError",
    "DatabaseUnusableError",
    "PriceDataError",
    "RowProblem",
    "StoreError",
]


class DataDirInUseError(StoreError):
    """Another Portfolio Desk (this process or another) holds the data folder's lock."""


class DatabaseUnusableError(StoreError):
    """``portfolio.db`` is corrupt, not ours, too new, or locked by another program."""


class PriceDataError(PortfolioError, ValueError):
    """Price bars handed to the store are malformed (NaN, missing column, naive time)."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One bad row of an imported file: its 1-based line number in the file, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class CsvImportError(PriceDataError):
    """A price file has bad rows; nothing of it was imported. ``problems`` lists them all."""

    #: How many problems the message spells out; ``problems`` always holds every one.
    SHOWN = 20

    def __init__(self, path: str, problems: list[RowProblem]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  {problem}" for problem in problems[: self.SHOWN])
        more = len(problems) - self.SHOWN
        tail = f"\n  … and {more} more" if more > 0 else ""
        rows = "row" if len(problems) == 1 else "rows"
        super().__init__(
            f"{path}: {len(problems)} bad {rows}; nothing was imported. Fix the file and "
            f"import it again.\n{shown}{tail}"
        )
