"""Writing reports when the output directory misbehaves: all or nothing, one line, an exit code.

README, "Exit codes": an --output-dir that cannot take reports (a file, read-only) is refused
before anything runs (exit 2); a write that fails mid-run (disk full) is exit 1 with nothing
half-written left behind. Orphans of a killed writer are removed by the next run.
"""

import errno
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import main
import sinks.files as files
from errors import OutputError
from models import RCAReport
from tests.helpers import NOW_TEXT as NOW_ARG
from tests.helpers import ROOT, cli, reports


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> RCAReport:
    out = tmp_path_factory.mktemp("one")
    run = cli(out, "--now", NOW_ARG, "--output-dir", "r")
    assert run.returncode == 0, run.stdout + run.stderr
    return RCAReport.model_validate_json(next((out / "r").glob("*.json")).read_text())


def _everything(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _cli_with(cwd: Path, patch: str, *args: str) -> subprocess.CompletedProcess:
    """The real CLI in a child process, after `patch` (Python run before main.main)."""
    code = f"import os, sys\nsys.path.insert(0, {str(ROOT)!r})\nimport main\n{patch}\n"
    code += f"sys.exit(main.main({list(args)!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def _one_line(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_concurrent_writers_get_distinct_ids_and_leave_no_temporary_files(tmp_path, report):
    with ThreadPoolExecutor(8) as pool:
        written = list(pool.map(lambda _: files.write_report(report, tmp_path, False), range(8)))
    ids = {r.incident_id for r, _ in written}
    assert len(ids) == 8
    assert _everything(tmp_path) == sorted(
        f"incident_{i}.{ext}" for i in ids for ext in ("json", "md")
    )


def test_temporary_names_do_not_depend_on_the_pid(tmp_path, report, monkeypatch):
    monkeypatch.setattr(os, "getpid", lambda: 1)  # every container run is PID 1
    seen = []
    real = os.link
    monkeypatch.setattr(os, "link", lambda src, dst: (seen.append(Path(src).name), real(src, dst)))
    files.write_report(report, tmp_path, False)
    files.write_report(report, tmp_path, False)
    assert len(set(seen)) == 4 and all(n.startswith(".incident_") for n in seen)


@pytest.mark.parametrize("failing_call", [1, 2], ids=["json temp", "md temp"])
def test_a_full_disk_leaves_nothing_behind(tmp_path, report, monkeypatch, failing_call):
    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == failing_call:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", fsync)
    with pytest.raises(OutputError, match="No space left on device"):
        files.write_report(report, tmp_path, False)
    assert _everything(tmp_path) == []


def test_a_failed_second_link_takes_the_first_back(tmp_path, report, monkeypatch):
    real = os.link

    def link(src, dst):
        if str(dst).endswith(".md"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(src, dst)

    monkeypatch.setattr(files.os, "link", link)
    with pytest.raises(OutputError, match="Input/output error"):
        files.write_report(report, tmp_path, False)
    assert _everything(tmp_path) == []  # no .json without its .md


def test_an_interrupt_while_publishing_leaves_nothing_behind(tmp_path, report, monkeypatch):
    real = os.link

    def link(src, dst):
        real(src, dst)
        raise KeyboardInterrupt  # whatever stops the run between the two links

    monkeypatch.setattr(files.os, "link", link)
    with pytest.raises(KeyboardInterrupt):
        files.write_report(report, tmp_path, False)
    assert _everything(tmp_path) == []


def test_orphans_of_a_killed_writer_are_removed_and_fresh_files_kept(tmp_path):
    old = time.time() - files.ORPHAN_AGE_SECONDS - 60
    for name in (
        ".incident_abc.tmp",  # a temporary file never linked
        "incident_INC-20260315-001.json",  # killed between the two links
        "incident_INC-20260315-002.json",  # a complete pair
        "incident_INC-20260315-002.md",
        "notes.txt",
    ):
        (tmp_path / name).write_text("x")
        os.utime(tmp_path / name, (old, old))
    (tmp_path / "incident_INC-20260315-003.json").write_text("x")  # a writer at work right now
    notes = files.remove_orphans(tmp_path)
    assert len(notes) == 2 and all(n.startswith("removed orphan") for n in notes)
    assert _everything(tmp_path) == [
        "incident_INC-20260315-002.json",
        "incident_INC-20260315-002.md",
        "incident_INC-20260315-003.json",
        "notes.txt",
    ]


def test_the_cli_reports_the_orphans_it_removes(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    lone = out / "incident_INC-20260315-001.md"
    lone.write_text("x")
    old = time.time() - files.ORPHAN_AGE_SECONDS - 60
    os.utime(lone, (old, old))
    run = cli(tmp_path, "--now", NOW_ARG, "--output-dir", "out")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"warning: removed orphan {Path('out') / lone.name}" in run.stderr
    assert lone.read_text() != "x"  # its number is free again: the new report took it
    assert len(reports(out)) == 2


def test_a_file_as_output_dir_is_a_usage_error(tmp_path):
    (tmp_path / "taken").write_text("not a directory")
    run = cli(tmp_path, "--now", NOW_ARG, "--output-dir", "taken")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "--output-dir taken: not a directory" in _one_line(run)
    assert (tmp_path / "taken").read_text() == "not a directory"


def test_an_output_dir_under_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "taken").write_text("")
    run = cli(tmp_path, "--now", NOW_ARG, "--output-dir", "taken/reports")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "is not a directory" in _one_line(run)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes to a chmod 500 directory"
)
def test_a_read_only_output_dir_is_a_usage_error(tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        run = cli(tmp_path, "--now", NOW_ARG, "--output-dir", "ro")
    finally:
        out.chmod(0o700)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "not writable" in _one_line(run) and _everything(out) == []


def test_a_read_only_mount_is_a_usage_error(tmp_path, monkeypatch, capsys):
    """Simulated (even root cannot write to a read-only mount): every create fails EROFS."""
    (tmp_path / "ro").mkdir()

    def mkstemp(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(files.tempfile, "mkstemp", mkstemp)
    monkeypatch.chdir(tmp_path)
    args = ["--now", NOW_ARG, "--output-dir", "ro", "--model", "offline"]
    assert main.main(args) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: --output-dir ro: not writable (Read-only file system)"


def test_a_disk_that_fills_mid_run_is_exit_1_with_nothing_half_written(tmp_path):
    patch = (
        "import errno, sinks.files as f\n"
        "def _full(fd):\n"
        "    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "f.os.fsync = _full\n"
    )
    run = _cli_with(tmp_path, patch, "--now", NOW_ARG, "--output-dir", "out")
    assert run.returncode == 1, run.stdout + run.stderr
    line = _one_line(run)
    assert "could not write the report to out: No space left on device" in line
    assert _everything(tmp_path / "out") == []
