"""The real CLI as a subprocess: wall time and the child's own peak RSS (from wait4)."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.results import Result

SECTION = "end-to-end"
ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = Path(__file__).resolve().with_name("peak_rss.py")
NOW = "2026-03-15T14:30:00Z"
WALL_TARGET_S = 60.0
RSS_TARGET_MIB = 1536.0  # 1.5 GiB
TIMEOUT_S = 600.0
# Settings that would send the run to a remote model or a bucket: the benchmark is offline.
_UNSET = ("OPENROUTER_API_KEY", "INCIDENT_COMMANDER_MODEL", "ARTIFACTS_GCS_DIR")


@dataclass(frozen=True)
class Run:
    wall_s: float
    peak_rss_mib: float
    returncode: int
    stdout: str
    stderr: str

    def failure(self) -> str:
        """The last line of stderr (or stdout), for a run that did not exit 0."""
        lines = (self.stderr or self.stdout).strip().splitlines()
        return f"exit {self.returncode}: {lines[-1] if lines else 'no output'}"


def run_child(args: list[str], workdir: Path, timeout: float = TIMEOUT_S) -> Run:
    """Run `python <args>` in `workdir` under bench/peak_rss.py, which measures it alone."""
    env = {k: v for k, v in os.environ.items() if k not in _UNSET} | {"COLUMNS": "200"}
    out, err, measured = workdir / "stdout.txt", workdir / "stderr.txt", workdir / "rusage.json"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-I", "-S", str(LAUNCHER), str(measured), sys.executable, *args],
            cwd=workdir,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,  # a timeout ends the launcher and the CLI together
        )
        try:
            returncode = child.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise
    usage = json.loads(measured.read_text())
    return Run(
        wall_s=usage["wall_s"],
        peak_rss_mib=usage["peak_rss_kib"] / 1024,
        returncode=returncode,
        stdout=out.read_text(errors="replace"),
        stderr=err.read_text(errors="replace"),
    )


def _results(label: str, run: Run, note: str = "") -> list[Result]:
    ok = run.returncode == 0
    fail_note = "" if ok else run.failure()
    return [
        Result(
            SECTION,
            f"{label}: wall time",
            run.wall_s,
            "s",
            f"<= {WALL_TARGET_S:.0f} s",
            ok and run.wall_s <= WALL_TARGET_S,
            "; ".join(n for n in (note, fail_note) if n),
        ),
        Result(
            SECTION,
            f"{label}: peak RSS",
            run.peak_rss_mib,
            "MiB",
            f"<= {RSS_TARGET_MIB:.0f} MiB",
            ok and run.peak_rss_mib <= RSS_TARGET_MIB,
            "" if ok else f"peak until the run failed ({run.failure()})",
        ),
    ]


def default_scenario(workdir: Path) -> list[Result]:
    reports = workdir / "reports"
    run = run_child([str(ROOT / "main.py"), "--now", NOW, "--output-dir", str(reports)], workdir)
    return _results("default scenario", run)


def large_bundle(workdir: Path, n_points: int, n_logs: int) -> list[Result]:
    from bench.large_bundle import write_large_bundle

    bundle = workdir / "bundle"
    start = time.perf_counter()
    write_large_bundle(bundle, n_points=n_points, n_logs=n_logs)
    generated = time.perf_counter() - start
    size_mib = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file()) / 2**20
    reports = workdir / "reports"
    run = run_child(
        [str(ROOT / "main.py"), "--bundle", str(bundle), "--output-dir", str(reports)], workdir
    )
    label = f"bundle {n_points:,} pts + {n_logs:,} logs"
    note = f"bundle of {size_mib:.0f} MiB on disk, generated in {generated:.1f} s (not counted)"
    return _results(label, run, note)


def growth(small: Result, big: Result, sizes) -> Result:
    """Wall time of the larger bundle over the smaller: at most their ratio of points."""
    factor = sizes.big_points / sizes.bundle_points
    if small.value is None or big.value is None:
        return Result(SECTION, "bundle wall time, 4x points", None, "x", "", False, "no time")
    ratio = big.value / small.value
    return Result(
        SECTION,
        f"bundle wall time, {sizes.big_points:,} / {sizes.bundle_points:,} pts",
        ratio,
        "x",
        f"<= {factor:g}x (linear)",
        ratio <= factor,
    )
