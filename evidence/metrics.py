"""What a metric did: a compact summary and its shape against the baseline before onset."""

from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from pydantic import BaseModel

from detection import detect_episodes
from semantics import falls_when_bad
from sources.telemetry import Series, to_datetime, to_datetime64
from triggers import WindowTrigger

# A sustained change smaller than this share of the baseline needs z >= MINOR_Z to count.
MINOR_CHANGE = 0.2
MINOR_Z = 8.0

Shape = Literal["ramp", "spike", "level_shift", "drop", "noise", "flat"]


class MetricSummary(BaseModel):
    """A series in a dozen numbers instead of hundreds of points."""

    metric: str
    service: str
    unit: str | None
    points: int
    start: datetime | None
    end: datetime | None
    min: float | None
    max: float | None
    mean: float | None
    p95: float | None
    last: float | None
    profile: list[float] | None = None  # bucket means across the window, oldest first


class BaselineComparison(BaseModel):
    """How the series after onset differs from the baseline before it."""

    metric: str
    service: str
    unit: str | None
    onset: datetime | None  # first point of the longest run of anomalies
    anomalous_points: int
    sustained: bool  # several anomalies close together, not isolated blips
    baseline_median: float | None
    after_median: float | None
    after_max: float | None  # the worst value: the lowest for a headroom metric (free disk)
    change_ratio: float | None  # after_median / baseline_median
    robust_z: float | None  # (after_median - baseline_median) / baseline spread
    shape: Shape
    rise_minutes: float | None  # onset to the first point within 10% of the peak
    monotonic_fraction: float | None  # share of steps that go up after onset
    sawtooth_drops: int  # sharp drops after onset (e.g. GC reclaiming memory)
    note: str
    # One sharp fall after the peak (an OOM kill, a restart): drops are counted up to the peak.
    reset_after_peak: bool = False
    # The lows of the series (for memory: what is left after each GC) across the whole window,
    # up to its peak: a floor that keeps rising under a normal sawtooth is a leak all the same.
    floor_start: float | None = None
    floor_end: float | None = None
    floor_rising: bool = False
    # How long the change held: onset to its episode's end, and whether it still holds at the
    # end of the data. A rollout's own blip (pods restarting, caches warming) is minutes long.
    lasted_minutes: float | None = None
    ongoing: bool = False


def _round(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(f"{x:.4g}")


def summarize(series: Series, buckets: int = 12) -> MetricSummary:
    v = series.values
    base = dict(metric=series.info.name, service=series.info.service, unit=series.info.unit)
    if len(v) == 0:
        return MetricSummary(
            **base,
            points=0,
            start=None,
            end=None,
            min=None,
            max=None,
            mean=None,
            p95=None,
            last=None,
        )
    profile = [_round(float(chunk.mean())) for chunk in np.array_split(v, min(buckets, len(v)))]
    return MetricSummary(
        **base,
        points=len(v),
        start=to_datetime(series.timestamps[0]),
        end=to_datetime(series.timestamps[-1]),
        min=_round(float(v.min())),
        max=_round(float(v.max())),
        mean=_round(float(v.mean())),
        p95=_round(float(np.percentile(v, 95))),
        last=_round(float(v[-1])),
        profile=profile,
    )


def longest_run_onset(
    timestamps: np.ndarray, fired: np.ndarray, gap: timedelta
) -> tuple[int | None, int]:
    """Index where the longest run of fired points starts, and its length.

    Fired points closer than `gap` belong to one run; isolated noise makes runs of one.
    """
    idx = np.flatnonzero(fired)
    if len(idx) == 0:
        return None, 0
    t = timestamps[idx].astype("datetime64[ms]").astype(np.int64)
    breaks = np.flatnonzero(np.diff(t) > gap.total_seconds() * 1000) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [len(idx)]))
    best = int(np.argmax(ends - starts))
    return int(idx[starts[best]]), int(ends[best] - starts[best])


def compare(series: Series, trigger: WindowTrigger, min_run: int = 3) -> BaselineComparison:
    """The change after onset; a headroom metric (free disk) is judged on its fall."""
    if not falls_when_bad(series.info.name, series.info.bad_when):
        return _compare(series, trigger, min_run)
    c = _compare(Series(series.info, series.timestamps, -series.values), trigger, min_run)
    return _headroom(c)


def _headroom(c: BaselineComparison) -> BaselineComparison:
    """A comparison of the negated series told the right way up: a rise there is a drop here."""
    b, a, low = (
        None if x is None else -x for x in (c.baseline_median, c.after_median, c.after_max)
    )
    fields = dict(baseline_median=b, after_median=a, after_max=low)
    fields["robust_z"] = None if c.robust_z is None else -c.robust_z
    if c.shape in ("ramp", "level_shift", "spike") and b and low is not None and a is not None:
        lost = 1 - a / b
        how = f"steadily over {c.rise_minutes:.0f} min" if c.shape == "ramp" else "sharply"
        fields["shape"] = "drop"
        fields["note"] = (
            f"headroom fell {how}: median {b:.4g} -> {a:.4g} ({lost:.0%} of it lost), "
            f"lowest {low:.4g} ({low / b:.0%} of the baseline)"
        )
    elif c.shape == "drop":  # more headroom than before is no trouble
        fields["shape"], fields["note"] = "noise", "headroom rose: not a problem"
    return c.model_copy(update=fields)


def _compare(series: Series, trigger: WindowTrigger, min_run: int) -> BaselineComparison:
    t, v = series.timestamps, series.values
    # The same episodes as detection: the onset is the start of the longest clear change.
    info = series.info
    episodes = [
        e
        for e in detect_episodes(info.name, info.service, t, v, trigger, "rises")
        if e.clear(trigger.window_seconds)
    ]
    start, stop, run, duration = None, len(v), 0, {}
    if episodes:
        longest = max(episodes, key=lambda e: (e.points, e.score))
        start = int(np.searchsorted(t, to_datetime64(longest.onset)))
        # A change that resolved itself is judged on its own span, not on the calm after it.
        stop = int(np.searchsorted(t, to_datetime64(longest.end), side="right"))
        run = longest.points
        lasted = (longest.end - longest.onset).total_seconds() / 60
        duration = dict(lasted_minutes=_round(lasted), ongoing=longest.ongoing)
    head = dict(
        metric=series.info.name,
        service=series.info.service,
        unit=series.info.unit,
        anomalous_points=sum(e.points for e in episodes),
        **_floor(v),
    )
    if start is None or start < 3:
        note = "no anomaly" if start is None else "anomalies from the first points: no baseline"
        return BaselineComparison(
            **head,
            onset=None,
            sustained=False,
            baseline_median=None,
            after_median=None,
            after_max=None,
            change_ratio=None,
            robust_z=None,
            shape="flat" if start is None else "noise",
            rise_minutes=None,
            monotonic_fraction=None,
            sawtooth_drops=0,
            note=note,
        )
    # The baseline stops a guard before onset: a ramp's first climb is not "normal".
    guard = trigger.window_seconds / 2
    cut = int(np.searchsorted(t, t[start] - np.timedelta64(int(guard * 1000), "ms")))
    before = v[: max(cut, 3)]
    after = v[start:stop]
    b_med = float(np.median(before))
    # A step metric (replicas, restarts) has no spread before onset: floor it, not divide by 0.
    mad = 1.4826 * float(np.median(np.abs(before - b_med)))
    spread = mad or max(float(np.std(before)), 0.01 * abs(b_med)) or 1e-9
    # From a flat zero baseline, a thousandth of the new level keeps z readable.
    spread = max(spread, 1e-3 * abs(float(np.median(v[start:stop]))))
    a_med, a_max = float(np.median(after)), float(after.max())
    ratio = a_med / b_med if b_med else None
    z = (a_med - b_med) / spread
    span = max(a_max - b_med, 1e-9)
    peak = int(np.argmax(after))
    # One sharp fall after the peak (an OOM kill, a restart) resets a climb: the climb is
    # judged up to the peak, so the reset is neither a sawtooth nor the end of a spike. The
    # fall may end the episode, so it is looked for in everything after the onset.
    rest = v[start + peak :]
    reset = len(rest) > 1 and float(np.diff(rest).min()) < -0.5 * span
    judged = after[: peak + 1] if reset else after
    # Never empty: a series that fell below its baseline still has its own maximum.
    near_peak = np.flatnonzero(after >= a_max - 0.1 * max(a_max - b_med, 0.0))
    rise = (t[start + near_peak[0]] - t[start]).astype("timedelta64[s]").astype(float) / 60
    steps = np.diff(judged)
    up = float((steps > 0).mean()) if len(steps) else None
    drops = int((steps < -0.25 * span).sum())
    ended = float(np.median(v[-max(3, len(after) // 10) :])) < b_med + 0.5 * (a_med - b_med)
    sustained = run >= min_run
    # A climb that began before the data did leaves no flat baseline to measure z against;
    # against its own straight line it still stands far above the noise.
    climbing = rise >= 10 and drops == 0 and (up or 0) >= 0.5 and _trend_z(t, v, start + peak) >= 6
    shape: Shape
    # A gauge of capacity at its limit is never "small drift", however little it moved.
    unit = (series.info.unit or "").strip().lower()
    near_limit = (unit in ("%", "percent", "pct") and a_max >= 95) or (
        unit in ("ratio", "fraction") and a_max >= 0.95
    )
    if not sustained or (z < 3 and not climbing):
        shape, note = "noise", f"{run} isolated point(s) above threshold; median unchanged"
    elif ratio is not None and abs(ratio - 1) < MINOR_CHANGE and z < MINOR_Z and not near_limit:
        # Statistically visible, practically not: a few percent of slow drift (traffic
        # following the time of day) against a short or quiet baseline.
        shape, note = "noise", f"small drift (x{ratio:.3g}, z={z:.2g}): within normal variation"
    elif a_med < b_med:
        shape, note = "drop", "values fell below baseline"
    elif rise >= 10 and drops == 0 and ((up or 0) >= 0.5 or _climbs(t, judged, start)):
        shape = "ramp"
        note = f"climbs steadily for {rise:.0f} min after onset with no sharp drops"
    elif ended and not reset:  # a climb cut by a kill is judged up to its peak
        shape, note = "spike", "jumped, then came back towards baseline"
    else:
        shape, note = "level_shift", f"jumped within {rise:.1f} min and stayed up"
    if reset and shape != "noise":
        at = to_datetime(t[start + peak])
        low = float(rest[1:].min())
        note += f"; reset after the peak at {at:%H:%M}Z (fell to {low:.4g}, e.g. OOM kill/restart)"
    return BaselineComparison(
        **head,
        onset=to_datetime(t[start]),
        sustained=sustained,
        baseline_median=_round(b_med),
        after_median=_round(a_med),
        after_max=_round(a_max),
        change_ratio=_round(ratio),
        robust_z=_round(z),
        shape=shape,
        rise_minutes=_round(rise),
        monotonic_fraction=_round(up),
        sawtooth_drops=drops,
        reset_after_peak=reset,
        note=note,
        **duration,
    )


FLOOR_BUCKETS = 8
FLOOR_RISE = 1.3


def _floor(v: np.ndarray) -> dict:
    """The lows of the window's buckets up to the peak: start, end, and whether they climb."""
    v = v[: int(np.argmax(v)) + 1] if len(v) else v
    if len(v) < 4 * FLOOR_BUCKETS:
        return {}
    lows = np.array([chunk.min() for chunk in np.array_split(v, FLOOR_BUCKETS)])
    up = float((np.diff(lows) > 0).mean())
    first, last = float(lows[0]), float(lows[-1])
    rising = first > 0 and last / first >= FLOOR_RISE and up >= 0.7
    return dict(floor_start=_round(first), floor_end=_round(last), floor_rising=rising)


def _climbs(t: np.ndarray, judged: np.ndarray, start: int) -> bool:
    """A noisy climb: its straight line rises far above the noise around it (a leak's heap
    jitters up and down at every scrape, yet keeps climbing)."""
    n = len(judged)
    if n < 6:
        return False
    return _trend_z(t[start : start + n], judged, n - 1) >= 6


def _trend_z(t: np.ndarray, v: np.ndarray, end: int) -> float:
    """How far a straight line fitted up to `end` climbs, in units of the noise around it."""
    if end < 5:
        return 0.0
    x = (t[: end + 1] - t[0]).astype("timedelta64[s]").astype(float)
    y = v[: end + 1]
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    noise = 1.4826 * float(np.median(np.abs(resid - np.median(resid)))) or 1e-9
    return float(slope * (x[-1] - x[0]) / noise)


def window(series: Series, end: datetime, minutes: float) -> Series:
    """The part of a series in the `minutes` before `end`."""
    lo = np.searchsorted(series.timestamps, to_datetime64(end - timedelta(minutes=minutes)))
    hi = np.searchsorted(series.timestamps, to_datetime64(end), side="right")
    return Series(series.info, series.timestamps[lo:hi], series.values[lo:hi])
