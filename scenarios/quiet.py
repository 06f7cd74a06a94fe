"""An ordinary hour: noise, drift, a one-scrape GC blip, a harmless deploy. No incident."""

from datetime import datetime, timedelta

import numpy as np

from scenarios.common import LogRow, Timeline, chatter, metric_series, store
from scenarios.signals import Grid
from sources.telemetry import Deploy, TelemetryStore

NAME = "quiet-hour"
SUMMARY = (
    "No incident: noisy metrics, traffic drift, a brief GC latency blip, a harmless "
    "image-resizer deploy and the usual background errors"
)

RESIZER_COMMIT = "e4a7c90"
RESIZER_DIFF = """\
diff --git a/resizer/encode.py b/resizer/encode.py
index 1f0c2b3..6a9d8e4 100644
--- a/resizer/encode.py
+++ b/resizer/encode.py
@@ -30,7 +30,7 @@ def encode(image: Image, fmt: str) -> bytes:
     if fmt == "webp":
-        return image.save(buf, "WEBP", quality=80)
+        return image.save(buf, "WEBP", quality=82, method=5)
     return image.save(buf, "JPEG", quality=85, optimize=True)
"""


# name: (service, unit, description)
METRICS = {
    "catalog_api_requests_total_rate": ("catalog-api", "req/s", "requests per second"),
    "catalog_api_latency_p99_ms": ("catalog-api", "ms", "p99 latency"),
    "catalog_api_5xx_rate": ("catalog-api", "1/s", "5xx responses per second"),
    "session_cache_hit_ratio": ("session-cache", "ratio", "GET hit ratio"),
    "session_cache_cpu_percent": ("session-cache", "%", "CPU of the cache primary"),
    "image_resizer_queue_depth": ("image-resizer", "jobs", "jobs waiting in the resize queue"),
    "image_resizer_resident_memory_bytes": (
        "image-resizer",
        "bytes",
        "resident memory, max over pods",
    ),
    "mail_relay_sent_per_second": ("mail-relay", "msg/s", "messages handed to the upstream relay"),
}


def build(now: datetime, seed: int) -> tuple[TelemetryStore, dict]:
    rng = np.random.default_rng([seed, 505])
    grid = Grid(now, rng, step=15, hours=1.0)
    tl = Timeline(now, rng, hours=1.0)
    traffic = grid.wander(0.07, period_minutes=150)
    rps = grid.noisy(410, 0.05) * traffic
    blip_at = now - timedelta(minutes=float(rng.uniform(10, 45)))
    # One stop-the-world GC: a single slow scrape, over within 30 seconds.
    blip = 1 + 2.5 * grid.between(blip_at, blip_at + timedelta(seconds=grid.step))
    series = metric_series(
        grid.t,
        {
            "catalog_api_requests_total_rate": rps,
            "catalog_api_latency_p99_ms": grid.tail(64, 0.09) * blip,
            "catalog_api_5xx_rate": grid.counts(0.4 * traffic),
            "session_cache_hit_ratio": np.clip(grid.noisy(0.962, 0.006), 0, 1),
            "session_cache_cpu_percent": grid.noisy(38, 0.05) * traffic,
            "image_resizer_queue_depth": grid.counts(np.full(grid.n, 3.0)) * grid.step,
            "image_resizer_resident_memory_bytes": grid.noisy(3.1e8, 0.01),
            "mail_relay_sent_per_second": grid.counts(np.full(grid.n, 2.2)),
        },
        METRICS,
    )
    resizer_at = now - timedelta(minutes=float(rng.uniform(15, 35)))
    deploys = [
        Deploy(
            "image-resizer",
            "v0.19.0",
            RESIZER_COMMIT,
            resizer_at,
            "dev-lfischer",
            "image-resizer v0.19.0: better WebP compression",
        ),
        Deploy(
            "catalog-api",
            "v8.1.0",
            "93c1d0e",
            now - timedelta(hours=7),
            "ci-bot",
            "catalog-api v8.1.0: product badges",
        ),
    ]
    logs = _logs(tl, resizer_at, blip_at)
    telemetry = store(NAME, SUMMARY, series, logs, deploys, {RESIZER_COMMIT: RESIZER_DIFF})
    expected = {
        "incident": False,
        "findings": [],
        "forbidden_services": ["catalog-api", "session-cache", "image-resizer", "mail-relay"],
    }
    return telemetry, expected


def _logs(tl: Timeline, resizer_at: datetime, blip_at: datetime) -> list[LogRow]:
    rows = chatter(
        tl,
        "catalog-api",
        2.5,
        lambda t: (
            f"GET /v3/products/{int(t.rng.integers(10**4, 10**6))} 200 "
            f"{int(t.rng.integers(5, 70))}ms"
        ),
    )
    rows += chatter(
        tl,
        "catalog-api",
        35,
        lambda t: (
            f"GET /v3/products/{int(t.rng.integers(10**4, 10**6))} 499 client closed request "
            f"after {int(t.rng.integers(1000, 9000))}ms"
        ),
        level="WARN",
    )
    rows += chatter(
        tl,
        "catalog-api",
        240,
        lambda t: "upstream pricing lookup timed out after 800ms; serving cached price",
        level="ERROR",
    )
    rows.append(
        (blip_at, "catalog-api", "WARN", "GC pause (G1 Young Generation) 1840ms, heap 3.1GB/8GB")
    )
    rows += chatter(
        tl,
        "session-cache",
        60,
        lambda t: f"DB saved on disk; {int(t.rng.integers(1000, 9000))} changes in 60 seconds",
    )
    rows += chatter(
        tl,
        "session-cache",
        300,
        lambda t: f"Client id={int(t.rng.integers(1000, 9999))} closed for idle timeout (300s)",
    )
    rows += chatter(
        tl,
        "image-resizer",
        6,
        lambda t: (
            f"resized img-{int(t.rng.integers(10**6, 10**7))} to {t.pick(['320w', '640w', '1280w'])}"
            f" webp in {int(t.rng.integers(40, 400))}ms"
        ),
    )
    rows += [
        (resizer_at, "image-resizer", "INFO", "image-resizer v0.19.0 starting, 4 workers"),
        (
            resizer_at + timedelta(seconds=6),
            "image-resizer",
            "WARN",
            "libvips: deprecated option 'strip' ignored",
        ),
    ]
    rows += chatter(
        tl,
        "image-resizer",
        600,
        lambda t: (
            f"source image img-{int(t.rng.integers(10**6, 10**7))} is not a valid JPEG: premature "
            "end of data"
        ),
        level="ERROR",
    )
    rows += chatter(
        tl,
        "mail-relay",
        7,
        lambda t: (
            f"queued message id={int(t.rng.integers(10**8, 10**9))} to=*@{t.pick(['gmail.com', 'outlook.com', 'web.de'])}"
        ),
    )
    rows += chatter(
        tl,
        "mail-relay",
        420,
        lambda t: "deferred: 421 4.7.28 rate limited by recipient domain, retry in 300s",
        level="WARN",
    )
    return rows
