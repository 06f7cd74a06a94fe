"""seat-inventory crashes and goes silent; booking-api, unchanged, fails every reservation call."""

from datetime import datetime, timedelta

import numpy as np

from scenarios.common import LogRow, Timeline, chatter, metric_series, store
from scenarios.signals import Grid
from sources.telemetry import Deploy, TelemetryStore

NAME = "booking-dependency-down"
SUMMARY = (
    "seat-inventory (gRPC) crashes and goes silent; booking-api, unchanged, logs connection "
    "refused and deadline exceeded on every reservation"
)

LOYALTY_COMMIT = "a3f09c1"
LOYALTY_DIFF = """\
diff --git a/src/main/kotlin/com/acme/loyalty/PointsCalculator.kt b/src/main/kotlin/com/acme/loyalty/PointsCalculator.kt
index 41d2a0b..f7c9e35 100644
--- a/src/main/kotlin/com/acme/loyalty/PointsCalculator.kt
+++ b/src/main/kotlin/com/acme/loyalty/PointsCalculator.kt
@@ -22,7 +22,9 @@ class PointsCalculator(private val tiers: TierTable) {
     fun pointsFor(booking: Booking): Long {
-        val base = booking.fareCents / 100
+        // Ancillaries earn points too from April (LOY-318).
+        val ancillaries = booking.ancillaries.sumOf { it.priceCents }
+        val base = (booking.fareCents + ancillaries) / 100
         return (base * tiers.multiplier(booking.member)).toLong()
     }
 }
"""

# booking-api's own deploy before onset only adds tests and a runbook: nothing that runs changed.
BOOKING_COMMIT = "5d2c7e0"
BOOKING_DIFF = """\
diff --git a/src/test/java/com/acme/booking/SeatHoldContractTest.java b/src/test/java/com/acme/booking/SeatHoldContractTest.java
new file mode 100644
index 0000000..4e1f2a9
--- /dev/null
+++ b/src/test/java/com/acme/booking/SeatHoldContractTest.java
@@ -0,0 +1,14 @@
+class SeatHoldContractTest {
+    @Test
+    void holdExpiresAfterTtl() {
+        var hold = client.hold(FLIGHT, 2);
+        clock.advance(Duration.ofMinutes(16));
+        assertThat(client.status(hold.id())).isEqualTo(EXPIRED);
+    }
+}
diff --git a/docs/runbooks/booking-api.md b/docs/runbooks/booking-api.md
index 9a0b1c2..d3e4f56 100644
--- a/docs/runbooks/booking-api.md
+++ b/docs/runbooks/booking-api.md
@@ -31,3 +31,5 @@ If seat-inventory is unavailable:
 1. Check the circuit breaker state on the booking-api dashboard.
+2. Fail over to the seat-inventory replica in the other region
+   (`seat-inventory-dr`) with the traffic-director flag `seats.region`.
"""


# name: (service, unit, description)
METRICS = {
    "booking_api_requests_per_sec": ("booking-api", "req/s", "booking API requests per second"),
    "booking_api_server_errors": ("booking-api", "errors/min", "5xx responses per minute"),
    "booking_api_p99_latency_ms": ("booking-api", "ms", "p99 latency of POST /bookings"),
    "booking_api_tomcat_threads_busy": (
        "booking-api",
        "threads",
        "busy Tomcat request threads (max 200)",
    ),
    "seat_inventory_grpc_calls_rate": (
        "seat-inventory",
        "req/s",
        "ReserveSeats/ReleaseSeats calls per second",
    ),
    "loyalty_points_latency_ms": ("loyalty-service", "ms", "p95 latency of points calculation"),
}


def build(now: datetime, seed: int) -> tuple[TelemetryStore, dict]:
    rng = np.random.default_rng([seed, 303])
    grid = Grid(now, rng, step=20, hours=2.0)
    tl = Timeline(now, rng, hours=2.0)
    onset = now - timedelta(minutes=float(rng.uniform(25, 45)))
    down = grid.ramp(onset, 0.5)

    rps = grid.noisy(85, 0.06) * grid.wander(0.08)
    inventory = grid.noisy(140, 0.05) * grid.wander(0.08)
    alive = grid.minutes_since(onset) < 0.4  # the dependency stops reporting: no points at all
    series = metric_series(
        grid.t,
        {
            "booking_api_requests_per_sec": rps * (1 - 0.08 * down),
            "booking_api_server_errors": grid.counts((0.05 + 0.6 * down) * rps / 60) * 60,
            "booking_api_p99_latency_ms": grid.tail(180, 0.07) * (1 + 10.5 * down),
            "booking_api_tomcat_threads_busy": grid.noisy(38, 0.08) * (1 + 3.5 * down),
            "seat_inventory_grpc_calls_rate": np.where(alive, inventory, np.nan),
            "loyalty_points_latency_ms": grid.tail(95, 0.06),
        },
        METRICS,
    )
    loyalty_at = onset - timedelta(minutes=float(rng.uniform(6, 14)))
    deploys = [
        Deploy(
            "loyalty-service",
            "v7.3.0",
            LOYALTY_COMMIT,
            loyalty_at,
            "dev-ahassan",
            "loyalty-service v7.3.0: ancillaries earn points",
        ),
        Deploy(
            "booking-api",
            "v12.8.2",
            BOOKING_COMMIT,
            onset - timedelta(minutes=float(rng.uniform(16, 26))),
            "ci-bot",
            "booking-api v12.8.2: seat hold contract tests, runbook",
        ),
        Deploy(
            "seat-inventory",
            "v3.2.4",
            "b81f3d9",
            now - timedelta(days=6),
            "ci-bot",
            "seat-inventory v3.2.4: grpc-java 1.62",
        ),
    ]
    logs = _logs(tl, onset, loyalty_at)
    telemetry = store(
        NAME,
        SUMMARY,
        series,
        logs,
        deploys,
        {LOYALTY_COMMIT: LOYALTY_DIFF, BOOKING_COMMIT: BOOKING_DIFF},
    )
    expected = {
        "incident": True,
        "findings": [
            {
                # The spec names the failing dependency, not its caller; it crashed (restart it,
                # or fail over to its replica, as booking-api's runbook says).
                "service": "seat-inventory",
                "category": "dependency_failure",
                "action": ["restart", "failover", "escalate"],
                "keywords": ["seat-inventory", "connection refused"],
            }
        ],
        "forbidden_services": ["loyalty-service", "notification-service"],
    }
    return telemetry, expected


def _booking(t: Timeline) -> str:
    return (
        f"POST /bookings 201 {int(t.rng.integers(90, 240))}ms "
        f"booking=BK-{int(t.rng.integers(10**5, 10**6))} seats={int(t.rng.integers(1, 5))}"
    )


def _logs(tl: Timeline, onset: datetime, loyalty_at: datetime) -> list[LogRow]:
    rows = chatter(tl, "booking-api", 2, _booking, end=onset)
    rows += chatter(tl, "booking-api", 5, _booking, start=onset)  # the few that hit a cached hold
    rows += chatter(
        tl,
        "booking-api",
        540,
        lambda t: "HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=61s)",
        level="WARN",
    )
    rows += chatter(
        tl,
        "seat-inventory",
        1.5,
        lambda t: (
            f"ReserveSeats ok flight=AC{int(t.rng.integers(100, 999))} "
            f"seats={int(t.rng.integers(1, 5))} took={int(t.rng.integers(3, 25))}ms"
        ),
        end=onset - timedelta(seconds=20),
    )
    rows += [
        (
            onset - timedelta(seconds=18),
            "seat-inventory",
            "WARN",
            "etcd lease keepalive failed: context deadline exceeded (lease=7587861234)",
        ),
        (
            onset - timedelta(seconds=9),
            "seat-inventory",
            "ERROR",
            "lost shard ownership lease; refusing writes for shards 0-15",
        ),
        (
            onset - timedelta(seconds=2),
            "seat-inventory",
            "FATAL",
            "shard allocator: no owned shards left, shutting down gRPC server on :9090",
        ),
        (
            onset + timedelta(seconds=50),
            "seat-inventory",
            "ERROR",
            "Back-off restarting failed container seat-inventory in pod "
            "seat-inventory-7d9f8-2xk4q (CrashLoopBackOff)",
        ),
    ]

    def refused(t: Timeline) -> str:
        return (
            f"Reservation failed for booking BK-{int(t.rng.integers(10**5, 10**6))}: "
            "io.grpc.StatusRuntimeException: UNAVAILABLE: io exception: Connection refused: "
            f"seat-inventory.internal/10.42.7.{int(t.rng.integers(10, 40))}:9090"
        )

    def deadline(t: Timeline) -> str:
        return (
            "POST /bookings 503 seat hold unavailable: call to seat-inventory failed: "
            f"DEADLINE_EXCEEDED after 2000ms (attempt {int(t.rng.integers(1, 4))}/3)"
        )

    rows += chatter(tl, "booking-api", 0.9, refused, level="ERROR", start=onset)
    rows += chatter(tl, "booking-api", 1.6, deadline, level="ERROR", start=onset)
    rows += chatter(
        tl,
        "booking-api",
        30,
        lambda t: "CircuitBreaker 'seatInventory' is OPEN and does not permit further calls",
        level="WARN",
        start=onset + timedelta(seconds=45),
    )
    rows += chatter(
        tl,
        "loyalty-service",
        6,
        lambda t: (
            f"points credited member=M{int(t.rng.integers(10**6, 10**7))} "
            f"points={int(t.rng.integers(50, 3000))}"
        ),
    )
    rows += [
        (loyalty_at, "loyalty-service", "INFO", "loyalty-service v7.3.0 started in 8.2s"),
        (
            loyalty_at + timedelta(seconds=25),
            "loyalty-service",
            "WARN",
            "Flyway: schema history table is up to date, no migration necessary",
        ),
    ]
    rows += chatter(
        tl,
        "notification-service",
        8,
        lambda t: (
            f"email sent template=booking-confirmation to=user-{int(t.rng.integers(10**5, 10**6))}"
        ),
    )
    rows += chatter(
        tl,
        "notification-service",
        700,
        lambda t: "SMTP relay responded 421 4.7.0 try again later; message requeued",
        level="ERROR",
    )
    return rows
