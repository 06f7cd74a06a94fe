"""analytics-db's disk fills with WAL held by an inactive replication slot; no deploy, flat load."""

from datetime import datetime, timedelta

import numpy as np

from scenarios.common import LogRow, Timeline, chatter, metric_series, store
from scenarios.signals import Grid
from sources.telemetry import Deploy, TelemetryStore

NAME = "analytics-db-disk-full"
SUMMARY = (
    "analytics-db's volume fills to 100% with WAL retained by an inactive replication slot; "
    "writes fail with 'No space left on device', no deploy, flat query rate"
)

DASHBOARD_COMMIT = "61be0d4"
DASHBOARD_DIFF = """\
diff --git a/src/components/RevenueChart.tsx b/src/components/RevenueChart.tsx
index 8e2d1a7..3c4f9b0 100644
--- a/src/components/RevenueChart.tsx
+++ b/src/components/RevenueChart.tsx
@@ -12,7 +12,8 @@ export function RevenueChart({ series }: Props) {
   return (
-    <LineChart data={series} height={320}>
+    <LineChart data={series} height={360} syncId="revenue">
       <XAxis dataKey="day" />
+      <Tooltip formatter={formatCurrency} />
     </LineChart>
   );
"""

GIB = 1024**3


# name: (service, unit, description)
METRICS = {
    "analytics_db_disk_used_percent": (
        "analytics-db",
        "percent",
        "used space on the data volume (2 TiB)",
    ),
    "analytics_db_wal_size_bytes": ("analytics-db", "bytes", "size of pg_wal"),
    "analytics_db_queries_per_second": (
        "analytics-db",
        "queries/s",
        "statements executed per second",
    ),
    "analytics_db_write_errors_per_second": (
        "analytics-db",
        "errors/s",
        "failed INSERT/COPY/UPDATE statements",
    ),
    "analytics_db_commit_latency_ms": ("analytics-db", "ms", "p99 commit latency"),
    "analytics_db_connections": (
        "analytics-db",
        "connections",
        "client backends connected (max 300)",
    ),
    "etl_loader_failed_batches": (
        "etl-loader",
        "batches/min",
        "load batches that failed and were requeued",
    ),
    "bi_dashboard_page_load_p75_ms": ("bi-dashboard", "ms", "p75 page load"),
}


def build(now: datetime, seed: int) -> tuple[TelemetryStore, dict]:
    rng = np.random.default_rng([seed, 404])
    grid = Grid(now, rng, step=20, hours=2.0)
    tl = Timeline(now, rng, hours=2.0)
    full_at = now - timedelta(minutes=float(rng.uniform(22, 36)))
    # WAL piles up at a steady rate since the replica's slot went inactive hours ago; the
    # volume hits 100% at full_at and stays there.
    minutes_to_full = -grid.minutes_since(full_at)
    rate = float(rng.uniform(0.045, 0.07))  # % of the volume per minute
    disk = np.minimum(100.0, 100.0 - rate * minutes_to_full + 0.004 * rng.standard_normal(grid.n))
    full = grid.ramp(full_at, 0.5)
    wal_gib = 610 - rate / 100 * 2048 * minutes_to_full.clip(0)  # the same growth, in GiB
    wal = wal_gib * GIB * (1 + 0.0005 * rng.standard_normal(grid.n))
    qps = grid.noisy(1150, 0.05) * grid.wander(0.06)
    series = metric_series(
        grid.t,
        {
            "analytics_db_disk_used_percent": disk,
            "analytics_db_wal_size_bytes": wal,
            "analytics_db_queries_per_second": qps,
            "analytics_db_write_errors_per_second": grid.counts(0.01 + 14 * full),
            "analytics_db_commit_latency_ms": grid.tail(11, 0.12) * (1 + 30 * full),
            "analytics_db_connections": grid.noisy(92, 0.05) * (1 + 0.3 * full),
            "etl_loader_failed_batches": grid.counts(0.002 + 0.2 * full) * 60,
            "bi_dashboard_page_load_p75_ms": grid.tail(420, 0.1),
        },
        METRICS,
    )
    dash_at = full_at - timedelta(minutes=float(rng.uniform(5, 15)))
    deploys = [
        Deploy(
            "bi-dashboard",
            "v2026.03.15-2",
            DASHBOARD_COMMIT,
            dash_at,
            "dev-rsato",
            "bi-dashboard: revenue chart tooltips",
        ),
        Deploy(
            "etl-loader",
            "v1.40.0",
            "c7d81e2",
            now - timedelta(days=4),
            "ci-bot",
            "etl-loader v1.40.0: parallel COPY",
        ),
    ]
    logs = _logs(tl, full_at, dash_at)
    telemetry = store(NAME, SUMMARY, series, logs, deploys, {DASHBOARD_COMMIT: DASHBOARD_DIFF})
    expected = {
        "incident": True,
        "findings": [
            {
                "service": "analytics-db",
                "category": "resource_saturation",
                "action": ["scale_out", "escalate"],
                "keywords": ["no space left", "disk"],
            }
        ],
        "forbidden_services": ["bi-dashboard", "etl-loader"],
    }
    return telemetry, expected


def _logs(tl: Timeline, full_at: datetime, dash_at: datetime) -> list[LogRow]:
    db = "analytics-db"
    rows = chatter(
        tl,
        db,
        45,
        lambda t: (
            f"checkpoint complete: wrote {int(t.rng.integers(900, 9000))} buffers "
            f"({t.rng.uniform(0.5, 6):.1f}%); write={t.rng.uniform(20, 200):.3f} s"
        ),
    )
    rows += chatter(
        tl,
        db,
        120,
        lambda t: (
            f'automatic vacuum of table "analytics.public.events_{int(t.rng.integers(1, 28)):02d}": '
            f"index scans: 1, pages: {int(t.rng.integers(0, 90))} removed"
        ),
    )
    # The warning everyone had learned to ignore: steady before and after, so not new.
    rows += chatter(
        tl,
        db,
        600,
        lambda t: (
            'replication slot "replica_eu_1" is inactive; WAL retained since 03:12 '
            "(max_slot_wal_keep_size = -1)"
        ),
        level="WARN",
    )
    rows += chatter(
        tl,
        db,
        1.5,
        lambda t: (
            f'could not extend file "base/16384/{int(t.rng.integers(24000, 26000))}.'
            f'{int(t.rng.integers(1, 9))}": No space left on device'
        ),
        level="ERROR",
        start=full_at + timedelta(seconds=10),
    )
    rows += chatter(
        tl,
        db,
        40,
        lambda t: (
            'could not write to file "pg_wal/xlogtemp.'
            f'{int(t.rng.integers(1000, 9999))}": '
            "No space left on device"
        ),
        level="ERROR",
        start=full_at + timedelta(seconds=30),
    )
    rows += chatter(
        tl,
        db,
        60,
        lambda t: (
            "checkpoint request failed; HINT: Consult recent "
            "messages in the server log for details."
        ),
        level="WARN",
        start=full_at + timedelta(seconds=60),
    )
    rows += chatter(
        tl,
        "etl-loader",
        20,
        lambda t: (
            f"batch {int(t.rng.integers(10**5, 10**6))} loaded: "
            f"{int(t.rng.integers(2000, 50000))} rows into events in "
            f"{t.rng.uniform(0.4, 3):.1f}s"
        ),
        end=full_at,
    )
    rows += chatter(
        tl,
        "etl-loader",
        4,
        lambda t: (
            f"batch {int(t.rng.integers(10**5, 10**6))} failed: COPY into events on "
            "analytics-db:5432: psycopg.errors.DiskFull: could not extend file: No space left on "
            "device; requeued (retry in 30s)"
        ),
        level="ERROR",
        start=full_at + timedelta(seconds=20),
    )
    rows += chatter(
        tl,
        "bi-dashboard",
        10,
        lambda t: (
            f"GET /dashboards/{t.pick(['revenue', 'funnel', 'retention'])} 200 "
            f"{int(t.rng.integers(200, 900))}ms"
        ),
    )
    rows += [
        (dash_at, "bi-dashboard", "INFO", "bi-dashboard v2026.03.15-2 ready on :3000"),
        (
            dash_at + timedelta(seconds=12),
            "bi-dashboard",
            "WARN",
            "Browserslist: caniuse-lite is outdated. Please run: npx update-browserslist-db",
        ),
    ]
    return rows
