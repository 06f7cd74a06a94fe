"""Malformed bundles through the CLI's entry point: exit 2, one line naming the file, no report."""

import json
import shutil
from pathlib import Path

import pytest

import main
import scenarios
from sources.bundle import export_bundle
from tests.helpers import NOW


@pytest.fixture(scope="module")
def good_bundle(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("bundles") / "good"
    store, expected = scenarios.get("checkout-config-bug").build(NOW, 3)
    export_bundle(store, directory, expected)
    return directory


def _edit_lines(path: Path, line: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")


def _manifest(path: Path, **changes) -> None:
    doc = json.loads((path / "bundle.json").read_text())
    doc.update(changes)
    (path / "bundle.json").write_text(json.dumps(doc))


MALFORMED = {
    "no manifest": (lambda b: (b / "bundle.json").unlink(), "bundle.json"),
    "no metrics": (lambda b: (b / "metrics.csv").unlink(), "metrics.csv"),
    "wrong format": (lambda b: _manifest(b, format="incident-bundle/v9"), "bundle.json"),
    "bad name": (lambda b: _manifest(b, name="Bad Name!"), "bundle.json"),
    "trigger type": (lambda b: _manifest(b, trigger={"window_seconds": "5m"}), "bundle.json"),
    "non-numeric": (
        lambda b: _edit_lines(b / "metrics.csv", 5, "2026-03-15T13:31:00Z,error_rate,lots"),
        "metrics.csv:5",
    ),
    "nan": (
        lambda b: _edit_lines(b / "metrics.csv", 6, "2026-03-15T13:31:00Z,error_rate,nan"),
        "metrics.csv:6",
    ),
    "no offset": (
        lambda b: _edit_lines(b / "metrics.csv", 7, "2026-03-15T13:31:00,error_rate,1.0"),
        "metrics.csv:7",
    ),
    "undeclared": (
        lambda b: _edit_lines(b / "metrics.csv", 8, "2026-03-15T13:31:00Z,mystery_metric,1.0"),
        "metrics.csv:8",
    ),
    "duplicate": (
        lambda b: _edit_lines(
            b / "metrics.csv", 3, (b / "metrics.csv").read_text().splitlines()[1]
        ),
        "metrics.csv:3",
    ),
    "broken log line": (
        lambda b: _edit_lines(b / "logs.jsonl", 4, '{"timestamp": '),
        "logs.jsonl:4",
    ),
    "bad level": (
        lambda b: _edit_lines(
            b / "logs.jsonl",
            2,
            json.dumps(
                {
                    "timestamp": "2026-03-15T13:31:00Z",
                    "service": "x",
                    "level": "LOUD",
                    "message": "m",
                }
            ),
        ),
        "logs.jsonl:2",
    ),
    "escaping commit": (
        lambda b: (b / "deploys.json").write_text(
            json.dumps(
                [
                    {
                        "service": "x",
                        "version": "1",
                        "commit": "../../etc/passwd",
                        "deployed_at": "2026-03-15T13:00:00Z",
                    }
                ]
            )
        ),
        "deploys.json",
    ),
    "deploys not a list": (lambda b: (b / "deploys.json").write_text("{}"), "deploys.json"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_bundle_is_refused(case, good_bundle, tmp_path, capsys, monkeypatch):
    bundle = tmp_path / "bundle"
    shutil.copytree(good_bundle, bundle)
    breaks, where = MALFORMED[case]
    breaks(bundle)
    monkeypatch.chdir(tmp_path)
    code = main.main(["--bundle", str(bundle)])
    out, err = capsys.readouterr()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and where in lines[0], lines
    assert "Traceback" not in out + err and "Incident Commander" not in out
    assert not (tmp_path / "rca_reports").exists()


def test_the_good_bundle_itself_is_investigated(good_bundle, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main.main(["--bundle", str(good_bundle)]) == 0
    assert len(list((tmp_path / "rca_reports").glob("incident_*"))) == 2
