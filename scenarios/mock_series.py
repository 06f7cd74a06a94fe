"""The five seeded mock series of the default scenario (the seed's generate_mock_series)."""

from datetime import datetime, timedelta

import numpy as np

from sources.telemetry import to_datetime64

# metric -> (service, unit, description) of the five built-in series.
MOCK_METRICS: dict[str, tuple[str, str, str]] = {
    "cpu_usage": ("worker-service", "%", "CPU usage of the worker pods, percent of one core"),
    "error_rate": ("checkout-service", "errors/s", "5xx responses per second"),
    "latency_p99": ("checkout-service", "ms", "p99 latency of all checkout-service endpoints"),
    "checkout_latency_p99": ("checkout-service", "ms", "p99 latency of POST /checkout"),
    "heap_usage_mb": ("worker-service", "MB", "JVM heap in use, max over worker pods"),
}

# Offsets of the seeded incidents from the end of the hour of data.
CHECKOUT_ONSET = timedelta(minutes=25)  # before `now`; the config deploy lands 15 min earlier
LEAK_START = timedelta(minutes=50)
GC_THRASH = timedelta(minutes=8)


def generate_mock_series(
    now: datetime,
    seed: int,
    *,
    checkout_incident: bool = True,
    memory_leak: bool = True,
    step_seconds: int = 10,
    hours: float = 1.0,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The five mock series over the hour before `now`: metric -> (datetime64[ms], float64).

    With an incident switched off its series are noise around their baseline only.
    """
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 // step_seconds) + 1
    end = to_datetime64(now)
    timestamps = end - np.arange(n - 1, -1, -1) * np.timedelta64(step_seconds * 1000, "ms")
    age = (end - timestamps).astype("timedelta64[s]").astype(np.float64)  # seconds before now

    def noisy(base: float, rel: float) -> np.ndarray:
        return base * (1 + rel * rng.standard_normal(n))

    checkout = age <= CHECKOUT_ONSET.total_seconds() if checkout_incident else np.zeros(n, bool)
    # The pool drains within a minute of onset: a ramp-in, not a step, like a real saturation.
    ramp_in = np.clip((CHECKOUT_ONSET.total_seconds() - age) / 60, 0, 1) * checkout
    series = {
        "error_rate": noisy(0.5, 0.08) * (1 + 2 * ramp_in),
        "latency_p99": noisy(120, 0.05) * (1 + 2 * ramp_in),
        "checkout_latency_p99": noisy(210, 0.04) * (1 + (2000 / 210 - 1) * ramp_in),
    }

    heap = np.full(n, 512.0)
    cpu = noisy(40, 0.06)
    if memory_leak:
        start = LEAK_START.total_seconds()
        # A linear climb with no GC sawtooth: collections free nothing, listeners stay reachable.
        heap += np.clip((start - age) / start, 0, 1) * (1800 - 512)
        cpu *= 1 + 2 * (age <= GC_THRASH.total_seconds())  # GC thrash near the heap limit
    series["heap_usage_mb"] = heap + 4 * rng.standard_normal(n)
    series["cpu_usage"] = cpu
    return {metric: (timestamps, series[metric]) for metric in MOCK_METRICS}
