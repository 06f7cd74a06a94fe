"""The two seeded incidents: a latent config bug in checkout-service and a worker memory leak."""

from datetime import datetime, timedelta

import numpy as np

from scenarios.common import LogRow, Timeline, background, chatter, series_of, store
from scenarios.mock_series import (
    CHECKOUT_ONSET,
    GC_THRASH,
    LEAK_START,
    MOCK_METRICS,
    generate_mock_series,
)
from sources.telemetry import Deploy, TelemetryStore

CONFIG_COMMIT = "a1b2c3d"
DOCS_COMMIT = "9f8e7d6"
WORKER_COMMIT = "5e4d3c2"

CONFIG_DIFF = """\
diff --git a/config/checkout-service.yaml b/config/checkout-service.yaml
index 3f1c2aa..8b7d9e1 100644
--- a/config/checkout-service.yaml
+++ b/config/checkout-service.yaml
@@ -12,9 +12,9 @@ database:
   host: orders-db.internal
   port: 5432
   name: orders
-  pool_size: 20
+  pool_size: 2
   min_idle: 2
-  connection_timeout: 30s
+  connection_timeout: 5s
   max_lifetime: 30m
 http:
   port: 8080
"""

DOCS_DIFF = """\
diff --git a/docs/api/checkout.md b/docs/api/checkout.md
--- a/docs/api/checkout.md
+++ b/docs/api/checkout.md
@@ -40,3 +40,4 @@ POST /api/checkout
 Returns 201 with the order id.
+Returns 409 when the cart changed since it was priced.
"""

WORKER_DIFF = """\
diff --git a/src/main/java/com/acme/worker/OrderEventHandler.java b/src/main/java/com/acme/worker/OrderEventHandler.java
--- a/src/main/java/com/acme/worker/OrderEventHandler.java
+++ b/src/main/java/com/acme/worker/OrderEventHandler.java
@@ -31,6 +31,8 @@ public class OrderEventHandler {
     public void handle(OrderEvent event) {
+        registry.register(event.orderId(), this::onUpdate);
+        cache.put(event.orderId(), event.snapshot());
         process(event);
     }
"""


def _series(now: datetime, seed: int, checkout: bool, leak: bool):
    return [
        series_of(t, v, metric, *MOCK_METRICS[metric])
        for metric, (t, v) in generate_mock_series(
            now, seed, checkout_incident=checkout, memory_leak=leak
        ).items()
    ]


def _checkout_logs(tl: Timeline, incident: bool) -> list[LogRow]:
    onset = tl.now - CHECKOUT_ONSET
    deploy = onset - timedelta(minutes=15)
    rows = chatter(
        tl,
        "checkout-service",
        3,
        lambda t: (
            f"POST /api/checkout 201 {int(t.rng.integers(140, 240))}ms "
            f"order={int(t.rng.integers(10**6, 10**7))}"
        ),
        end=onset if incident else None,
    )
    if not incident:
        return rows
    rows.append(
        (
            deploy + timedelta(seconds=20),
            "checkout-service",
            "INFO",
            "Configuration reloaded: checkout-service-config v2.4.1",
        )
    )
    rows.append(
        (
            deploy + timedelta(seconds=21),
            "checkout-service",
            "INFO",
            "HikariPool-1 - Starting... maximumPoolSize=2 connectionTimeout=5000",
        )
    )
    rows += chatter(
        tl,
        "checkout-service",
        6,
        lambda t: (
            f"POST /api/checkout 201 {int(t.rng.integers(1800, 2600))}ms "
            f"order={int(t.rng.integers(10**6, 10**7))}"
        ),
        start=onset,
    )
    rows += chatter(
        tl,
        "checkout-service",
        2.5,
        lambda t: "HikariPool-1 - Connection is not available, request timed out after 5000ms.",
        level="ERROR",
        start=onset + timedelta(seconds=30),
    )
    rows += chatter(
        tl,
        "checkout-service",
        7,
        lambda t: (
            "POST /api/checkout 500 could not acquire DB connection: pool exhausted "
            f"(active=2, idle=0, waiting={int(t.rng.integers(20, 80))})"
        ),
        level="ERROR",
        start=onset + timedelta(seconds=45),
    )
    rows += chatter(
        tl,
        "postgres",
        20,
        lambda t: "could not receive data from client: Connection reset by peer",
        level="WARN",
        start=onset + timedelta(seconds=60),
    )
    return rows


def _worker_logs(tl: Timeline, incident: bool) -> list[LogRow]:
    leak = tl.now - LEAK_START
    listeners = iter(range(1200, 10**9, 37))
    rows = chatter(
        tl,
        "worker-service",
        5,
        lambda t: f"processed batch jobs=50 in {int(t.rng.integers(180, 320))}ms",
    )
    if not incident:
        return rows
    rows += chatter(
        tl,
        "worker-service",
        60,
        lambda t: (
            f"EventListenerRegistry: registered listener order.updated (total={next(listeners)})"
        ),
        start=leak,
    )
    gc_start = leak + timedelta(minutes=18)
    span = (tl.now - gc_start).total_seconds()
    rows += [
        (
            t,
            "worker-service",
            "WARN",
            f"GC pause (G1 Evacuation Pause) {int(150 + 3900 * ((t - gc_start).total_seconds() / span) ** 2)}ms, "
            f"heap {int(1100 + 650 * (t - gc_start).total_seconds() / span)}MB/1800MB, reclaimed 0.4%",
        )
        for t in tl.every(45, start=gc_start)
    ]
    rows.append(
        (
            tl.now - timedelta(minutes=12),
            "worker-service",
            "WARN",
            "CacheManager: 312000 entries, ttl=none, evictions=0",
        )
    )
    oom = tl.now - GC_THRASH + timedelta(minutes=3)
    for k, t in enumerate(tl.every(150, start=oom)):
        pod = f"worker-service-6f9c{'abcde'[k % 5]}-x{k}k2p"
        rows += [
            (
                t,
                "worker-service",
                "ERROR",
                "java.lang.OutOfMemoryError: Java heap space\n\tat "
                "com.acme.worker.CacheManager.put(CacheManager.java:88)",
            ),
            (
                t + timedelta(seconds=4),
                "worker-service",
                "FATAL",
                f"Pod {pod} OOMKilled (exit code 137), restart count {k + 1}",
            ),
        ]
    return rows


def _deploys(now: datetime, checkout: bool, leak: bool) -> tuple[list[Deploy], dict[str, str]]:
    onset = now - CHECKOUT_ONSET
    deploys = [
        Deploy(
            "docs-site",
            "v1.8.0",
            DOCS_COMMIT,
            onset - timedelta(minutes=9),
            "ci-bot",
            "docs-site v1.8.0: document 409 on checkout",
        )
    ]
    diffs = {DOCS_COMMIT: DOCS_DIFF}
    if checkout:
        deploys.append(
            Deploy(
                "checkout-service",
                "v2.4.1",
                CONFIG_COMMIT,
                onset - timedelta(minutes=15),
                "ci-bot",
                "checkout-service-config v2.4.1",
            )
        )
        diffs[CONFIG_COMMIT] = CONFIG_DIFF
    if leak:
        # Shipped the leak days ago; too old to be the "deploy right before onset".
        deploys.append(
            Deploy(
                "worker-service",
                "v3.8.0",
                WORKER_COMMIT,
                now - timedelta(days=2, hours=3),
                "dev-jlee",
                "worker-service v3.8.0: cache order snapshots",
            )
        )
        diffs[WORKER_COMMIT] = WORKER_DIFF
    return deploys, diffs


CHECKOUT_EXPECTED = {
    "service": "checkout-service",
    "category": "config_change",
    "action": "rollback",
    "keywords": ["pool", "timeout"],
}
LEAK_EXPECTED = {
    "service": "worker-service",
    "category": "memory_leak",
    "action": "restart",
    "keywords": ["heap", "OOM"],
}


def build(
    name: str, description: str, now: datetime, seed: int, checkout: bool, leak: bool
) -> tuple[TelemetryStore, dict]:
    tl = Timeline(now, np.random.default_rng(seed + 1))
    logs = background(tl) + _checkout_logs(tl, checkout) + _worker_logs(tl, leak)
    deploys, diffs = _deploys(now, checkout, leak)
    telemetry = store(name, description, _series(now, seed, checkout, leak), logs, deploys, diffs)
    findings = [f for f, on in ((CHECKOUT_EXPECTED, checkout), (LEAK_EXPECTED, leak)) if on]
    expected = {
        "incident": bool(findings),
        "findings": findings,
        "forbidden_services": ["docs-site", "payments-service"],
    }
    return telemetry, expected
