"""Read an incident bundle (shared/specs/incident-bundle.md) into a TelemetryStore.

The whole bundle is validated before anything is investigated: every contract violation raises
BundleError naming the file, the line (metrics.csv, logs.jsonl, broken JSON) and the offending
value. expected.json is ground truth for evaluation only, so load_bundle never opens it; the
evaluation suite reads it with load_expected.

This module reads the JSON files; bundle_csv reads metrics.csv and holds the timestamp rules.
"""

import gc
import json
import math
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from queue import Empty, SimpleQueue

import numpy as np

from errors import BundleError
from models import ACTIONS, CATEGORIES
from sources.bundle.metrics_csv import (
    block_workers,
    decode,
    parse_timestamp,
    read_metrics,
    stamps_ms,
    timestamps_ms,
    windows,
)
from sources.files import CappedFile, excerpt, open_input, quoted, read_input
from sources.telemetry import LEVEL_CODE, LEVELS, Deploy, LogTable, MetricInfo, TelemetryStore

FORMAT = "incident-bundle/v1"
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
COMMIT_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
TRIGGER_KEYS = ("window_seconds", "threshold_multiplier")
# What a trigger override may be: a window of up to 30 days, a threshold of up to 100 sigma.
TRIGGER_LIMITS = {"window_seconds": 30 * 86_400, "threshold_multiplier": 100}
# Deeper JSON than this is refused: nothing in a bundle needs it, and walking it (redaction,
# reports) would exhaust Python's recursion limit.
MAX_JSON_DEPTH = 64
LOG_KEYS = ("timestamp", "service", "level", "message")  # any other key is an attribute

_LEVEL_INPUT = {**LEVEL_CODE, "WARNING": LEVEL_CODE["WARN"]}


class _NonFinite(ValueError):
    """A JSON number that is not finite: NaN, Infinity or one too large for a float."""


def _reject_constant(name: str) -> float:
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


_JSON_OPTIONS = {"parse_constant": _reject_constant, "parse_float": _finite_float}
# json.loads minus its per-call argument handling
_json_decode = json.JSONDecoder(**_JSON_OPTIONS).decode
# The decoder's scanner alone, for a line that is one JSON value and nothing else; anything
# else (spaces around it, extra data, errors) goes through _json_decode for its exact result.
_json_scan = json.JSONDecoder(**_JSON_OPTIONS).scan_once
# A JSON escape of a UTF-16 surrogate: where a lone surrogate (which no file can encode, and
# which breaks every later write) may come from.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A log line as the bundle writer (json.dumps) puts it: the four keys in order, strings without
# escapes or control characters. Such a line's JSON value is its text; _read_logs reads a file
# of nothing else with one regular expression, and any other file line by line.
_STRING = r'"([^"\\\x00-\x1f]*)"'
_PLAIN_LOG_LINE = re.compile(
    rf'^\{{"timestamp": {_STRING}, "service": {_STRING}, "level": {_STRING}, '
    rf'"message": {_STRING}\}}$',
    re.MULTILINE,
)
_LOG_BLOCK = 1 << 22  # characters of logs.jsonl matched at once
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
    name, description, info, trigger = _read_manifest(directory)
    deploys = _read_deploys(directory)
    # metrics.csv is read on another thread while this one reads logs.jsonl, the blocks of both
    # parsed on one pool of workers (numpy releases the GIL); a mistake in metrics.csv is still
    # the one reported first.
    with block_workers() as workers, ThreadPoolExecutor(1, thread_name_prefix="metrics") as side:
        metrics = side.submit(read_metrics, directory / "metrics.csv", info, workers)
        try:
            with _collector_paused():
                logs = _read_logs(directory, workers)
        except BundleError:
            metrics.result()  # raises the error of metrics.csv, if it has one
            raise
        series = metrics.result()
    return TelemetryStore(
        name=name,
        description=description,
        metric_info=info,
        metric_series=series,
        log_table=logs,
        deploy_events=deploys,
        diffs=_read_diffs(directory, deploys),
        trigger=trigger,
    )


def load_expected(directory: Path) -> dict | None:
    """The validated expected.json of a bundle, or None when it has none. Evaluation only."""
    path = Path(directory) / "expected.json"
    text = _read_text(Path(directory), "expected.json", "expected", required=False)
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


# Optional metric keys that state what the tool would otherwise decide from the data and the
# name: a stated kind or bad_when is obeyed.
METRIC_CHOICES = {"kind": ("gauge", "counter"), "bad_when": ("rises", "falls")}


def _choice(spec: dict, key: str, where: str, at: str) -> str | None:
    value = _get(spec, key, str, where, at, False)
    allowed = METRIC_CHOICES[key]
    if value is not None and value not in allowed:
        raise BundleError(
            where, f"{at}.{key} must be {' or '.join(map(repr, allowed))}, got {_show(value)}"
        )
    return value


def _read_manifest(directory: Path) -> tuple[str, str, dict[str, MetricInfo], dict[str, float]]:
    path = directory / "bundle.json"
    doc = _parse_json(_read_text(directory, "bundle.json", "manifest"), path)
    where = str(path)
    if not isinstance(doc, dict):
        raise BundleError(where, f"must be a JSON object, got {_json_type(doc)}")
    if doc.get("format") != FORMAT:
        raise BundleError(where, f"format must be {FORMAT!r}, got {_show(doc.get('format'))}")
    name = _get(doc, "name", str, where, "bundle.json")
    if not NAME_PATTERN.fullmatch(name):
        raise BundleError(where, f"name {quoted(name)} must match ^{NAME_PATTERN.pattern}$")
    description = _get(doc, "description", str, where, "bundle.json", False) or ""
    info = {}
    for metric, spec in _get(doc, "metrics", dict, where, "bundle.json").items():
        at = f"metrics[{quoted(metric)}]"
        if not isinstance(spec, dict):
            raise BundleError(where, f"{at} must be an object, got {_show(spec)}")
        info[metric] = MetricInfo(
            name=metric,
            service=_get(spec, "service", str, where, at),
            unit=_get(spec, "unit", str, where, at, False),
            description=_get(spec, "description", str, where, at, False),
            **{key: _choice(spec, key, where, at) for key in METRIC_CHOICES},
        )
    trigger = _get(doc, "trigger", dict, where, "bundle.json", False) or {}
    for key in trigger:
        if key not in TRIGGER_KEYS:
            raise BundleError(where, f"unknown trigger key {quoted(key)}; allowed: {TRIGGER_KEYS}")
        value = _get(trigger, key, (int, float), where, "trigger")
        # Compared, never converted: an int of 400 digits must not overflow a float here.
        if not 0 < value <= TRIGGER_LIMITS[key]:
            limit = TRIGGER_LIMITS[key]
            raise BundleError(
                where, f"trigger.{key} must be a number in (0, {limit}], got {_show(value)}"
            )
    return name, description, info, trigger


def _read_deploys(directory: Path) -> list[Deploy]:
    path = directory / "deploys.json"
    text = _read_text(directory, "deploys.json", "deploys", required=False)
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
                where, f"{at}.commit {quoted(commit)} must match ^{COMMIT_PATTERN.pattern}$"
            )
        stamp = _get(entry, "deployed_at", str, where, at)
        deploys.append(
            Deploy(
                service=_get(entry, "service", str, where, at),
                version=_get(entry, "version", str, where, at),
                commit=commit,
                deployed_at=parse_timestamp(stamp, where, None, f"{at}.deployed_at"),
                author=_get(entry, "author", str, where, at, False),
                description=_get(entry, "description", str, where, at, False),
            )
        )
    return deploys


def _read_diffs(directory: Path, deploys: list[Deploy]) -> dict[str, str]:
    diffs = {}
    for commit in dict.fromkeys(d.commit for d in deploys):
        text = _read_text(directory, f"diffs/{commit}.diff", "diff", required=False)
        if text is not None:  # a deploy without a diff is allowed
            diffs[commit] = text
    return diffs


# logs.jsonl


def _read_logs(directory: Path, workers: ThreadPoolExecutor | None = None) -> LogTable:
    path = directory / "logs.jsonl"
    with open_input(directory, path, "logs", required=False) as file:
        if file is None:
            return LogTable.empty()
        fast = _PlainLines(file).table(workers)
    if fast is not None:
        return fast
    # Not plain lines only: read it whole, as text.
    data = read_input(directory, path, "logs", required=False)
    if data is None:
        return LogTable.empty()
    where = str(path)
    text = decode(data, path)
    del data
    plain = _plain_logs(text, where)
    if plain is not None:
        return plain
    rows = text.split("\n")  # not splitlines(): JSON strings may hold U+2028 and friends
    stamps, services, levels, messages, lines = [], [], [], [], []
    attributes: dict[int, dict] = {}  # row -> the line's other keys; most lines have none
    service_codes: dict[str, int] = {}
    for number, line in enumerate(rows, 1):
        if not line or line.isspace():
            continue
        try:
            obj, end = _json_scan(line, 0)
        except (StopIteration, ValueError, RecursionError):
            end = -1
        if end != len(line):
            try:
                obj = _json_decode(line)
            except (ValueError, RecursionError) as e:
                raise BundleError(where, _json_problem(e), number) from None
        if line.find("{", 1) >= 0 or "[" in line:  # no nested value: nothing to walk
            _check_depth(obj, where, number)
        if "\\u" in line and _SURROGATE_ESCAPE.search(line):
            obj = _without_surrogates(obj)
        if not isinstance(obj, dict):
            raise BundleError(where, f"expected a JSON object, got {_show(obj)}", number)
        get = obj.get
        stamp, service, level, message = (
            get("timestamp"),
            get("service"),
            get("level"),
            get("message"),
        )  # LOG_KEYS
        if not (type(stamp) is type(service) is type(level) is type(message) is str):
            for key in LOG_KEYS:  # raises, naming the first missing or ill-typed key
                _get(obj, key, str, where, "", line=number)
        code = _LEVEL_INPUT.get(level)
        if code is None:
            code = _LEVEL_INPUT.get(level.upper())
        if code is None:
            raise BundleError(
                where, f"unknown level {quoted(level)}; expected one of {LEVELS}", number
            )
        if len(obj) > len(LOG_KEYS):  # all four are there, so the rest are attributes
            attributes[len(stamps)] = {k: v for k, v in obj.items() if k not in LOG_KEYS}
        stamps.append(stamp)
        services.append(service_codes.setdefault(service, len(service_codes)))
        levels.append(code)
        messages.append(message)
        lines.append(number)
    rows = [attributes.get(i) for i in range(len(stamps))] if attributes else None
    ms = timestamps_ms(stamps, np.array(lines), where)
    return _table(ms, service_codes, services, levels, messages, rows)


def _plain_logs(text: str, where: str) -> LogTable | None:
    """The table of a file whose every line is a plain log line; None for any other file.

    Read a block of lines at a time, so only one block's matches are alive at once.
    """
    if "\n\n" in text or text.startswith("\n"):
        return None  # blank lines: the line-by-line reader skips them and numbers the rest
    stamps: list[str] = []
    services: list[int] = []
    levels: list[int] = []
    messages: list[str] = []
    service_codes: dict[str, int] = {}
    level_codes: dict[str, int | None] = {}
    end = len(text) - text.endswith("\n")
    lo = 0
    while lo < end:
        hi = text.rfind("\n", lo, lo + _LOG_BLOCK)
        if hi < lo:  # no line break within a block: a long line
            hi = text.find("\n", lo + _LOG_BLOCK, end)
            hi = end if hi < 0 else hi
        found = _PLAIN_LOG_LINE.findall(text, lo, hi)
        if len(found) != text.count("\n", lo, hi) + 1:
            return None  # some line needs the JSON parser, or is wrong
        for stamp, service, level, message in found:
            code = level_codes.get(level, -1)
            if code == -1:
                code = level_codes[level] = _LEVEL_INPUT.get(level, _LEVEL_INPUT.get(level.upper()))
            if code is None:
                return None  # the line-by-line reader names the first such line
            stamps.append(stamp)
            services.append(service_codes.setdefault(service, len(service_codes)))
            levels.append(code)
            messages.append(message)
        lo = hi + 1
    ms = timestamps_ms(stamps, np.arange(1, len(stamps) + 1), where)
    return _table(ms, service_codes, services, levels, messages, None)


class _PlainLines:
    """A logs.jsonl of nothing but plain lines (as _PLAIN_LOG_LINE reads them), read as bytes.

    The file is read a block of lines at a time; each block's lines are checked and their cells
    found with array operations on a pool of workers (numpy releases the GIL), while this
    thread makes the messages of the blocks done into Python strings. `table` is None for any
    other file (a line with escapes, extra keys or blanks, an unknown level, an unreadable
    timestamp...): the readers of text then read the whole file again, and accept it or name
    the line at fault.
    """

    _BLOCK = 1 << 21  # bytes of lines read and checked at once
    _LONGEST = 1 << 23  # longer lines take the text readers
    _AHEAD = 4  # blocks read ahead of the messages made
    _PAD = 64  # zero bytes after a block: every window read from it lies inside
    # A plain line is these four pieces, each followed by a string's text, then "}: a line's
    # 16 quotes are all in them.
    _PIECES = (b'{"timestamp": "', b'", "service": "', b'", "level": "', b'", "message": "')
    _QUOTES = np.array([ord('"')] * 16 + [ord("\n")], np.uint8)
    _MAX_NAME = 64  # longer service names take the text readers

    def __init__(self, file: CappedFile) -> None:
        self.file = file
        self.pieces = [
            (np.frombuffer(piece.ljust(16, b"\0"), "<u8"), _LOW_BYTES[len(piece) - 8])
            for piece in self._PIECES
        ]
        self.services, self.levels = _Interner(self._MAX_NAME // 8), _Interner(1)
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.messages: list[str] = []
        self.buffers: SimpleQueue = SimpleQueue()  # for _block: fresh memory is slow to touch

    def table(self, workers: ThreadPoolExecutor | None = None) -> LogTable | None:
        """The table of the file, its blocks parsed on `workers` (else a pool of its own)."""
        if workers is None:
            with block_workers() as workers:
                return self.table(workers)
        pending: deque = deque()  # (block, parse of it), oldest first
        try:
            for block in self._blocks():
                if block is None:
                    return None
                pending.append((block, workers.submit(self._block, *block)))
                if len(pending) > self._AHEAD and not self._take(*pending.popleft()):
                    return None
            while pending:
                if not self._take(*pending.popleft()):
                    return None
        finally:
            for _, future in pending:
                future.cancel()  # after a block that is not plain, the others are moot
        if not self.parts:
            return None  # an empty file: the text readers read it
        level_names = [name.decode() for name in self.levels.names]
        codes = [_LEVEL_INPUT.get(name, _LEVEL_INPUT.get(name.upper())) for name in level_names]
        if None in codes:
            return None  # the text readers name the first line with an unknown level
        ms, service, level = (np.concatenate(c) for c in zip(*self.parts, strict=True))
        names = [name.decode() for name in self.services.names]
        service_codes = {name: code for code, name in enumerate(names)}
        level_code = np.array(codes, np.int8)[level]
        return _table(ms, service_codes, service, level_code, self.messages, None)

    def _blocks(self):
        """(bytes, where its last line ends) of each block of whole lines of the file, or None
        for a block that cannot be plain (a blank line, an escape, bytes that are not UTF-8)."""
        carry = b""  # a line begun at the end of the last block
        while True:
            chunk = self.file.read(self._BLOCK)
            data = carry + chunk if carry else chunk
            if not chunk:
                if data:  # the last line, without a line break
                    yield self._checked(data, len(data))
                return
            end = data.rfind(b"\n") + 1
            if not end:
                if len(data) > self._LONGEST:
                    yield None  # carrying it on would copy it again and again
                    return
                carry = data  # a line longer than a block: read on
                continue
            carry = data[end:]
            yield self._checked(data, end)

    @staticmethod
    def _checked(data: bytes, end: int):
        # Each block starts a line: a line break first is a blank line.
        if data.startswith(b"\n") or data.find(b"\n\n", 0, end) >= 0:
            return None
        if data.find(b"\\", 0, end) >= 0:
            return None  # escapes: for the JSON parser
        if not data.isascii():
            try:
                data[:end].decode()
            except UnicodeDecodeError:
                return None  # the text readers name the byte
        return data, end

    def _take(self, block: tuple[bytes, int], future) -> bool:
        """Add a parsed block's columns and messages; False if it is not plain."""
        if (part := future.result()) is None:
            return False
        data = block[0]
        ms, service, level, start, end = part
        service, level = self.services.codes(service), self.levels.codes(level)
        if service is None or level is None:
            return False
        self.parts.append((ms, service, level))
        self.messages += [
            data[a:b].decode() for a, b in zip(start.tolist(), end.tolist(), strict=True)
        ]
        return True

    def _block(self, data: bytes, size: int):
        """For the lines data[:size]: epoch ms, the service and level cells as _Interner words,
        the messages' starts and ends; None if a line is not plain."""
        pad = self._PAD
        try:
            block = self.buffers.get_nowait()
        except Empty:
            block = np.empty(2 * self._BLOCK + 2 * pad, np.uint8)
        if len(block) < size + 2 * pad:  # a block with a line longer than _BLOCK
            block = np.empty(size + 2 * pad, np.uint8)
        try:
            return self._parse(data, size, block)
        finally:
            self.buffers.put(block)

    def _parse(self, data: bytes, size: int, block: np.ndarray):
        pad = self._PAD
        block[:pad] = 0
        block[pad : pad + size] = np.frombuffer(data, np.uint8, size)
        block[pad + size : size + 2 * pad] = 0
        rows = block[pad : pad + size]
        found = np.flatnonzero((rows == ord('"')) | (rows == ord("\n"))) + pad
        breaks = len(found)
        if block[pad + size - 1] != ord("\n"):  # the last line of a file without a final break
            found = np.append(found, pad + size)
            block[pad + size] = ord("\n")
        if len(found) % 17:
            return None
        quotes = found.reshape(-1, 17)
        if not (block[quotes] == self._QUOTES).all():
            return None  # not 16 quotes on every line
        if np.count_nonzero(rows < 0x20) != breaks - 16 * len(quotes):
            return None  # a control character other than the line breaks
        starts = np.empty(len(quotes), np.int64)
        starts[0] = pad
        starts[1:] = quotes[:-1, 16] + 1
        # Each piece where it belongs; with the quotes all accounted for, the line is plain.
        for at, (piece, last) in zip((starts, *quotes[:, [3, 7, 11]].T), self.pieces, strict=True):
            words = windows(block, at, 16)
            if not ((words[:, 0] == piece[0]).all() and ((words[:, 1] & last) == piece[1]).all()):
                return None
        if (
            not (block[quotes[:, 15] + 1] == ord("}")).all()
            or not (quotes[:, 16] == quotes[:, 15] + 2).all()
        ):
            return None
        ms = stamps_ms(block, quotes[:, 2] + 1, quotes[:, 3])
        service = _Interner.cells(block, quotes[:, 6] + 1, quotes[:, 7], self._MAX_NAME // 8)
        level = _Interner.cells(block, quotes[:, 10] + 1, quotes[:, 11], 1)
        if ms is None or service is None or level is None:
            return None
        return ms, service, level, quotes[:, 14] + 1 - pad, quotes[:, 15] - pad


class _Interner:
    """Codes for short byte strings (cells of a block), in order of first appearance: hashed,
    then checked word for word against the string the code stands for."""

    def __init__(self, words: int) -> None:
        self.words = words  # a cell may have up to 8 * words bytes
        rng = np.random.default_rng(29)
        self.multipliers = rng.integers(1, 1 << 63, words, np.uint64) | np.uint64(1)
        self.names: list[bytes] = []
        self.known = np.zeros((0, words), "<u8")  # each code's string as zero-padded words
        self.sizes = np.zeros(0, np.int64)  # how many of its words are not zero
        self.hashes = np.zeros(0, np.uint64)  # sorted, with the code of each in `order`
        self.order = np.zeros(0, np.int64)

    @staticmethod
    def cells(block: np.ndarray, starts: np.ndarray, ends: np.ndarray, most: int):
        """The cells block[starts:ends] (8 * most bytes readable from each start) as rows of
        zero-padded words, as many as the longest needs; None if one needs more than `most`."""
        lengths = ends - starts
        longest = int(lengths.max(initial=0))
        if longest > 8 * most:
            return None
        size = max(1, -(-longest // 8))
        words = windows(block, starts, 8 * size)
        for j in range(size):
            words[:, j] &= _LOW_BYTES[np.minimum(np.maximum(lengths - 8 * j, 0), 8)]
        return words

    def codes(self, words: np.ndarray) -> np.ndarray | None:
        """The code of every row of `cells`; None if two strings share a hash."""
        size = words.shape[1]
        hashes = self._hash(words)
        at = np.searchsorted(self.hashes, hashes)
        known = at < len(self.hashes)
        known[known] = self.hashes[at[known]] == hashes[known]
        if not known.all():
            _, first = np.unique(hashes[~known], return_index=True)
            rows = np.flatnonzero(~known)[np.sort(first)]
            for row in rows.tolist():
                self.names.append(words[row].tobytes().rstrip(b"\0"))
            added = np.zeros((len(rows), self.words), "<u8")
            added[:, :size] = words[rows]
            self.known = np.concatenate([self.known, added])
            self.sizes = np.count_nonzero(self.known, axis=1)
            every = self._hash(self.known)
            self.order = np.argsort(every, kind="stable")
            self.hashes = every[self.order]
            if len(np.unique(self.hashes)) != len(self.hashes):
                return None  # two strings share a hash: let the text readers do it
            at = np.searchsorted(self.hashes, hashes)
        codes = self.order[at]
        if not (self.sizes[codes] <= size).all() or not (self.known[codes, :size] == words).all():
            return None  # a string that shares a hash with another
        return codes

    def _hash(self, words: np.ndarray) -> np.ndarray:
        """A hash of each row of words; zero words (past the end of a string) add nothing."""
        hashes = words[:, 0] * self.multipliers[0]
        for j in range(1, words.shape[1]):
            hashes += words[:, j] * self.multipliers[j]
        return hashes


_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(9)], np.uint64)  # a word's first k


def _table(ms, service_codes: dict[str, int], services, levels, messages, attributes) -> LogTable:
    """The columns both log readers gather, as a LogTable with services coded by name."""
    names = sorted(service_codes)
    rank = {name: i for i, name in enumerate(names)}
    recode = np.array([rank[s] for s in service_codes], dtype=np.int32)
    return LogTable.from_columns(
        timestamps=ms.view("datetime64[ms]"),
        services=recode[np.array(services, dtype=np.int64)],
        levels=np.array(levels, dtype=np.int8),
        messages=np.array(messages, dtype=object),
        service_names=names,
        attributes=attributes,
    )


# small helpers


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the duration, back to how it was after."""
    # Parsed JSON holds no cycles, but with attributes on every line the collector rescans the
    # growing heap of dicts again and again: a third of the load time of a 300k-line file.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_text(directory: Path, name: str, kind: str, required: bool = True) -> str | None:
    """The text of the bundle's file `name`, read through read_input (confined, capped)."""
    path = directory / name
    data = read_input(directory, path, kind, required)
    return None if data is None else decode(data, path)


def _parse_json(text: str, path: Path) -> object:
    try:
        doc = json.loads(text, **_JSON_OPTIONS)
    except (ValueError, RecursionError) as e:
        line = e.lineno if isinstance(e, json.JSONDecodeError) else None
        raise BundleError(str(path), _json_problem(e), line) from None
    _check_depth(doc, str(path), None)
    return _without_surrogates(doc) if _SURROGATE_ESCAPE.search(text) else doc


def _json_problem(e: Exception) -> str:
    """What is wrong with a JSON text, from the error its parser raised."""
    if isinstance(e, json.JSONDecodeError):
        return f"invalid JSON: {e.msg} (column {e.colno})"
    if isinstance(e, RecursionError):
        return f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
    if isinstance(e, _NonFinite):
        return f"number {excerpt(str(e), 40)} is not finite"
    return "a JSON number is too long"  # int() refuses more than 4300 digits


def _check_depth(value: object, where: str, line: int | None) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH (without recursing into it)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > MAX_JSON_DEPTH:
            raise BundleError(where, f"JSON nested more than {MAX_JSON_DEPTH} levels deep", line)
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))


def _without_surrogates(value: object) -> object:
    """A JSON value with every lone UTF-16 surrogate in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value


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
    """A JSON value from the bundle, as a one-line error may quote it (see files.quoted)."""
    return excerpt(json.dumps(value, ensure_ascii=False))
