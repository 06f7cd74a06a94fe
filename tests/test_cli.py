"""The real CLI, run as a user would, in a temporary directory, with no key and no network."""

import json

import pytest

from tests.helpers import NOW_TEXT as NOW
from tests.helpers import cli, reports

REPORT_FIELDS = [
    "incident_id",
    "root_cause",
    "timeline",
    "affected_services",
    "remediation_steps",
    "confidence",
    "findings",
]


@pytest.mark.slow  # test_offline checks the same findings in-process; this, the real CLI
def test_default_run_writes_both_root_causes(tmp_path):
    run = cli(tmp_path, "--now", NOW)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    for marker in (
        "=== Incident Commander ===",
        "[1/4] Detecting anomalies...",
        "[2/4] Running MetricsAgent...",
        "[3/4] Running LogsAgent...",
        "[4/4] Running CommanderAgent (INVESTIGATE -> DECIDE -> ACT -> REPORT)...",
        "=== Incident Complete ===",
        "RCA written: rca_reports/incident_INC-20260315-001.md",
        "Confidence:",
        "Affected services:",
        "Upload skipped",
    ):
        assert marker in out, marker
    for metric in (
        "cpu_usage",
        "error_rate",
        "latency_p99",
        "checkout_latency_p99",
        "heap_usage_mb",
    ):
        assert f"- {metric} (" in out
    files = reports(tmp_path / "rca_reports")
    assert [p.name for p in files] == [
        "incident_INC-20260315-001.json",
        "incident_INC-20260315-001.md",
    ]
    report = json.loads(files[0].read_text())
    assert all(report[f] not in (None, "", []) for f in REPORT_FIELDS)
    assert 0 <= report["confidence"] <= 1
    triples = {(f["service"], f["category"], f["action"]) for f in report["findings"]}
    assert triples == {
        ("checkout-service", "config_change", "rollback"),
        ("worker-service", "memory_leak", "restart"),
    }
    assert set(report["usage"]) == {"metrics", "logs", "commander"}
    assert report["model"] == "offline" and report["fell_back"] is False


def test_second_run_gets_the_next_id_and_leaves_the_first_untouched(tmp_path):
    assert cli(tmp_path, "--now", NOW).returncode == 0
    first = {p: p.read_bytes() for p in reports(tmp_path / "rca_reports")}
    assert cli(tmp_path, "--now", NOW).returncode == 0
    after = reports(tmp_path / "rca_reports")
    assert len(after) == 4 and "incident_INC-20260315-002.md" in {p.name for p in after}
    assert all(p.read_bytes() == data for p, data in first.items())


@pytest.mark.parametrize(
    "args, env, needle",
    [
        (["--model", "no-such-provider:foo"], {}, "unknown model 'no-such-provider:foo'"),
        (["--model", "openrouter:anthropic/claude-sonnet-4-5"], {}, "needs OPENROUTER_API_KEY"),
        (["--incident-id", "../../escape"], {}, "--incident-id must be"),
        (["--scenario", "nope"], {}, "unknown scenario 'nope'"),
        (["--now", "2026-03-15T14:30:00"], {}, "needs a UTC offset"),
        (["--no-such-flag"], {}, "unrecognized arguments"),
        ([], {"ARTIFACTS_GCS_DIR": "s3://nope"}, "s3://nope"),
        (["--bundle", "does-not-exist"], {}, "does-not-exist"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, env, needle):
    now = [] if "--bundle" in args else ["--now", NOW]  # a bundle is its own clock
    run = cli(tmp_path, *now, *args, env=env)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = (run.stdout + run.stderr).strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], lines
    assert "Traceback" not in run.stderr
    assert list(tmp_path.rglob("*")) == [] or not reports(tmp_path / "rca_reports")
    assert not list(tmp_path.parent.glob("escape*"))


def test_fixed_incident_id_is_never_overwritten(tmp_path):
    assert cli(tmp_path, "--now", NOW, "--incident-id", "checkout-1").returncode == 0
    md = tmp_path / "rca_reports" / "incident_checkout-1.md"
    before = md.read_bytes()
    run = cli(tmp_path, "--now", NOW, "--incident-id", "checkout-1")
    assert run.returncode == 2 and "already exists" in run.stderr
    assert md.read_bytes() == before


def test_list_scenarios(tmp_path):
    run = cli(tmp_path, "--list-scenarios")
    assert run.returncode == 0
    names = [line.split()[0] for line in run.stdout.splitlines()]
    assert {"default", "checkout-config-bug", "worker-memory-leak"} <= set(names)


def test_upload_to_the_emulator_is_byte_identical(tmp_path, gcs_emulator):
    env = {
        "ARTIFACTS_GCS_DIR": f"gs://{gcs_emulator.bucket}/incidents",
        "STORAGE_EMULATOR_HOST": gcs_emulator.host,
    }
    run = cli(tmp_path, "--now", NOW, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    for local in reports(tmp_path / "rca_reports"):
        data, content_type = gcs_emulator.download(f"incidents/{local.name}")
        assert data == local.read_bytes()
        assert content_type.startswith(
            "application/json" if local.suffix == ".json" else "text/markdown"
        )


def test_upload_failure_keeps_the_local_report_and_exits_3(tmp_path, gcs_emulator_down):
    env = {"ARTIFACTS_GCS_DIR": "gs://reports/x", "STORAGE_EMULATOR_HOST": gcs_emulator_down}
    run = cli(tmp_path, "--now", NOW, env=env)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "could not upload" in run.stderr and "Traceback" not in run.stderr
    assert len(reports(tmp_path / "rca_reports")) == 2


def test_export_then_replay_gives_the_same_findings(tmp_path):
    bundle = tmp_path / "leak-bundle"
    assert (
        cli(
            tmp_path, "--now", NOW, "--scenario", "default", "--export-bundle", str(bundle)
        ).returncode
        == 0
    )
    assert (bundle / "bundle.json").exists() and (bundle / "expected.json").exists()
    direct = cli(tmp_path, "--now", NOW, "--output-dir", "direct")
    replay = cli(tmp_path, "--bundle", str(bundle), "--output-dir", "replay")
    assert direct.returncode == replay.returncode == 0, replay.stdout + replay.stderr

    def findings(directory):
        (path,) = (tmp_path / directory).glob("*.json")
        report = json.loads(path.read_text())
        return report["incident_id"], sorted(
            (f["service"], f["category"], f["action"]) for f in report["findings"]
        )

    assert findings("direct") == findings("replay")


def test_nothing_fires_exit_0_and_no_report(tmp_path):
    bundle = tmp_path / "flat"
    (bundle).mkdir()
    (bundle / "bundle.json").write_text(
        json.dumps(
            {
                "format": "incident-bundle/v1",
                "name": "flat",
                "metrics": {"queue_depth": {"service": "billing-worker"}},
            }
        )
    )
    rows = ["timestamp,metric,value"] + [
        f"2026-03-15T14:{m:02d}:{s:02d}Z,queue_depth,7" for m in range(30) for s in (0, 30)
    ]
    (bundle / "metrics.csv").write_text("\n".join(rows) + "\n")
    run = cli(tmp_path, "--bundle", str(bundle))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No anomaly fired" in run.stdout
    assert not reports(tmp_path / "rca_reports")


def test_default_run_on_the_wall_clock(tmp_path):
    # Without --now the data ends at the current time, with microseconds: the plain quick start.
    run = cli(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(reports(tmp_path / "rca_reports")) == 2
