"""A large, plausible incident bundle for load and pipeline benchmarks.

A config deploy cuts checkout-service's DB pool; latency, errors and DB connections spike 15
minutes later, while worker-service, search-service and docs-site carry on with ordinary noise
(docs-site also deploys, as a red herring).

    uv run python -m bench.large_bundle DIR [N_POINTS] [N_LOGS]
"""

import sys
from pathlib import Path

import numpy as np

from sources.bundle.writer import export_bundle
from sources.telemetry import (
    LEVEL_CODE,
    Deploy,
    LogTable,
    MetricInfo,
    Series,
    TelemetryStore,
    to_datetime,
)

START = np.datetime64("2026-03-15T02:00:00", "ms")
SPAN_MS = 12 * 3600 * 1000
ONSET_MS = 9 * 3600 * 1000
SPIKED = "checkout_latency_p99"

# name: (service, unit, baseline, noise, multiplier after onset)
METRICS = {
    "checkout_latency_p99": ("checkout-service", "ms", 180.0, 15.0, 6.0),
    "checkout_latency_p50": ("checkout-service", "ms", 45.0, 4.0, 2.5),
    "checkout_error_rate": ("checkout-service", "%", 0.3, 0.1, 30.0),
    "checkout_requests_per_s": ("checkout-service", "1/s", 220.0, 20.0, 1.0),
    "db_connections_in_use": ("postgres", "", 14.0, 3.0, 1.0),
    "db_cpu_percent": ("postgres", "%", 35.0, 5.0, 1.1),
    "worker_heap_usage_mb": ("worker-service", "MB", 900.0, 40.0, 1.0),
    "worker_queue_depth": ("worker-service", "", 40.0, 8.0, 1.0),
    "search_latency_p99": ("search-service", "ms", 95.0, 10.0, 1.0),
    "search_requests_per_s": ("search-service", "1/s", 140.0, 15.0, 1.0),
    "docs_requests_per_s": ("docs-site", "1/s", 12.0, 3.0, 1.0),
    "docs_latency_p99": ("docs-site", "ms", 60.0, 8.0, 1.0),
}

ERRORS = {
    "checkout-service": [
        "Timeout acquiring connection from pool (pool size 2) after 5000ms",
        "PaymentController.submit failed: SQLTransientConnectionException",
        "Request aborted: upstream timeout after 5000ms (order_id={n})",
    ],
    "worker-service": ["Job {n} failed: retry budget exhausted"],
    "search-service": ["Index shard {n} slow to respond"],
    "docs-site": ["Static asset /img/{n}.png not found"],
    "postgres": ["too many clients already (connection {n})"],
}
ROUTINE = [
    "GET /api/v1/cart/{n} 200",
    "POST /api/v1/checkout 201 order_id={n}",
    "job {n} completed in 120ms",
    "cache refresh took {n}ms",
    "health check ok ({n})",
]

DIFF = """\
diff --git a/config/checkout-service.yaml b/config/checkout-service.yaml
--- a/config/checkout-service.yaml
+++ b/config/checkout-service.yaml
@@ -12,6 +12,6 @@ database:
   host: postgres.internal
-  pool_size: 20
-  connection_timeout: 30s
+  pool_size: 2
+  connection_timeout: 5s
   statement_cache: true
"""

EXPECTED = {
    "incident": True,
    "findings": [
        {
            "service": "checkout-service",
            "category": "config_change",
            "action": "rollback",
            "keywords": ["pool"],
        }
    ],
    "forbidden_services": ["docs-site"],
}


def write_large_bundle(
    directory: Path, n_points: int = 2_000_000, n_logs: int = 300_000, seed: int = 0
) -> None:
    """Write a bundle of `n_points` metric points and `n_logs` log lines into `directory`."""
    rng = np.random.default_rng(seed)
    store = TelemetryStore(
        name="large-checkout-pool-cut",
        description="Generated benchmark bundle: a config deploy starves checkout's DB pool.",
        metric_info={
            name: MetricInfo(name, service, unit or None)
            for name, (service, unit, *_) in METRICS.items()
        },
        metric_series=_series(rng, n_points),
        log_table=_logs(rng, n_logs),
        deploy_events=[
            Deploy(
                "worker-service", "v1.8.0", "9f8e7d6", _at(2 * 3600_000), "ci-bot", "worker v1.8.0"
            ),
            Deploy(
                "checkout-service",
                "v2.4.1",
                "a1b2c3d",
                _at(ONSET_MS - 15 * 60_000),
                "ci-bot",
                "checkout-service-config v2.4.1",
            ),
            Deploy("docs-site", "v0.9.3", "0d0c5e1", _at(ONSET_MS - 5 * 60_000), "docs-bot"),
        ],
        diffs={
            "a1b2c3d": DIFF,
            "0d0c5e1": "--- a/index.md\n+++ b/index.md\n@@ -1 +1 @@\n-Docs\n+Docs!\n",
        },
        trigger={"window_seconds": 300, "threshold_multiplier": 2.5},
    )
    export_bundle(store, directory, expected=EXPECTED)


def _at(offset_ms: int):
    return to_datetime(START + np.timedelta64(offset_ms, "ms"))


def _series(rng: np.random.Generator, n_points: int) -> dict[str, Series]:
    series = {}
    counts = np.full(len(METRICS), n_points // len(METRICS))
    counts[: n_points % len(METRICS)] += 1
    for (name, (service, unit, base, noise, surge)), count in zip(
        METRICS.items(), counts, strict=True
    ):
        step = SPAN_MS // max(int(count), 1)  # ~4 points a second: most carry milliseconds
        offsets = np.arange(count, dtype=np.int64) * step
        hours = offsets / 3600_000
        values = base * (1 + 0.1 * np.sin(2 * np.pi * hours / 24)) + rng.normal(0, noise, count)
        after = offsets >= ONSET_MS
        ramp = np.clip((offsets - ONSET_MS) / 300_000, 0, 1)  # five minutes to full effect
        values = np.where(after, values * (1 + (surge - 1) * ramp), values)
        if name == "db_connections_in_use":
            values = np.where(after, 2.0, np.clip(values, 0, 20))  # pinned at the new pool size
        if name == "worker_heap_usage_mb":
            values += 200 * ((hours * 4) % 1)  # GC sawtooth, no leak
        info = MetricInfo(name, service, unit or None)
        series[name] = Series(info, START + offsets.astype("timedelta64[ms]"), np.round(values, 3))
    return series


def _logs(rng: np.random.Generator, n_logs: int) -> LogTable:
    services = sorted(ERRORS)
    offsets = np.sort(rng.integers(0, SPAN_MS, n_logs))
    service = rng.integers(0, len(services), n_logs)
    levels = rng.choice(
        [LEVEL_CODE[level] for level in ("DEBUG", "INFO", "WARN", "ERROR")],
        size=n_logs,
        p=[0.08, 0.85, 0.05, 0.02],
    ).astype(np.int8)
    checkout = services.index("checkout-service")
    incident = (offsets >= ONSET_MS) & (service == checkout) & (rng.random(n_logs) < 0.6)
    levels[incident] = LEVEL_CODE["ERROR"]
    numbers = rng.integers(1000, 99999, n_logs).tolist()
    which = rng.integers(0, 3, n_logs).tolist()
    messages = np.array(
        [
            (
                ERRORS[services[s]][w % len(ERRORS[services[s]])]
                if level >= LEVEL_CODE["ERROR"]
                else ROUTINE[(w + s) % len(ROUTINE)]
            ).format(n=n)
            for s, level, w, n in zip(
                service.tolist(), levels.tolist(), which, numbers, strict=True
            )
        ],
        dtype=object,
    )
    return LogTable.from_columns(
        START + offsets.astype("timedelta64[ms]"),
        service.astype(np.int32),
        levels,
        messages,
        services,
    )


if __name__ == "__main__":
    directory, *counts = sys.argv[1:]
    write_large_bundle(Path(directory), *map(int, counts))
