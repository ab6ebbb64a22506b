"""Reading an OHLCV price file: ``timestamp,open,high,low,close,volume``.

The format of ``shared/data/prices`` (and of most exchange exports): a header line, then
one bar per line with its open time in ISO 8601 (``2017-08-17T00:00:00Z``; a time without a
zone is taken as UTC) and plain numbers. Rows may come in any order; they are sorted.

Every row is validated (see :func:`desktop_app.store.bars.bar_problems`, plus: a readable
time, numbers that are numbers, six values per line, no time twice). Any bad row refuses the
whole file with a :class:`CsvImportError` listing every bad row by its line number in the
file — nothing is half-imported.

Speed: the file is parsed by pandas' C reader and validated with numpy, so a good file never
touches Python per row. Only a file the fast reader rejects is re-read line by line with
the ``csv`` module, to report every bad line rather than the first.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_app.lazy import pd

from .bars import BAR_COLUMNS, bar_problems
from .errors import CsvImportError, PriceDataError, RowProblem

HEADER = ("timestamp", *BAR_COLUMNS)
_FLOAT_TYPES = dict.fromkeys(BAR_COLUMNS, np.float64)


@dataclass(frozen=True)
class ParsedBars:
    """A validated file: epoch-ms open times (ascending) and an (n, 5) OHLCV float array."""

    ts_ms: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.ts_ms)


def _check_header(path: Path) -> None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except OSError as exc:
        raise PriceDataError(f"Cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CsvImportError(str(path), [RowProblem(1, "the file is not UTF-8 text")]) from None
    found = tuple(cell.strip().lower() for cell in first.strip().split(","))
    if found != HEADER:
        raise CsvImportError(
            str(path),
            [RowProblem(1, f"the header must be {','.join(HEADER)}, found {first.strip()!r}")],
        )


def _read_fast(path: Path) -> pd.DataFrame:
    """The whole file through pandas' C reader; raises ValueError on any unreadable cell."""
    frame = pd.read_csv(
        path,
        encoding="utf-8-sig",
        header=0,
        names=list(HEADER),
        dtype={"timestamp": object, **_FLOAT_TYPES},
        skip_blank_lines=False,
        engine="c",
    )
    return frame


def _read_tolerant(path: Path) -> tuple[pd.DataFrame, np.ndarray, list[RowProblem]]:
    """Line by line: rows with six values (as text), their line numbers, and the others."""
    problems: list[RowProblem] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            line = reader.line_num
            if len(row) != len(HEADER):
                what = "the line is empty" if not row else f"{len(row)} values, expected 6"
                problems.append(RowProblem(line, what))
                continue
            rows.append(row)
            lines.append(line)
    frame = pd.DataFrame(rows, columns=list(HEADER), dtype=object)
    for name in BAR_COLUMNS:
        text = frame[name].str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        for row in np.flatnonzero(numbers.isna() & (text != "")).tolist():
            problems.append(
                RowProblem(lines[row], f"{name} {frame[name].iat[row]!r} is not a number")
            )
            numbers.iat[row] = np.nan
        frame[name] = numbers.astype(np.float64)
    return frame, np.asarray(lines, dtype=np.int64), problems


def read_ohlcv_csv(path: str | Path) -> ParsedBars:
    """Parse and validate a whole price file, or raise :class:`CsvImportError`."""
    path = Path(path)
    _check_header(path)
    problems: list[RowProblem] = []
    try:
        frame = _read_fast(path)
        lines = np.arange(2, len(frame) + 2, dtype=np.int64)
    except (ValueError, pd.errors.ParserError):
        frame, lines, problems = _read_tolerant(path)
    reported = {problem.line for problem in problems}

    raw_times = frame["timestamp"]
    times = pd.to_datetime(raw_times, utc=True, format="ISO8601", errors="coerce")
    values = frame.loc[:, list(BAR_COLUMNS)].to_numpy(dtype=np.float64)
    by_row = bar_problems(values)
    missing_time = times.isna().to_numpy()
    for row in np.flatnonzero(missing_time).tolist():
        text = raw_times.iat[row]
        if isinstance(text, str) and text.strip():
            message = f"timestamp {text!r} is not an ISO 8601 time like 2024-01-31T00:00:00Z"
        elif len(by_row.get(row, ())) == len(BAR_COLUMNS):
            by_row[row] = []
            message = "the line is empty"
        else:
            message = "timestamp is missing"
        by_row.setdefault(row, []).insert(0, message)

    ts_ms = np.zeros(len(frame), dtype=np.int64)
    good_times = ~missing_time
    ts_ms[good_times] = pd.DatetimeIndex(times[good_times]).as_unit("ms").asi8
    duplicated = pd.Series(ts_ms).where(good_times).duplicated(keep="first").to_numpy() & good_times
    if duplicated.any():
        first_line = dict(
            zip(
                ts_ms[good_times & ~duplicated].tolist(),
                lines[good_times & ~duplicated].tolist(),
                strict=True,
            )
        )
        for row in np.flatnonzero(duplicated).tolist():
            earlier = first_line[ts_ms[row]]
            by_row.setdefault(row, []).append(
                f"time {times.iat[row].isoformat()} already appears on line {earlier}"
            )
    problems += [
        RowProblem(int(lines[row]), "; ".join(messages))
        for row, messages in by_row.items()
        if int(lines[row]) not in reported
    ]
    if problems:
        raise CsvImportError(str(path), sorted(problems, key=lambda problem: problem.line))
    if len(frame) == 0:
        raise CsvImportError(str(path), [RowProblem(2, "the file has a header but no price rows")])
    order = np.argsort(ts_ms, kind="stable")
    return ParsedBars(ts_ms[order], values[order])
