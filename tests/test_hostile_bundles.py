"""Hostile bundles (issue 14): files that leave the bundle, special files, oversized files,
secrets and escapes in refused values, lone surrogates, extreme numbers, deep JSON, NUL cells,
timestamps at the ends of the calendar. Bad input is one line and exit 2, never a traceback.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

import scenarios
from errors import BundleError
from sources import files
from sources.bundle import export_bundle, load_bundle, load_expected
from tests.helpers import NOW, cli, reports

API_KEY = "sk-or-v1-" + "9a8b7c6d5e4f3a2b1c0d" * 3
ENV_LINE = f"OPENROUTER_API_KEY={API_KEY}\n"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("hostile") / "bundle"
    store, expected = scenarios.get("checkout-config-bug").build(NOW, 42)
    export_bundle(store, directory, expected)
    return directory


@pytest.fixture
def bundle(exported, tmp_path) -> Path:
    return Path(shutil.copytree(exported, tmp_path / "bundle"))


def refusal(directory: Path) -> str:
    with pytest.raises(BundleError) as caught:
        load_bundle(directory)
    message = str(caught.value)
    assert "\n" not in message
    return message


def assert_cli_refuses(directory: Path, tmp_path: Path, *fragments: str) -> str:
    run = cli(tmp_path, "--bundle", str(directory), "--output-dir", "out", "--model", "offline")
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2, run.stderr[-2000:]
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert not reports(tmp_path / "out")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def edit_json(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    path.write_text(json.dumps(change(doc) or doc))


def add_log(directory: Path, line: str | dict) -> None:
    text = line if isinstance(line, str) else json.dumps(line)
    with (directory / "logs.jsonl").open("a") as f:
        f.write(text + "\n")


def add_metric_row(directory: Path, row: str) -> None:
    with (directory / "metrics.csv").open("a") as f:
        f.write(row + "\n")


LOG = {"timestamp": "2026-03-15T14:10:00Z", "service": "checkout-service", "level": "ERROR"}


# 1. Files that leave the bundle, files that are no files, files too large


@pytest.mark.parametrize(
    "name", ["bundle.json", "metrics.csv", "logs.jsonl", "deploys.json", "diffs/a1b2c3d.diff"]
)
def test_a_file_linked_outside_the_bundle_is_refused_unread(bundle, tmp_path, name):
    outside = tmp_path / "credentials"
    outside.write_text(ENV_LINE)
    (bundle / name).unlink()
    (bundle / name).symlink_to(outside)
    message = refusal(bundle)
    assert message.startswith(f"{bundle / name}: ") and "outside the bundle" in message
    assert API_KEY[9:] not in message


def test_expected_json_linked_outside_is_refused(bundle, tmp_path):
    (tmp_path / "x.json").write_text('{"incident": true}')
    (bundle / "expected.json").unlink()
    (bundle / "expected.json").symlink_to(tmp_path / "x.json")
    with pytest.raises(BundleError, match="outside the bundle"):
        load_expected(bundle)


def test_a_link_inside_the_bundle_is_followed(bundle):
    (bundle / "logs.jsonl").rename(bundle / "real.jsonl")
    (bundle / "logs.jsonl").symlink_to("real.jsonl")
    assert len(load_bundle(bundle).logs()) > 0


def test_metrics_linked_to_the_process_environment_leaks_nothing(bundle, tmp_path):
    (bundle / "metrics.csv").unlink()
    (bundle / "metrics.csv").symlink_to("/proc/self/environ")
    run = cli(tmp_path, "--bundle", str(bundle), "--model", "offline", env={"X_KEY": API_KEY})
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "outside the bundle" in run.stderr
    assert API_KEY[9:] not in run.stderr + run.stdout


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_is_refused(bundle, target):
    (bundle / "logs.jsonl").unlink()
    (bundle / "logs.jsonl").symlink_to(target)
    assert "outside the bundle" in refusal(bundle)


def test_a_fifo_is_refused_without_waiting(bundle):
    (bundle / "logs.jsonl").unlink()
    os.mkfifo(bundle / "logs.jsonl")
    assert "not a regular file (a FIFO)" in refusal(bundle)


def test_a_directory_is_refused(bundle):
    (bundle / "deploys.json").unlink()
    (bundle / "deploys.json").mkdir()
    assert "not a regular file (a directory)" in refusal(bundle)


def test_a_link_loop_is_one_line(bundle):
    (bundle / "deploys.json").unlink()
    (bundle / "deploys.json").symlink_to("deploys.json")
    assert refusal(bundle).startswith(f"{bundle / 'deploys.json'}: ")


def test_a_file_over_its_cap_is_refused(bundle, monkeypatch):
    monkeypatch.setitem(files.CAPS, "logs", 1000)
    assert "over the" in refusal(bundle)


def test_a_file_that_lies_about_its_size_is_read_no_further_than_its_cap(monkeypatch):
    # /proc files say they are empty; the read stops one byte past the cap all the same.
    monkeypatch.setitem(files.CAPS, "manifest", 8)
    with pytest.raises(BundleError, match="over the"):
        files.read_input(Path("/proc/self"), Path("/proc/self/environ"), "manifest")


def test_a_missing_optional_file_is_none(tmp_path):
    assert files.read_input(tmp_path, tmp_path / "logs.jsonl", "logs", required=False) is None


# Errors quote what they refuse only redacted, clipped and escaped


@pytest.mark.parametrize(
    ("edit", "secret"),
    [
        (lambda b: (b / "metrics.csv").write_text(ENV_LINE * 50), API_KEY[9:]),
        (lambda b: add_metric_row(b, f"{API_KEY},cpu_usage,1"), API_KEY[9:]),
        (lambda b: add_metric_row(b, f"2026-03-15T14:00:00Z,password={API_KEY},1"), API_KEY[9:]),
        (lambda b: add_log(b, LOG | {"message": "m", "level": f"token={API_KEY}"}), API_KEY[9:]),
        (lambda b: edit_json(b / "bundle.json", lambda d: d.update(name=API_KEY)), API_KEY[9:]),
        (lambda b: edit_json(b / "bundle.json", lambda d: d.update(format=ENV_LINE)), API_KEY[9:]),
    ],
)
def test_a_refused_value_is_quoted_redacted(bundle, edit, secret):
    edit(bundle)
    message = refusal(bundle)
    assert secret not in message
    assert len(message) < len(str(bundle)) + 250


def test_a_refused_value_is_quoted_escaped(bundle, tmp_path):
    add_log(bundle, LOG | {"message": "m", "level": "\x1b]52;c;aGk=\x07\u202e\u200bINFO"})
    line = assert_cli_refuses(bundle, tmp_path, "unknown level")
    assert not any(c in line for c in "\x1b\x07\u202e\u200b")


# 4/7. Text and numbers that used to crash the run


def test_lone_surrogates_are_replaced_on_the_way_in(bundle, tmp_path):
    add_log(
        bundle,
        '{"timestamp": "2026-03-15T14:10:00Z", "service": "checkout-service", '
        '"level": "ERROR", "message": "bad \\ud800 text"}',
    )
    add_log(
        bundle,
        '{"timestamp": "2026-03-15T14:10:01Z", "service": "svc\\udfff", '
        '"level": "ERROR", "message": "x", "k\\ud800": "v\\udbff"}',
    )
    edit_json(bundle / "bundle.json", lambda d: d.update(description="d \ud800"))
    store = load_bundle(bundle)
    assert "svc\ufffd" in store.logs().service_names
    assert "bad \ufffd text" in set(store.logs().messages)
    run = cli(tmp_path, "--bundle", str(bundle), "--output-dir", "out", "--model", "offline")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    for path in reports(tmp_path / "out"):
        path.read_text(encoding="utf-8")


@pytest.mark.parametrize("value", [pytest.param("1e308", marks=pytest.mark.slow), "-1e308"])
def test_huge_finite_values_load_and_do_not_crash(bundle, tmp_path, value):
    rows = (bundle / "metrics.csv").read_text().splitlines()
    for i in range(1, len(rows), 40):
        stamp, metric, _ = rows[i].split(",")
        rows[i] = f"{stamp},{metric},{value}"
    (bundle / "metrics.csv").write_text("\n".join(rows) + "\n")
    run = cli(tmp_path, "--bundle", str(bundle), "--output-dir", "out", "--model", "offline")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("log", "NaN"),
        ("log", "Infinity"),
        ("log", "-Infinity"),
        ("log", "1e400"),
        ("deploy", "1e999"),
        ("manifest", "-1e400"),
    ],
)
def test_non_finite_json_numbers_are_refused(bundle, where, text):
    if where == "log":
        add_log(bundle, json.dumps(LOG | {"message": "m"})[:-1] + f', "latency": {text}}}')
    elif where == "deploy":
        doc = (bundle / "deploys.json").read_text()
        (bundle / "deploys.json").write_text(doc.replace('"author"', f'"size": {text}, "author"'))
    else:
        doc = (bundle / "bundle.json").read_text()
        (bundle / "bundle.json").write_text(doc.replace('"metrics"', f'"x": {text}, "metrics"'))
    assert "is not finite" in refusal(bundle)


def test_a_number_too_long_for_python_is_one_line(bundle):
    add_log(bundle, json.dumps(LOG | {"message": "m"})[:-1] + f', "n": {"7" * 5000}}}')
    assert "too long" in refusal(bundle)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("window_seconds", "1e308"),
        ("window_seconds", "1" + "0" * 400),
        ("window_seconds", "1e400"),
        ("window_seconds", "NaN"),
        ("window_seconds", "0"),
        ("threshold_multiplier", "1e308"),
        ("threshold_multiplier", "-1" + "0" * 400),
    ],
)
def test_trigger_overrides_out_of_range_are_refused(bundle, key, text):
    doc = (bundle / "bundle.json").read_text()
    (bundle / "bundle.json").write_text(
        doc.replace('"metrics"', f'"trigger": {{"{key}": {text}}}, "metrics"')
    )
    message = refusal(bundle)
    assert f"trigger.{key}" in message or "not finite" in message


def test_a_huge_trigger_override_is_one_line_from_the_cli(bundle, tmp_path):
    doc = (bundle / "bundle.json").read_text()
    big = "1" + "0" * 400
    (bundle / "bundle.json").write_text(
        doc.replace('"metrics"', f'"trigger": {{"window_seconds": {big}}}, "metrics"')
    )
    assert_cli_refuses(bundle, tmp_path, "trigger.window_seconds")


def test_trigger_overrides_in_range_still_load(bundle):
    edit_json(bundle / "bundle.json", lambda d: d.update(trigger={"window_seconds": 600}))
    assert load_bundle(bundle).trigger == {"window_seconds": 600}


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("name", ["bundle.json", "deploys.json", "logs.jsonl"])
def test_json_nested_100000_deep_is_one_line(bundle, name):
    (bundle / name).write_text(DEEP + "\n")
    assert "nested more than" in refusal(bundle)


def test_expected_json_nested_deep_is_one_line(bundle):
    (bundle / "expected.json").write_text('{"incident": ' + DEEP + "}")
    with pytest.raises(BundleError, match="nested more than"):
        load_expected(bundle)


@pytest.mark.parametrize("depth", [65, 990])
def test_log_attributes_nested_deep_are_refused(bundle, depth):
    add_log(
        bundle,
        json.dumps(LOG | {"message": "m"})[:-1] + ', "a": ' + "[" * depth + "]" * depth + "}",
    )
    assert "nested more than 64" in refusal(bundle)


def test_log_attributes_nested_reasonably_load(bundle):
    add_log(bundle, LOG | {"message": "m", "a": {"b": [[{"c": 1}]]}})
    assert load_bundle(bundle).logs().attributes is not None


def test_deep_json_is_one_line_from_the_cli(bundle, tmp_path):
    add_log(
        bundle, json.dumps(LOG | {"message": "m"})[:-1] + ', "a": ' + "[" * 990 + "]" * 990 + "}"
    )
    assert_cli_refuses(bundle, tmp_path, "logs.jsonl:", "nested")


@pytest.mark.parametrize(
    "row",
    [
        "2026-03-15T14:00:00Z,cpu_usage\0,1",  # padded like a shorter name: once accepted
        "2026-03-15T14:00:00Z,cpu_usage,1\0",
        "2026-03-15T14:00:00Z\0,cpu_usage,1",
    ],
)
def test_a_nul_in_a_metrics_cell_is_refused(bundle, row):
    add_metric_row(bundle, row)
    assert "NUL byte" in refusal(bundle)


STAMPS = [
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59+23:59",
    "0001-01-01 00:00:00+2359",
    "9999-12-31T23:59:59.999999-2359",
]


@pytest.mark.parametrize("stamp", STAMPS)
@pytest.mark.parametrize("where", ["metrics", "log", "deploy"])
def test_timestamps_at_the_ends_of_the_calendar_are_one_line(bundle, where, stamp):
    if where == "metrics":
        add_metric_row(bundle, f"{stamp},cpu_usage,1")
    elif where == "log":
        add_log(bundle, LOG | {"timestamp": stamp, "message": "m"})
    else:
        edit_json(bundle / "deploys.json", lambda d: d[0].update(deployed_at=stamp))
    message = refusal(bundle)
    assert "outside the years" in message or "not ISO 8601" in message


def test_an_extreme_timestamp_is_one_line_from_the_cli(bundle, tmp_path):
    add_metric_row(bundle, "9999-12-31T23:59:59-23:59,cpu_usage,1")
    assert_cli_refuses(bundle, tmp_path, "metrics.csv:", "outside the years")
