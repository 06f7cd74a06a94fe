"""Incident bundles: what load_bundle accepts, what it refuses (and how it says so), round trips."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from errors import BundleError
from sources.bundle import export_bundle as export_via_bundle
from sources.bundle import metrics_csv as bundle_csv
from sources.bundle.reader import LOG_KEYS, load_bundle, load_expected
from sources.bundle.writer import export_bundle
from sources.telemetry import (
    LEVELS,
    Deploy,
    LogTable,
    MetricInfo,
    Series,
    TelemetryStore,
    to_datetime64,
)

MANIFEST = {
    "format": "incident-bundle/v1",
    "name": "checkout-config-bug",
    "description": "Pool cut by a config deploy.",
    "metrics": {
        "checkout_latency_p99": {"service": "checkout-service", "unit": "ms"},
        "heap_usage_mb": {"service": "worker-service", "unit": "MB", "description": "heap"},
    },
    "trigger": {"window_seconds": 300, "threshold_multiplier": 2.5},
}
METRICS = [
    "timestamp,metric,value",
    "2026-03-15T14:00:00Z,checkout_latency_p99,120.5",
    "2026-03-15T14:00:10Z,checkout_latency_p99,118",
    "2026-03-15T14:00:20.250Z,checkout_latency_p99,950.25",
    "2026-03-15T15:00:00+01:00,heap_usage_mb,512",
    "2026-03-15T14:00:10Z,heap_usage_mb,514",
]
LOGS = [
    '{"timestamp": "2026-03-15T14:00:05Z", "service": "checkout-service", "level": "INFO", '
    '"message": "GET /cart 200"}',
    '{"timestamp": "2026-03-15T14:00:21Z", "service": "checkout-service", "level": "error", '
    '"message": "Timeout acquiring connection from pool"}',
    "",
    '{"timestamp": "2026-03-15T14:00:22Z", "service": "worker-service", "level": "WARNING", '
    '"message": "queue slow", "trace_id": "abc", "attrs": {"shard": 3}}',
]
DEPLOY = {
    "service": "checkout-service",
    "version": "v2.4.1",
    "commit": "a1b2c3d",
    "deployed_at": "2026-03-15T13:47:00Z",
    "author": "ci-bot",
    "description": "checkout-service-config v2.4.1",
}
DIFF = "--- a/config.yaml\n+++ b/config.yaml\n-pool_size: 20\n+pool_size: 2\n"
DROP = object()


def write_bundle(directory: Path, changes: dict[str, str | bytes | None] | None = None) -> Path:
    """A small valid bundle in `directory`, with files replaced (or removed, for None)."""
    files = {
        "bundle.json": json.dumps(MANIFEST, indent=2),
        "metrics.csv": "\n".join(METRICS) + "\n",
        "logs.jsonl": "\n".join(LOGS) + "\n",
        "deploys.json": json.dumps([DEPLOY]),
        "diffs/a1b2c3d.diff": DIFF,
    } | (changes or {})
    for name, content in files.items():
        if content is None:
            continue
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return directory


def manifest(**changes) -> dict[str, str]:
    doc = {k: v for k, v in (MANIFEST | changes).items() if v is not DROP}
    return {"bundle.json": json.dumps(doc)}


def metrics_line(number: int, text: str) -> dict[str, str]:
    lines = list(METRICS)
    lines[number - 1] = text
    return {"metrics.csv": "\n".join(lines) + "\n"}


def log_line(number: int, line: str | dict) -> dict[str, str]:
    lines = list(LOGS)
    lines[number - 1] = line if isinstance(line, str) else json.dumps(line)
    return {"logs.jsonl": "\n".join(lines) + "\n"}


def deploy(**changes) -> dict[str, str]:
    entry = {k: v for k, v in (DEPLOY | changes).items() if v is not DROP}
    return {"deploys.json": json.dumps([entry])}


def log(**changes) -> dict:
    return {k: v for k, v in (json.loads(LOGS[0]) | changes).items() if v is not DROP}


@dataclass(frozen=True)
class Broken:
    id: str
    changes: dict | None  # None: no bundle directory at all
    file: str  # the file the message must name ("" for the directory itself)
    line: int | None
    value: str  # the offending value, as the message must show it


BROKEN = [
    Broken("no-directory", None, "", None, "no such directory"),
    Broken("no-manifest", {"bundle.json": None}, "bundle.json", None, "missing"),
    Broken("no-metrics", {"metrics.csv": None}, "metrics.csv", None, "missing"),
    Broken("manifest-broken-json", {"bundle.json": '{\n "name": }'}, "bundle.json", 2, "JSON"),
    Broken("manifest-not-utf8", {"bundle.json": b'{"name": "\xff"}'}, "bundle.json", 1, "0xff"),
    Broken("manifest-not-object", {"bundle.json": "[1, 2]"}, "bundle.json", None, "array"),
    Broken(
        "format",
        manifest(format="incident-bundle/v2"),
        "bundle.json",
        None,
        'got "incident-bundle/v2"',
    ),
    Broken("no-format", manifest(format=DROP), "bundle.json", None, "got null"),
    Broken("name-case", manifest(name="Checkout_Bug"), "bundle.json", None, "'Checkout_Bug'"),
    Broken("name-long", manifest(name="a" * 64), "bundle.json", None, "a" * 64),
    Broken("name-type", manifest(name=7), "bundle.json", None, "got 7"),
    Broken("metrics-list", manifest(metrics=["x"]), "bundle.json", None, '["x"]'),
    Broken("no-metrics-key", manifest(metrics=DROP), "bundle.json", None, "'metrics'"),
    Broken(
        "metric-kind",
        manifest(metrics={"heap_usage_mb": {"service": "w", "kind": "histogram"}}),
        "bundle.json",
        None,
        "kind must be 'gauge' or 'counter', got \"histogram\"",
    ),
    Broken(
        "metric-bad-when",
        manifest(metrics={"heap_usage_mb": {"service": "w", "bad_when": 1}}),
        "bundle.json",
        None,
        "'bad_when' in metrics[",
    ),
    Broken(
        "metric-no-service",
        manifest(metrics={"heap_usage_mb": {"unit": "MB"}}),
        "bundle.json",
        None,
        "'heap_usage_mb'",
    ),
    Broken(
        "metric-service-type",
        manifest(metrics={"heap_usage_mb": {"service": 42}}),
        "bundle.json",
        None,
        "got 42",
    ),
    Broken(
        "metric-unit-type",
        manifest(metrics={"heap_usage_mb": {"service": "w", "unit": ["MB"]}}),
        "bundle.json",
        None,
        '["MB"]',
    ),
    Broken(
        "metric-spec-type", manifest(metrics={"heap_usage_mb": "w"}), "bundle.json", None, '"w"'
    ),
    Broken("description-type", manifest(description=True), "bundle.json", None, "got true"),
    Broken("trigger-key", manifest(trigger={"window": 300}), "bundle.json", None, "'window'"),
    Broken("trigger-zero", manifest(trigger={"window_seconds": -5}), "bundle.json", None, "got -5"),
    Broken(
        "trigger-text",
        manifest(trigger={"window_seconds": "300"}),
        "bundle.json",
        None,
        'got "300"',
    ),
    Broken(
        "trigger-bool",
        manifest(trigger={"threshold_multiplier": True}),
        "bundle.json",
        None,
        "got true",
    ),
    Broken("trigger-type", manifest(trigger=300), "bundle.json", None, "got 300"),
    Broken("csv-empty", {"metrics.csv": ""}, "metrics.csv", 1, "got ''"),
    Broken(
        "csv-no-points", {"metrics.csv": "timestamp,metric,value\n"}, "metrics.csv", 2, "no points"
    ),
    Broken(
        "csv-header",
        metrics_line(1, "time,metric,value"),
        "metrics.csv",
        1,
        "'time,metric,value'",
    ),
    Broken(
        "csv-two-columns",
        metrics_line(3, "2026-03-15T14:00:10Z,checkout_latency_p99"),
        "metrics.csv",
        3,
        "got 2: '2026-03-15T14:00:10Z,checkout_latency_p99'",
    ),
    Broken(
        "csv-four-columns",
        metrics_line(4, "2026-03-15T14:00:20Z,checkout_latency_p99,1,x"),
        "metrics.csv",
        4,
        "got 4",
    ),
    Broken("csv-blank-line", metrics_line(3, ""), "metrics.csv", 3, "got 0"),
    Broken(
        "csv-text-value",
        metrics_line(3, "2026-03-15T14:00:10Z,checkout_latency_p99,abc"),
        "metrics.csv",
        3,
        "'abc'",
    ),
    Broken(
        "csv-nan",
        metrics_line(4, "2026-03-15T14:00:20Z,checkout_latency_p99,NaN"),
        "metrics.csv",
        4,
        "'NaN'",
    ),
    Broken(
        "csv-inf",
        metrics_line(2, "2026-03-15T14:00:00Z,checkout_latency_p99,-inf"),
        "metrics.csv",
        2,
        "'-inf'",
    ),
    Broken(
        "csv-overflow",
        metrics_line(2, "2026-03-15T14:00:00Z,checkout_latency_p99,1e999"),
        "metrics.csv",
        2,
        "'1e999'",
    ),
    Broken(
        "csv-empty-value",
        metrics_line(5, "2026-03-15T15:00:00+01:00,heap_usage_mb,"),
        "metrics.csv",
        5,
        "value ''",
    ),
    Broken(
        "csv-long-value",
        metrics_line(5, "2026-03-15T15:00:00+01:00,heap_usage_mb," + "1" * 40 + "x"),
        "metrics.csv",
        5,
        "1" * 40 + "x",
    ),
    Broken(
        "csv-no-offset",
        metrics_line(2, "2026-03-15T14:00:00,checkout_latency_p99,1"),
        "metrics.csv",
        2,
        "'2026-03-15T14:00:00' has no UTC offset",
    ),
    Broken(
        "csv-bad-timestamp",
        metrics_line(6, "yesterday,heap_usage_mb,1"),
        "metrics.csv",
        6,
        "'yesterday'",
    ),
    Broken(
        "csv-impossible-date",
        metrics_line(3, "2026-02-30T14:00:10Z,checkout_latency_p99,1"),
        "metrics.csv",
        3,
        "'2026-02-30T14:00:10Z'",
    ),
    Broken(
        "csv-undeclared",
        metrics_line(5, "2026-03-15T15:00:00+01:00,heap_mb,512"),
        "metrics.csv",
        5,
        "'heap_mb'",
    ),
    Broken(
        "csv-nothing-declared",
        manifest(metrics={}),
        "metrics.csv",
        2,
        "'checkout_latency_p99' is not declared",
    ),
    Broken(
        "csv-undeclared-long",
        metrics_line(4, "2026-03-15T14:00:20Z,checkout_latency_p99_but_much_longer,1"),
        "metrics.csv",
        4,
        "'checkout_latency_p99_but_much_longer'",
    ),
    Broken(
        "csv-duplicate",  # 15:00+01:00 on line 5 is the same instant
        metrics_line(6, "2026-03-15T14:00:00Z,heap_usage_mb,514"),
        "metrics.csv",
        6,
        "'heap_usage_mb' at '2026-03-15T14:00:00Z' is already given on line 5",
    ),
    Broken(
        "csv-not-utf8",
        {"metrics.csv": ("\n".join(METRICS[:3]) + "\n").encode() + b"2026-\xff\n"},
        "metrics.csv",
        4,
        "0xff",
    ),
    Broken(
        "csv-quoted-bad-value",
        metrics_line(3, '"2026-03-15T14:00:10Z","checkout_latency_p99","x"'),
        "metrics.csv",
        3,
        "'x'",
    ),
    Broken("log-broken-json", log_line(2, '{"timestamp": '), "logs.jsonl", 2, "invalid JSON"),
    Broken("log-not-object", log_line(1, '["a"]'), "logs.jsonl", 1, '["a"]'),
    Broken("log-no-level", log_line(4, log(level=DROP)), "logs.jsonl", 4, "'level'"),
    Broken(
        "log-timestamp-type", log_line(1, log(timestamp=1773583200)), "logs.jsonl", 1, "1773583200"
    ),
    Broken("log-service-type", log_line(2, log(service=None)), "logs.jsonl", 2, "got null"),
    Broken("log-message-type", log_line(2, log(message=["x"])), "logs.jsonl", 2, '["x"]'),
    Broken("log-level", log_line(4, log(level="VERBOSE")), "logs.jsonl", 4, "'VERBOSE'"),
    Broken(
        "log-no-offset",
        log_line(2, log(timestamp="2026-03-15T14:00:21")),
        "logs.jsonl",
        2,
        "'2026-03-15T14:00:21' has no UTC offset",
    ),
    Broken(
        "log-not-utf8",
        {"logs.jsonl": (LOGS[0] + "\n").encode() + b'{"message": "\xc3\x28"}\n'},
        "logs.jsonl",
        2,
        "0xc3",
    ),
    Broken("deploys-object", {"deploys.json": json.dumps(DEPLOY)}, "deploys.json", None, "object"),
    Broken("deploy-not-object", {"deploys.json": '["a1b2c3d"]'}, "deploys.json", None, "a1b2c3d"),
    Broken("deploy-no-commit", deploy(commit=DROP), "deploys.json", None, "'commit'"),
    Broken("deploy-no-service", deploy(service=DROP), "deploys.json", None, "'service'"),
    Broken("deploy-version-type", deploy(version=241), "deploys.json", None, "got 241"),
    Broken("deploy-author-type", deploy(author=["ci"]), "deploys.json", None, '["ci"]'),
    Broken(
        "deploy-commit-path",
        deploy(commit="../../etc/passwd"),
        "deploys.json",
        None,
        "'../../etc/passwd'",
    ),
    Broken("deploy-commit-dotdot", deploy(commit=".."), "deploys.json", None, "'..'"),
    Broken("deploy-commit-long", deploy(commit="a" * 65), "deploys.json", None, "a" * 65),
    Broken(
        "deploy-no-offset",
        deploy(deployed_at="2026-03-15T13:47:00"),
        "deploys.json",
        None,
        "deploys[0].deployed_at '2026-03-15T13:47:00' has no UTC offset",
    ),
    Broken(
        "diff-not-utf8",
        {"diffs/a1b2c3d.diff": b"--- a\n+++ b\n-\xff\n"},
        "diffs/a1b2c3d.diff",
        3,
        "0xff",
    ),
]


def _refusal(tmp_path: Path, case: Broken) -> tuple[Path, str]:
    directory = tmp_path / "bundle"
    if case.changes is not None:
        write_bundle(directory, case.changes)
    with pytest.raises(BundleError) as caught:
        load_bundle(directory)
    return directory, str(caught.value)


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: c.id)
def test_refusal_names_file_and_line(tmp_path, case):
    directory, message = _refusal(tmp_path, case)
    where = str(directory / case.file) if case.file else str(directory)
    where += f":{case.line}: " if case.line is not None else ": "
    assert "\n" not in message
    assert message.startswith(where), message


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: c.id)
def test_refusal_shows_offending_value(tmp_path, case):
    _, message = _refusal(tmp_path, case)
    assert case.value in message


def test_valid_bundle_loads(tmp_path):
    store = load_bundle(write_bundle(tmp_path))

    assert store.name == "checkout-config-bug"
    assert store.trigger == {"window_seconds": 300, "threshold_multiplier": 2.5}
    assert store.metrics()["heap_usage_mb"] == MetricInfo(
        "heap_usage_mb", "worker-service", "MB", "heap"
    )
    p99 = store.series("checkout_latency_p99")
    assert p99.timestamps.tolist() == [
        datetime(2026, 3, 15, 14, 0, 0),
        datetime(2026, 3, 15, 14, 0, 10),
        datetime(2026, 3, 15, 14, 0, 20, 250_000),
    ]
    assert p99.values.tolist() == [120.5, 118.0, 950.25]
    heap = store.series("heap_usage_mb")  # 15:00+01:00 is 14:00Z: sorted first
    assert heap.timestamps.astype(str).tolist() == [
        "2026-03-15T14:00:00.000",
        "2026-03-15T14:00:10.000",
    ]
    assert heap.values.tolist() == [512.0, 514.0]
    logs = store.logs()
    assert len(logs) == 3  # the blank line is skipped
    assert [LEVELS[code] for code in logs.levels] == ["INFO", "ERROR", "WARN"]
    assert [logs.service_names[code] for code in logs.services] == [
        "checkout-service",
        "checkout-service",
        "worker-service",
    ]
    assert logs.messages[2] == "queue slow"  # a line with extra keys loads
    assert store.deploys() == [
        Deploy(
            "checkout-service",
            "v2.4.1",
            "a1b2c3d",
            datetime(2026, 3, 15, 13, 47, tzinfo=UTC),
            "ci-bot",
            "checkout-service-config v2.4.1",
        )
    ]
    assert store.diff("a1b2c3d") == DIFF
    assert store.end_time() == datetime(2026, 3, 15, 14, 0, 20, 250_000, tzinfo=UTC)


def test_optional_parts_may_be_absent(tmp_path):
    changes = {"logs.jsonl": None, "deploys.json": None, "diffs/a1b2c3d.diff": None}
    changes |= manifest(
        trigger=DROP,
        description=DROP,
        metrics=MANIFEST["metrics"] | {"idle": {"service": "idle-service"}},
    )
    store = load_bundle(write_bundle(tmp_path, changes))
    assert len(store.logs()) == 0
    assert store.deploys() == [] and store.diffs == {}
    assert store.trigger == {} and store.description == ""
    assert len(store.series("idle").timestamps) == 0  # declared, no points: fine


def test_blank_logs_load(tmp_path):
    store = load_bundle(write_bundle(tmp_path, {"logs.jsonl": "\n  \n"}))
    assert len(store.logs()) == 0


def test_deploy_without_diff_is_fine(tmp_path):
    store = load_bundle(write_bundle(tmp_path, {"diffs/a1b2c3d.diff": None}))
    assert store.diff("a1b2c3d") is None and len(store.deploys()) == 1


def test_diffs_of_commits_not_deployed_are_not_read(tmp_path):
    store = load_bundle(write_bundle(tmp_path, {"diffs/other.diff": b"\xff"}))
    assert list(store.diffs) == ["a1b2c3d"]


def test_diff_symlink_outside_bundle_is_refused(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("not part of the bundle")
    directory = write_bundle(tmp_path / "bundle", {"diffs/a1b2c3d.diff": None})
    (directory / "diffs").mkdir()
    (directory / "diffs" / "a1b2c3d.diff").symlink_to(outside)
    with pytest.raises(BundleError, match="outside the bundle") as caught:
        load_bundle(directory)
    assert str(caught.value).startswith(str(directory / "diffs" / "a1b2c3d.diff"))


def test_diffs_directory_symlinked_outside_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a1b2c3d.diff").write_text(DIFF)
    directory = write_bundle(tmp_path / "bundle", {"diffs/a1b2c3d.diff": None})
    (directory / "diffs").symlink_to(elsewhere)
    with pytest.raises(BundleError, match="outside the bundle"):
        load_bundle(directory)


def test_diff_symlink_inside_bundle_is_followed(tmp_path):
    directory = write_bundle(tmp_path, {"diffs/a1b2c3d.diff": None, "shared.diff": DIFF})
    (directory / "diffs").mkdir()
    (directory / "diffs" / "a1b2c3d.diff").symlink_to(directory / "shared.diff")
    assert load_bundle(directory).diff("a1b2c3d") == DIFF


def test_quoted_and_crlf_csv_read_like_plain(tmp_path):
    plain = load_bundle(write_bundle(tmp_path / "plain"))
    quoted = [",".join(f'"{cell}"' for cell in line.split(",")) for line in METRICS]
    crlf = "\r\n".join(METRICS)  # and no final newline
    for name, text in (("quoted", "\n".join(quoted)), ("crlf", crlf)):
        store = load_bundle(write_bundle(tmp_path / name, {"metrics.csv": text}))
        for metric in MANIFEST["metrics"]:
            assert np.array_equal(store.series(metric).timestamps, plain.series(metric).timestamps)
            assert np.array_equal(store.series(metric).values, plain.series(metric).values)


@pytest.mark.parametrize("quote", ["", '"'])
def test_batches_join_up(tmp_path, monkeypatch, quote):
    """Small batches, so the joins between them (and long cells in later ones) are exercised."""
    monkeypatch.setattr(bundle_csv, "_CHUNK", 2)
    long = "0." + "0" * 40 + "1"  # longer than the fast path's width for values
    rows = METRICS[1:] + [f"2026-03-15T14:00:30Z,checkout_latency_p99,{long}"]
    text = "\n".join(",".join(f"{quote}{c}{quote}" for c in line.split(",")) for line in rows)
    store = load_bundle(write_bundle(tmp_path / "ok", {"metrics.csv": METRICS[0] + "\n" + text}))
    assert store.series("checkout_latency_p99").values.tolist() == [120.5, 118, 950.25, 1e-41]
    assert store.series("heap_usage_mb").values.tolist() == [512, 514]
    broken = text.replace("514", "5x4")
    with pytest.raises(BundleError, match="'5x4'") as caught:
        load_bundle(write_bundle(tmp_path / "bad", {"metrics.csv": METRICS[0] + "\n" + broken}))
    assert str(caught.value).startswith(f"{tmp_path / 'bad' / 'metrics.csv'}:6: ")


STAMP_FORMS = [
    lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"),
    lambda t: t.isoformat(timespec="milliseconds"),
    lambda t: t.isoformat(timespec="microseconds"),
    lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",  # nanoseconds
    lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:21] + t.strftime("%z"),
    lambda t: t.strftime("%Y-%m-%d %H:%M:%S%z"),  # not the fast path's form
    lambda t: t.strftime("%Y%m%dT%H%M%S%z"),  # ISO basic format
]


def test_timestamps_match_fromisoformat(tmp_path):
    """Every form, offset and date edge reads as datetime.fromisoformat reads it."""
    rng = np.random.default_rng(7)
    rows, expected = [], []
    for i in range(3000):
        zone = timezone(timedelta(minutes=int(rng.integers(-24 * 60 + 1, 24 * 60))))
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            milliseconds=int(rng.integers(-(10**12), 10**13))
        )
        text = STAMP_FORMS[i % len(STAMP_FORMS)](moment.astimezone(zone))
        rows.append(f"{text},checkout_latency_p99,{i}")
        expected.append(to_datetime64(datetime.fromisoformat(text)))
    metrics = "timestamp,metric,value\n" + "\n".join(rows)
    store = load_bundle(write_bundle(tmp_path, {"metrics.csv": metrics}))
    series = store.series("checkout_latency_p99")
    got = dict(zip(series.values.astype(int).tolist(), series.timestamps, strict=True))
    assert [got[i] for i in range(len(rows))] == expected


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2026-03-15T14:00:00,heap_usage_mb,1", "no UTC offset"),
        ("2026-03-15T14:00:00Z,heap_usage_mb,1.2.3", "'1.2.3'"),
        ("2026-03-15T14:00:00Z,heap,1", "'heap'"),
        ("2026-03-15T14:00:00Z,heap_usage_mb,1,2", "got 4"),
    ],
)
def test_errors_deep_in_a_large_file_name_their_line(tmp_path, row, message):
    rows = [
        f"2026-03-15T{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z,checkout_latency_p99,{h * m + s}"
        for h in range(4)
        for m in range(60)
        for s in range(0, 60, 3)
        for ms in (0, 500)
    ]
    rows.insert(4319, row)  # line 4321, after the header
    metrics = "timestamp,metric,value\n" + "\n".join(rows)
    with pytest.raises(BundleError, match=message) as caught:
        load_bundle(write_bundle(tmp_path, {"metrics.csv": metrics}))
    assert str(caught.value).startswith(f"{tmp_path / 'metrics.csv'}:4321: ")


def test_duplicates_report_the_earliest_second_occurrence(tmp_path):
    rows = [f"2026-03-15T14:{m:02d}:00Z,heap_usage_mb,{m}" for m in range(60)]
    rows += [f"2026-03-15T14:{m:02d}:00Z,checkout_latency_p99,{m}" for m in range(60)]
    rows.insert(100, "2026-03-15T15:37:00+01:00,heap_usage_mb,1")  # line 102, same as line 39
    rows.append("2026-03-15T14:50:00Z,heap_usage_mb,1")  # duplicates too, but later in the file
    rows.append("2026-03-15T14:01:00Z,heap_usage_mb,1")
    metrics = "timestamp,metric,value\n" + "\n".join(rows)
    with pytest.raises(BundleError, match="already given on line 39") as caught:
        load_bundle(write_bundle(tmp_path, {"metrics.csv": metrics}))
    assert str(caught.value).startswith(f"{tmp_path / 'metrics.csv'}:102: ")


def test_load_bundle_never_reads_expected_json(tmp_path):
    directory = write_bundle(tmp_path, {"expected.json": "{broken"})
    assert load_bundle(directory).name == "checkout-config-bug"
    with pytest.raises(BundleError, match="invalid JSON") as caught:
        load_expected(directory)
    assert str(caught.value).startswith(f"{directory / 'expected.json'}:1: ")


EXPECTED = {
    "incident": True,
    "findings": [
        {
            "service": "checkout-service",
            "category": "config_change",
            "action": ["rollback", "escalate"],
            "keywords": ["pool"],
        }
    ],
    "forbidden_services": ["docs-site"],
}


def test_load_expected(tmp_path):
    assert load_expected(write_bundle(tmp_path / "none")) is None
    directory = write_bundle(tmp_path / "some", {"expected.json": json.dumps(EXPECTED)})
    assert load_expected(directory) == EXPECTED


def with_finding(**changes) -> dict:
    finding = {"service": "s", "category": "unknown", "action": "restart"} | changes
    return {"incident": True, "findings": [finding]}


@pytest.mark.parametrize(
    ("doc", "value"),
    [
        ([], "array"),
        ({"findings": []}, "'incident'"),
        ({"incident": "yes"}, '"yes"'),
        (with_finding(category="bug"), '"bug"'),
        (with_finding(action="pray"), '"pray"'),
        (with_finding(action=["rollback", "pray"]), '["rollback", "pray"]'),
        (with_finding(action=[]), "[]"),
        (with_finding(keywords="pool"), '"pool"'),
        ({"incident": False, "forbidden_services": ["a", 1]}, '["a", 1]'),
    ],
)
def test_load_expected_refuses(tmp_path, doc, value):
    directory = write_bundle(tmp_path, {"expected.json": json.dumps(doc)})
    with pytest.raises(BundleError) as caught:
        load_expected(directory)
    assert str(caught.value).startswith(f"{directory / 'expected.json'}: ")
    assert value in str(caught.value)


def make_store() -> TelemetryStore:
    t0 = np.datetime64("2026-03-15T14:00:00", "ms")
    stamps = t0 + np.array([0, 1500, 10_000, 10_001, 86_400_000], dtype="timedelta64[ms]")
    values = np.array([0.1, 1 / 3, -0.0, 5e-324, 1.7976931348623157e308])
    messages = ["plain", 'quotes " and \\ backslash', "naïve ✓ 日本", "two\nlines", "sep\u2028x"]
    logs = LogTable.from_rows(
        [
            (datetime(2026, 3, 15, 14, 0, s, 1000 * s, tzinfo=UTC), service, level, message)
            for s, (service, level, message) in enumerate(
                zip(["b-svc", "a-svc", "b-svc", "c-svc", "a-svc"], LEVELS, messages, strict=True)
            )
        ]
    )
    info = {
        "latency": MetricInfo("latency", "a-svc", "ms", "p99 latency"),
        "idle": MetricInfo("idle", "b-svc", kind="gauge", bad_when="falls"),
    }
    return TelemetryStore(
        name="round-trip",
        description="by hand",
        metric_info=info,
        metric_series={
            "latency": Series(info["latency"], stamps, values),
            "idle": Series(info["idle"], stamps[:0], values[:0]),
        },
        log_table=logs,
        deploy_events=[
            Deploy("a-svc", "v2", "c0ffee.2", datetime(2026, 3, 15, 13, 0, 0, 123456, tzinfo=UTC)),
            Deploy("b-svc", "v1", "a1b2c3d", datetime(2026, 3, 15, 12, 0, tzinfo=UTC), "me", "d"),
        ],
        diffs={"a1b2c3d": "--- a\r\n+++ b\r\n-x\n+y\n", "c0ffee.2": "@@ -1 +1 @@\n"},
        trigger={"window_seconds": 120, "threshold_multiplier": 3.0},
    )


def test_round_trip_is_lossless(tmp_path):
    store = make_store()
    export_bundle(store, tmp_path / "out", expected=EXPECTED)
    loaded = load_bundle(tmp_path / "out")

    assert (loaded.name, loaded.description, loaded.trigger) == (
        store.name,
        store.description,
        store.trigger,
    )
    assert loaded.metric_info == store.metric_info
    for name, series in store.metric_series.items():
        assert loaded.series(name).info == series.info
        assert np.array_equal(loaded.series(name).timestamps, series.timestamps)
        assert loaded.series(name).values.tobytes() == series.values.tobytes()  # bit for bit
    for column in ("timestamps", "levels", "messages"):
        assert getattr(loaded.logs(), column).tolist() == getattr(store.logs(), column).tolist()
    assert [loaded.logs().service_names[s] for s in loaded.logs().services] == [
        store.logs().service_names[s] for s in store.logs().services
    ]
    assert loaded.deploys() == store.deploys()
    assert loaded.diffs == store.diffs
    assert load_expected(tmp_path / "out") == EXPECTED

    export_via_bundle(loaded, tmp_path / "again")  # the written form is stable
    for name in ("bundle.json", "metrics.csv", "logs.jsonl", "deploys.json"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "out" / name).read_bytes()


def test_export_writes_milliseconds_only_when_needed(tmp_path):
    export_bundle(make_store(), tmp_path / "out")
    lines = (tmp_path / "out" / "metrics.csv").read_text().splitlines()
    assert lines[:3] == [
        "timestamp,metric,value",
        "2026-03-15T14:00:00Z,latency,0.1",
        "2026-03-15T14:00:01.500Z,latency,0.3333333333333333",
    ]


def test_export_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(BundleError, match="not an empty directory") as caught:
        export_bundle(make_store(), tmp_path / "out")
    assert "\n" not in str(caught.value)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["keep.txt"]


def test_export_refuses_a_store_that_would_not_load(tmp_path):
    store = make_store()
    bad_name = TelemetryStore(**{**store.__dict__, "name": "Not Valid"})
    with pytest.raises(BundleError, match="'Not Valid'"):
        export_bundle(bad_name, tmp_path / "a")
    bad_commit = TelemetryStore(**{**store.__dict__, "diffs": {"../x": "y"}})
    with pytest.raises(BundleError, match="'../x'"):
        export_bundle(bad_commit, tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# log attributes: a line's keys beyond the four the spec requires

ATTRIBUTES = {
    "trace_id": "4bf92f3577b34da6",
    "http": {"method": "GET", "status": 504, "retries": [1, 2.5, None], "cached": False},
    "tags": ["naïve ✓", {"deep": {"deeper": ["x"]}}],
    "empty": {},
}


def test_log_attributes_load(tmp_path):
    logs = load_bundle(write_bundle(tmp_path)).logs()
    assert logs.attributes.tolist() == [None, None, {"trace_id": "abc", "attrs": {"shard": 3}}]


def test_logs_without_attributes_have_no_attributes_column(tmp_path):
    plain = json.dumps({k: v for k, v in json.loads(LOGS[3]).items() if k in LOG_KEYS})
    store = load_bundle(write_bundle(tmp_path / "in", {"logs.jsonl": plain}))
    assert store.logs().attributes is None
    export_bundle(store, tmp_path / "out")
    written = (tmp_path / "out" / "logs.jsonl").read_text().splitlines()
    assert [list(json.loads(line)) for line in written] == [list(LOG_KEYS)]


def test_log_attributes_survive_export_and_load(tmp_path):
    lines = [
        log(timestamp="2026-03-15T14:00:02Z", message="second") | ATTRIBUTES,
        log(timestamp="2026-03-15T14:00:01Z", message="first"),
        {"extra_first": 1} | log(timestamp="2026-03-15T14:00:03Z", message="third"),
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    loaded = load_bundle(write_bundle(tmp_path / "in", {"logs.jsonl": text}))
    assert loaded.logs().messages.tolist() == ["first", "second", "third"]
    assert loaded.logs().attributes.tolist() == [None, ATTRIBUTES, {"extra_first": 1}]

    export_bundle(loaded, tmp_path / "out")
    written = [json.loads(line) for line in (tmp_path / "out" / "logs.jsonl").open()]
    assert [list(line)[:4] for line in written] == [list(LOG_KEYS)] * 3  # then the rest
    assert list(written[1])[4:] == list(ATTRIBUTES)
    again = load_bundle(tmp_path / "out")
    assert again.logs().attributes.tolist() == loaded.logs().attributes.tolist()
    for column in ("timestamps", "services", "levels", "messages"):
        assert getattr(again.logs(), column).tolist() == getattr(loaded.logs(), column).tolist()
    export_bundle(again, tmp_path / "again")  # the written form is stable
    assert (tmp_path / "again" / "logs.jsonl").read_bytes() == (
        tmp_path / "out" / "logs.jsonl"
    ).read_bytes()


def test_secrets_in_log_attributes_are_redacted_on_load(tmp_path):
    secrets = {
        "dsn": "postgres://app:hunter2@db:5432/orders",
        "request": {"headers": {"Authorization": "Bearer abcdef0123456789xyz"}},
        "db": {"password": "hunter2", "pool": 2},
        "args": ["-v", "--token=ghp_0123456789abcdefghijABCDEFGHIJ"],
    }
    text = json.dumps(log() | secrets)
    store = load_bundle(write_bundle(tmp_path / "in", {"logs.jsonl": text}))
    assert store.logs().attributes[0] == {
        "dsn": "postgres://app:[REDACTED]@db:5432/orders",
        "request": {"headers": {"Authorization": "[REDACTED]"}},
        "db": {"password": "[REDACTED]", "pool": 2},
        "args": ["-v", "--token=[REDACTED]"],
    }
    export_bundle(store, tmp_path / "out")
    written = (tmp_path / "out" / "logs.jsonl").read_text()
    assert "hunter2" not in written and "abcdef0123456789xyz" not in written


def test_export_refuses_attributes_that_would_overwrite_a_line_key(tmp_path):
    store = make_store()
    row = (datetime(2026, 3, 15, 14, tzinfo=UTC), "a-svc", "INFO", "hi", {"level": "FATAL"})
    clash = TelemetryStore(**{**store.__dict__, "log_table": LogTable.from_rows([row])})
    with pytest.raises(BundleError, match="log attribute 'level' would overwrite") as caught:
        export_bundle(clash, tmp_path / "out")
    assert str(caught.value).startswith(f"{tmp_path / 'out' / 'logs.jsonl'}: ")
    assert not (tmp_path / "out").exists()


def test_a_stated_kind_and_bad_when_are_obeyed(tmp_path):
    # `up` falling to 0 and staying there: declared a gauge, it is not read through a rate
    # (its values never fall except "by a reset" to 0, the shape of a counter), and a metric
    # declared bad when it rises is watched upwards only whatever its name says.
    from sources.counters import with_rates

    t0 = datetime(2026, 3, 15, 14, 0, tzinfo=UTC)
    rows = ["timestamp,metric,value"]
    for i in range(40):
        stamp = (t0 + timedelta(seconds=10 * i)).isoformat().replace("+00:00", "Z")
        rows += [f"{stamp},redis_up,{1 if i < 30 else 0}", f"{stamp},free_bytes,{100 + i}"]
    metrics = {
        "redis_up": {"service": "redis-cache", "kind": "gauge"},
        "free_bytes": {"service": "db", "kind": "gauge", "bad_when": "rises"},
    }
    write_bundle(tmp_path, manifest(metrics=metrics) | {"metrics.csv": "\n".join(rows) + "\n"})
    store = with_rates(load_bundle(tmp_path))
    up = store.series("redis_up")
    assert up.info.kind == "gauge" and up.info.unit is None
    assert up.values.tolist() == [1.0] * 30 + [0.0] * 10  # the values, not a rate
    assert store.metrics()["free_bytes"].bad_when == "rises"
