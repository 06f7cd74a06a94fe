"""The config's `[logs] file` and `[deploys] file`: a logs.jsonl and a deploys.json as in bundles.

Same formats and rules as the bundle reader (shared/specs/incident-bundle.md), but under any
file name the config chooses; files are opened through sources.files.read_input (size caps, no
FIFOs or devices). Errors name the file and line.
"""

import json
from datetime import datetime
from pathlib import Path

import numpy as np

from errors import BundleError
from sources.bundle.metrics_csv import parse_timestamp, timestamps_ms
from sources.bundle.reader import COMMIT_PATTERN, LOG_KEYS, valid_commit
from sources.files import quoted, read_input
from sources.telemetry import LEVEL_CODE, LEVELS, Deploy, LogTable

_LEVEL_INPUT = {**{k.lower(): k for k in LEVEL_CODE}, "warning": "WARN"}


def read_logs_file(path: Path, start: datetime, end: datetime) -> LogTable:
    """The lines of a logs.jsonl with start <= timestamp <= end."""
    where = str(path)
    text = _text(path, "logs")
    stamps, services, levels, messages, extras, numbers = [], [], [], [], [], []
    for number, line in enumerate(text.split("\n"), 1):
        if not line or line.isspace():
            continue
        obj = _json(line, where, number)
        if not isinstance(obj, dict):
            raise BundleError(where, "expected a JSON object", number)
        for key in LOG_KEYS:
            if not isinstance(obj.get(key), str):
                raise BundleError(where, f"missing or non-string key {key!r}", number)
        level = _LEVEL_INPUT.get(obj["level"].lower())
        if level is None:
            message = f"unknown level {quoted(obj['level'])}; expected one of {LEVELS}"
            raise BundleError(where, message, number)
        stamps.append(obj["timestamp"])
        services.append(obj["service"])
        levels.append(LEVEL_CODE[level])
        messages.append(obj["message"])
        extras.append({k: v for k, v in obj.items() if k not in LOG_KEYS} or None)
        numbers.append(number)
    # The bundle's own vectorized timestamp parser: same rules, same error lines.
    ms = timestamps_ms(stamps, np.array(numbers, dtype=np.int64), where)
    lo, hi = _ms(start), _ms(end)
    keep = np.nonzero((ms >= lo) & (ms <= hi))[0]
    names = sorted({services[i] for i in keep.tolist()})
    code = {name: i for i, name in enumerate(names)}
    attributes = [extras[i] for i in keep.tolist()]
    return LogTable.from_columns(
        timestamps=ms[keep].view("datetime64[ms]"),
        services=np.array([code[services[i]] for i in keep.tolist()], dtype=np.int32),
        levels=np.array(levels, dtype=np.int8)[keep],
        messages=np.array(messages, dtype=object)[keep],
        service_names=names,
        attributes=attributes if any(attributes) else None,
    )


def _ms(moment: datetime) -> int:
    return int(round(moment.timestamp() * 1000))


def read_deploys_file(path: Path) -> list[Deploy]:
    """Every deploy event of a deploys.json."""
    where = str(path)
    doc = _json(_text(path, "deploys"), where, None)
    if not isinstance(doc, list):
        raise BundleError(where, "must be a JSON list of deploys")
    deploys = []
    for i, entry in enumerate(doc):
        at = f"deploys[{i}]"
        if not isinstance(entry, dict):
            raise BundleError(where, f"{at} must be an object")
        for key in ("service", "version", "commit", "deployed_at"):
            if not isinstance(entry.get(key), str):
                raise BundleError(where, f"{at}.{key} is missing or not a string")
        for key in ("author", "description"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise BundleError(where, f"{at}.{key} must be a string")
        if not valid_commit(entry["commit"]):
            message = f"{at}.commit {quoted(entry['commit'])} must match ^{COMMIT_PATTERN.pattern}$"
            raise BundleError(where, message)
        deploys.append(
            Deploy(
                service=entry["service"],
                version=entry["version"],
                commit=entry["commit"],
                deployed_at=parse_timestamp(entry["deployed_at"], where, None, f"{at}.deployed_at"),
                author=entry.get("author"),
                description=entry.get("description"),
            )
        )
    return deploys


def _text(path: Path, kind: str) -> str:
    data = read_input(path.parent, path, kind)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BundleError(str(path), f"not UTF-8 at byte {e.start}") from None


def _json(text: str, where: str, line: int | None) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        detail = e.msg if isinstance(e, json.JSONDecodeError) else "not valid JSON"
        raise BundleError(where, f"invalid JSON: {detail}", line) from None
