"""Anomaly detection: the WindowTrigger, and the anomalies it fires grouped per metric."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import overload

import numpy as np

from models import AnomalyGroup, Direction, MetricAnomaly


@dataclass(frozen=True)
class WindowTrigger:
    """Fires on a point above mean + N·sigma of its baseline window.

    The baseline of a point at time t is the `window_seconds` of points in
    [t - guard - window, t - guard), with `guard_seconds` defaulting to half the window.
    The guard band (as in radar CFAR detectors) keeps the recent past out of the baseline:
    a trailing window that reaches up to t can never flag a linear ramp at 2.5 sigma (a
    noiseless ramp sits only ~1.7 sigma above the mean of its own trailing window), and a
    spike would inflate its own baseline. With a guard of half a window a ramp sits
    (guard + window/2) / (window/sqrt(12)) ~ 3.5 sigma above its baseline and fires.

    The scan is one pass over the time-sorted points whatever the window length: a compiled
    loop (detection/_window.c) where the install built it, else numpy prefix sums with the
    same result to the bit. Points with fewer than `min_points` baseline points are not
    judged; so that coarse data (a minute between scrapes) can be judged at all, a window
    shorter than `min_points` + 2 of the series' own steps is widened to that.
    A flat baseline (sigma = 0) fires on any rise above it beyond float rounding, without
    division warnings. `direction="below"` watches for falls instead (free disk, idle CPU).
    """

    window_seconds: float = 300
    threshold_multiplier: float = 2.5
    guard_seconds: float | None = None
    min_points: int = 10

    def fired(
        self, timestamps: np.ndarray, values: np.ndarray, direction: Direction = "above"
    ) -> np.ndarray:
        """Which points fire, in the order given."""
        values = np.asarray(values, dtype=np.float64)
        order, (fired, _, _) = self._time_ordered_scan(timestamps, values, direction)
        if order is None:
            return fired
        unsorted = np.empty(len(order), dtype=bool)
        unsorted[order] = fired
        return unsorted

    def _time_ordered_scan(self, timestamps: np.ndarray, values: np.ndarray, direction, sums=False):
        """(None, or the order that sorts the points when they were not; _scan of them sorted).

        A fall is a rise of the negated series. The scan itself tells when the timestamps go
        back in time; a stable sort keeps equal timestamps in their order.
        """
        rising = values if direction == "above" else -values
        try:
            return None, self.for_series(timestamps)._scan(timestamps, rising, sums)
        except _Unsorted:
            order = np.argsort(timestamps, kind="stable")
            ordered = timestamps[order]
            return order, self.for_series(ordered)._scan(ordered, rising[order], sums)

    def for_series(self, timestamps: np.ndarray) -> "WindowTrigger":
        """This trigger, its window widened if it holds too few of the series' steps."""
        head = timestamps[:10_001].astype("datetime64[ms]", copy=False).view(np.int64)
        if len(head) < 2:
            return self
        step = float(np.median(np.diff(head))) / 1000
        needed = (self.min_points + 2) * step
        if needed <= self.window_seconds:
            return self
        return replace(self, window_seconds=needed)

    def _scan(
        self, timestamps: np.ndarray, values: np.ndarray, sums: bool = False
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None, float]:
        """(fired per point, the fired points' (index, s1, s2, count) if `sums`, centre).

        s1 and s2 are the sum and the sum of squares of the centred baseline values, count
        how many there are. The compiled scan (detection/_window.c) when it was built, else
        numpy: the two give identical bits.
        """
        t = np.ascontiguousarray(timestamps.astype("datetime64[ms]", copy=False).view(np.int64))
        x = np.ascontiguousarray(values, dtype=np.float64)
        n = len(x)
        window = int(self.window_seconds * 1000)
        guard = self.window_seconds / 2 if self.guard_seconds is None else self.guard_seconds
        # Centre before summing so the window sums keep their precision; a sample's median will do.
        centre = float(np.median(x[:: max(1, n // 10_000)])) if n else 0.0
        # Rounding tolerance: a flat baseline must not fire on its own last bit.
        tol = 1e-9 * max(1.0, abs(float(x.max())), abs(float(x.min()))) if n else 1e-9
        args = (t, x, centre, int(guard * 1000), window, float(self.min_points), tol)
        k2 = self.threshold_multiplier**2
        fired = np.empty(n, dtype=bool)
        kernel = _compiled_scan()
        if kernel is None:
            if n > 1 and not np.all(t[1:] >= t[:-1]):
                raise _Unsorted
            return fired, _numpy_scan(*args, k2, fired, sums), centre
        if not sums:
            if kernel(*args, k2, fired) < 0:
                raise _Unsorted
            return fired, None, centre
        # Room for a sixteenth of the points to fire (at 2.5 sigma noise fires about 1%); a
        # series that fires more is scanned again with room for all it fired.
        room = min(n, max(1024, n // 16))
        while True:
            detail = np.empty(room, np.int64), np.empty(room), np.empty(room), np.empty(room)
            k = kernel(*args, k2, fired, *detail)
            if k < 0:
                raise _Unsorted
            if k <= room:
                return fired, tuple(a[:k].copy() for a in detail), centre
            room = k

    def detect(
        self,
        metric: str,
        timestamps: np.ndarray,
        values: np.ndarray,
        service: str = "unknown",
        direction: Direction = "above",
    ) -> "Anomalies":
        """The points that fire, one MetricAnomaly each (built when read: see Anomalies)."""
        values = np.asarray(values, dtype=np.float64)
        sign = 1.0 if direction == "above" else -1.0
        order, (_, sums, centre) = self._time_ordered_scan(timestamps, values, direction, True)
        if order is not None:
            timestamps, values = timestamps[order], values[order]
        idx, s1, s2, count = sums
        t = timestamps.astype("datetime64[ms]", copy=False).view(np.int64)
        np.maximum(count, 1.0, out=count)
        mean_c = s1 / count
        var = np.maximum(s2 / count - mean_c * mean_c, 0.0)
        mean, sigma = sign * (mean_c + centre), np.sqrt(var)
        threshold = mean + sign * self.threshold_multiplier * sigma
        return Anomalies(metric, service, direction, t[idx], values[idx], threshold, mean, sigma)


class Anomalies(Sequence[MetricAnomaly]):
    """Fired points as columns, in time order; each MetricAnomaly is built when it is read.

    A noisy metric over a long window fires tens of thousands of points and the report shows
    a handful, so the objects are made only for what is used: `between` keeps the points of
    an episode without building the others.
    """

    __slots__ = ("metric", "service", "direction", "_ms", "_columns")

    def __init__(
        self,
        metric: str,
        service: str,
        direction: Direction,
        ms: np.ndarray,
        *columns: np.ndarray,  # value, threshold, baseline mean, baseline std
    ) -> None:
        self.metric, self.service, self.direction = metric, service, direction
        self._ms, self._columns = ms, columns

    def __len__(self) -> int:
        return len(self._ms)

    @overload
    def __getitem__(self, i: int) -> MetricAnomaly: ...
    @overload
    def __getitem__(self, i: slice) -> "Anomalies": ...
    def __getitem__(self, i: int | slice) -> "MetricAnomaly | Anomalies":
        if isinstance(i, slice):
            return Anomalies(
                self.metric,
                self.service,
                self.direction,
                self._ms[i],
                *(c[i] for c in self._columns),
            )
        value, limit, mu, sd = (float(c[i]) for c in self._columns)
        return MetricAnomaly(
            metric=self.metric,
            service=self.service,
            value=value,
            threshold=limit,
            timestamp=datetime.fromtimestamp(int(self._ms[i]) / 1000, UTC),  # as to_datetime
            baseline_mean=mu,
            baseline_std=sd,
            direction=self.direction,
        )

    def __iter__(self) -> Iterator[MetricAnomaly]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable-sequence semantics: compare, not hash

    def __repr__(self) -> str:
        return f"Anomalies({self.metric!r}, {len(self)} points)"

    def between(self, start: datetime, end: datetime) -> "Anomalies":
        """The points with start <= timestamp <= end."""
        lo, hi = (round(x.timestamp() * 1000) for x in (start, end))
        return self[np.searchsorted(self._ms, lo) : np.searchsorted(self._ms, hi, side="right")]


class _Unsorted(Exception):
    """The timestamps given to a scan are not in time order: sort, and scan again."""


@cache
def _compiled_scan():
    """detection._window.scan, or None where it was not built (no C compiler at install).

    Imported on first use: detection/ imports this module, so it cannot be imported at the top.
    """
    try:
        from detection._window import scan
    except ImportError:
        return None
    return scan


def _numpy_scan(
    t: np.ndarray,
    x: np.ndarray,
    centre: float,
    guard: int,
    window: int,
    min_points: float,
    tol: float,
    k2: float,
    fired: np.ndarray,
    sums: bool,
) -> tuple[np.ndarray, ...] | None:
    """detection/_window.c in array operations, with the same result to the bit.

    Fills `fired`: g = c·d - s1 - c·tol > 0, c >= min_points and g² > k²·(c·s2 - s1²), which
    is d - mean - tol > k·sigma without a division or a root. The window sums are differences
    of prefix sums: numpy's cumsum adds in index order from the first value, which is what
    starting at -0.0 gives (the compiled loop starts its running sums there).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # 1e308²: inf still compares
        n = len(x)
        d = x - centre
        prefix = np.empty((2, n + 1))
        prefix[:, 0] = -0.0
        np.cumsum(d, out=prefix[0, 1:])
        squares = np.multiply(d, d, out=prefix[1, 1:])
        np.cumsum(squares, out=squares)
        s1, s2, count = _baseline_sums(t, prefix, guard, window)
        judged = count >= min_points
        g = np.multiply(count, d, out=d)
        g -= s1
        g -= count * tol
        v = count * s2
        v -= s1 * s1
        np.greater(g, 0.0, out=fired)
        fired &= judged
        g *= g
        v *= k2
        fired &= g > v
    if not sums:
        return None
    idx = np.flatnonzero(fired)
    return idx, s1[idx], s2[idx], count[idx]


def _baseline_sums(
    t: np.ndarray, prefix: np.ndarray, guard: int, window: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per point: sum and sum of squares over [t - guard - window, t - guard), and the count.

    `prefix` holds the two prefix sums (length n + 1). Evenly spaced series, what scrapers and
    range queries return, take the grid path; anything else finds its bounds by binary search.
    """
    n = len(t)
    step = int(t[1] - t[0]) if n > 1 else 0
    if step > 0 and t[-1] - t[0] == step * (n - 1) and np.all(np.diff(t) == step):
        return _grid_sums(n, step, prefix, guard, window)
    return _searched_sums(t, prefix, guard, window)


def _grid_sums(n: int, step: int, prefix: np.ndarray, guard: int, window: int):
    """On a regular grid the window bounds are fixed index offsets: sums are slice differences."""
    far = min((guard + window) // step, n)  # the baseline starts `far` points back
    near = min(guard // step, n)  # ... and ends before the point `near` points back
    s1, s2, count = np.empty(n), np.empty(n), np.empty(n)
    head = np.maximum(np.arange(far) - near, 0)  # the first points: a partial baseline
    for out, row in ((s1, prefix[0]), (s2, prefix[1])):
        np.subtract(row[head], row[0], out=out[:far])
        np.subtract(row[far - near : n - near], row[: n - far], out=out[far:])
    count[:far] = head
    count[far:] = far - near
    return s1, s2, count


def _searched_sums(t: np.ndarray, prefix: np.ndarray, guard: int, window: int):
    lo = _sorted_positions(t, t - guard - window)
    hi = _sorted_positions(t, t - guard)
    return prefix[0, hi] - prefix[0, lo], prefix[1, hi] - prefix[1, lo], (hi - lo).astype(float)


def _sorted_positions(t: np.ndarray, q: np.ndarray) -> np.ndarray:
    """np.searchsorted(t, q) for sorted t and sorted q of the same length, by one merge.

    A stable argsort of two sorted runs is a linear merge (timsort), about 1.5x faster than
    n binary searches; q first, so a q equal to some t lands before it, as side="left" does.
    """
    order = np.argsort(np.concatenate((q, t)), kind="stable")
    return np.flatnonzero(order < len(q)) - np.arange(len(q))


def incident_start(anomalies: list[MetricAnomaly], run: int = 3) -> datetime:
    """When the incident began: the first anomaly that starts a run of `run` on its metric.

    A run is `run` anomalies of one metric within ten minutes; an isolated noise blip hours
    earlier does not start an incident. Without any run, the first anomaly.
    """
    times: dict[str, list[datetime]] = {}
    for a in anomalies:
        times.setdefault(a.metric, []).append(a.timestamp)
    starts = []
    for ts in times.values():
        ts.sort()
        starts += [
            ts[i]
            for i in range(len(ts) - run + 1)
            if ts[i + run - 1] - ts[i] <= timedelta(minutes=10)
        ][:1]
    return min(starts, default=min(a.timestamp for a in anomalies))


def group_anomalies(anomalies: list[MetricAnomaly]) -> list[AnomalyGroup]:
    """Per metric: how many points fired, when, the peak and the threshold at the peak."""
    by_metric: dict[str, list[MetricAnomaly]] = {}
    for a in anomalies:
        by_metric.setdefault(a.metric, []).append(a)
    groups = []
    for metric, items in by_metric.items():
        worst = max if items[0].direction == "above" else min
        peak = worst(items, key=lambda a: a.value)
        groups.append(
            AnomalyGroup(
                metric=metric,
                service=items[0].service,
                count=len(items),
                first=min(a.timestamp for a in items),
                last=max(a.timestamp for a in items),
                peak=peak.value,
                threshold=peak.threshold,
                direction=items[0].direction,
            )
        )
    return sorted(groups, key=lambda g: g.first)
