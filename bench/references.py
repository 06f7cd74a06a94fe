"""Issue 17's ratios, each measured in one run: the project's time over the best alternative.

The alternatives are references only, never used by the project: bottleneck's moving window,
a compiled (numba) two-pointer pass and pyarrow's csv and json readers. They are in the dev
dependency group, so `uv run python -m bench` measures against them; where one is missing
(`uv sync --no-dev`), its row says so and fails: a ratio that was not measured is not met.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.results import Result
from bench.trigger_speed import STEP_MS, best_of, make_series
from triggers import WindowTrigger

SECTION = "ratios"
WINDOW_POINTS = 30


def _ratio(name: str, ours: float, theirs: float | None, limit: float, what: str) -> Result:
    if theirs is None:
        return Result(SECTION, name, None, "x", f"<= {limit:g}x", False, f"{what}: not installed")
    ratio = ours / theirs
    note = f"{ours * 1000:.1f} ms against {what} {theirs * 1000:.1f} ms"
    return Result(SECTION, name, ratio, "x", f"<= {limit:g}x", ratio <= limit, note)


def _bottleneck(values: np.ndarray, points: int) -> Callable[[], object] | None:
    try:
        import bottleneck as bn
    except ImportError:
        return None
    return lambda: (bn.move_mean(values, points), bn.move_std(values, points))


def _two_pointer() -> Callable | None:
    """A compiled single pass over time-sorted points: baseline sums by two moving pointers."""
    try:
        from numba import njit
    except ImportError:
        return None

    @njit(cache=False)
    def sums(t, x, guard, window):  # pragma: no cover - compiled
        n = len(t)
        s1, s2, count = np.empty(n), np.empty(n), np.empty(n)
        lo = hi = 0
        a = b = 0.0
        for i in range(n):
            while hi < n and t[hi] < t[i] - guard:
                a += x[hi]
                b += x[hi] * x[hi]
                hi += 1
            while lo < hi and t[lo] < t[i] - guard - window:
                a -= x[lo]
                b -= x[lo] * x[lo]
                lo += 1
            s1[i], s2[i], count[i] = a, b, hi - lo
        return s1, s2, count

    return sums


def trigger(n_points: int, repeats: int) -> list[Result]:
    """WindowTrigger against bottleneck, a compiled two-pointer pass, and detect() vs fired()."""
    ts, xs = make_series(n_points)
    window_s = WINDOW_POINTS * STEP_MS / 1000
    trig = WindowTrigger(window_seconds=window_s)
    fired = best_of(lambda: trig.fired(ts, xs), repeats)
    moving = _bottleneck(xs, WINDOW_POINTS)
    results = [
        _ratio(
            f"WindowTrigger.fired / bottleneck move_mean+move_std, {n_points:,} even pts",
            fired,
            None if moving is None else best_of(moving, repeats),
            1.0,
            "bottleneck",
        )
    ]
    jt, jx = make_series(n_points, jitter_ms=200)
    jittered = best_of(lambda: trig.fired(jt, jx), repeats)
    sums = _two_pointer()
    compiled = None
    if sums is not None:
        t = jt.view(np.int64)
        window, guard = int(window_s * 1000), int(window_s * 500)
        compiled = best_of(lambda: sums(t, jx, guard, window), repeats)  # warm-up compiles
    results.append(
        _ratio(
            f"WindowTrigger.fired, jittered / compiled two-pointer pass, {n_points:,} pts",
            jittered,
            compiled,
            2.0,
            "numba two-pointer",
        )
    )
    detect = best_of(lambda: trig.detect("m", ts, xs), repeats)
    count = int(trig.fired(ts, xs).sum())
    results.append(
        Result(
            SECTION,
            f"WindowTrigger.detect / fired, {n_points:,} even pts",
            detect / fired,
            "x",
            "<= 1.5x",
            detect / fired <= 1.5,
            f"detect {detect * 1000:.0f} ms ({count:,} MetricAnomaly), fired {fired * 1000:.0f} ms",
        )
    )
    return results


def loading(bundle: Path, repeats: int = 1) -> list[Result]:
    """load_bundle (all validation) against pyarrow's bare parse of metrics.csv + logs.jsonl:
    the best time of `repeats` here, and the peak RSS of each in a fresh process."""
    import tempfile

    from bench.end_to_end import ROOT, run_child
    from sources.bundle.reader import load_bundle

    ours = best_of(lambda: load_bundle(bundle), repeats)
    try:
        from pyarrow import csv, json
    except ImportError:
        theirs = None
    else:

        def parse() -> None:
            csv.read_csv(bundle / "metrics.csv")
            json.read_json(bundle / "logs.jsonl")

        theirs = best_of(parse, repeats)
    results = [_ratio("load_bundle / pyarrow csv+json parse", ours, theirs, 2.0, "pyarrow")]

    def peak_mib(work: str) -> float | None:
        """Peak RSS of a fresh Python that imports numpy, then does `work` with `bundle`."""
        code = (
            f"import sys; sys.path.insert(0, {str(ROOT)!r}); import numpy; "
            f"from pathlib import Path; bundle = Path({str(bundle.resolve())!r}); {work}"
        )
        with tempfile.TemporaryDirectory() as workdir:
            run = run_child(["-c", code], Path(workdir))
        return run.peak_rss_mib if run.returncode == 0 else None

    name = "load_bundle / pyarrow csv+json parse, peak RSS"
    ours_rss = peak_mib("from sources.bundle.reader import load_bundle; load_bundle(bundle)")
    theirs_rss = peak_mib(
        "from pyarrow import csv, json; csv.read_csv(bundle / 'metrics.csv'); "
        "json.read_json(bundle / 'logs.jsonl')"
    )
    if ours_rss is None or theirs_rss is None:
        what = "load_bundle failed" if ours_rss is None else "pyarrow: not installed"
        results.append(Result(SECTION, name, None, "x", "<= 1x", False, what))
    else:
        ratio = ours_rss / theirs_rss
        note = f"{ours_rss:.0f} MiB against pyarrow {theirs_rss:.0f} MiB"
        results.append(Result(SECTION, name, ratio, "x", "<= 1x", ratio <= 1.0, note))
    return results
