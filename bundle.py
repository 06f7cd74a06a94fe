"""Read an incident bundle (shared/specs/incident-bundle.md) into a TelemetryStore.

The whole bundle is validated before anything is investigated: every contract violation raises
BundleError naming the file, the line (metrics.csv, logs.jsonl, broken JSON) and the offending
value. expected.json is ground truth for evaluation only, so load_bundle never opens it; the
evaluation suite reads it with load_expected.

metrics.csv may hold millions of points, so it is parsed with array operations on the raw bytes.
Cells the fast path cannot read (unusual timestamp forms, odd numbers, mistakes) go through a
per-row parser that either accepts them or names their line.
"""

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from errors import BundleError
from models import ACTIONS, CATEGORIES
from telemetry import (
    LEVEL_CODE,
    LEVELS,
    Deploy,
    LogTable,
    MetricInfo,
    Series,
    TelemetryStore,
    to_datetime64,
)

FORMAT = "incident-bundle/v1"
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
COMMIT_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
TRIGGER_KEYS = ("window_seconds", "threshold_multiplier")
CSV_HEADER = ["timestamp", "metric", "value"]

_LEVEL_INPUT = {**LEVEL_CODE, "WARNING": LEVEL_CODE["WARN"]}
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_NUMBER_BYTES = np.zeros(256, dtype=bool)
_NUMBER_BYTES[list(b"0123456789.eE+-\0")] = True  # \0 is the padding of fixed-width cells
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_TS_WIDTH = 40  # wider than any timestamp the fast path reads
_VALUE_WIDTH = 32  # longer numbers take the per-row path
_CHUNK = 1 << 18
_LOG_KEYS = ("timestamp", "service", "level", "message")
_json_decode = json.JSONDecoder().decode  # json.loads minus its per-call argument handling
_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    type(None): "null",
}


def valid_commit(commit: str) -> bool:
    """Whether a commit id is safe to use as the name of diffs/<commit>.diff."""
    # "." and ".." match the pattern, but a commit must never read as a directory.
    return COMMIT_PATTERN.fullmatch(commit) is not None and commit not in (".", "..")


def load_bundle(directory: Path) -> TelemetryStore:
    """Read and validate every file of a bundle except expected.json."""
    directory = Path(directory)
    if not directory.is_dir():
        exists = directory.exists()
        raise BundleError(str(directory), "is not a directory" if exists else "no such directory")
    name, description, info, trigger = _read_manifest(directory / "bundle.json")
    deploys = _read_deploys(directory / "deploys.json")
    return TelemetryStore(
        name=name,
        description=description,
        metric_info=info,
        metric_series=_read_metrics(directory / "metrics.csv", info),
        log_table=_read_logs(directory / "logs.jsonl"),
        deploy_events=deploys,
        diffs=_read_diffs(directory, deploys),
        trigger=trigger,
    )


def export_bundle(store: TelemetryStore, directory: Path, expected: dict | None = None) -> None:
    """Write `store` out as a bundle; see bundle_export.export_bundle."""
    from bundle_export import export_bundle as export  # late: bundle_export imports this module

    export(store, directory, expected)


def load_expected(directory: Path) -> dict | None:
    """The validated expected.json of a bundle, or None when it has none. Evaluation only."""
    path = Path(directory) / "expected.json"
    text = _read_text(path, required=False)
    return None if text is None else validate_expected(_parse_json(text, path), str(path))


def validate_expected(doc: object, path: str) -> dict:
    """Check expected.json's shape (spec: "expected.json") and return it unchanged."""
    if not isinstance(doc, dict):
        raise BundleError(path, f"must be a JSON object, got {_json_type(doc)}")
    _get(doc, "incident", bool, path, "expected.json")
    for i, finding in enumerate(_get(doc, "findings", list, path, "expected.json", False) or []):
        where = f"findings[{i}]"
        if not isinstance(finding, dict):
            raise BundleError(path, f"{where} must be an object, got {_show(finding)}")
        _get(finding, "service", str, path, where)
        if _get(finding, "category", str, path, where) not in CATEGORIES:
            raise BundleError(path, f"{where}.category {_show(finding['category'])} is unknown")
        action = finding.get("action")
        actions = action if isinstance(action, list) else [action]
        if not actions or any(a not in ACTIONS for a in actions):
            expected = ", ".join(ACTIONS)
            raise BundleError(path, f"{where}.action {_show(action)} is not one of {expected}")
        _get_strings(finding, "keywords", path, where)
    _get_strings(doc, "forbidden_services", path, "expected.json")
    return doc


# bundle.json, deploys.json, diffs


def _read_manifest(path: Path) -> tuple[str, str, dict[str, MetricInfo], dict[str, float]]:
    doc = _parse_json(_read_text(path), path)
    where = str(path)
    if not isinstance(doc, dict):
        raise BundleError(where, f"must be a JSON object, got {_json_type(doc)}")
    if doc.get("format") != FORMAT:
        raise BundleError(where, f"format must be {FORMAT!r}, got {_show(doc.get('format'))}")
    name = _get(doc, "name", str, where, "bundle.json")
    if not NAME_PATTERN.fullmatch(name):
        raise BundleError(where, f"name {name!r} must match ^{NAME_PATTERN.pattern}$")
    description = _get(doc, "description", str, where, "bundle.json", False) or ""
    info = {}
    for metric, spec in _get(doc, "metrics", dict, where, "bundle.json").items():
        if not isinstance(spec, dict):
            raise BundleError(where, f"metrics[{metric!r}] must be an object, got {_show(spec)}")
        at = f"metrics[{metric!r}]"
        info[metric] = MetricInfo(
            name=metric,
            service=_get(spec, "service", str, where, at),
            unit=_get(spec, "unit", str, where, at, False),
            description=_get(spec, "description", str, where, at, False),
        )
    trigger = _get(doc, "trigger", dict, where, "bundle.json", False) or {}
    for key in trigger:
        if key not in TRIGGER_KEYS:
            raise BundleError(where, f"unknown trigger key {key!r}; allowed: {TRIGGER_KEYS}")
        value = _get(trigger, key, (int, float), where, "trigger")
        if not (math.isfinite(value) and value > 0):
            raise BundleError(where, f"trigger.{key} must be a positive number, got {value!r}")
    return name, description, info, trigger


def _read_deploys(path: Path) -> list[Deploy]:
    text = _read_text(path, required=False)
    doc = [] if text is None else _parse_json(text, path)
    where = str(path)
    if not isinstance(doc, list):
        raise BundleError(where, f"must be a JSON list of deploys, got {_json_type(doc)}")
    deploys = []
    for i, entry in enumerate(doc):
        at = f"deploys[{i}]"
        if not isinstance(entry, dict):
            raise BundleError(where, f"{at} must be an object, got {_show(entry)}")
        commit = _get(entry, "commit", str, where, at)
        if not valid_commit(commit):
            raise BundleError(
                where, f"{at}.commit {commit!r} must match ^{COMMIT_PATTERN.pattern}$"
            )
        stamp = _get(entry, "deployed_at", str, where, at)
        deploys.append(
            Deploy(
                service=_get(entry, "service", str, where, at),
                version=_get(entry, "version", str, where, at),
                commit=commit,
                deployed_at=_parse_timestamp(stamp, where, None, f"{at}.deployed_at"),
                author=_get(entry, "author", str, where, at, False),
                description=_get(entry, "description", str, where, at, False),
            )
        )
    return deploys


def _read_diffs(directory: Path, deploys: list[Deploy]) -> dict[str, str]:
    root = directory.resolve()
    diffs = {}
    for commit in dict.fromkeys(d.commit for d in deploys):
        path = directory / "diffs" / f"{commit}.diff"
        if not (path.exists() or path.is_symlink()):
            continue  # a deploy without a diff is allowed
        target = path.resolve()
        if not target.is_relative_to(root):
            raise BundleError(str(path), f"resolves to {target}, outside the bundle; refused")
        if not target.is_file():
            raise BundleError(str(path), "is not a readable file")
        diffs[commit] = _read_text(path)
    return diffs


# logs.jsonl


def _read_logs(path: Path) -> LogTable:
    text = _read_text(path, required=False)
    if text is None:
        return LogTable.empty()
    where = str(path)
    stamps, services, levels, messages, lines = [], [], [], [], []
    service_codes: dict[str, int] = {}
    # split("\n"), not splitlines(): JSON strings may hold U+2028 and friends unescaped.
    for number, line in enumerate(text.split("\n"), 1):
        if not line or line.isspace():
            continue
        try:
            obj = _json_decode(line)
        except json.JSONDecodeError as e:
            raise BundleError(where, f"invalid JSON: {e.msg} (column {e.colno})", number) from None
        if not isinstance(obj, dict):
            raise BundleError(where, f"expected a JSON object, got {_show(obj)}", number)
        # Other keys are valid (spec: attributes of the line) but LogTable has no attributes
        # column yet, so they are accepted and dropped here.
        stamp, service, level, message = (obj.get(key) for key in _LOG_KEYS)
        if not (type(stamp) is type(service) is type(level) is type(message) is str):
            for key in _LOG_KEYS:  # raises, naming the first missing or ill-typed key
                _get(obj, key, str, where, "", line=number)
        code = _LEVEL_INPUT.get(level)
        if code is None:
            code = _LEVEL_INPUT.get(level.upper())
        if code is None:
            raise BundleError(where, f"unknown level {level!r}; expected one of {LEVELS}", number)
        stamps.append(stamp)
        services.append(service_codes.setdefault(service, len(service_codes)))
        levels.append(code)
        messages.append(message)
        lines.append(number)
    ms = _timestamps_ms(_text_column(stamps, _TS_WIDTH), np.array(lines), where)
    names = sorted(service_codes)
    recode = np.array([names.index(s) for s in service_codes], dtype=np.int32)
    return LogTable.from_columns(
        timestamps=ms.view("datetime64[ms]"),
        services=recode[np.array(services, dtype=np.int64)],
        levels=np.array(levels, dtype=np.int8),
        messages=np.array(messages, dtype=object),
        service_names=names,
    )


# metrics.csv


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


def _read_metrics(path: Path, info: dict[str, MetricInfo]) -> dict[str, Series]:
    where = str(path)
    names = list(info)
    encoded = [name.encode() for name in names]
    data = _read_bytes(path)
    if not data.isascii():
        _decode(data, path)
    widths = (_TS_WIDTH, max([1, *map(len, encoded)]), _VALUE_WIDTH)
    if b'"' in data:  # quoted cells: let the csv module apply the quoting rules
        lines, (stamps, metrics, values) = _split_quoted(data, widths, where)
    else:
        lines, (stamps, metrics, values) = _split_plain(data, widths, where)
    del data
    codes = _metric_codes(metrics, encoded, lines, where)
    ms = _timestamps_ms(stamps, lines, where)
    points = _numbers(values, lines, where)

    order = np.lexsort((ms, codes))  # stable: equal keys keep file order
    codes, ms, points = codes[order], ms[order], points[order]
    repeated = np.flatnonzero((codes[1:] == codes[:-1]) & (ms[1:] == ms[:-1]))
    if len(repeated):
        k = repeated[np.argmin(order[repeated + 1])]
        first, second = order[k], order[k + 1]
        raise BundleError(
            where,
            f"duplicate point: metric {names[codes[k]]!r} at {stamps.text(second)!r} "
            f"is already given on line {lines[first]}",
            int(lines[second]),
        )
    if not len(codes):  # the incident's clock is the newest point, so there must be one
        raise BundleError(where, "has no points; a bundle needs at least one", 2)
    bounds = np.searchsorted(codes, np.arange(len(names) + 1))
    times = ms.view("datetime64[ms]")
    return {
        name: Series(info[name], times[lo:hi], points[lo:hi])
        for name, lo, hi in zip(names, bounds[:-1], bounds[1:], strict=True)
    }


def _split_plain(
    data: bytes, widths: tuple[int, int, int], where: str
) -> tuple[np.ndarray, list[_Column]]:
    """Split unquoted csv bytes into its three columns with array operations."""
    size = len(data)
    buf = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(buf == ord("\n"))
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [size]))
    if starts[-1] == size:  # the file ends with a newline
        starts, ends = starts[:-1], ends[:-1]
    ends -= ((ends > starts) & (buf[np.maximum(ends - 1, 0)] == ord("\r"))).astype(np.int64)
    header = data[starts[0] : ends[0]] if len(starts) else b""
    _check_header(header.decode().split(","), where)
    starts, ends = starts[1:], ends[1:]
    lines = np.arange(2, len(starts) + 2)
    commas = np.flatnonzero(buf == ord(","))
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
        _slice_column(data, buf, lo, hi, width)
        for (lo, hi), width in zip(bounds, widths, strict=True)
    ]


def _slice_column(
    data: bytes, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int
) -> _Column:
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
    lines, batches, rows = [], [], []
    try:
        _check_header(next(reader, []), where)
        for row in reader:
            if len(row) != 3:
                _column_error(len(row), ",".join(row), where, reader.line_num)
            rows.append(row)
            lines.append(reader.line_num)
            if len(rows) == _CHUNK:
                batches.append(_batch(rows, widths))
                rows = []
    except csv.Error as e:
        raise BundleError(where, f"malformed csv: {e}", reader.line_num) from None
    batches.append(_batch(rows, widths))
    joined = []
    for parts in zip(*batches, strict=True):
        offsets = np.cumsum([0] + [len(part.lengths) for part in parts])
        joined.append(
            _Column(
                np.concatenate([part.chars for part in parts]),
                np.concatenate([part.lengths for part in parts]),
                {
                    int(o) + i: t
                    for part, o in zip(parts, offsets[:-1], strict=True)
                    for i, t in part.overflow.items()
                },
            )
        )
    return np.array(lines, dtype=np.int64), joined


def _batch(rows: list[list[str]], widths: tuple[int, int, int]) -> list[_Column]:
    columns = zip(*rows, strict=True) if rows else ((), (), ())
    return [_text_column(list(cells), w) for cells, w in zip(columns, widths, strict=True)]


def _text_column(cells: list[str], width: int) -> _Column:
    encoded = [c.encode() for c in cells]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    fixed = np.array([e[:width] for e in encoded], dtype=f"S{width}")
    overflow = {int(i): cells[i] for i in np.flatnonzero(lengths > width)}
    return _Column(fixed.view(np.uint8).reshape(len(cells), width), lengths, overflow)


def _check_header(cells: list[str], where: str) -> None:
    if [c.strip("\r") for c in cells] != CSV_HEADER:
        got = ",".join(cells)
        raise BundleError(where, f"header must be timestamp,metric,value, got {got!r}", 1)


def _column_error(count: int, row: str, where: str, line: int) -> None:
    message = f"expected 3 columns (timestamp,metric,value), got {count}: {_clip(row)!r}"
    raise BundleError(where, message, line)


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
            where, f"metric {column.text(i)!r} is not declared in bundle.json", int(lines[i])
        )
    return codes


def _numbers(column: _Column, lines: np.ndarray, where: str) -> np.ndarray:
    rows, width = column.chars.shape
    ok = _NUMBER_BYTES[column.chars].all(axis=1) & (column.lengths > 0)
    ok &= column.lengths <= width
    values = np.zeros(rows)
    try:
        values[ok] = column.chars[ok].view(f"S{width}").ravel().astype(np.float64)
    except ValueError:  # a cell like "1.2.3": the per-row path finds and names it
        ok[:] = False
    ok &= np.isfinite(values)
    for i in np.flatnonzero(~ok):
        text = column.text(i)
        if not _NUMBER.fullmatch(text) or not math.isfinite(value := float(text)):
            raise BundleError(
                where, f"value {text!r} is not a finite decimal number", int(lines[i])
            )
        values[i] = value
    return values


# timestamps


def _timestamps_ms(column: _Column, lines: np.ndarray, where: str) -> np.ndarray:
    """UTC epoch milliseconds of every cell; the first unreadable one is an error."""
    ms = np.empty(len(lines), np.int64)
    ok = np.empty(len(lines), bool)
    for lo in range(0, len(lines), _CHUNK):  # chunks bound the memory of the temporaries
        part = slice(lo, lo + _CHUNK)
        ms[part], ok[part] = _fast_timestamps_ms(column.chars[part], column.lengths[part])
    for i in np.flatnonzero(~ok):
        moment = _parse_timestamp(column.text(i), where, int(lines[i]))
        ms[i] = to_datetime64(moment).astype(np.int64)
    return ms


def _parse_timestamp(text: str, where: str, line: int | None, what: str = "timestamp") -> datetime:
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        message = f"{what} {_clip(text)!r} is not ISO 8601 (like 2026-03-15T14:02:10Z)"
        raise BundleError(where, message, line) from None
    raise BundleError(where, f"{what} {text!r} has no UTC offset; add Z or +HH:MM", line)


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


# small helpers


def _read_bytes(path: Path, required: bool = True) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if required:
            raise BundleError(str(path), "required file is missing") from None
        return None
    except OSError as e:
        raise BundleError(str(path), f"cannot read: {e.strerror}") from None


def _read_text(path: Path, required: bool = True) -> str | None:
    data = _read_bytes(path, required)
    return None if data is None else _decode(data, path)


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        byte = data[e.start : e.start + 1].hex()
        raise BundleError(
            str(path), f"not UTF-8: byte 0x{byte} at offset {e.start}", line
        ) from None


def _parse_json(text: str, path: Path) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise BundleError(
            str(path), f"invalid JSON: {e.msg} (column {e.colno})", e.lineno
        ) from None


def _get(obj: dict, key: str, kind, where: str, context: str, required=True, line=None):
    """obj[key] checked against a JSON type; None when absent and not required."""
    inside = f" in {context}" if context else ""
    if key not in obj:
        if required:
            raise BundleError(where, f"missing required key {key!r}{inside}", line)
        return None
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        name = "a number" if kind == (int, float) else _JSON_TYPES[kind]
        raise BundleError(where, f"{key!r}{inside} must be {name}, got {_show(value)}", line)
    return value


def _get_strings(obj: dict, key: str, where: str, context: str) -> None:
    values = _get(obj, key, list, where, context, False) or []
    if not all(isinstance(v, str) for v in values):
        raise BundleError(
            where, f"{key!r} in {context} must be a list of strings, got {_show(values)}"
        )


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), "a number")


def _show(value: object) -> str:
    return _clip(json.dumps(value, ensure_ascii=False))


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
