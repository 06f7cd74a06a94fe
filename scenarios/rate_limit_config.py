"""partner-gateway's config deploy cuts the standard tier's rate limit tenfold; 429s at the hour."""

from datetime import datetime, timedelta

import numpy as np

from scenarios.common import LogRow, Timeline, chatter, metric_series, store
from scenarios.signals import Grid
from sources.telemetry import Deploy, TelemetryStore

NAME = "partner-ratelimit-config"
SUMMARY = (
    "partner-gateway v3.7.2 config cuts the standard tier from 6000 to 600 requests/min; "
    "partners' scheduled syncs start getting 429s minutes later"
)

COMMIT = "b7e3d15"
DIFF = """\
diff --git a/config/partner-gateway/ratelimits.yaml b/config/partner-gateway/ratelimits.yaml
index 5d1e8a2..0c9f7b4 100644
--- a/config/partner-gateway/ratelimits.yaml
+++ b/config/partner-gateway/ratelimits.yaml
@@ -4,12 +4,12 @@ tiers:
   premium:
     requests_per_minute: 30000
     burst: 1000
   standard:
-    requests_per_minute: 6000
+    requests_per_minute: 600
-    burst: 200
+    burst: 20
   trial:
     requests_per_minute: 60
     burst: 10
"""

BILLING_COMMIT = "3f6c0a8"
BILLING_DIFF = """\
diff --git a/billing/invoices.py b/billing/invoices.py
index 77a0c1e..e2b95d3 100644
--- a/billing/invoices.py
+++ b/billing/invoices.py
@@ -58,6 +58,8 @@ def render_invoice(invoice: Invoice) -> bytes:
     lines = [render_line(line) for line in invoice.lines]
+    if invoice.customer.vat_id:
+        lines.append(render_reverse_charge_note(invoice.customer.country))
     return pdf.render("invoice.html", lines=lines, totals=invoice.totals())
"""


# name: (service, unit, description)
METRICS = {
    "partner_gateway_http_requests_rate": (
        "partner-gateway",
        "req/s",
        "requests received from partners",
    ),
    "partner_gateway_rejected_requests": ("partner-gateway", "req/s", "requests rejected with 429"),
    "partner_gateway_upstream_5xx": ("partner-gateway", "1/s", "5xx from backends"),
    "partner_gateway_latency_p95": ("partner-gateway", "s", "p95 latency"),
    "billing_invoice_render_p95_ms": ("billing-service", "ms", "p95 invoice render time"),
}


def build(now: datetime, seed: int) -> tuple[TelemetryStore, dict]:
    rng = np.random.default_rng([seed, 707])
    grid = Grid(now, rng, step=10, hours=1.0)
    tl = Timeline(now, rng, hours=1.0)
    # Partners' scheduled syncs start on a schedule; the new limit only bites then.
    onset = now - timedelta(minutes=float(rng.uniform(20, 32)))
    deployed = onset - timedelta(minutes=float(rng.uniform(6, 15)))
    syncing = grid.ramp(onset, 1.5)
    # Clients retry on 429, so total requests rise a little; most of the sync is rejected.
    total = grid.noisy(260, 0.05) * grid.wander(0.05) * (1 + 0.25 * syncing)
    rejected_share = 0.002 + 0.42 * syncing
    series = metric_series(
        grid.t,
        {
            "partner_gateway_http_requests_rate": total,
            "partner_gateway_rejected_requests": grid.counts(total * rejected_share),
            "partner_gateway_upstream_5xx": grid.counts(0.6),
            "partner_gateway_latency_p95": grid.tail(0.11, 0.07) * (1 - 0.3 * syncing),
            "billing_invoice_render_p95_ms": grid.tail(310, 0.08),
        },
        METRICS,
    )
    billing_at = onset - timedelta(minutes=float(rng.uniform(3, 12)))
    deploys = [
        Deploy(
            "partner-gateway",
            "v3.7.2",
            COMMIT,
            deployed,
            "dev-jbrandt",
            "partner-gateway-config v3.7.2: align standard tier with contract",
        ),
        Deploy(
            "billing-service",
            "v5.0.4",
            BILLING_COMMIT,
            billing_at,
            "ci-bot",
            "billing-service v5.0.4: reverse-charge note on EU invoices",
        ),
    ]
    logs = _logs(tl, deployed, onset, billing_at)
    telemetry = store(
        NAME, SUMMARY, series, logs, deploys, {COMMIT: DIFF, BILLING_COMMIT: BILLING_DIFF}
    )
    expected = {
        "incident": True,
        "findings": [
            {
                "service": "partner-gateway",
                "category": "config_change",
                "action": "rollback",
                "keywords": ["requests_per_minute", "429"],
            }
        ],
        "forbidden_services": ["billing-service", "partner-sync"],
    }
    return telemetry, expected


PARTNERS = ["acme-travel", "globex-air", "initech-hotels", "umbrella-cars", "hooli-trips"]


def _logs(tl: Timeline, deployed: datetime, onset: datetime, billing_at: datetime) -> list[LogRow]:
    gw = "partner-gateway"
    rows = chatter(
        tl,
        gw,
        1.5,
        lambda t: (
            f"{t.pick(['GET', 'GET', 'POST'])} /v2/{t.pick(['availability', 'rates', 'bookings'])} "
            f"200 {int(t.rng.integers(20, 160))}ms partner={t.pick(PARTNERS)}"
        ),
    )
    rows += chatter(
        tl,
        gw,
        0.9,
        lambda t: (
            f"429 Too Many Requests: rate limit exceeded for partner={t.pick(PARTNERS[:4])} "
            "tier=standard (600 req/min, burst 20)"
        ),
        level="WARN",
        start=onset + timedelta(seconds=20),
    )
    rows += chatter(
        tl,
        gw,
        180,
        lambda t: f"backend rates-engine slow: {int(t.rng.integers(900, 2400))}ms for /v2/rates",
        level="WARN",
    )
    rows += [
        (
            deployed + timedelta(seconds=15),
            gw,
            "INFO",
            "config reloaded: ratelimits.yaml (partner-gateway-config v3.7.2), 3 tiers",
        ),
        (
            deployed + timedelta(seconds=16),
            gw,
            "INFO",
            "ratelimit tier=standard requests_per_minute=600 burst=20",
        ),
        (
            onset - timedelta(seconds=30),
            "partner-sync",
            "INFO",
            "hourly availability sync started for 4 partners",
        ),
    ]
    rows += chatter(
        tl,
        "partner-sync",
        25,
        lambda t: (
            f"partner-gateway answered 429 for {t.pick(PARTNERS[:4])}, backing off "
            f"{int(t.rng.integers(2, 30))}s"
        ),
        level="WARN",
        start=onset + timedelta(seconds=40),
    )
    rows += chatter(tl, "partner-sync", 120, lambda t: "sync heartbeat ok", end=onset)
    rows += chatter(
        tl,
        "billing-service",
        12,
        lambda t: (
            f"invoice INV-{int(t.rng.integers(10**5, 10**6))} rendered in "
            f"{int(t.rng.integers(150, 500))}ms"
        ),
    )
    rows += [
        (
            billing_at,
            "billing-service",
            "INFO",
            "billing-service v5.0.4 started (gunicorn, 8 workers)",
        ),
        (
            billing_at + timedelta(seconds=50),
            "billing-service",
            "ERROR",
            "invoice INV-771204 render failed: WeasyPrint font 'Inter' not found, fell back to "
            "DejaVu Sans",
        ),
    ]
    return rows
