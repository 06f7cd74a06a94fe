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

_MEMORY_WORDS = ("heap", "mem", "memory", "rss", "resident", "workingset", "oldgen")
# Bytes that are stored, not held in memory: a growing disk is not a leak.
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


def is_memory(c: BaselineComparison) -> bool:
    w = words(c.metric)
    if any(m in x for x in w for m in _MEMORY_WORDS):
        return True
    return _unit(c) in BYTE_UNITS and not (set(w) & _STORAGE_WORDS)


def is_request_rate(c: BaselineComparison) -> bool:
    w, unit = words(c.metric), _unit(c)
    if set(w) & set(_NOT_LOAD_WORDS) or unit in TIME_UNITS or unit in BYTE_UNITS:
        return False
    return bool(set(w) & set(_RATE_WORDS)) or unit.startswith("req") or "req/" in unit


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
