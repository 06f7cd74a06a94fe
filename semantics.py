"""The vocabulary of metric meaning: what a metric measures and which way it goes wrong.

Detection and evidence both read it. No service or metric is known by name: a metric is
memory because its name says heap, memory, RSS or resident (or it counts bytes and is not
storage), a request rate because it says requests/rps/qps or its unit is req/s, a utilization
because its unit is a percent or a ratio. Names are hints; bundle.json's `kind` and
`bad_when` override them.
"""

from __future__ import annotations

import re
from typing import Protocol


class BaselineComparison(Protocol):
    """The fields of evidence.metrics.BaselineComparison that the vocabulary reads."""

    metric: str
    unit: str | None
    shape: str
    after_max: float | None
    baseline_median: float | None


BYTE_UNITS = {"b", "byte", "bytes", "kb", "kib", "mb", "mib", "gb", "gib"}
PERCENT_UNITS = {"%", "percent", "pct"}
RATIO_UNITS = {"ratio", "fraction", "0-1", "1"}
PINNED = 0.95  # share of capacity at which a resource counts as pinned at its limit
NEAR_ZERO = 0.05  # share of its baseline below which headroom counts as gone

_MEMORY_WORDS = ("heap", "mem", "memory", "rss", "resident", "workingset", "oldgen", "offheap")
# Bytes that are stored, not held in memory: a growing disk is not a leak.
_MEMORY_REGIONS = {"gen", "eden", "survivor", "tenured", "metaspace", "direct", "buffer", "buffers"}
_STORAGE_WORDS = {
    "disk", "fs", "filesystem", "volume", "storage", "wal", "file", "files", "table", "index",
    "bucket", "object", "objects", "log", "logs", "spool", "backup", "snapshot", "db", "database",
    "network", "net", "rx", "tx", "received", "sent", "transmit", "bandwidth", "io",
}  # fmt: skip
_RATE_WORDS = ("request", "requests", "rps", "qps", "throughput", "traffic", "hits")
# Requests turned away on purpose (rate limits, load shedding) grow with the load itself.
_REJECTION_WORDS = ("rejected", "429", "throttled", "ratelimited", "shed", "dropped")
_ERROR_WORDS = (
    "error", "errors", "err", "fail", "failed", "failure", "failures", "5xx", "4xx",
    "500", "502", "503", "504", "exception", "exceptions", *_REJECTION_WORDS,
)  # fmt: skip
_LATENCY_WORDS = ("latency", "duration", "lag", "p50", "p75", "p90", "p95", "p99", "99p", "95p")
_NOT_LOAD_WORDS = (
    *_ERROR_WORDS,
    "duration", "latency", "time", "seconds", "ms", "size", "bytes", "p50", "p90", "p95", "p99",
)  # fmt: skip
TIME_UNITS = {"s", "sec", "seconds", "ms", "milliseconds", "us", "µs", "ns", "min", "minutes"}
_NOT_CAPACITY_WORDS = ("error", "errors", "fail", "hit", "miss", "success", "availability")


def words(name: str) -> list[str]:
    """A metric name split into lower-case words: jvm_heapUsed.bytes -> jvm, heap, used, bytes."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def _unit(c: BaselineComparison) -> str:
    return (c.unit or "").strip().lower()


def _memory_word(w: str) -> bool:
    # Whole words, so memcached_* and membership_* are not memory.
    return w in _MEMORY_WORDS or w.startswith(("heap", "memory"))


def is_memory(c: BaselineComparison) -> bool:
    w = words(c.metric)
    working_set = "working" in w and "set" in w
    # Regions of a heap or off-heap memory, in bytes: jvm_old_gen (MiB), direct buffers.
    region = _unit(c) in BYTE_UNITS and not set(w).isdisjoint(_MEMORY_REGIONS)
    memory = working_set or region or any(_memory_word(x) for x in w)
    return memory and not (set(w) & _STORAGE_WORDS - {"io"})


def is_request_rate(c: BaselineComparison) -> bool:
    w, unit = words(c.metric), _unit(c)
    if set(w) & set(_ERROR_WORDS):
        return False
    # The _count of a duration histogram counts requests (http_server_duration_ms_count), and
    # a unit of requests says so whatever the name.
    if unit.startswith("req") or "req/" in unit:
        return True
    counted = len(w) > 1 and w[-1] in ("count", "total") and unit.endswith("/s")
    if counted and set(w) & set(_RATE_WORDS):
        return True
    # Only a histogram's _count counts its observations; cpu_seconds_total is time, not load.
    if counted and w[-1] == "count" and set(w) & {"duration", "seconds", "latency"}:
        return True
    if set(w) & set(_NOT_LOAD_WORDS) or unit in TIME_UNITS or unit in BYTE_UNITS:
        return False
    return bool(set(w) & set(_RATE_WORDS))


def is_error_rate(c: BaselineComparison) -> bool:
    """Errors, failures or rejections: what users feel when something breaks."""
    return not set(words(c.metric)).isdisjoint(_ERROR_WORDS)


def is_rejection(c: BaselineComparison) -> bool:
    return not set(words(c.metric)).isdisjoint(_REJECTION_WORDS)


def is_latency(c: BaselineComparison) -> bool:
    w = set(words(c.metric))
    return not w.isdisjoint(_LATENCY_WORDS) or (_unit(c) in TIME_UNITS and not w & {"cpu"})


def utilization(c: BaselineComparison) -> float | None:
    """The peak after onset as a share of capacity, for percent and ratio gauges; else None."""
    w, unit = set(words(c.metric)), _unit(c)
    if c.after_max is None or w & set(_NOT_CAPACITY_WORDS):
        return None
    if unit in PERCENT_UNITS or (not unit and w & {"percent", "pct"}):
        return c.after_max / 100
    if (unit in RATIO_UNITS or (not unit and w & {"ratio", "utilization"})) and c.after_max <= 1:
        return c.after_max
    return None


def is_pinned(c: BaselineComparison) -> bool:
    u = utilization(c)
    return u is not None and u >= PINNED


def headroom_left(c: BaselineComparison) -> float | None:
    """For a headroom metric that dropped, its lowest value as a share of its baseline."""
    if c.shape != "drop" or not falls_when_bad(c.metric) or not c.baseline_median:
        return None
    if c.after_max is None or c.baseline_median <= 0:
        return None
    return max(c.after_max, 0.0) / c.baseline_median


def headroom_gone(c: BaselineComparison, corroborated: bool) -> bool:
    """Free space, memory or capacity down to near zero, or half gone with logs saying so."""
    left = headroom_left(c)
    return left is not None and (left <= NEAR_ZERO or (corroborated and left <= 0.5))


_HEADROOM_WORDS = {"avail", "available", "free", "remaining", "headroom", "idle", "left"}


def falls_when_bad(name: str, bad_when: str | None = None) -> bool:
    """Headroom metrics (free disk, available memory, idle CPU) are in trouble when they fall.

    A stated `bad_when` ("rises" or "falls") decides; otherwise the name's words do.
    """
    if bad_when is not None:
        return bad_when == "falls"
    return not _HEADROOM_WORDS.isdisjoint(words(name))


# Prometheus, OpenMetrics and Micrometer counter conventions.
_COUNTER_SUFFIXES = ("total", "count", "sum", "bucket", "counter")
_BAD_WHEN_FALLS = {"up", "success", "successes", "succeeded", "availability", "available", "ok"}
_BAD_WHEN_RISES = (*_ERROR_WORDS, *_LATENCY_WORDS, *_MEMORY_WORDS)
RESET_SHARE = 0.5  # a counter restarting falls below half of where it was


def is_counter(name: str, values, kind: str | None = None) -> bool:
    """Whether a series is a counter, to be read through its rate.

    A stated `kind` decides. Otherwise the data must never fall except by resets (a restart
    sets a counter back towards zero), and either the name follows a counter convention
    (`_total`, `_count`, `_sum`, `_bucket`) or the series reset at least once: a gauge that
    only ever climbs (a leaking heap) is not taken for a counter on its shape alone.
    """
    if kind is not None:
        return kind == "counter"
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    if len(v) < 3 or not np.all(np.isfinite(v)) or v.min() < 0:
        return False
    d = np.diff(v)
    falls = d < 0
    resets = falls & (v[1:] <= RESET_SHARE * v[:-1])
    if (falls & ~resets).any() or not (d > 0).any():
        return False
    w = words(name)
    return bool(w and w[-1] in _COUNTER_SUFFIXES) or bool(resets.any())


def rate(timestamps, values):
    """Per-second increase of a counter between points; a reset counts from zero (as PromQL)."""
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    t = timestamps.astype("datetime64[ms]").astype(np.int64) / 1000.0
    inc = np.diff(v)
    reset = inc < 0
    inc[reset] = v[1:][reset]
    dt = np.diff(t)
    dt[dt <= 0] = np.nan
    return timestamps[1:], inc / dt


def bad_when(name: str, unit: str | None = None, stated: str | None = None) -> str | None:
    """Which way a metric goes wrong: the stated one, else by its words; None: watch both."""
    if stated is not None:
        return stated
    w = set(words(name))
    if falls_when_bad(name) or w & _BAD_WHEN_FALLS:
        return "falls"
    if any(_memory_word(x) for x in w) or w & set(_BAD_WHEN_RISES):
        return "rises"
    return None


_BACKLOG_WORDS = {"lag", "backlog", "pending", "queued", "waiting", "behind", "inflight"}
_AVAILABILITY_WORDS = {"up", "probe", "success", "availability", "healthy", "ready"}


def is_cpu_throttled(c: BaselineComparison) -> bool:
    """CPU time refused by a container's limit (cfs throttling): the CPU ran out."""
    w = set(words(c.metric))
    return "cpu" in w and bool(w & {"throttled", "throttling", "throttle"})


def is_work(c: BaselineComparison) -> bool:
    """Load and the CPU it takes: work being done, which rises every morning (CPU refused by
    its limit is harm, not work)."""
    return is_request_rate(c) or ("cpu" in words(c.metric) and not is_cpu_throttled(c))


def is_backlog(c: BaselineComparison) -> bool:
    """Work waiting (consumer lag, queue depth): it grows when a service falls behind."""
    return not set(words(c.metric)).isdisjoint(_BACKLOG_WORDS)


def is_harm(c: BaselineComparison, stated_bad_when: str | None = None) -> bool:
    """Whether this metric moving says something hurts: errors, slowness, lost headroom,
    availability, a backlog, or CPU refused by its limit. Load alone (requests, CPU even at
    100%, rows processed) is work being done, and memory in use is not lost (a leak is judged
    on its own): a busy batch job is not an incident.
    """
    if stated_bad_when is not None:
        return True
    w = set(words(c.metric))
    if is_request_rate(c) or "gc" in w:  # GC pauses are judged with the heap, as a leak
        return False
    return (
        is_error_rate(c)
        or is_latency(c)
        or is_backlog(c)
        or is_cpu_throttled(c)
        or headroom_left(c) is not None
        or (c.shape == "drop" and bool(w & _AVAILABILITY_WORDS))
    )


def is_replicas(c: BaselineComparison) -> bool:
    """How many instances run (an autoscaler's replicas): it rises when load grows."""
    w = set(words(c.metric))
    return bool(w & {"replicas", "horizontalpodautoscaler", "hpa", "instances", "pods"})
