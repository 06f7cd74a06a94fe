"""Read metrics.csv, plus the byte, UTF-8 and timestamp rules every bundle file shares.

metrics.csv may hold millions of points, so it is parsed with array operations on the raw bytes.
The file is first streamed a block at a time through the fast path (_FastRows), which reads
rows of the usual form with fixed-position arithmetic on 8-byte words, blocks parsed on a pool
of threads (numpy releases the GIL), the whole file never held at once. A file it cannot read
whole (a mistake, quotes, NUL bytes...) is read again by the general path: each column becomes
a block of fixed-width cells, and cells that path cannot read either (unusual timestamp forms,
odd numbers, mistakes) go through a per-row parser that either accepts them or names their
line. Both paths give the same values, and the same error for a file with mistakes.
"""

import csv
import io
import math
import os
import re
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from errors import BundleError
from sources.files import open_input, quoted, read_input
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


def read_metrics(
    path: Path, info: dict[str, MetricInfo], workers: ThreadPoolExecutor | None = None
) -> dict[str, Series]:
    """Every declared metric's points, sorted by time (an empty Series for one with none).

    Blocks of the file are parsed on `workers` (a pool of block_workers), else on a pool of its
    own.
    """
    where = str(path)
    names = list(info)
    encoded = [name.encode() for name in names]
    if workers is None:
        with block_workers() as workers:
            streamed = _read_streamed(path, encoded, workers)
    else:
        streamed = _read_streamed(path, encoded, workers)
    increasing = False  # known to be in order, no pair repeated (checked block by block)
    if streamed is None:
        codes, ms, points, stamp_text, line_of = _read_whole(path, encoded, where)
    else:  # the file is read again only to quote a duplicate's timestamp
        codes, ms, points, increasing = streamed
        stamp_text = partial(_streamed_stamp, path)
        line_of = lambda i: int(i) + 2  # noqa: E731
    if len(codes) > 1 and (increasing or _sorted_pairs(codes, ms)):
        order = None  # written metric by metric, in time order: lexsort would change nothing
    else:
        order = np.lexsort((ms, codes))  # stable: equal keys keep file order
        codes, ms, points = codes[order], ms[order], points[order]
    repeated = np.zeros(0, np.int64)
    if not (increasing and order is None):
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


def _read_whole(path: Path, encoded: list[bytes], where: str):
    """Codes, epoch ms and values of metrics.csv read whole, any form; with how an error names
    a row's timestamp and line."""
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
        return codes, ms, points, stamps.text, lambda i: int(lines[i])
    codes, ms, points = _read_plain(data, widths, encoded, where)
    return codes, ms, points, lambda i: _plain_stamp(data, i), lambda i: int(i) + 2


def block_workers() -> ThreadPoolExecutor:
    """A pool of threads for parsing blocks of files: numpy releases the GIL, so they run at
    once, one per core."""
    return ThreadPoolExecutor(_THREADS, thread_name_prefix="bundle-blocks")


def _read_streamed(path: Path, names: list[bytes], workers: ThreadPoolExecutor):
    """Codes, epoch ms and values of metrics.csv read a block at a time, never the whole file
    at once, when the fast path reads every block; else None, and the whole file is read again
    (a file with a mistake, or quotes, NUL bytes, very long lines). With them, whether the
    (code, ms) pairs strictly increase: the rows are in order and none is repeated.

    Blocks are parsed on `workers` while the next is read; this thread gathers their columns.
    """
    fast = _FastRows(names)
    if not fast.usable:
        return None
    buffers = max(_AHEAD, _THREADS + 1)
    free = [np.zeros(_PAD + _FAST_BYTES + fast.margin, np.uint8) for _ in range(buffers)]
    pending: deque = deque()  # (parse of a block, its buffer), oldest first
    columns = _Columns()
    carry = b""  # a line begun at the end of the last block
    header = True
    try:
        with open_input(path.parent, path, "metrics") as file:
            while True:
                if not free:  # every buffer is being parsed: gather the oldest
                    future, buffer = pending.popleft()
                    if not columns.add(future.result(), file.size):
                        return None
                    free.append(buffer)
                buffer = free.pop()
                view = memoryview(buffer)
                view[_PAD : _PAD + len(carry)] = carry
                got = file.readinto(view[_PAD + len(carry) : _PAD + _FAST_BYTES])
                end = _PAD + len(carry) + got
                if not got:
                    if not carry:
                        free.append(buffer)
                        break
                    buffer[end] = ord("\n")  # the last line has no line break: read it as if
                    end += 1
                tail = np.flatnonzero(buffer[max(_PAD, end - 512) : end] == ord("\n"))
                if not len(tail):
                    return None  # a line longer than a block, or of over 512 bytes at its end
                stop = max(_PAD, end - 512) + int(tail[-1]) + 1  # after the last line break
                lo = _PAD
                if header:
                    lo += bytes(view[_PAD : min(stop, _PAD + 256)]).find(b"\n") + 1
                    if lo == _PAD or bytes(view[_PAD:lo]).rstrip(b"\r\n") != b",".join(
                        c.encode() for c in CSV_HEADER
                    ):
                        return None  # the general path names what is wrong with the header
                    header = False
                carry = bytes(view[stop:end])
                if lo < stop:
                    if buffer[lo:stop].max() >= 0x80 and not _is_utf8(buffer[lo:stop]):
                        return None
                    task = workers.submit(_parse_block, fast, buffer, lo, stop)
                    pending.append((task, buffer))
                else:
                    free.append(buffer)
                if not got:
                    break
            while pending:
                if not columns.add(pending.popleft()[0].result(), file.size):
                    return None
    finally:
        for future, _ in pending:
            future.cancel()  # after a block the fast path does not read: the others are moot
    if header:
        return None  # an empty file: the general path refuses it
    return columns.result()


def _parse_block(fast: "_FastRows", block: np.ndarray, lo: int, hi: int):
    """fast.parse of a block, with its size and whether its (code, ms) pairs strictly
    increase; None if the fast path does not read it."""
    part = fast.parse(block, lo, hi)
    if part is None:
        return None
    codes, ms, _ = part
    later = codes[1:] > codes[:-1]
    later |= (codes[1:] == codes[:-1]) & (ms[1:] > ms[:-1])
    return part, hi - lo, bool(later.all())


class _Columns:
    """The columns of the blocks of a file, gathered in order into arrays sized from the first
    block's rows per byte (and grown if that was too few): no concatenation at the end."""

    def __init__(self) -> None:
        self.columns = [np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0)]
        self.rows = 0
        self.increasing = True  # every (code, ms) pair after the one before it

    def add(self, parsed, file_size: int) -> bool:
        """Append a _parse_block result; False for None."""
        if parsed is None:
            return False
        part, size, increasing = parsed
        count = len(part[0])
        if self.rows + count > len(self.columns[0]):
            wanted = max(2 * len(self.columns[0]), int(1.05 * file_size * count / size) + 1024)
            for k, column in enumerate(self.columns):
                grown = np.empty(max(wanted, self.rows + count), column.dtype)
                grown[: self.rows] = column[: self.rows]
                self.columns[k] = grown
        if count and self.rows:
            code, ms = self.columns[0][self.rows - 1], self.columns[1][self.rows - 1]
            increasing &= bool(code < part[0][0] or (code == part[0][0] and ms < part[1][0]))
        self.increasing &= increasing
        for column, values in zip(self.columns, part, strict=True):
            column[self.rows : self.rows + count] = values
        self.rows += count
        return True

    def result(self):
        """(codes, epoch ms, values, whether every pair is after the one before it)."""
        codes, ms, values = (column[: self.rows] for column in self.columns)
        return codes, ms, values, self.increasing


def _streamed_stamp(path: Path, row: int) -> str:
    return _plain_stamp(read_input(path.parent, path, "metrics"), row)


def _is_utf8(rows: np.ndarray) -> bool:
    try:
        rows.tobytes().decode()
    except UnicodeDecodeError:
        return False
    return True


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
    start = len(data) if nl < 0 else nl + 1
    blocks = _blocks(data, start)
    first_line = 2
    for (lo, hi), part in zip(blocks, _FastRows(names).read_all(buf, blocks), strict=True):
        if part is not None:
            if not errors:
                parts.append(part)
            first_line += len(part[0])
            continue
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
    for kind in ("metric", "timestamp", "range", "value"):
        if kind in errors:
            raise errors[kind]
    if not parts:
        return np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0)
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def _blocks(data: bytes, lo: int) -> list[tuple[int, int]]:
    """data[lo:] cut into blocks of whole lines: of about _FAST_BYTES, or of _BLOCK_BYTES (or
    one line) where a line is longer than _FAST_BYTES."""
    blocks = []
    while lo < len(data):
        hi = data.rfind(b"\n", lo, lo + _FAST_BYTES) + 1
        if hi <= lo:  # a line longer than a block
            hi = data.rfind(b"\n", lo, lo + _BLOCK_BYTES) + 1
        if hi <= lo:
            hi = data.find(b"\n", lo + _BLOCK_BYTES) + 1 or len(data)
        blocks.append((lo, hi))
        lo = hi
    return blocks


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


# the fast path: blocks of rows read with fixed-position array arithmetic

_FAST_BYTES = 1 << 22  # metrics.csv bytes per block on the fast path: its temporaries stay cached
_THREADS = min(4, os.cpu_count() or 1)
_AHEAD = 4  # blocks of metrics.csv read ahead of their parsing (at least)
_PAD = 64  # zero bytes around a block, so every fixed-width window of a row lies inside
_ROW_DELIMITERS = np.frombuffer(b",,\n", np.uint8)

# Byte-parallel arithmetic on 8 bytes of text held in one little-endian uint64: byte k of the
# text is bits 8k to 8k+7 of the word.
_EACH = 0x0101010101010101  # times a byte value: that value in every byte


def _u64(value: int) -> np.uint64:
    return np.uint64(value & 0xFFFF_FFFF_FFFF_FFFF)


_LOW7, _HIGH_BIT = _u64(0x7F * _EACH), _u64(0x80 * _EACH)
_ZEROS_TEXT, _SIX_SEVEN = _u64(ord("0") * _EACH), _u64(0x76 * _EACH)


def _non_digits(words: np.ndarray) -> np.ndarray:
    """0x80 in every byte of `words` that is not an ASCII digit, 0 in the others."""
    x = words ^ _ZEROS_TEXT  # digits become 0-9, every other byte 10 or more
    return (((x & _LOW7) + _SIX_SEVEN) | x) & _HIGH_BIT


def _eight_digits(x: np.ndarray) -> np.ndarray:
    """The number whose decimal digits are the eight bytes (values 0-9) of x, byte 0 first."""
    x = ((x & _u64(0x00FF00FF00FF00FF)) * _u64(10)) + ((x >> _u64(8)) & _u64(0x00FF00FF00FF00FF))
    x = ((x & _u64(0x0000FFFF0000FFFF)) * _u64(100)) + ((x >> _u64(16)) & _u64(0x0000FFFF0000FFFF))
    return ((x & _u64(0xFFFFFFFF)) * _u64(10000)) + (x >> _u64(32))


def _template(text: bytes) -> tuple[np.uint64, np.uint64, np.uint64]:
    """For 8 bytes of a pattern ('9' a digit, '?' anything, else itself): the high bits of the
    digits' bytes, then the mask and value of the bytes that must be exactly themselves."""
    digits = sum(0x80 << (8 * k) for k, c in enumerate(text) if c == ord("9"))
    fixed = [(k, c) for k, c in enumerate(text) if c not in b"9?"]
    mask = sum(0xFF << (8 * k) for k, _ in fixed)
    value = sum(c << (8 * k) for k, c in fixed)
    return _u64(digits), _u64(mask), _u64(value)


def _matches(words: np.ndarray, non_digits: np.ndarray, template) -> np.ndarray:
    """Whether each of `words` (whose _non_digits are given) fits the _template."""
    digits, mask, value = template
    return ((non_digits & digits) == 0) & ((words & mask) == value)


# 2026-03-15T14:02:10.123Z as three words; the third of 2026-03-15T14:02:10Z is ":10Z????".
_DATE, _DAY_TIME = _template(b"9999-99-"), _template(b"99T99:99")
_SECONDS_MS, _SECONDS_Z = _template(b":99.999Z"), _template(b":99Z????")
_KEEP_LOW = np.array([(1 << (8 * k)) - 1 for k in range(9)], np.uint64)  # the first k bytes
_KEEP_HIGH = ~_KEEP_LOW[::-1]  # the last k bytes
_ZEROS_BEFORE = _ZEROS_TEXT & ~_KEEP_HIGH  # '0' in all but the last k bytes
_AFTER_LOW = 7 - np.arange(9)  # bytes after the low word's byte k
_POWERS = 10.0 ** np.arange(23)  # as _plain_decimals computes them


def windows(block: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """The `width` bytes (a multiple of 8) from each start, as (len(starts), width / 8) words.

    A take of `width`-byte items: several times faster than fancy-indexing rows of a
    sliding_window_view, which copies byte by byte.
    """
    items = np.ndarray(
        shape=(len(block) - width + 1,), dtype=f"V{width}", buffer=block, strides=(1,)
    )
    return items[starts].view("<u8").reshape(len(starts), width // 8)


def _delimiters(rows: np.ndarray, found: np.ndarray) -> np.ndarray | None:
    """`found` as (rows, 3) offsets of each row's ',' ',' '\\n', if that is what they are."""
    if len(found) % 3:
        return None
    found = found.reshape(-1, 3)
    return found if (rows[found] == _ROW_DELIMITERS).all() else None


class _FastRows:
    """Rows of unquoted metrics.csv in the usual form, a block at a time, with array arithmetic.

    `read` returns exactly what the general path (_split_plain and the column readers) returns
    for a block without mistakes, or None: for a block with a mistake, which the general path
    then names, or with rows of a shape read only there (blank lines, other line ends). Cells of
    the usual forms are read here and the others of a block go through the general column
    readers, so a file with a few odd cells still takes this path.
    """

    def __init__(self, names: list[bytes]) -> None:
        # A name with a NUL can match no cell (read_metrics refuses NUL bytes); leaving it out
        # keeps every name's zero-padded words distinct.
        usable = [(code, name) for code, name in enumerate(names) if b"\0" not in name]
        self.words = max(1, -(-max([1, *(len(n) for _, n in usable)]) // 8))
        width = 8 * self.words
        self.name_words = np.zeros((len(names), self.words), "<u8")
        for code, name in usable:
            self.name_words[code] = np.frombuffer(name.ljust(width, b"\0"), "<u8")
        # A name is looked up in a table by the top bits of a hash of its words, then compared
        # word for word; seeds are tried until no two names share a slot.
        self.bits = max(6, (8 * len(usable)).bit_length())
        self.usable = False
        for seed in range(32):
            rng = np.random.default_rng(seed)
            self.multipliers = rng.integers(1, 1 << 63, self.words, np.uint64) | np.uint64(1)
            slots = self._slots(self.name_words[[code for code, _ in usable]].T)
            if len(usable) and len(np.unique(slots)) == len(usable):
                self.table = np.full(1 << self.bits, len(names), np.int64)  # no name: a zero row
                self.table[slots] = [code for code, _ in usable]
                self.usable = True
                break
        self.name_words = np.concatenate([self.name_words, np.zeros((1, self.words), "<u8")])
        self.margin = _PAD + 24 + width  # bytes after a block that its last row's windows read
        self.scratch = threading.local()  # each thread's copy of its block, with the padding

    def read_all(self, buf: np.ndarray, blocks: list[tuple[int, int]]) -> list:
        """`read` of every block, on _THREADS threads for a large file (numpy releases the GIL)."""
        if len(blocks) < 4 or _THREADS < 2:
            return [self.read(buf, lo, hi) for lo, hi in blocks]
        with ThreadPoolExecutor(_THREADS, thread_name_prefix="metrics-csv") as pool:
            return list(pool.map(lambda block: self.read(buf, *block), blocks))

    def _slots(self, words: np.ndarray) -> np.ndarray:
        """The table slot of each column of `words` (a row of words per place)."""
        hashes = words[0] * self.multipliers[0]
        for j in range(1, self.words):
            hashes += words[j] * self.multipliers[j]
        return (hashes >> np.uint64(64 - self.bits)).astype(np.intp)

    def read(self, buf: np.ndarray, lo: int, hi: int):
        """(metric codes, epoch ms, values) of the rows buf[lo:hi], or None."""
        size = hi - lo
        if not self.usable or size > _FAST_BYTES or buf[hi - 1] != ord("\n"):
            return None
        block = getattr(self.scratch, "block", None)
        if block is None:
            block = self.scratch.block = np.zeros(_PAD + _FAST_BYTES + self.margin, np.uint8)
        block[_PAD : _PAD + size] = buf[lo:hi]
        return self.parse(block, _PAD, _PAD + size)

    def parse(self, block: np.ndarray, lo: int, hi: int):
        """(metric codes, epoch ms, values) of the rows block[lo:hi], which end with a line
        break, or None. `block` holds _PAD bytes before lo and self.margin after hi."""
        rows = block[lo:hi]
        # One comparison finds ',' and '\n', the only bytes that low in the usual rows; with
        # others ('+', ' ', '\r'), two comparisons.
        delimiters = _delimiters(rows, np.flatnonzero(rows <= ord(",")))
        usual = delimiters is not None  # then no '\r' either
        if not usual:
            if np.count_nonzero((rows == 0) | (rows == ord('"'))):
                return None  # NUL bytes and quotes are for the general path to read or refuse
            found = np.flatnonzero((rows == ord(",")) | (rows == ord("\n")))
            if (delimiters := _delimiters(rows, found)) is None:
                return None
        delimiters += lo
        first, second, newline = delimiters.T
        starts = np.empty(len(newline), np.int64)
        starts[0] = lo
        starts[1:] = newline[:-1] + 1
        ends = newline
        if not usual:  # as the general path, drop one '\r' before the line break
            ends = newline - (block[newline - 1] == ord("\r"))
        codes = self._codes(block, first + 1, second)
        if codes is None:
            return None
        ms = stamps_ms(block, starts, first)
        if ms is None:
            return None
        values = _values(block, second + 1, ends)
        return None if values is None else (codes, ms, values)

    def _codes(self, block: np.ndarray, starts: np.ndarray, ends: np.ndarray):
        lengths = ends - starts
        if lengths.max() > 8 * self.words:
            return None
        words = windows(block, starts, 8 * self.words).T.copy()  # a row of words per place
        words[0] &= _KEEP_LOW[np.minimum(lengths, 8)]
        for j in range(1, self.words):
            words[j] &= _KEEP_LOW[np.minimum(np.maximum(lengths - 8 * j, 0), 8)]
        # Files are usually written metric by metric: look each run of equal cells up once.
        changed = np.empty(len(lengths), bool)
        changed[0] = True
        np.not_equal(words[0, 1:], words[0, :-1], out=changed[1:])
        for j in range(1, self.words):
            changed[1:] |= words[j, 1:] != words[j, :-1]
        heads = np.flatnonzero(changed)
        if 4 * len(heads) < len(lengths):
            words = words[:, heads]
        codes = self.table.take(self._slots(words)).astype(np.int32)
        for j in range(self.words):
            if not (self.name_words[codes, j] == words[j]).all():
                return None  # a name that is not declared: the general path names it
        if len(codes) == len(lengths):
            return codes
        return np.repeat(codes, np.diff(np.append(heads, len(lengths))))


def _stamps_ms(block: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """Epoch ms of the timestamps block[starts:ends], any year; None if one is unreadable.

    Cells like 2026-03-15T14:02:10Z and 2026-03-15T14:02:10.123Z are read here, the date and
    minute once per run of rows that share them; other forms go through _fast_timestamps_ms,
    then datetime.fromisoformat. `block` holds 24 bytes from every start.
    """
    lengths = ends - starts
    date, day_time, seconds = windows(block, starts, 24).T.copy()
    changed = np.empty(len(date), bool)
    changed[0] = True
    np.not_equal(date[1:], date[:-1], out=changed[1:])
    changed[1:] |= day_time[1:] != day_time[:-1]
    heads = np.flatnonzero(changed)
    # Per run: the date, hour and minute, checked as _fast_timestamps_ms checks them.
    head_date, head_time = date[heads], day_time[heads]
    good = _matches(head_date, _non_digits(head_date), _DATE)
    good &= _matches(head_time, _non_digits(head_time), _DAY_TIME)
    x, y = head_date ^ _ZEROS_TEXT, head_time ^ _ZEROS_TEXT
    year, month, day = _field(x, 0, 1, 2, 3), _field(x, 5, 6), _field(y, 0, 1)
    hour, minute = _field(y, 3, 4), _field(y, 6, 7)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    good &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    good &= (hour < 24) & (minute < 60)
    shifted = year - (month <= 2)  # days_from_civil, as in _fast_timestamps_ms
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146_097 + day_of_era - 719_468
    head_ms = ((days * 24 + hour) * 60 + minute) * 60_000
    runs = np.diff(np.append(heads, len(date)))
    ms = np.repeat(head_ms, runs)
    ok = np.repeat(good, runs)
    # Per row: the seconds and milliseconds (a seconds' tens digit of 6 or more is wrong).
    millis = lengths == 24
    odd = _non_digits(seconds)
    ok &= (seconds & _u64(0xFF00)) <= _u64(ord("5") << 8)
    z = seconds ^ _ZEROS_TEXT
    if millis.all():
        ok &= _matches(seconds, odd, _SECONDS_MS)
        ms += _field(z, 1, 2, 4, 5, 6)  # SS.mmm as the number SSmmm
    else:
        zulu = _matches(seconds, odd, _SECONDS_Z)
        ok &= np.where(millis, _matches(seconds, odd, _SECONDS_MS), zulu & (lengths == 20))
        ms += np.where(millis, _field(z, 1, 2, 4, 5, 6), _field(z, 1, 2) * 1000)
    if ok.all():
        return ms
    rest = np.flatnonzero(~ok)
    if lengths[rest].max() > _TS_WIDTH:
        return None
    column = _slice_column(b"", block, starts[rest], ends[rest], _TS_WIDTH)
    ms[rest], fine = _fast_timestamps_ms(column.chars, column.lengths)
    for i in np.flatnonzero(~fine):
        try:
            moment = parse_timestamp(column.text(i), "", None)
        except BundleError:
            return None
        ms[rest[i]] = to_datetime64(moment).astype(np.int64)
    return ms


def stamps_ms(block: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """Epoch ms of the timestamps block[starts:ends] (24 bytes readable from every start);
    None if one is unreadable or outside the years allowed: a slower reader names it."""
    ms = _stamps_ms(block, starts, ends)
    if ms is None or ((ms < _MIN_MS) | (ms >= _END_MS)).any():
        return None
    return ms


def _field(x: np.ndarray, *places: int) -> np.ndarray:
    """The decimal number whose digits (values 0-9) are the bytes `places` of the words x."""
    value = (x >> _u64(8 * places[0])) & _u64(0xFF)
    for place in places[1:]:
        value = value * _u64(10) + ((x >> _u64(8 * place)) & _u64(0xFF))
    return value.astype(np.int64)


def _values(block: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """The numbers block[starts:ends]; None if one is not a finite decimal number.

    Cells like -12.345 (at most 15 bytes, no exponent) are read here to the double
    _plain_decimals reads; the others go through _numbers. `block` holds 16 bytes before every
    end.
    """
    lengths = ends - starts
    words = windows(block, ends - 16, 16)  # right-aligned: the cell ends at byte 15
    cells = words.view(np.uint8)
    # The bytes before the cell become '0'.
    short = np.minimum(lengths, 8)
    words[:, 1] &= _KEEP_HIGH[short]
    words[:, 1] |= _ZEROS_BEFORE[short]
    if lengths.max() <= 8:
        words[:, 0] = _ZEROS_TEXT
    else:
        rest = np.maximum(lengths - 8, 0)
        rest = np.minimum(rest, 8, out=rest)
        words[:, 0] &= _KEEP_HIGH[rest]
        words[:, 0] |= _ZEROS_BEFORE[rest]
    digits = cells - np.uint8(ord("0"))
    is_digit = digits < 10
    dots = cells == ord(".")
    ok = (lengths >= 1) & (lengths <= 15)
    # A digit last, or a dot after a digit: "5." reads, "-" and "." do not.
    if not is_digit[:, 15].all():
        ok &= is_digit[:, 15] | (dots[:, 15] & (lengths >= 2) & is_digit[:, 14])
    # Nothing but digits, dots and a leading minus (the padding is digits too).
    minus = None
    if np.count_nonzero(is_digit) + np.count_nonzero(dots) != cells.size:
        first = np.arange(0, cells.size, 16) + 16 - np.minimum(np.maximum(lengths, 1), 16)
        minus = cells.reshape(-1)[first] == ord("-")
        ok &= np.count_nonzero(is_digit | dots, axis=1) + minus == 16
    digits *= is_digit.view(np.uint8)
    high, low = digits.view("<u8").T.copy()  # digit values, 0 for the dot
    dot_high, dot_low = dots.view(np.uint8).view("<u8").T.copy()  # 1 in the dot's byte
    # The dot's byte k in a word: its flag is bit 8k, so 8k bits lie below it.
    if not high.any() and not dot_high.any():  # at most eight bytes: all in the low word
        count = np.bitwise_count(dot_low)
        one = count == 1
        dot = np.bitwise_count(dot_low - _u64(1)) >> np.uint8(3)
        dot *= one  # no dot (or too many): nothing moves, nothing after it
        before = low & _KEEP_LOW[dot]  # the digits before the dot move on a byte, over it
        low ^= before
        low |= before << _u64(8)
        mantissa = _eight_digits(low)
        after = _AFTER_LOW[dot]
        after *= one
    else:
        count = np.bitwise_count(dot_high) + np.bitwise_count(dot_low)
        dot = np.where(
            dot_low != 0,
            8 + (np.bitwise_count(dot_low - _u64(1)) >> np.uint8(3)),
            np.bitwise_count(dot_high - _u64(1)) >> np.uint8(3),
        ).astype(np.int64)
        dot = np.where(count == 1, dot, 0)
        after = np.where(count == 1, 15 - dot, 0)
        # Close the gap: the digits before the dot move one byte on, over the dot's 0.
        before_high = high & _KEEP_LOW[np.minimum(dot, 8)]
        before_low = low & _KEEP_LOW[np.maximum(dot - 8, 0)]
        high ^= before_high
        low ^= before_low
        high |= before_high << _u64(8)
        low |= (before_low << _u64(8)) | (before_high >> _u64(56))
        mantissa = _eight_digits(low) + _eight_digits(high) * _u64(10**8)
    ok &= count <= 1
    # The mantissa (under 10**15) over a power of ten, as _plain_decimals divides.
    values = mantissa / _POWERS[after]
    if minus is not None:
        np.negative(values, out=values, where=minus)
    if ok.all():
        return values
    rest = np.flatnonzero(~ok)
    if lengths[rest].max(initial=0) > _VALUE_WIDTH or lengths[rest].min(initial=1) < 1:
        return None
    column = _slice_column(b"", block, starts[rest], ends[rest], _VALUE_WIDTH)
    try:
        values[rest] = _numbers(column, np.zeros(len(rest), np.int64), "")
    except BundleError:
        return None
    return values
