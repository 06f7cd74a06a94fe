"""The real CLI on live sources: a real Prometheus loaded with a built-in incident gives the same
findings through --config as the same incident through --bundle; so does the payload a real
Alertmanager posts, through --alert; and a live window exported with --export-bundle replays."""

import json
from pathlib import Path

import httpx2 as httpx
import numpy as np
import pytest

pytest.register_assert_rewrite("tests.live_servers")  # before its import below

import main  # noqa: E402
import scenarios  # noqa: E402
from sources.bundle.reader import load_bundle  # noqa: E402
from sources.bundle.writer import export_bundle  # noqa: E402
from tests.helpers import NOW, cli, reports  # noqa: E402
from tests.live_servers import (  # noqa: E402
    alertmanager,
    bundle_config,
    bundle_points,
    free_port,
    prometheus,
    require_alertmanager,
    require_prometheus,
    webhook_receiver,
)

pytest_plugins = ["tests.live_servers"]

FROM, TO = "2026-03-15T13:30:00Z", "2026-03-15T14:30:00Z"
WINDOW = ("--from", FROM, "--to", TO)
NO_LIVE_ENV = {"INCIDENT_COMMANDER_CONFIG": "", "INCIDENT_COMMANDER_ALERT": ""}


def run(cwd: Path, *args: str, env: dict | None = None):
    """The real CLI in a subprocess."""
    return cli(cwd, "--model", "offline", *args, env={**NO_LIVE_ENV, **(env or {})})


@pytest.fixture
def in_process(tmp_path, monkeypatch, capsys):
    """main.main in this process (no interpreter start-up): (exit code, stderr lines)."""
    monkeypatch.chdir(tmp_path)
    for name in NO_LIVE_ENV:
        monkeypatch.delenv(name, raising=False)

    def call(*args: str) -> tuple[int, list[str]]:
        code = main.main(["--model", "offline", *args])
        return code, capsys.readouterr().err.strip().splitlines()

    return call


def findings(directory: Path) -> list[tuple[str, str, str]]:
    [path] = [p for p in reports(directory) if p.suffix == ".json"]
    doc = json.loads(path.read_text())
    return sorted((f["service"], f["category"], f["action"]) for f in doc["findings"])


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    """(bundle, config, bundle findings): checkout-config-bug in a running Prometheus."""
    require_prometheus()
    root = tmp_path_factory.mktemp("live-cli")
    bundle = root / "bundle"
    store, expected = scenarios.get("checkout-config-bug").build(NOW, 42)
    export_bundle(store, bundle, expected)
    # In this process: the bundle side is the reference, not what is under test.
    assert (
        main.main(
            ["--model", "offline", "--bundle", str(bundle), "--output-dir", str(root / "by-bundle")]
        )
        == 0
    )
    with prometheus(root / "prometheus", bundle_points(bundle)) as server:
        config = root / "live.toml"
        config.write_text(bundle_config(bundle, server.url, '[alerts]\nlookback = "35m"\n'))
        yield bundle, config, findings(root / "by-bundle")


def test_the_live_window_gives_the_bundles_findings(incident, tmp_path):
    _, config, expected = incident
    done = run(tmp_path, "--config", str(config), *WINDOW)
    assert done.returncode == 0, done.stderr
    assert findings(tmp_path / "rca_reports") == expected
    assert expected == [("checkout-service", "config_change", "rollback")]


def test_an_exported_live_window_replays_with_the_same_findings(incident, tmp_path):
    bundle, config, expected = incident
    exported = tmp_path / "exported"
    done = run(tmp_path, "--config", str(config), *WINDOW, "--export-bundle", str(exported))
    assert done.returncode == 0, done.stderr
    assert not reports(tmp_path / "rca_reports")  # an export investigates nothing
    original, replayed = load_bundle(bundle), load_bundle(exported)
    for name, series in original.metric_series.items():
        assert np.array_equal(series.values, replayed.series(name).values)
        assert np.array_equal(series.timestamps, replayed.series(name).timestamps)
    assert len(replayed.logs()) == len(original.logs())
    assert replayed.deploys() == original.deploys() and replayed.diffs == original.diffs
    assert (
        main.main(
            [
                "--model",
                "offline",
                "--bundle",
                str(exported),
                "--output-dir",
                str(tmp_path / "replayed"),
            ]
        )
        == 0
    )
    assert findings(tmp_path / "replayed") == expected


def test_an_unreachable_prometheus_is_exit_2_and_writes_nothing(incident, tmp_path, in_process):
    _, config, _ = incident
    url = f"http://127.0.0.1:{free_port()}"
    broken = tmp_path / "broken.toml"
    text = config.read_text()
    start = text.index('url = "') + len('url = "')
    broken.write_text(text[:start] + url + text[text.index('"', start) :])
    code, [line] = in_process("--config", str(broken), *WINDOW)
    assert code == 2
    assert line.startswith(f"error: prometheus {url}/api/v1/query_range is unreachable")
    assert not reports(tmp_path / "rca_reports")


@pytest.mark.parametrize(
    "args, expected",
    [
        (("--since", "3 hours"), "--since: not a duration"),
        (("--from", "2026-03-15T13:30:00"), "needs a UTC offset"),
        (("--since", "1h", "--from", FROM), "conflicts"),
    ],
)
def test_bad_windows_are_exit_2(incident, in_process, args, expected):
    code, [line] = in_process("--config", str(incident[1]), *args)
    assert code == 2 and expected in line


@pytest.fixture(scope="module")
def alert_payload(tmp_path_factory) -> str:
    """The webhook a real Alertmanager posts for a checkout alert that started at 14:05."""
    require_alertmanager()
    with (
        webhook_receiver() as receiver,
        alertmanager(tmp_path_factory.mktemp("am"), receiver.url) as server,
    ):
        alert = {
            "labels": {
                "alertname": "CheckoutLatencyHigh",
                "service": "checkout-service",
                "query": 'x"} or vector(1) #\n{',  # hostile: must never reach a query
            },
            "annotations": {"summary": "p99 latency above 2 s"},
            "startsAt": "2026-03-15T14:05:00Z",
            "generatorURL": "http://prometheus.example.invalid/graph",
        }
        httpx.post(f"{server.url}/api/v2/alerts", json=[alert]).raise_for_status()
        return receiver.payloads.get(timeout=15).decode()


def test_the_alertmanager_payload_drives_the_investigation(incident, alert_payload, tmp_path):
    _, config, expected = incident
    (tmp_path / "alert.json").write_text(alert_payload)
    done = run(tmp_path, "--config", str(config), "--alert", "alert.json", "--to", TO)
    assert done.returncode == 0, done.stderr
    assert findings(tmp_path / "rca_reports") == expected
    # The report records where the data came from and the alert that started it.
    [path] = [p for p in reports(tmp_path / "rca_reports") if p.suffix == ".json"]
    sources = json.loads(path.read_text())["sources"]
    assert sources["sources"]["prometheus"].startswith("http://127.0.0.1:")
    [alert] = sources["alerts"]
    assert (alert["alertname"], alert["status"]) == ("CheckoutLatencyHigh", "firing")
    assert "**Alert:** CheckoutLatencyHigh (firing" in path.with_suffix(".md").read_text()


def test_config_and_alert_from_the_environment_as_in_cloud_run(incident, alert_payload, tmp_path):
    _, config, expected = incident
    env = {"INCIDENT_COMMANDER_CONFIG": str(config), "INCIDENT_COMMANDER_ALERT": alert_payload}
    done = run(tmp_path, "--to", TO, env=env)
    assert done.returncode == 0, done.stderr
    assert findings(tmp_path / "rca_reports") == expected


def test_a_bad_alert_payload_is_exit_2(incident, tmp_path, in_process):
    (tmp_path / "alert.json").write_text('{"version": "3", "alerts": []}')
    code, lines = in_process("--config", str(incident[1]), "--alert", "alert.json")
    assert code == 2
    assert lines == [
        'error: alert.json: version = "3": an Alertmanager webhook payload of version "4" '
        "is expected"
    ]


def test_a_burst_of_alerts_is_one_execution_shared_over_the_tasks(
    incident, alert_payload, tmp_path
):
    """--alert on a JSON list (or a directory) of payloads: one incident each; with Cloud
    Run's task variables each task takes its share, as with --bundles."""
    _, config, expected = incident
    (tmp_path / "burst.json").write_text(f"[{alert_payload}, {alert_payload}]")
    done = run(tmp_path, "--config", str(config), "--alert", "burst.json", "--to", TO)
    assert done.returncode == 0, done.stderr
    written = [p for p in reports(tmp_path / "rca_reports") if p.suffix == ".json"]
    assert len(written) == 2
    for path in written:
        doc = json.loads(path.read_text())
        assert sorted((f["service"], f["category"], f["action"]) for f in doc["findings"]) == (
            expected
        )
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in ("a.json", "b.json", "c.json"):
        (pages / name).write_text(alert_payload)
    env = {"CLOUD_RUN_TASK_INDEX": "1", "CLOUD_RUN_TASK_COUNT": "2"}
    args = ("--config", str(config), "--alert", str(pages), "--to", TO, "--output-dir", "t1")
    done = run(tmp_path, *args, env=env)
    assert done.returncode == 0, done.stderr
    assert len([p for p in reports(tmp_path / "t1") if p.suffix == ".json"]) == 1  # b only
