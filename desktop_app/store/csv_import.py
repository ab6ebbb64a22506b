"""Reading an OHLCV price file: ``timestamp,open,high,low,close,volume``.

The format of ``shared/data/prices`` (and of most exchange exports): a header line, then
one bar per line with its open time in ISO 8601 (``2017-08-17T00:00:00Z``; a time without a
zone is taken as UTC) and plain numbers. Rows may come in any order; they are sorted.

Every row is validated (see :func:`desktop_app.store.bars.bar_problems`, plus: a readable
time, numbers that are numbers, six values per line, no time twice, on the file's grid). Any
bad row refuses the whole file with a :class:`CsvImportError` listing every bad row by its
line number in the file — nothing is half-imported.

The bars' interval is given, or inferred as the smallest positive spacing of the open times
(a complete file is that far apart; missing bars only lengthen some gaps). Every time must
then sit a whole number of intervals after the first one: a bar between grid points would
overlap its neighbours, so the file is not of one resolution.

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

from .bar_intervals import describe_interval, min_spacing_ms, off_grid
from .bars import BAR_COLUMNS, bar_problems
from .errors import CsvImportError, PriceDataError, RowProblem

HEADER = ("timestamp", *BAR_COLUMNS)
_FLOAT_TYPES = dict.fromkeys(BAR_COLUMNS, np.float64)


@dataclass(frozen=True)
class ParsedBars:
    """A validated file: epoch-ms open times (ascending), an (n, 5) OHLCV float array and
    the bars' interval in seconds."""

    ts_ms: np.ndarray
    values: np.ndarray
    interval_s: int

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


def read_ohlcv_csv(path: str | Path, interval_s: int | None = None) -> ParsedBars:
    """Parse and validate a whole price file, or raise :class:`CsvImportError`.

    ``interval_s``: the bars' interval; None infers it from the file (see the module doc).
    """
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
    interval_s = _check_grid(ts_ms, good_times & ~duplicated, lines, times, interval_s, by_row)
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
    assert interval_s is not None  # a file with rows and no problem has an interval
    return ParsedBars(ts_ms[order], values[order], interval_s)


def _check_grid(
    ts_ms: np.ndarray,
    usable: np.ndarray,
    lines: np.ndarray,
    times: pd.Series,
    interval_s: int | None,
    by_row: dict[int, list[str]],
) -> int | None:
    """The bars' interval (given or inferred); rows off its grid are added to ``by_row``."""
    rows = np.flatnonzero(usable)
    if rows.size == 0:
        return interval_s
    stamps = ts_ms[rows]
    if interval_s is None:
        order = np.argsort(stamps, kind="stable")
        spacing_ms = min_spacing_ms(stamps[order])
        if spacing_ms is None:
            by_row.setdefault(int(rows[0]), []).append(
                "a single bar does not show its interval; give the interval (60 for 1-minute "
                "bars, 86400 for daily ones)"
            )
            return None
        closest = int(np.flatnonzero(np.diff(stamps[order]) == spacing_ms)[0])
        pair = (int(lines[rows[order[closest]]]), int(lines[rows[order[closest + 1]]]))
        if spacing_ms % 1_000:
            by_row.setdefault(int(rows[order[closest + 1]]), []).append(
                f"bars only {spacing_ms} ms apart: bar intervals are whole seconds"
            )
            return None
        interval_s = spacing_ms // 1_000
        where = (
            f"the file's {describe_interval(interval_s)} grid (its smallest spacing, between "
            f"lines {min(pair)} and {max(pair)})"
        )
    else:
        where = f"the {describe_interval(interval_s)} grid"
    first = times.iat[int(rows[np.argmin(stamps)])].isoformat()
    for row in rows[off_grid(stamps, interval_s)].tolist():
        by_row.setdefault(row, []).append(
            f"time {times.iat[row].isoformat()} is not on {where} counted from {first}: "
            f"it would overlap its neighbours"
        )
    return interval_s
