"""WindowTrigger throughput against a per-point pure-Python reference with the same semantics."""

import cProfile
import math
import pstats
import re
import time
from collections import deque
from functools import partial

import numpy as np

from bench.results import Result
from triggers import WindowTrigger

SECTION = "trigger"
STEP_MS = 1000
WINDOWS = (30, 3000)  # baseline window lengths in points (window_seconds = points * step)


def make_series(n: int, seed: int = 0, jitter_ms: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points a second apart, noise with spikes and one level shift.

    Scrapers and range queries return evenly spaced points (jitter_ms=0), the case the targets
    are measured on; jittered timestamps take WindowTrigger's general (binary search) path.
    """
    rng = np.random.default_rng(seed)
    offsets = np.arange(n, dtype=np.int64) * STEP_MS
    if jitter_ms:
        offsets += rng.integers(-jitter_ms, jitter_ms + 1, n)
    timestamps = np.datetime64("2026-03-15T00:00:00", "ms") + offsets.astype("timedelta64[ms]")
    values = 100 + 5 * rng.standard_normal(n)
    values[rng.random(n) < 0.001] += 40  # isolated spikes
    values[int(n * 0.7) :] += 25  # a level shift that stays up
    return timestamps, np.round(values, 3)


def reference_fired(
    timestamps: np.ndarray, values: np.ndarray, trigger: WindowTrigger
) -> list[bool]:
    """WindowTrigger's fired mask, one point at a time over a deque of its baseline window.

    Baseline of the point at t: the points in [t - guard - window, t - guard); the mean and
    the population sigma are recomputed from the window's contents for every point.
    """
    trigger = trigger.for_series(timestamps)  # the window WindowTrigger settles on for this step
    t_ms = timestamps.astype("datetime64[ms]").astype(np.int64).tolist()
    x = np.asarray(values, dtype=np.float64).tolist()
    window = int(trigger.window_seconds * 1000)
    guard_s = trigger.window_seconds / 2 if trigger.guard_seconds is None else trigger.guard_seconds
    guard = int(guard_s * 1000)
    k = trigger.threshold_multiplier
    tol = 1e-9 * max(1.0, max((abs(v) for v in x), default=1.0))  # WindowTrigger's rounding slack
    base_t: deque[int] = deque()
    base_x: deque[float] = deque()
    entering = 0  # index of the next point to join a baseline
    fired = []
    for t, v in zip(t_ms, x, strict=True):
        while entering < len(t_ms) and t_ms[entering] < t - guard:
            base_t.append(t_ms[entering])
            base_x.append(x[entering])
            entering += 1
        while base_t and base_t[0] < t - guard - window:
            base_t.popleft()
            base_x.popleft()
        n = len(base_x)
        if n < trigger.min_points:
            fired.append(False)
            continue
        mean = sum(base_x) / n
        sigma = math.sqrt(sum((b - mean) * (b - mean) for b in base_x) / n)
        fired.append(v - mean > k * sigma + tol)
    return fired


def best_of(fn, repeats: int) -> float:
    """Best wall time of `repeats` calls after a warm-up: the least disturbed by other load."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def profile(trigger: WindowTrigger, timestamps: np.ndarray, values: np.ndarray) -> str:
    """Where WindowTrigger.fired spends its time over 3 calls: the top calls by own time."""
    profiler = cProfile.Profile()
    for _ in range(3):  # a single call is at the mercy of whatever else the machine runs
        profiler.runcall(trigger.fired, timestamps, values)
    stats = pstats.Stats(profiler).stats  # (file, line, function) -> (cc, nc, tottime, ...)
    total = sum(v[2] for v in stats.values())
    top = sorted(stats.items(), key=lambda kv: -kv[1][2])[:4]
    return ", ".join(f"{_call_name(fn)} {v[2] / total:.0%}" for (_, _, fn), v in top)


def _call_name(function: str) -> str:
    if function == "_scan":  # ufunc arithmetic is not a call of its own: it shows up here
        return "array arithmetic in _scan"
    method = re.fullmatch(r"<method '(\w+)' of 'numpy.ndarray' objects>", function)
    return f"ndarray.{method[1]}" if method else function


def run(n_points: int, ref_points: int, repeats: int = 3) -> list[Result]:
    timestamps, values = make_series(n_points)
    results: list[Result] = []
    vec_seconds = {}
    ts, xs = timestamps[:ref_points], values[:ref_points]
    for points in WINDOWS:
        trigger = WindowTrigger(window_seconds=points * STEP_MS / 1000)
        label = f"{points}-pt window"
        vec = best_of(partial(trigger.fired, timestamps, values), repeats)
        vec_seconds[points] = vec

        start = time.perf_counter()
        expected = reference_fired(ts, xs, trigger)
        ref = time.perf_counter() - start
        ref_runs = "one run"
        if ref < 1.0:  # cheap enough to give the reference its best of several runs too
            ref = min(ref, best_of(partial(reference_fired, ts, xs, trigger), repeats))
            ref_runs = f"best of {repeats + 2} runs"
        got = trigger.fired(ts, xs)
        mismatches = int(np.count_nonzero(got != np.array(expected, dtype=bool)))

        vec_rate, ref_rate = n_points / vec, ref_points / ref
        fast_enough = vec_rate / ref_rate >= 100
        why = "" if fast_enough else "profile: " + profile(trigger, timestamps, values)
        results += [
            Result(SECTION, f"WindowTrigger, {label}, {n_points:,} pts", vec_rate, "pts/s"),
            Result(
                SECTION,
                f"reference, {label}, first {ref_points:,} pts",
                ref_rate,
                "pts/s",
                note=f"{ref * 1e6 / ref_points:.1f} µs per point ({ref_runs})",
            ),
            Result(
                SECTION,
                f"speed-up per point, {label}",
                vec_rate / ref_rate,
                "x",
                ">= 100x",
                fast_enough,
                why,
            ),
            Result(
                SECTION,
                f"fired masks agree, {label}, {ref_points:,} pts",
                ref_points - mismatches,
                "points",
                "all identical",
                mismatches == 0,
                f"{int(got.sum())} fired; reference and WindowTrigger differ on {mismatches}",
            ),
        ]
    # The general path, for irregular timestamps: informational, with its own agreement check.
    jt, jx = make_series(n_points, jitter_ms=200)
    trigger = WindowTrigger(window_seconds=WINDOWS[0] * STEP_MS / 1000)
    jittered = best_of(partial(trigger.fired, jt, jx), repeats)
    expected = np.array(reference_fired(jt[:ref_points], jx[:ref_points], trigger), dtype=bool)
    mismatches = int(np.count_nonzero(trigger.fired(jt[:ref_points], jx[:ref_points]) != expected))
    results += [
        Result(
            SECTION,
            f"WindowTrigger, {WINDOWS[0]}-pt window, jittered timestamps",
            n_points / jittered,
            "pts/s",
            note="irregular sampling: binary-search bounds",
        ),
        Result(
            SECTION,
            f"fired masks agree, jittered, {ref_points:,} pts",
            ref_points - mismatches,
            "points",
            "all identical",
            mismatches == 0,
            f"reference and WindowTrigger differ on {mismatches}",
        ),
    ]
    ratio = vec_seconds[WINDOWS[1]] / vec_seconds[WINDOWS[0]]
    results.append(
        Result(
            SECTION,
            f"time {WINDOWS[1]}-pt / {WINDOWS[0]}-pt window",
            ratio,
            "x",
            "<= 1.5x",
            ratio <= 1.5,
            f"WindowTrigger.fired on {n_points:,} pts: "
            + ", ".join(f"{p}-pt {s * 1000:.0f} ms" for p, s in vec_seconds.items())
            + f" (best of {repeats})",
        )
    )
    return results
