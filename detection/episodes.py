"""Incident episodes: sustained departures from a causal robust baseline, one alert each.

A point's deviation is z = (value - baseline) / sigma, per watched direction. A point is hot
above the trigger's multiplier (2.5 by default) and still anomalous above `close_sigma`. An
episode opens when `persist` consecutive points are hot (isolated noise never holds that long),
its onset is where the still-anomalous run that holds them began, refined backwards by a CUSUM
change-point estimate (so a ramp's onset is where it left the noise, not where it crossed the
threshold), and it ends at the last
still-anomalous point before a calm of `merge_gap` points. Each direction is judged on its own.
"""

import weakref
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from detection.baseline import Baseline, BaselineSettings, robust_baseline
from triggers import WindowTrigger

Side = Literal["above", "below"]


@dataclass(frozen=True)
class EpisodeSettings:
    persist: int = 3  # consecutive hot points that open an episode
    close_sigma: float = 1.0  # still anomalous above this many sigmas
    merge_gap: int = 3  # calm points that end an episode ...
    resume_windows: float = 12.0  # ... unless it resumes within this many trigger windows
    baseline: BaselineSettings = BaselineSettings()


DEFAULT_SETTINGS = EpisodeSettings()


CLEAR_SCORE = 0.8  # the score at twice the trigger's N·sigma
DRIFT_WINDOWS = 4  # a slow drift must hold this many trigger windows ...
DRIFT_SHARE = 0.3  # ... and move the level by this share of it
FIT_POINTS = 400  # an onset fit tries every pair of knots among at most this many points
HELD_MINUTES = 10  # a change over by itself sooner is a blip (a rollout warming up, a GC)


@dataclass(frozen=True)
class Episode:
    metric: str
    service: str
    direction: Side
    onset: datetime
    end: datetime
    ongoing: bool  # still anomalous at the last point
    peak: float  # most extreme value in the episode
    baseline: float  # baseline level before onset
    threshold: float  # the threshold crossed at onset
    score: float  # max score in the episode, 0..1
    points: int  # points inside the episode

    def clear(self, window_seconds: float) -> bool:
        """An incident-sized change, lasting half a trigger window unless still going on (at
        10 s scrapes, three points are 30 s: a blip): either its peak is at least twice the
        trigger's N·sigma from the baseline (score 0.8), or it is a slow drift that held for
        several windows and moved the level by a large share (a disk filling over hours
        never stands far above its own recent past, yet it is half gone). The further the
        level moved, the sooner a drift tells: tripled memory is clear after one window,
        where a 30% drift needs four (a series whose change began before its first baseline
        has that baseline on the ramp, so it never stands far above it)."""
        lasted = (self.end - self.onset).total_seconds()
        if not (self.ongoing or lasted >= window_seconds / 2):
            return False
        moved = abs(self.peak - self.baseline) / max(abs(self.baseline), 1e-12)
        windows = max(1.0, DRIFT_WINDOWS * DRIFT_SHARE / max(moved, DRIFT_SHARE))
        drift = moved >= DRIFT_SHARE and lasted >= windows * window_seconds
        return self.score >= CLEAR_SCORE or drift


@dataclass(frozen=True)
class _Span:
    """An episode as indexes: onset, the point that confirmed it, and its last point."""

    side: Side
    onset: int
    confirmed: int
    end: int


def score_series(
    timestamps: np.ndarray,
    values: np.ndarray,
    trigger: WindowTrigger,
    bad_when: str | None = None,
    *,
    spikes: bool = True,
    settings: EpisodeSettings = DEFAULT_SETTINGS,
) -> np.ndarray:
    """Per point anomaly score in 0..1, from the past only.

    With `spikes` (the default, what an alerting system sees) a point scores only when it
    confirms a new episode, with the strongest score of the points that opened it; every
    other point scores 0. Without, every point gets how far it sits outside its baseline.
    """
    t, x, where = _prepare(timestamps, values)
    out = np.zeros(len(np.asarray(values)))
    if len(t) < 2:
        return out
    base = _baseline(t, x, trigger, settings)
    sides = _sides(bad_when)
    z = {side: _deviation(x, base, side) for side in sides}
    score = np.max([_score(z[side], trigger) for side in sides], axis=0)
    if spikes:
        dense = np.zeros(len(x))
        for side in sides:
            for span in _spans(z[side], t, None, trigger, settings, side):
                peak = float(score[span.onset : span.confirmed + 1].max())
                dense[span.confirmed] = max(dense[span.confirmed], peak)
        score = dense
    out[where] = score
    return out


def detect_episodes(
    metric: str,
    service: str,
    timestamps: np.ndarray,
    values: np.ndarray,
    trigger: WindowTrigger,
    bad_when: str | None = None,
    *,
    settings: EpisodeSettings = DEFAULT_SETTINGS,
) -> list[Episode]:
    """The incident episodes of one series, by onset.

    `bad_when` "rises" or "falls" watches that direction only; None watches both.
    """
    key = (metric, service, trigger, settings)
    known = bad_when in _WATCHED  # an unknown value reaches _sides, which raises
    found = {side: _cached(timestamps, values, (*key, side)) for side in _WATCHED.get(bad_when, ())}
    if not known or None in found.values():
        t, x, _ = _prepare(timestamps, values)
        if len(t) < 2:
            return []
        base = _baseline(t, x, trigger, settings)
        for side in _sides(bad_when):
            if found.get(side) is None:
                found[side] = _side_episodes(metric, service, t, x, base, trigger, settings, side)
                _remember(timestamps, values, (*key, side), found[side])
    episodes = [e for side_episodes in found.values() for e in side_episodes]
    return sorted(episodes, key=lambda e: (e.onset, e.direction))


def _side_episodes(
    metric: str,
    service: str,
    t: np.ndarray,
    x: np.ndarray,
    base: Baseline,
    trigger: WindowTrigger,
    settings: EpisodeSettings,
    side: Side,
) -> list[Episode]:
    k = trigger.threshold_multiplier
    z = _deviation(x, base, side)
    score = _score(z, trigger)
    sign = 1.0 if side == "above" else -1.0
    episodes = []
    judged = np.flatnonzero(np.isfinite(base.level))  # an onset needs a baseline before it
    earliest = int(judged[0]) if len(judged) else 0
    for span in _spans(z, t, x, trigger, settings, side, earliest):
        inside = x[span.onset : span.end + 1]
        level = float(base.level[span.onset])
        sigma = float(base.sigma[span.onset])
        episodes.append(
            Episode(
                metric=metric,
                service=service,
                direction=side,
                onset=_utc(t[span.onset]),
                end=_utc(t[span.end]),
                ongoing=span.end == len(x) - 1,
                peak=float(inside.max() if side == "above" else inside.min()),
                baseline=level,
                threshold=level + sign * k * sigma,
                score=float(score[span.onset : span.end + 1].max()),
                points=span.end - span.onset + 1,
            )
        )
    return episodes


# Detection and the metric tools (evidence.metrics.compare) ask for the episodes of the same
# series several times in a run: each direction's episodes are kept per pair of arrays. An
# entry holds weak references to the arrays and is used only while they are the very objects
# asked about (an id alone could be reused by a later array); series are never modified in
# place. Episodes are small, and the oldest entries go first.
_CACHE: dict[tuple, tuple[weakref.ref, weakref.ref, list[Episode]]] = {}
_CACHE_SIZE = 256


def _cached(timestamps, values, key: tuple) -> list[Episode] | None:
    if not (isinstance(timestamps, np.ndarray) and isinstance(values, np.ndarray)):
        return None
    entry = _CACHE.get((id(timestamps), id(values), *key))
    if entry is None or entry[0]() is not timestamps or entry[1]() is not values:
        return None
    return entry[2]


def _remember(timestamps, values, key: tuple, episodes: list[Episode]) -> None:
    if not (isinstance(timestamps, np.ndarray) and isinstance(values, np.ndarray)):
        return
    while len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)), None)
    _CACHE[(id(timestamps), id(values), *key)] = (
        weakref.ref(timestamps),
        weakref.ref(values),
        episodes,
    )


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def _prepare(timestamps: np.ndarray, values: np.ndarray):
    """Time-sorted ms timestamps and finite values, and where each came from in the input."""
    t = np.asarray(timestamps).astype("datetime64[ms]").view(np.int64)
    x = np.asarray(values, dtype=np.float64)
    keep = np.flatnonzero(np.isfinite(x))
    if len(keep) > 1 and np.any(np.diff(t[keep]) < 0):  # a stray late row: sort, stably
        keep = keep[np.argsort(t[keep], kind="stable")]
    return t[keep], x[keep], keep


def _baseline(
    t: np.ndarray, x: np.ndarray, trigger: WindowTrigger, settings: EpisodeSettings
) -> Baseline:
    return robust_baseline(t, x, _window_ms(t, trigger), settings.baseline)


def _window_ms(t: np.ndarray, trigger: WindowTrigger) -> float:
    return trigger.for_series(t.view("datetime64[ms]")).window_seconds * 1000


_WATCHED: dict[str | None, tuple[Side, ...]] = {
    "rises": ("above",),
    "falls": ("below",),
    None: ("above", "below"),
}


def _sides(bad_when: str | None) -> tuple[Side, ...]:
    if bad_when == "rises":
        return ("above",)
    if bad_when == "falls":
        return ("below",)
    if bad_when is None:
        return ("above", "below")
    raise ValueError(f"bad_when must be 'rises', 'falls' or None, not {bad_when!r}")


def _deviation(x: np.ndarray, base: Baseline, side: Side) -> np.ndarray:
    """Sigmas beyond the baseline in the watched direction; 0 where nothing is judged."""
    z = (x - base.level) / base.sigma
    if side == "below":
        z = -z
    return np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)


def _score(z: np.ndarray, trigger: WindowTrigger) -> np.ndarray:
    """0 at the baseline, 0.5 at the trigger's threshold, towards 1 far beyond it."""
    s = np.maximum(z, 0.0)
    s *= s
    return s / (s + trigger.threshold_multiplier**2)


def _spans(
    z: np.ndarray,
    t: np.ndarray,
    x: np.ndarray | None,
    trigger: WindowTrigger,
    settings: EpisodeSettings,
    side: Side,
    earliest: int = 0,
) -> list[_Span]:
    """Episodes as index spans: runs of still-anomalous points holding `persist` hot ones.

    With the values `x`, each onset is refined by a change-point fit that also reads points
    after the confirmation (what a report wants), never before `earliest`, the first point
    with a baseline; without, it is the run's start, from the past only (what a causal score
    wants).
    """
    m = settings.persist
    hot = z > trigger.threshold_multiplier
    held = np.cumsum(hot)
    held[m:] -= held[:-m].copy()
    confirmed = np.flatnonzero(hot & (held >= m))  # the m-th consecutive hot point
    if not len(confirmed):
        return []
    still = np.concatenate(([False], z > settings.close_sigma, [False]))
    edges = np.flatnonzero(still[1:] != still[:-1])
    starts, ends = edges[::2], edges[1::2] - 1  # runs of still-anomalous points, inclusive
    # Runs separated by fewer than `merge_gap` calm points are one episode.
    new_group = np.concatenate(([True], starts[1:] - ends[:-1] - 1 >= settings.merge_gap))
    group = np.cumsum(new_group) - 1
    group_end = ends[np.flatnonzero(np.concatenate((new_group[1:], [True])))]
    run_of = np.searchsorted(starts, confirmed, side="right") - 1
    window = settings.resume_windows * _window_ms(t, trigger)
    blip = _window_ms(t, trigger) / 2  # shorter than Episode.clear's half window
    lookback = int(np.searchsorted(t, t[0] + _window_ms(t, trigger)))  # a window's points
    spans: list[_Span] = []
    last_group = -1
    for c, r in zip(confirmed.tolist(), run_of.tolist(), strict=True):
        g = int(group[r])
        if g == last_group:
            continue  # this episode is already open
        last_group = g
        onset, end = int(starts[r]), int(group_end[g])
        if x is not None:  # looking back, with the points after: the report's onset
            lo = min(max(onset - lookback, earliest), onset)
            fit = _changepoint(t, x, lo, c, min(end, c + lookback))
            onset = min(onset, fit)
        prev = spans[-1] if spans else None
        if prev and t[onset] - t[prev.end] <= window:  # back within a window: same one ...
            if t[prev.end] - t[prev.onset] >= blip:
                spans[-1] = replace(prev, end=end)
                continue
            spans.pop()  # ... unless that was a blip: noise before the change, not its start
        spans.append(_Span(side, onset, c, end))
    return spans


def _changepoint(t: np.ndarray, x: np.ndarray, lo: int, confirmed: int, hi: int) -> int:
    """Where the change began: the least-squares change point of x[lo : hi + 1].

    The shape fitted is flat, then a straight ramp, then flat again: a level before the
    change, a new level after it, and a ramp of any length between (one step is a step; a
    ramp still climbing at the last point is a leak or a filling disk). Every pair of knots
    is tried, the first no later than the confirming point; the onset is the first point the
    best fit moves. The still-anomalous run starts where noise last dipped below
    `close_sigma`, a step or three late on a slow ramp; the fit uses the whole shape.

    Trying every pair costs the square of the points, so a dense series (more than
    FIT_POINTS here: sub-second samples, a long window) is fitted on the means of runs of k
    points, and the onset is the first point of the first run the fit moves.
    """
    u = (t[lo : hi + 1] - t[lo]) / 1000.0  # seconds from the first point: keeps the precision
    y = x[lo : hi + 1] - float(np.median(x[lo : hi + 1]))
    if len(y) < 4:
        return confirmed
    k = -(-len(y) // FIT_POINTS)
    if k > 1:
        starts = np.arange(0, len(y), k)
        size = np.diff(np.append(starts, len(y)))
        u, y = np.add.reduceat(u, starts) / size, np.add.reduceat(y, starts) / size
    before = (confirmed - lo) // k  # knots the ramp may start at: up to the confirming point
    return lo + k * _first_moved(u, y, before) if before else confirmed


def _first_moved(u: np.ndarray, y: np.ndarray, confirmed: int) -> int:
    """The flat-ramp-flat least-squares fit of y over u: the index of its first moved point."""
    n = len(y)

    def prefix(a: np.ndarray) -> np.ndarray:  # prefix[k] = a[:k].sum()
        return np.concatenate(([0.0], np.cumsum(a)))

    su, suu, sy, suy, syy = (prefix(a) for a in (u, u * u, y, u * y, y * y))
    p = np.arange(min(confirmed, n - 2))[:, None]  # the last point before the ramp
    q = np.arange(1, n)[None, :]  # the first point at the new level
    r = np.minimum(p + 1, q)  # the ramp's points are r .. q - 1
    c = q - r
    m_u, m_uu, m_y, m_uy = (s[q] - s[r] for s in (su, suu, sy, suy))
    up = u[p]
    with np.errstate(divide="ignore", invalid="ignore"):
        d = u[q] - up
        h = (m_u - c * up) / d + (n - q)  # sums of the ramp regressor, its square, and by y
        hh = (m_uu - 2 * up * m_u + c * up * up) / (d * d) + (n - q)
        hy = (m_uy - up * m_y) / d + (sy[n] - sy[q])
        det = n * hh - h * h
        a = (hh * sy[n] - h * hy) / det
        b = (n * hy - h * sy[n]) / det
        sse = syy[n] - a * sy[n] - b * hy
    sse = np.where((q > p) & (det > 0) & np.isfinite(sse), sse, np.inf)
    return int(np.argmin(sse)) // sse.shape[1] + 1
