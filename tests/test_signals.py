"""SIGTERM and SIGINT at every stage of the real CLI, and the upload's total deadline.

README, "Exit codes": a run a signal cut short exits 128 + the signal (143 SIGTERM, 130
SIGINT) with one line and no traceback; once the agents have started, a partial report is
written; a run whose report was complete when the signal came exits 0. Signals during loading,
detection and after "RCA written" are sent by the process to itself from a wrapper around the
stage (only here, in the test's own `python -c`), so they land exactly in that stage; during
the agents and the upload they come from outside, timed against slow fake servers.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_model_server import FakeModelServer
from tests.helpers import NOW_TEXT as NOW
from tests.helpers import ROOT, reports

# SIGINT takes the same path as SIGTERM with another code: it runs with the long runs (CI).
SIGNALS = pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGTERM, 143), pytest.param(signal.SIGINT, 130, marks=pytest.mark.slow)],
    ids=["SIGTERM", "SIGINT"],
)


def _env(**extra: str) -> dict[str, str]:
    drop = ("OPENROUTER_API_KEY", "INCIDENT_COMMANDER_MODEL", "ARTIFACTS_GCS_DIR")
    base = {k: v for k, v in os.environ.items() if k not in drop}
    return {**base, "COLUMNS": "200", **extra}


def _cli_with(
    cwd: Path, patch: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """The real CLI in a child process, after `patch` (Python run before main.main)."""
    code = "\n".join(
        [
            "import os, signal, sys",
            f"sys.path.insert(0, {str(ROOT)!r})",
            "import main",
            patch,
            f"sys.exit(main.main({list(args)!r}))",
        ]
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=60,
    )


def _signal_in(module: str, name: str, sig: int) -> str:
    """Patch code: `module.name` sends `sig` to its own process as soon as it is called."""
    return (
        f"import {module} as _m\n"
        f"_orig = _m.{name}\n"
        f"def _stage(*a, **k):\n"
        f"    os.kill(os.getpid(), {int(sig)})\n"
        f"    return _orig(*a, **k)\n"
        f"_m.{name} = _stage\n"
    )


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr and "KeyboardInterrupt" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("bundle") / "leak"
    subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--scenario", "worker-memory-leak", "--now", NOW]
        + ["--export-bundle", str(directory)],
        check=True,
        capture_output=True,
        env=_env(),
    )
    return directory


@SIGNALS
def test_signal_while_loading_stops_with_no_report(tmp_path, bundle, sig, code):
    patch = _signal_in("sources.bundle.reader", "load_bundle", sig)
    proc = _cli_with(tmp_path, patch, "--bundle", str(bundle), "--output-dir", "out")
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert f"stopped by {signal.Signals(sig).name}" in _one_line_error(proc)
    assert reports(tmp_path / "out") == []


@SIGNALS
def test_signal_while_detecting_stops_with_no_report(tmp_path, sig, code):
    patch = _signal_in("pipeline.investigate", "detect", sig)
    proc = _cli_with(tmp_path, patch, "--now", NOW, "--output-dir", "out")
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "[1/4] Detecting" in proc.stdout and "[2/4]" not in proc.stdout
    assert f"stopped by {signal.Signals(sig).name}" in _one_line_error(proc)
    assert reports(tmp_path / "out") == []


@SIGNALS
def test_signal_between_two_agents_writes_a_partial_report(tmp_path, sig, code):
    patch = _signal_in("pipeline.investigate", "IncidentContext", sig)  # after LogsAgent
    proc = _cli_with(tmp_path, patch, "--now", NOW, "--output-dir", "out")
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "partial report" in _one_line_error(proc)
    report = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    assert report["status"] == "incomplete" and report["log_summary"]


@SIGNALS
def test_signal_after_the_report_is_complete_exits_0(tmp_path, sig, code):
    patch = (
        "_orig = main._print_report\n"
        "def _late(*a, **k):\n"
        "    _orig(*a, **k)\n"
        f"    os.kill(os.getpid(), {int(sig)})\n"
        "main._print_report = _late\n"
    )
    proc = _cli_with(tmp_path, patch, "--now", NOW, "--output-dir", "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "RCA written" in proc.stdout and "Upload skipped" in proc.stdout
    assert proc.stderr == ""
    report = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    assert report["status"] == "complete"


@SIGNALS
def test_signal_during_the_agents_writes_a_partial_report(tmp_path, sig, code):
    with FakeModelServer("slow", delay=30) as server:
        env = _env(
            OPENROUTER_API_KEY="sk-or-fake",
            INCIDENT_COMMANDER_REQUEST_TIMEOUT="60",
            INCIDENT_COMMANDER_OPENROUTER_BASE_URL=server.base_url,
        )
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--now", NOW, "--output-dir", "out"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        _wait_for(lambda: server.requests, proc)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == code, out + err
    assert "cancelled" in err and "partial report" in err and "Traceback" not in err
    (json_path,) = [p for p in reports(tmp_path / "out") if p.suffix == ".json"]
    report = json.loads(json_path.read_text())
    assert report["status"] == "incomplete" and len(report["anomalies"]) == 5  # all kept
    assert "INCOMPLETE" in json_path.with_suffix(".md").read_text()


class TricklingServer:
    """Accepts connections and answers one byte every `every` seconds, never finishing."""

    def __init__(self, every: float = 2.0):
        self.every = every
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.connections = 0
        self._stop = threading.Event()

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self) -> "TricklingServer":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000:
                if self._stop.wait(self.every):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return


@pytest.fixture
def trickling() -> Iterator[TricklingServer]:
    with TricklingServer() as server:
        yield server


def _gcs_env(server: TricklingServer, deadline: str) -> dict[str, str]:
    return _env(
        ARTIFACTS_GCS_DIR="gs://reports/runs",
        STORAGE_EMULATOR_HOST=server.host,
        INCIDENT_COMMANDER_UPLOAD_DEADLINE=deadline,
    )


def test_a_trickling_gcs_endpoint_is_cut_off_by_the_deadline(tmp_path, trickling):
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--now", NOW, "--output-dir", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_gcs_env(trickling, "2"),
        timeout=60,
    )
    elapsed = time.monotonic() - start
    assert proc.returncode == 3, proc.stdout + proc.stderr
    line = _one_line_error(proc)
    assert "upload deadline of 2 s" in line and "the report is kept at" in line
    assert trickling.connections >= 1
    assert len(reports(tmp_path / "out")) == 2  # the local report, complete
    assert elapsed < 20  # the run itself takes ~5 s; without the deadline, minutes


def test_a_bad_upload_deadline_is_a_usage_error(tmp_path, trickling):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--now", NOW, "--output-dir", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_gcs_env(trickling, "soon"),
        timeout=60,
    )
    assert proc.returncode == 2
    assert "INCIDENT_COMMANDER_UPLOAD_DEADLINE" in _one_line_error(proc)
    assert reports(tmp_path / "out") == []


def test_sigterm_during_the_upload_keeps_the_local_report(tmp_path, trickling):
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "--now", NOW, "--output-dir", "out"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_gcs_env(trickling, "60"),
    )
    _wait_for(lambda: trickling.connections, proc)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert time.monotonic() - start < 5
    assert proc.returncode == 143, out + err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    report = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    assert report["status"] == "complete"  # written before the upload began
    assert len(reports(tmp_path / "out")) == 2


def _wait_for(condition, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"the stage was never reached (exit {proc.returncode}):\n{out}\n{err}")
        time.sleep(0.05)
