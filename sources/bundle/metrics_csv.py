"""Read metrics.csv, plus the byte, UTF-8 and timestamp rules every bundle file shares.

metrics.csv may hold millions of points, so it is parsed with array operations on the raw bytes:
each column becomes a block of fixed-width cells. Cells the fast path cannot read (unusual
timestamp forms, odd numbers, mistakes) go through a per-row parser that either accepts them or
names their line.
"""

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from errors import BundleError
from sources.files import quoted, read_input
from sources.telemetry import MetricInfo, Series, to_datetime64

CSV_HEADER = ["timestamp", "metric", "value"]

# Possessive, so a long cell of digits fails in linear time instead of backtracking.
_NUMBER = re.compile(r"[+-]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][+-]?+[0-9]++)?+")
_NUMBER_MAX = 64  # no finite float needs more characters than this (plus zeros) to be written
_NUMBER_BYTES = np.zeros(256, dtype=bool)
_NUMBER_BYTES[list(b"0123456789.eE+-\0")] = True  # \0 is the padding of fixed-width cells
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_TS_WIDTH = 40  # wider than any timestamp the fast path reads
_VALUE_WIDTH = 32  # longer numbers take the per-row path
_CHUNK = 1 << 18
_BLOCK_BYTES = 1 << 23  # metrics.csv is parsed in blocks of about this many bytes
# Timestamps outside these years are refused: every later step (windows, clocks, reports) can
# then add or subtract days and hours without leaving datetime's range.
FIRST_YEAR, LAST_YEAR = 1900, 2999
_MIN_MS = int((datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp()) * 1000)
_END_MS = int((datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp()) * 1000)


def read_metrics(path: Path, info: dict[str, MetricInfo]) -> dict[str, Series]:
    """Every declared metric's points, sorted by time (an empty Series for one with none)."""
    where = str(path)
    names = list(info)
    encoded = [name.encode() for name in names]
    data = read_input(path.parent, path, "metrics")
    if not data.isascii():
        decode(data, path)
    if b"\0" in data:  # the fast path pads cells with NUL: a NUL in a cell must never pass
        at = data.index(b"\0")
        raise BundleError(where, f"NUL byte at offset {at}", data.count(b"\n", 0, at) + 1)
    widths = (_TS_WIDTH, max([1, *map(len, encoded)]), _VALUE_WIDTH)
    if b'"' in data:  # quoted cells: let the csv module apply the quoting rules
        lines, (stamps, metrics, values) = _split_quoted(data, widths, where)
        del data  # the columns are copies; the file's bytes would only add to the peak
        codes = _metric_codes(metrics, encoded, lines, where)
        ms = _timestamps_ms(stamps, lines, where)
        points = _numbers(values, lines, where)
        stamp_text, line_of = stamps.text, lambda i: int(lines[i])
    else:
        codes, ms, points = _read_plain(data, widths, encoded, where)
        stamp_text, line_of = lambda i: _plain_stamp(data, i), lambda i: int(i) + 2

    if len(codes) > 1 and _sorted_pairs(codes, ms):
        order = None  # written metric by metric, in time order: lexsort would change nothing
    else:
        order = np.lexsort((ms, codes))  # stable: equal keys keep file order
        codes, ms, points = codes[order], ms[order], points[order]
    repeated = np.flatnonzero((codes[1:] == codes[:-1]) & (ms[1:] == ms[:-1]))
    if len(repeated):
        at = repeated if order is None else order[repeated + 1]
        k = repeated[np.argmin(at)]
        first, second = (k, k + 1) if order is None else (order[k], order[k + 1])
        raise BundleError(
            where,
            f"duplicate point: metric {quoted(names[codes[k]])} at {quoted(stamp_text(second))} "
            f"is already given on line {line_of(first)}",
            line_of(second),
        )
    if not len(codes):  # the incident's clock is the newest point, so there must be one
        raise BundleError(where, "has no points; a bundle needs at least one", 2)
    bounds = np.searchsorted(codes, np.arange(len(names) + 1))
    times = ms.view("datetime64[ms]")
    return {
        name: Series(info[name], times[lo:hi], points[lo:hi])
        for name, lo, hi in zip(names, bounds[:-1], bounds[1:], strict=True)
    }


def timestamps_ms(texts: list[str], lines: np.ndarray, where: str) -> np.ndarray:
    """UTC epoch milliseconds of ISO 8601 texts; an error names the text's entry in `lines`."""
    cells = _TextCells()
    cells.extend(texts)
    return _timestamps_ms(cells.column(_TS_WIDTH), lines, where)


def parse_timestamp(text: str, where: str, line: int | None, what: str = "timestamp") -> datetime:
    """One ISO 8601 timestamp with a UTC offset, as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        message = f"{what} {quoted(text)} is not ISO 8601 (like 2026-03-15T14:02:10Z)"
        raise BundleError(where, message, line) from None
    if moment.tzinfo is None:
        message = f"{what} {quoted(text)} has no UTC offset; add Z or +HH:MM"
        raise BundleError(where, message, line)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past datetime's range by its offset
        moment = None
    if moment is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise BundleError(where, _out_of_range(what, text), line)
    return moment


def _out_of_range(what: str, text: str) -> str:
    return f"{what} {quoted(text)} is outside the years {FIRST_YEAR}-{LAST_YEAR} (UTC)"


def decode(data: bytes, path: Path) -> str:
    """UTF-8 text; a bad byte is named with its offset and line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        byte = data[e.start : e.start + 1].hex()
        raise BundleError(
            str(path), f"not UTF-8: byte 0x{byte} at offset {e.start}", line
        ) from None


# splitting the csv into fixed-width columns


@dataclass(frozen=True)
class _Column:
    """One csv column as zero-padded fixed-width bytes, cut at the width, for array parsing."""

    chars: np.ndarray  # (rows, width) uint8
    lengths: np.ndarray  # each cell's full length in bytes, which may exceed the width
    overflow: dict[int, str]  # the full text of the cells longer than the width

    def text(self, i: int) -> str:
        """The full cell, for the per-row path and error messages."""
        if i in self.overflow:
            return self.overflow[i]
        return self.chars[i, : self.lengths[i]].tobytes().decode()


def _read_plain(
    data: bytes, widths: tuple[int, int, int], names: list[bytes], where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Metric codes, epoch ms and values of unquoted csv bytes, a block of rows at a time.

    Blocks bound the memory of the temporaries (offsets, fixed-width cells) to a few times the
    block's size. The error raised is the one a single pass over the whole file would raise:
    the first bad row count, else the first undeclared metric, else the first unreadable
    timestamp, else the first one out of range, else the first bad value.
    """
    nl = data.find(b"\n")
    header = data[: len(data) if nl < 0 else nl]
    header = header[:-1] if header.endswith(b"\r") else header
    _check_header(header[:1000].decode(errors="replace").split(","), where)
    buf = np.frombuffer(data, dtype=np.uint8)
    errors: dict[str, BundleError] = {}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    lo, first_line = (len(data) if nl < 0 else nl + 1), 2
    while lo < len(data):
        hi = data.rfind(b"\n", lo, lo + _BLOCK_BYTES) + 1
        if hi <= lo:  # a line longer than a block
            hi = data.find(b"\n", lo + _BLOCK_BYTES) + 1 or len(data)
        split = _split_plain(data, buf, lo, hi, first_line, widths, where)
        lines, (stamps, metrics, values) = split
        codes = _attempt(errors, "metric", _metric_codes, metrics, names, lines, where)
        ms = _attempt(errors, "timestamp", _parse_ms, stamps, lines, where)
        if ms is not None and "range" not in errors:
            if (e := _range_error(stamps, ms, lines, where)) is not None:
                errors["range"] = e
        points = _attempt(errors, "value", _numbers, values, lines, where)
        if not errors:
            parts.append((codes.astype(np.int32), ms, points))
        first_line += len(lines)
        lo = hi
    for kind in ("metric", "timestamp", "range", "value"):
        if kind in errors:
            raise errors[kind]
    if not parts:
        return np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0)
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def _attempt(errors: dict[str, BundleError], kind: str, parse, *args):
    """parse(*args), or None with its error kept under `kind` (the first one of each kind)."""
    try:
        return parse(*args)
    except BundleError as e:
        errors.setdefault(kind, e)
        return None


def _plain_stamp(data: bytes, row: int) -> str:
    """The timestamp cell of data row `row` (0-based, after the header) of an unquoted csv."""
    start = -1
    for _ in range(row + 1):  # only for an error message
        start = data.index(b"\n", start + 1)
    return data[start + 1 : data.index(b",", start + 1)].decode()


def _sorted_pairs(codes: np.ndarray, ms: np.ndarray) -> bool:
    """Whether rows are already in (metric, time) order, equal pairs allowed."""
    same = codes[1:] == codes[:-1]
    return bool(np.all((codes[1:] > codes[:-1]) | (same & (ms[1:] >= ms[:-1]))))


def _split_plain(
    data: bytes,
    buf: np.ndarray,
    lo: int,
    hi: int,
    first_line: int,
    widths: tuple[int, int, int],
    where: str,
) -> tuple[np.ndarray, list[_Column]]:
    """Split the unquoted csv rows data[lo:hi] (from line `first_line`) into three columns."""
    window = buf[lo:hi]
    breaks = np.flatnonzero(window == ord("\n")) + lo
    starts = np.concatenate(([lo], breaks + 1))
    ends = np.concatenate((breaks, [hi]))
    if starts[-1] == hi:  # the block ends with a newline
        starts, ends = starts[:-1], ends[:-1]
    ends -= ((ends > starts) & (buf[np.maximum(ends - 1, 0)] == ord("\r"))).astype(np.int64)
    lines = np.arange(first_line, first_line + len(starts))
    commas = np.flatnonzero(window == ord(",")) + lo
    first = np.searchsorted(commas, starts)
    count = np.searchsorted(commas, ends) - first
    wrong = np.flatnonzero(count != 2)
    if len(wrong):
        i = wrong[0]
        row = data[starts[i] : ends[i]].decode()
        _column_error(len(row.split(",")) if row else 0, row, where, int(lines[i]))
    first_comma, second_comma = commas[first], commas[first + 1]
    bounds = ((starts, first_comma), (first_comma + 1, second_comma), (second_comma + 1, ends))
    return lines, [
        _slice_column(data, buf, a, b, width) for (a, b), width in zip(bounds, widths, strict=True)
    ]


def _slice_column(
    data: bytes, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int
) -> _Column:
    """The cells data[starts:ends] as a _Column, no wider than its longest cell."""
    lengths = ends - starts
    width = max(1, min(width, int(lengths.max(initial=0))))
    last = len(buf) - width  # the last start with a full window of bytes after it
    chars = sliding_window_view(buf, width)[np.minimum(starts, last)]  # a copy, row per cell
    for i in np.flatnonzero(starts > last):  # the final few cells of the file
        tail = buf[starts[i] :]
        chars[i] = 0
        chars[i, : len(tail)] = tail
    chars *= np.arange(width) < lengths[:, None]  # zero the bytes after each cell
    overflow = {int(i): data[starts[i] : ends[i]].decode() for i in np.flatnonzero(lengths > width)}
    return _Column(chars, lengths, overflow)


def _split_quoted(
    data: bytes, widths: tuple[int, int, int], where: str
) -> tuple[np.ndarray, list[_Column]]:
    """Quoted csv through the csv module, in batches: millions of str would not fit in memory."""
    # A decoding stream, not StringIO: that would hold the whole file as 4-byte characters.
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""))
    columns = [_TextCells() for _ in widths]
    lines, rows = [], []
    try:
        _check_header(next(reader, []), where)
        for row in reader:
            if len(row) != 3:
                _column_error(len(row), ",".join(row), where, reader.line_num)
            rows.append(row)
            lines.append(reader.line_num)
            if len(rows) == _CHUNK:
                rows = _add_rows(columns, rows)
    except csv.Error as e:
        raise BundleError(where, f"malformed csv: {e}", reader.line_num) from None
    _add_rows(columns, rows)
    return np.array(lines, dtype=np.int64), [
        cells.column(width) for cells, width in zip(columns, widths, strict=True)
    ]


def _add_rows(columns: list["_TextCells"], rows: list[list[str]]) -> list:
    """Move a batch of rows into `columns`; the empty batch to continue with."""
    if rows:
        for cells, column in zip(columns, zip(*rows, strict=True), strict=True):
            cells.extend(column)
    return []


class _TextCells:
    """Cells that arrive as str, kept as one byte buffer until they become a _Column."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.lengths = [np.zeros(0, dtype=np.int64)]

    def extend(self, cells: list[str] | tuple[str, ...]) -> None:
        encoded = [c.encode() for c in cells]
        self.lengths.append(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
        self.data += b"".join(encoded)

    def column(self, width: int) -> _Column:
        lengths = np.concatenate(self.lengths)
        ends = np.cumsum(lengths)
        self.data += bytes(width)  # padding: every cell has a full window after its start
        buf = np.frombuffer(self.data, dtype=np.uint8)
        return _slice_column(self.data, buf, ends - lengths, ends, width)


def _check_header(cells: list[str], where: str) -> None:
    if [c.strip("\r") for c in cells] != CSV_HEADER:
        got = ",".join(cells)
        raise BundleError(where, f"header must be timestamp,metric,value, got {quoted(got)}", 1)


def _column_error(count: int, row: str, where: str, line: int) -> None:
    message = f"expected 3 columns (timestamp,metric,value), got {count}: {quoted(row)}"
    raise BundleError(where, message, line)


# reading the columns


def _metric_codes(column: _Column, names: list[bytes], lines: np.ndarray, where: str):
    """Index into `names` of every cell's metric; an undeclared metric is an error."""
    rows, width = column.chars.shape
    # Raw bytes ("V"), not strings ("S"): numpy sorts them about three times faster.
    cells = column.chars.view(f"V{width}").ravel()
    # Files are usually written metric by metric: look each run of equal cells up once.
    starts_run = np.ones(rows, dtype=bool)
    starts_run[1:] = cells[1:] != cells[:-1]
    runs = np.flatnonzero(starts_run)
    unique, inverse = np.unique(cells[runs], return_inverse=True)
    index = {name.ljust(width, b"\0"): i for i, name in enumerate(names)}
    known = np.array([index.get(u, -1) for u in unique.tolist()], dtype=np.int64)
    codes = np.repeat(known[inverse], np.diff(np.append(runs, rows)))
    codes[column.lengths > width] = -1
    wrong = np.flatnonzero(codes < 0)
    if len(wrong):
        i = wrong[0]
        raise BundleError(
            where, f"metric {quoted(column.text(i))} is not declared in bundle.json", int(lines[i])
        )
    return codes


def _numbers(column: _Column, lines: np.ndarray, where: str) -> np.ndarray:
    rows, width = column.chars.shape
    ok = _NUMBER_BYTES[column.chars].all(axis=1) & (column.lengths > 0)
    ok &= column.lengths <= width
    values = np.zeros(rows)
    plain = _plain_decimals(column.chars, column.lengths, ok, values)
    rest = ok & ~plain
    try:
        values[rest] = column.chars[rest].view(f"S{width}").ravel().astype(np.float64)
    except ValueError:  # a cell like "1.2.3": the per-row path finds and names it
        ok &= plain
    ok &= np.isfinite(values)
    for i in np.flatnonzero(~ok):
        text = column.text(i)
        if (
            len(text.strip("0")) > _NUMBER_MAX
            or not _NUMBER.fullmatch(text)
            or not math.isfinite(value := float(text))
        ):
            raise BundleError(
                where, f"value {quoted(text)} is not a finite decimal number", int(lines[i])
            )
        values[i] = value
    return values


def _plain_decimals(
    chars: np.ndarray, lengths: np.ndarray, ok: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Read cells like -12.345 (at most 15 digits, no exponent) into `values`; which were.

    Integer digits over a power of ten: both exact in a float64, so the one division is
    correctly rounded, the same double float() gives, at a fraction of the cost of parsing text.
    """
    digit = (chars >= ord("0")) & (chars <= ord("9"))
    dot = chars == ord(".")
    minus = chars[:, 0] == ord("-")
    digits = np.count_nonzero(digit, axis=1)
    plain = ok & (digits >= 1) & (digits <= 15) & (np.count_nonzero(dot, axis=1) <= 1)
    plain &= (digit | dot | (chars == 0)).all(axis=1) | (
        minus & (digit[:, 1:] | dot[:, 1:] | (chars[:, 1:] == 0)).all(axis=1)
    )
    mantissa = np.zeros(len(chars), np.int64)
    for j in range(chars.shape[1]):
        d = digit[:, j]
        mantissa[d] = mantissa[d] * 10 + (chars[d, j] - ord("0"))
    has_dot = dot.any(axis=1)
    decimals = np.where(has_dot, lengths - 1 - dot.argmax(axis=1), 0)
    quotient = mantissa / 10.0 ** np.minimum(decimals, 22)
    values[plain] = np.where(minus, -quotient, quotient)[plain]
    return plain


def _timestamps_ms(column: _Column, lines: np.ndarray, where: str) -> np.ndarray:
    """UTC epoch milliseconds of every cell; the first unreadable one is an error."""
    ms = _parse_ms(column, lines, where)
    if (e := _range_error(column, ms, lines, where)) is not None:
        raise e
    return ms


def _parse_ms(column: _Column, lines: np.ndarray, where: str) -> np.ndarray:
    """UTC epoch milliseconds of every cell, any year; the first unreadable one is an error."""
    ms = np.empty(len(lines), np.int64)
    ok = np.empty(len(lines), bool)
    for lo in range(0, len(lines), _CHUNK):  # chunks bound the memory of the temporaries
        part = slice(lo, lo + _CHUNK)
        ms[part], ok[part] = _fast_timestamps_ms(column.chars[part], column.lengths[part])
    for i in np.flatnonzero(~ok):
        moment = parse_timestamp(column.text(i), where, int(lines[i]))
        ms[i] = to_datetime64(moment).astype(np.int64)
    return ms


def _range_error(
    column: _Column, ms: np.ndarray, lines: np.ndarray, where: str
) -> BundleError | None:
    """The error for the first timestamp outside the years allowed, if any."""
    outside = np.flatnonzero((ms < _MIN_MS) | (ms >= _END_MS))
    if not len(outside):
        return None
    i = outside[0]
    return BundleError(where, _out_of_range("timestamp", column.text(i)), int(lines[i]))


def _fast_timestamps_ms(chars: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Epoch ms of cells shaped YYYY-MM-DD(T| )HH:MM:SS[.f{1,9}](Z|±HH:MM|±HHMM), and which were.

    Everything else (other ISO forms, mistakes) is left to datetime.fromisoformat per row.
    """
    rows, width = chars.shape
    ok = lengths <= width
    if width < 20:
        return np.zeros(rows, np.int64), np.zeros(rows, bool)
    every = np.arange(rows)

    def at(position):  # the byte at a fixed column or at a per-row position
        if isinstance(position, int):
            return chars[:, position]
        return chars[every, np.clip(position, 0, width - 1)]

    def number(*positions, where=None):  # digits as an integer; non-digits clear `ok`
        value = np.zeros(rows, np.int64)
        for position in positions:
            digit = at(position).astype(np.int64) - ord("0")
            good = (digit >= 0) & (digit <= 9)
            np.logical_and(ok, good if where is None else good | ~where, out=ok)
            value = value * 10 + digit
        return value if where is None else np.where(where, value, 0)

    plus_minus = np.frombuffer(b"+-", np.uint8)
    zone = np.where(
        at(lengths - 1) == ord("Z"),
        1,
        np.where(
            np.isin(at(lengths - 6), plus_minus) & (at(lengths - 3) == ord(":")),
            6,
            np.where(np.isin(at(lengths - 5), plus_minus), 5, 0),
        ),
    )
    local = lengths - zone
    has_offset = zone > 1
    sign = np.where(at(local) == ord("-"), -1, 1)
    offset_hours = number(local + 1, local + 2, where=has_offset)
    offset_minutes = number(lengths - 2, lengths - 1, where=has_offset)
    ok &= (zone > 0) & (offset_hours < 24) & (offset_minutes < 60)
    ok &= (local == 19) | ((local >= 21) & (local <= 29) & (at(19) == ord(".")))
    for column, separator in ((4, "-"), (7, "-"), (13, ":"), (16, ":")):
        ok &= at(column) == ord(separator)
    ok &= (at(10) == ord("T")) | (at(10) == ord(" "))  # RFC 3339 allows a space
    year, month, day = number(0, 1, 2, 3), number(5, 6), number(8, 9)
    hour, minute, second = number(11, 12), number(14, 15), number(17, 18)
    fraction = np.zeros(rows, np.int64)  # milliseconds; digits past the third are checked only
    for column in range(20, min(29, width)):
        digit = number(column, where=local > column)
        if column < 23:
            fraction += digit * 10 ** (22 - column)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    # Days since 1970-01-01 from a proleptic Gregorian date (H. Hinnant's days_from_civil).
    shifted = year - (month <= 2)
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146_097 + day_of_era - 719_468
    seconds = days * 86_400 + hour * 3600 + minute * 60 + second
    offset = sign * (offset_hours * 60 + offset_minutes) * 60_000
    return seconds * 1000 + fraction - offset, ok
