"""Many incidents at once: Cloud Run task shares, --concurrency, and reports never overwritten."""

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from gcp_storage_emulator.handlers import objects

import main
import scenarios
from agents.llm import choose
from errors import UploadError, UsageError
from evals.__main__ import main as evals_main
from pipeline.batch import Job, bundle_job, run_batch, shard, task_share
from sinks.files import LocalFiles
from sinks.gcs import GcsTarget, ReportExists, upload_reports
from sources.bundle import export_bundle
from tests.helpers import NOW, ROOT

pytest_plugins = ["tests.gcs_emulator"]

SCENARIOS = ["checkout-config-bug", "worker-memory-leak"]  # the quickest to investigate
LINE = re.compile(r"^(b\d\d-[\w-]+): reported; (INC-\d{8}-\d{3}): (\S+), (gs://\S+)$", re.M)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> Path:
    """12 bundles b00..b11, each named after its directory (evals want unique names)."""
    root = tmp_path_factory.mktemp("bundles")
    source = tmp_path_factory.mktemp("source")
    for name in SCENARIOS:
        telemetry, expected = scenarios.get(name).build(NOW, 42)
        export_bundle(telemetry, source / name, expected)
    for i in range(12):
        name = f"b{i:02d}-{SCENARIOS[i % 2]}"
        shutil.copytree(source / SCENARIOS[i % 2], root / name)
        manifest = root / name / "bundle.json"
        doc = json.loads(manifest.read_text())
        manifest.write_text(json.dumps({**doc, "name": name}, indent=2))
    return root


def cli_processes(
    cwd: Path, runs: list[tuple[list[str], dict]]
) -> list[subprocess.CompletedProcess]:
    """The real CLI, several processes at once; returns them finished, in order."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENROUTER", "CLOUD_RUN"))}
    base |= {"COLUMNS": "300", "INCIDENT_COMMANDER_MODEL": "offline"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), *args],
            cwd=cwd,
            env={**base, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args, env in runs
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


def execution(tmp_path: Path, bundles: Path, gcs, name: str, tasks: int = 4) -> list[tuple]:
    """One Cloud Run Job execution: `tasks` tasks, each with its own (container) output dir."""
    env = {"STORAGE_EMULATOR_HOST": gcs.host, "ARTIFACTS_GCS_DIR": "gs://reports/runs"}
    runs = [
        (
            ["--bundles", str(bundles), "--output-dir", str(tmp_path / f"{name}-{i}")],
            env | {"CLOUD_RUN_TASK_INDEX": str(i), "CLOUD_RUN_TASK_COUNT": str(tasks)},
        )
        for i in range(tasks)
    ]
    reported = []
    for i, run in enumerate(cli_processes(tmp_path, runs)):
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Done: 3 incidents: 3 reported, 0 failed; exit 0" in run.stdout
        reported += [(i, *m) for m in LINE.findall(run.stdout)]
    return reported


# Slow (about 45 s: two 4-task executions); CI runs it (`pytest -m slow`). The id clash it
# proves is also covered by test_two_tasks_forced_onto_the_same_id_keep_both_reports.
@pytest.mark.slow
def test_four_tasks_share_twelve_bundles_and_never_overwrite(tmp_path, bundles, gcs_emulator):
    first = execution(tmp_path, bundles, gcs_emulator, "first")
    names = sorted(p.name for p in bundles.iterdir())
    # Each incident exactly once, by the task whose share it is (i, i+4, i+8).
    assert sorted(r[1] for r in first) == names
    assert all(names.index(bundle) % 4 == task for task, bundle, *_ in first)
    ids = [r[2] for r in first]
    assert len(set(ids)) == 12
    objects_after_first = gcs_emulator.objects("runs/")
    assert sorted(objects_after_first) == sorted(
        f"runs/incident_{i}.{ext}" for i in ids for ext in ("md", "json")
    )
    for _, _, incident_id, md_path, uri in first:  # GCS holds what each task wrote locally
        md = Path(md_path)
        assert uri == f"gs://reports/runs/incident_{incident_id}.md"
        for path in (md, md.with_suffix(".json")):
            assert objects_after_first[f"runs/{path.name}"][1] == path.read_bytes()
        assert json.loads(md.with_suffix(".json").read_text())["incident_id"] == incident_id

    second = execution(tmp_path, bundles, gcs_emulator, "second")
    assert sorted(r[1] for r in second) == names
    after = gcs_emulator.objects("runs/")
    assert len(after) == 48 and len({r[2] for r in first + second}) == 24
    assert {k: after[k] for k in objects_after_first} == objects_after_first  # same generations


def test_two_tasks_forced_onto_the_same_id_keep_both_reports(
    tmp_path, bundles, gcs_emulator, monkeypatch
):
    # A runtime account with objectCreator alone cannot list: both tasks start from 001,
    # and only the create-only upload tells them apart.
    listing = [False]

    def forbidden(request, response, storage, *args, **kwargs):
        if listing[0]:
            return ls(request, response, storage, *args, **kwargs)
        response.status = HTTPStatus.FORBIDDEN
        response.json({"error": {"code": 403, "message": "no storage.objects.list"}})

    ls = objects.ls

    monkeypatch.setattr(objects, "ls", forbidden)
    from gcp_storage_emulator import server

    for _, handlers in server.HANDLERS:
        for method, handler in list(handlers.items()):
            if getattr(handler, "__name__", "") == "ls":
                monkeypatch.setitem(handlers, method, forbidden)
    one = tmp_path / "one"
    one.mkdir()
    shutil.copytree(bundles / "b00-checkout-config-bug", one / "b00-checkout-config-bug")
    env = {"STORAGE_EMULATOR_HOST": gcs_emulator.host, "ARTIFACTS_GCS_DIR": "gs://reports/x"}
    runs = [(["--bundles", str(one), "--output-dir", str(tmp_path / d)], env) for d in "ab"]
    done = cli_processes(tmp_path, runs)
    assert [r.returncode for r in done] == [0, 0], [r.stderr for r in done]
    ids = sorted(m[1] for r in done for m in LINE.findall(r.stdout))
    assert ids == ["INC-20260315-001", "INC-20260315-002"]
    listing[0] = True
    stored = gcs_emulator.objects("x/")
    assert sorted(stored) == [f"x/incident_{i}.{e}" for i in ids for e in ("json", "md")]
    for d in "ab":  # each task's local files are what GCS holds, under the id it settled on
        (md,) = (tmp_path / d).glob("*.md")
        assert stored[f"x/{md.name}"][1] == md.read_bytes()
        assert len(list((tmp_path / d).iterdir())) == 2


def test_reports_are_byte_identical_whatever_the_concurrency(tmp_path, bundles):
    jobs = [bundle_job(d) for d in sorted(bundles.iterdir())[:4]]

    def files(k: int) -> dict[str, bytes]:
        out = tmp_path / f"k{k}"
        result = asyncio.run(
            run_batch(jobs, lambda: [LocalFiles(out)], k, model=lambda: choose("offline", {}))
        )
        assert result.exit_code == 0 and len(result.outcomes) == 4
        return {p.name: p.read_bytes() for p in out.iterdir()}

    one, four = files(1), files(4)
    assert len(one) == 8 and one == four


def test_a_failed_incident_fails_the_task_after_the_others(tmp_path, bundles):
    def broken() -> None:
        raise UsageError("broken.json: not a bundle")

    jobs = [Job("broken", broken), *(bundle_job(d) for d in sorted(bundles.iterdir())[:2])]
    seen = []

    class Seen:
        def finished(self, outcome) -> None:
            seen.append(outcome.name)

    result = asyncio.run(
        run_batch(
            jobs, lambda: [LocalFiles(tmp_path)], 2, Seen(), model=lambda: choose("offline", {})
        )
    )
    assert [o.status for o in result.outcomes] == ["failed", "reported", "reported"]
    assert result.exit_code == 1 and sorted(seen) == sorted(j.name for j in jobs)
    assert result.summary() == "3 incidents: 2 reported, 1 failed; exit 1"

    class FailingUpload:
        def deliver(self, delivery) -> None:
            raise UploadError("could not upload gs://reports/x: ConnectionError")

    result = asyncio.run(
        run_batch(
            jobs[1:],
            lambda: [LocalFiles(tmp_path), FailingUpload()],
            model=lambda: choose("offline", {}),
        )
    )
    assert [o.status for o in result.outcomes] == ["upload failed", "upload failed"]
    assert result.exit_code == 3


def test_cli_bad_bundle_exit_1_after_the_rest(tmp_path, bundles):
    mixed = tmp_path / "mixed"
    shutil.copytree(bundles / "b01-worker-memory-leak", mixed / "b01")
    (mixed / "a-not-a-bundle").mkdir()
    (run,) = cli_processes(tmp_path, [(["--bundles", str(mixed)], {})])
    assert run.returncode == 1, run.stdout + run.stderr
    assert "a-not-a-bundle: failed;" in run.stdout and "b01: reported;" in run.stdout
    assert "Done: 2 incidents: 1 reported, 1 failed; exit 1" in run.stdout


@pytest.mark.parametrize(
    ("env", "share"),
    [({}, (0, 1)), ({"CLOUD_RUN_TASK_INDEX": "3", "CLOUD_RUN_TASK_COUNT": "4"}, (3, 4))],
)
def test_task_share(env, share):
    assert task_share(env) == share


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"CLOUD_RUN_TASK_INDEX": "4", "CLOUD_RUN_TASK_COUNT": "4"}, "from 0 to 3, got '4'"),
        ({"CLOUD_RUN_TASK_INDEX": "-1", "CLOUD_RUN_TASK_COUNT": "4"}, "got '-1'"),
        ({"CLOUD_RUN_TASK_INDEX": "0", "CLOUD_RUN_TASK_COUNT": "0"}, ">= 1, got '0'"),
        ({"CLOUD_RUN_TASK_INDEX": "x", "CLOUD_RUN_TASK_COUNT": "2"}, "got 'x'"),
        ({"CLOUD_RUN_TASK_COUNT": "2"}, "CLOUD_RUN_TASK_INDEX is not set"),
    ],
)
def test_bad_task_variables_are_exit_2(env, needle, bundles, monkeypatch, capsys):
    for key in ("CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main.main(["--bundles", str(bundles), "--model", "offline"]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "extra",
    [
        ["--bundle", "x"],
        ["--scenario", "quiet-hour"],
        ["--now", "2026-03-15T14:30:00Z"],
        ["--incident-id", "A1"],
        ["--seed", "7"],
        ["--export-bundle", "x"],
    ],
)
def test_conflicting_flags_are_exit_2(extra, bundles, tmp_path, capsys):
    args = ["--bundles", str(bundles), "--output-dir", str(tmp_path / "out"), *extra]
    assert main.main([*args, "--model", "offline"]) == 2
    assert f"{extra[0]} cannot go with it" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_concurrency_needs_bundles(capsys):
    assert main.main(["--concurrency", "2", "--model", "offline"]) == 2
    assert "--concurrency needs --bundles" in capsys.readouterr().err


def test_shard_takes_every_nth():
    items = list(range(10))
    assert [shard(items, i, 4) for i in range(4)] == [[0, 4, 8], [1, 5, 9], [2, 6], [3, 7]]
    assert shard(items[:2], 3, 4) == []


def test_evals_over_a_folder_of_bundles(bundles, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CLOUD_RUN_TASK_INDEX", "1")
    monkeypatch.setenv("CLOUD_RUN_TASK_COUNT", "4")
    args = ["--bundles", str(bundles), "--concurrency", "3", "--results", str(tmp_path)]
    assert evals_main(args) == 0
    out = capsys.readouterr().out
    assert "3/3 passed" in out
    for name in ("b01-", "b05-", "b09-"):
        assert name in out


def test_an_upload_never_replaces_an_object(gcs_emulator, tmp_path):
    report = tmp_path / "incident_X.md"
    report.write_text("# first\n")
    target = GcsTarget(gcs_emulator.bucket, "runs")
    upload_reports(target, [report])
    report.write_text("# second\n")
    with pytest.raises(ReportExists) as caught:
        upload_reports(target, [report])
    assert caught.value.exit_code == 3 and "not overwritten" in str(caught.value)
    assert gcs_emulator.download("runs/incident_X.md")[0] == b"# first\n"
