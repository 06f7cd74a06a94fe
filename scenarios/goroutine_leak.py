"""ws-gateway (Go) leaks a goroutine and its buffers per dropped client until pods are OOMKilled."""

from datetime import datetime, timedelta

import numpy as np

from scenarios.common import LogRow, Timeline, chatter, metric_series, store
from scenarios.signals import Grid
from sources.telemetry import Deploy, TelemetryStore

NAME = "ws-goroutine-leak"
SUMMARY = (
    "ws-gateway (Go) leaks a goroutine and its send buffer per dropped websocket; resident "
    "memory climbs to the 2 GiB limit and pods are OOMKilled"
)

PRESENCE_COMMIT = "f2d8a41"
PRESENCE_DIFF = """\
diff --git a/internal/presence/heartbeat.go b/internal/presence/heartbeat.go
index 3a7b9c2..c1e0f55 100644
--- a/internal/presence/heartbeat.go
+++ b/internal/presence/heartbeat.go
@@ -18,7 +18,7 @@ const (
-\theartbeatInterval = 30 * time.Second
+\theartbeatInterval = 25 * time.Second
 \tstaleAfter        = 3 * heartbeatInterval
 )
"""

MIB = 1024**2
LIMIT = 2048 * MIB


# name: (service, unit, description)
METRICS = {
    "ws_gateway_process_resident_memory_bytes": (
        "ws-gateway",
        "bytes",
        "resident set size, max over pods (limit 2 GiB)",
    ),
    "ws_gateway_go_goroutines": ("ws-gateway", "goroutines", "goroutines, max over pods"),
    "ws_gateway_open_connections": ("ws-gateway", "connections", "open websocket connections"),
    "ws_gateway_fanout_latency_p99_ms": ("ws-gateway", "ms", "p99 publish-to-deliver latency"),
    "presence_update_latency_p99_ms": ("presence-service", "ms", "p99 presence update latency"),
}


def build(now: datetime, seed: int) -> tuple[TelemetryStore, dict]:
    rng = np.random.default_rng([seed, 606])
    grid = Grid(now, rng, step=15, hours=1.5)
    tl = Timeline(now, rng, hours=1.5)
    # A mobile release made clients reconnect far more often; every dropped socket leaks.
    leak_at = now - timedelta(minutes=float(rng.uniform(50, 65)))
    climb = np.clip(grid.minutes_since(leak_at), 0, None)
    slope = float(rng.uniform(34, 40)) * MIB  # per minute
    rss = 410 * MIB + climb * slope
    rss = np.minimum(rss, LIMIT * 0.97) * grid.jitter(0.004, memory=0.9)
    goroutines = 2100 + climb * 820 * grid.jitter(0.01, memory=0.9)
    near_limit = np.clip((rss / LIMIT - 0.8) / 0.17, 0, 1)  # GC runs back to back near the limit
    series = metric_series(
        grid.t,
        {
            "ws_gateway_process_resident_memory_bytes": rss,
            "ws_gateway_go_goroutines": goroutines,
            "ws_gateway_open_connections": grid.noisy(18200, 0.02) * grid.wander(0.04),
            "ws_gateway_fanout_latency_p99_ms": grid.tail(24, 0.08) * (1 + 6 * near_limit**2),
            "presence_update_latency_p99_ms": grid.tail(12, 0.08),
        },
        METRICS,
    )
    presence_at = leak_at + timedelta(minutes=float(rng.uniform(2, 10)))
    deploys = [
        Deploy(
            "presence-service",
            "v1.7.3",
            PRESENCE_COMMIT,
            presence_at,
            "dev-okim",
            "presence-service v1.7.3: 25s heartbeats",
        ),
        Deploy(
            "ws-gateway",
            "v1.19.0",
            "8a0c3de",
            now - timedelta(days=2, hours=6),
            "ci-bot",
            "ws-gateway v1.19.0: per-connection send buffers",
        ),
    ]
    oom_from = leak_at + timedelta(minutes=(LIMIT * 0.9 - 410 * MIB) / slope)
    logs = _logs(tl, leak_at, presence_at, oom_from)
    telemetry = store(NAME, SUMMARY, series, logs, deploys, {PRESENCE_COMMIT: PRESENCE_DIFF})
    expected = {
        "incident": True,
        "findings": [
            {
                "service": "ws-gateway",
                "category": "memory_leak",
                "action": "restart",
                "keywords": ["goroutine", "OOM"],
            }
        ],
        "forbidden_services": ["presence-service", "mobile-bff"],
    }
    return telemetry, expected


def _logs(
    tl: Timeline, leak_at: datetime, presence_at: datetime, oom_from: datetime
) -> list[LogRow]:
    gw = "ws-gateway"
    rows = chatter(
        tl,
        gw,
        2,
        lambda t: (
            f'level=info msg="client connected" conn={int(t.rng.integers(10**7, 10**8))} '
            f"topics={int(t.rng.integers(1, 12))}"
        ),
    )
    rows += chatter(
        tl,
        gw,
        2.2,
        lambda t: (
            f'level=info msg="client disconnected" conn={int(t.rng.integers(10**7, 10**8))} '
            "reason=going_away"
        ),
        end=leak_at,
    )
    rows += chatter(
        tl,
        gw,
        1.1,
        lambda t: (
            f'level=info msg="client disconnected" conn={int(t.rng.integers(10**7, 10**8))} '
            "reason=abnormal_closure"
        ),
        start=leak_at,
    )
    rows += chatter(
        tl,
        gw,
        90,
        lambda t: (
            f'level=warn msg="send buffer full, dropping message" conn={int(t.rng.integers(10**7, 10**8))} '
            f"buffered={int(t.rng.integers(256, 1024))}"
        ),
        level="WARN",
        start=leak_at,
    )
    counts = iter(range(2100, 10**9, 820 * 4))
    rows += chatter(
        tl,
        gw,
        240,
        lambda t: (
            f'level=warn msg="goroutine count high" goroutines={next(counts)} threshold=20000'
        ),
        level="WARN",
        start=leak_at + timedelta(minutes=20),
    )
    for k, t in enumerate(tl.every(130, start=oom_from)):
        pod = f"ws-gateway-5c7d{'abcdef'[k % 6]}-{'qwxyz'[k % 5]}{k}p"
        rows += [
            (
                t,
                gw,
                "ERROR",
                "fatal error: runtime: out of memory\n\ngoroutine 41873 [running]:\n"
                "runtime.throw({0x1a2b3c, 0x16})\n\truntime/panic.go:1047 +0x5d",
            ),
            (
                t + timedelta(seconds=2),
                gw,
                "FATAL",
                f"container ws-gateway in pod {pod} OOMKilled (exit code 137), restarting",
            ),
        ]
    rows += chatter(
        tl,
        "presence-service",
        5,
        lambda t: f"presence updated user={int(t.rng.integers(10**6, 10**7))} state=online",
    )
    rows += [(presence_at, "presence-service", "INFO", "presence-service v1.7.3 serving on :8080")]
    rows += chatter(
        tl,
        "mobile-bff",
        3,
        lambda t: (
            f"GET /feed 200 {int(t.rng.integers(30, 200))}ms app=ios/6.{int(t.rng.integers(10, 12))}"
        ),
    )
    rows += chatter(
        tl,
        "mobile-bff",
        500,
        lambda t: "push token rejected by APNs: BadDeviceToken",
        level="ERROR",
    )
    return rows
