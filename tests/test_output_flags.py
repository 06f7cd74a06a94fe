"""Machine output: --json (the report on stdout, the rest on stderr), --quiet, refused clashes."""

import json

import pytest

import main
from tests.helpers import NOW_TEXT, cli

SCENARIO = ("--scenario", "checkout-config-bug", "--now", NOW_TEXT)


def test_json_prints_the_report_alone_on_stdout(tmp_path):
    run = cli(tmp_path, *SCENARIO, "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    written = tmp_path / "rca_reports" / f"incident_{report['incident_id']}.json"
    assert report == json.loads(written.read_text())
    assert "Incident Commander" in run.stderr and "RCA written" in run.stderr


def test_quiet_prints_only_the_report_path(tmp_path):
    run = cli(tmp_path, *SCENARIO, "--quiet")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == "rca_reports/incident_INC-20260315-001.md\n"
    assert (tmp_path / run.stdout.strip()).is_file()


def test_a_clash_is_one_line_and_exit_2_from_the_cli(tmp_path):
    run = cli(tmp_path, "--json", "--quiet")
    assert run.returncode == 2
    assert run.stderr == "error: --json cannot go with --quiet\n" and run.stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["--bundle", "b", "--scenario", "quiet-hour"], "--bundle cannot go with --scenario"),
        (["--bundle", "b", "--now", NOW_TEXT], "--bundle cannot go with --now"),
        (["--bundle", "b", "--seed", "7"], "--bundle cannot go with --seed"),
        (["--bundle", "b", "--export-bundle", "x"], "--bundle cannot go with --export-bundle"),
        (["--bundles", "b", "--json"], "--json cannot go with it"),
        (["--bundles", "b", "--quiet"], "--quiet cannot go with it"),
    ],
)
def test_flags_that_clash_are_refused(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main.main(args) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing written
