"""Write a TelemetryStore out as an incident bundle (shared/specs/incident-bundle.md).

The output reads back through bundle.load_bundle without loss: timestamps keep their
milliseconds, values are written as repr() floats (the shortest text that round-trips), and log
attributes become the extra keys of their line.
"""

import csv
import json
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path

import numpy as np

from errors import BundleError
from sources.bundle.metrics_csv import CSV_HEADER
from sources.bundle.reader import (
    FORMAT,
    LOG_KEYS,
    NAME_PATTERN,
    TRIGGER_KEYS,
    valid_commit,
    validate_expected,
)
from sources.telemetry import LEVELS, TelemetryStore


def export_bundle(store: TelemetryStore, directory: Path, expected: dict | None = None) -> None:
    """Write `store` (and expected.json when given) into a new or empty directory."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BundleError(str(directory), "exists and is not an empty directory; refusing to write")
    _check_exportable(store, directory)
    if expected is not None:
        validate_expected(expected, str(directory / "expected.json"))

    directory.mkdir(parents=True, exist_ok=True)
    _write_json(directory / "bundle.json", _manifest(store))
    with (directory / "metrics.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for name, series in store.metric_series.items():
            writer.writerows(
                zip(_format_timestamps(series.timestamps), repeat(name), series.values.tolist())
            )
    logs = store.log_table
    attributes = repeat(None, len(logs)) if logs.attributes is None else logs.attributes.tolist()
    with (directory / "logs.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        for stamp, service, level, message, extra in zip(
            _format_timestamps(logs.timestamps),
            logs.services.tolist(),
            logs.levels.tolist(),
            logs.messages.tolist(),
            attributes,
            strict=True,
        ):
            line = {
                "timestamp": stamp,
                "service": logs.service_names[service],
                "level": LEVELS[level],
                "message": message,
            }
            if extra:
                line.update(extra)  # _check_exportable made sure none of them is one of the four
            f.write(json.dumps(line) + "\n")
    deploys = [
        {
            "service": d.service,
            "version": d.version,
            "commit": d.commit,
            "deployed_at": _format_datetime(d.deployed_at),
        }
        | ({"author": d.author} if d.author is not None else {})
        | ({"description": d.description} if d.description is not None else {})
        for d in store.deploy_events
    ]
    _write_json(directory / "deploys.json", deploys)
    if store.diffs:
        (directory / "diffs").mkdir()
    for commit, diff in store.diffs.items():
        # newline="" keeps the diff's own line endings byte for byte.
        (directory / "diffs" / f"{commit}.diff").write_text(diff, encoding="utf-8", newline="")
    if expected is not None:
        _write_json(directory / "expected.json", expected)


def _format_timestamps(timestamps: np.ndarray) -> list[str]:
    """ISO 8601 UTC text with a Z; milliseconds only where a point has them."""
    ms = timestamps.astype("datetime64[ms]")
    whole = ms.astype(np.int64) % 1000 == 0
    text = np.where(
        whole, np.datetime_as_string(ms, unit="s"), np.datetime_as_string(ms, unit="ms")
    )
    return [t + "Z" for t in text.tolist()]


def _format_datetime(moment: datetime) -> str:
    """An aware datetime as ISO 8601 UTC text with a Z, as precise as it needs to be."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    if naive.microsecond == 0:
        return naive.isoformat(timespec="seconds") + "Z"
    precise = naive.microsecond % 1000 != 0
    return naive.isoformat(timespec="microseconds" if precise else "milliseconds") + "Z"


def _manifest(store: TelemetryStore) -> dict:
    metrics = {
        name: {"service": info.service}
        | ({"unit": info.unit} if info.unit is not None else {})
        | ({"description": info.description} if info.description is not None else {})
        | ({"kind": info.kind} if info.kind is not None else {})
        | ({"bad_when": info.bad_when} if info.bad_when is not None else {})
        for name, info in store.metric_info.items()
    }
    manifest = {
        "format": FORMAT,
        "name": store.name,
        "description": store.description,
        "metrics": metrics,
    }
    return manifest | ({"trigger": dict(store.trigger)} if store.trigger else {})


def _check_exportable(store: TelemetryStore, directory: Path) -> None:
    """Refuse, before writing anything, a store that would make an invalid bundle."""
    if not NAME_PATTERN.fullmatch(store.name):
        raise BundleError(
            str(directory / "bundle.json"),
            f"name {store.name!r} must match ^{NAME_PATTERN.pattern}$",
        )
    unknown = set(store.trigger) - set(TRIGGER_KEYS)
    if unknown:
        raise BundleError(str(directory / "bundle.json"), f"unknown trigger keys {sorted(unknown)}")
    for name, series in store.metric_series.items():
        if name not in store.metric_info:
            raise BundleError(str(directory / "metrics.csv"), f"metric {name!r} is not declared")
        if not np.isfinite(series.values).all():
            message = f"metric {name!r} has values that are not finite"
            raise BundleError(str(directory / "metrics.csv"), message)
    for commit in [d.commit for d in store.deploy_events] + list(store.diffs):
        if not valid_commit(commit):
            raise BundleError(str(directory / "deploys.json"), f"commit {commit!r} is not valid")
    for extra in [] if store.log_table.attributes is None else store.log_table.attributes:
        if extra and (taken := [key for key in LOG_KEYS if key in extra]):
            message = f"log attribute {taken[0]!r} would overwrite the line's own key"
            raise BundleError(str(directory / "logs.jsonl"), message)


def _write_json(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
