"""Judgements every category reads: what rose, what ran out, whether load moved first.

Plain functions of one service's evidence (offline.service.ServiceEvidence). Nothing here
knows a scenario, service or metric by name: metrics are recognised by words and units
(semantics.py), log errors by the fixed tags of evidence.logs.
"""

import re

from evidence.kinds import resource
from evidence.metrics import BaselineComparison
from evidence.statements import tag, value
from offline.service import ServiceEvidence
from semantics import (
    headroom_gone,
    headroom_left,
    is_cpu_throttled,
    is_error_rate,
    is_latency,
    is_pinned,
    is_rejection,
    is_replicas,
    is_request_rate,
)

CLASS_NAME = re.compile(r"\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+)\b")


def rising(c: BaselineComparison) -> bool:
    return c.shape in ("ramp", "level_shift") and (c.change_ratio or 0) > 1


def confidence(signals: int) -> float:
    return round(min(0.95, 0.35 + 0.12 * signals), 2)


def strong(ev: ServiceEvidence) -> bool:
    return any((c.robust_z or 0) >= 6 for c in ev.comparisons)


def saturated(ev: ServiceEvidence) -> tuple[list[BaselineComparison], str | None]:
    """The metrics pinned at their limit, and what ran out, from metric names and new logs."""
    samples = [
        s.sample
        for s in (ev.logs.new_signatures if ev.logs else [])
        if {"saturation", "pool_exhaustion"} & set(s.tags)
    ]
    told = bool(tag(ev.logs, "saturation") + tag(ev.logs, "pool_exhaustion"))
    pinned = [
        c
        for c in ev.comparisons
        if is_pinned(c)
        or headroom_gone(c, told)
        or (is_cpu_throttled(c) and c.shape in ("ramp", "level_shift", "spike"))
    ]
    return pinned, resource([c.metric for c in pinned] + samples)


SURGE_RISE_MINUTES = 90  # a surge reaches its new level in minutes; a diurnal ramp in hours
SURGE_MIN_RATIO = 2.0  # "sharply": the load at least doubled ...
SURGE_MIN_RATIO_SCALED = 1.2  # ... or rose this much with the autoscaler adding replicas
SURGE_FOLD = 4.0  # past this many times over, a rise may take longer: 90 min per fourfold
SURGE_ERROR_EXCESS = 3  # errors growing this many times faster than load: something broke
# ... and failing more requests than overload sheds: a service sized for about twice its
# usual load can shed at most the load beyond that (1 - 2/x of it at x times the load).
SURGE_HEADROOM = 2.0
SURGE_ERROR_SHARE = 0.1  # the least share that counts as a failure rather than shedding


def surge_symptoms(ev: ServiceEvidence) -> list[str]:
    """What hurts besides the load itself: latency, errors, a pinned resource, rejections."""
    found = [
        f"{c.metric} up" for c in ev.comparisons if is_latency(c) and (c.change_ratio or 2) >= 1.2
    ]
    found += [f"{c.metric} up" for c in ev.comparisons if is_error_rate(c)]
    found += [f"{c.metric} pinned" for c in ev.comparisons if is_pinned(c)]
    found += [f"{n} '{t}' log lines" for t in ("traffic", "saturation") if (n := tag(ev.logs, t))]
    return found


def _per_second(c: BaselineComparison) -> float:
    """A rate's median after onset in events per second (units per minute are converted)."""
    per_minute = "min" in (c.unit or "").lower() or "per_minute" in c.metric.lower()
    return (c.after_median or 0) / (60 if per_minute else 1)


def error_share(errors: BaselineComparison, rates: list[BaselineComparison]) -> float:
    """Errors after onset as a share of requests after onset (1.0 when it can't be told).

    From a near-zero baseline an overloaded service's errors grow many times faster than its
    load, yet stay a small share of it; a bug fails a large share of what it serves.
    """
    total = max(_per_second(r) for r in rates)
    return _per_second(errors) / total if total else 1.0


def _growth(c: BaselineComparison) -> float:
    """How many times over the load grew: to its peak for a ramp (the median after onset of
    a ramp still climbing understates it), else the change ratio."""
    ratio = c.change_ratio or 0
    if c.shape == "ramp" and c.after_max and c.baseline_median and c.baseline_median > 0:
        return max(ratio, c.after_max / c.baseline_median)
    return ratio


def surge_rates(ev: ServiceEvidence) -> list[BaselineComparison]:
    """Request rates that rose to a new level first, while something else hurt after them.

    Not a surge: a multi-hour smooth ramp (the time of day) with latency and errors flat;
    errors growing far faster than the load (a bug or a failing dependency); or a resource
    that was exhausted before the load moved (the load did not cause it). An autoscaler
    adding replicas is the platform's own word that load grew: a smaller or slower rise
    counts then. A rise that multiplied the load many times over counts even when it took
    longer (a crawler ramping up for an hour and a half): a day's cycle does not grow the
    load tenfold in two hours.
    """
    scaled = any(is_replicas(c) and rising(c) for c in ev.comparisons)
    least = SURGE_MIN_RATIO_SCALED if scaled else SURGE_MIN_RATIO
    slowest = SURGE_RISE_MINUTES * (2 if scaled else 1)
    rates = [
        c
        for c in ev.comparisons
        if is_request_rate(c)
        and c.shape in ("level_shift", "spike", "ramp")
        and (c.change_ratio or 0) >= least
        and (c.rise_minutes or 0) <= max(slowest, SURGE_RISE_MINUTES * _growth(c) / SURGE_FOLD)
    ]
    if not rates or not surge_symptoms(ev):
        return []
    load = max(c.change_ratio or 1 for c in rates)
    # An autoscaler that multiplied the replicas ran out of room: the errors after it are
    # the load it could not place, whatever their share.
    capped = any(is_replicas(c) and (c.change_ratio or 0) >= 2 for c in ev.comparisons)
    runaway = [
        c
        for c in ev.comparisons
        if is_error_rate(c)
        and not is_rejection(c)
        and not capped
        and (c.change_ratio or 0) > SURGE_ERROR_EXCESS * load
        and error_share(c, rates) >= max(SURGE_ERROR_SHARE, 1 - SURGE_HEADROOM / load)
    ]
    started = min(c.onset for c in rates if c.onset)
    exhausted_first = [c for c in ev.comparisons if is_pinned(c) and c.onset and c.onset < started]
    return [] if runaway or exhausted_first else rates


_REPEATED = re.compile(r"repeated (\d{1,12}) times")


def log_flood(logs) -> str | None:
    """The new log line that floods: by far the most frequent new signature, with its count."""
    sigs = [s for s in (logs.new_signatures if logs else []) if "saturation" not in s.tags]
    if not sigs:
        return None
    top = max(sigs, key=lambda s: s.count)
    repeated = sum(int(n) for n in _REPEATED.findall(top.sample)) or 0
    if top.count < 50 and repeated < 1000:
        return None
    times = f"{top.count} lines" + (f" (one repeated {repeated} times)" if repeated else "")
    return f"'{top.sample[:100]}' from {top.first_seen:%H:%M}Z, {times}"


def at_limit(c: BaselineComparison) -> str:
    if (left := headroom_left(c)) is not None:
        return f"{c.metric} down to {value(c.after_max, c.unit)}, {left:.0%} of its baseline"
    return f"{c.metric} at {value(c.after_max, c.unit)}"
