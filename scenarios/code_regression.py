"""pricing-api v5.12.0 ships a discount code path that raises KeyError on carts without a promo."""

from datetime import datetime, timedelta

import numpy as np

from scenarios.common import LogRow, Timeline, chatter, metric_series, store
from scenarios.signals import Grid
from sources.telemetry import Deploy, TelemetryStore

NAME = "pricing-code-regression"
SUMMARY = (
    "pricing-api v5.12.0 adds a discount code path that raises KeyError 'promo_code'; "
    "5xx and p95 latency jump after the canary is promoted"
)

COMMIT = "7c41e9a"
RECS_COMMIT = "d09b6f2"

DIFF = """\
diff --git a/pricing/discounts.py b/pricing/discounts.py
index 51c0e3d..a8f92b1 100644
--- a/pricing/discounts.py
+++ b/pricing/discounts.py
@@ -74,14 +74,22 @@ def apply_discounts(cart: Cart, rules: RuleSet) -> Quote:
     quote = Quote.from_cart(cart)
     for line in cart.lines:
         rule = rules.best_for(line.sku, cart.customer_tier)
         if rule is not None:
             quote.discount(line, rule)
-    return quote
+    # Stack partner promo codes on top of tier discounts (PRICE-2231).
+    code = cart.metadata["promo_code"]
+    promo = PromoCode.objects.filter(code=code, active=True).first()
+    if promo is not None:
+        for line in quote.lines:
+            # Re-price each line against the promo's price book.
+            book = PriceBook.objects.get(id=promo.price_book_id)
+            quote.discount(line, book.rule_for(line.sku))
+    return quote
diff --git a/tests/test_discounts.py b/tests/test_discounts.py
index 0b1d2e4..c3f4a5b 100644
--- a/tests/test_discounts.py
+++ b/tests/test_discounts.py
@@ -120,3 +120,9 @@ def test_tier_discount_applies(cart_factory):
     assert quote.total == Decimal("90.00")
+
+
+def test_promo_code_stacks(cart_factory):
+    cart = cart_factory(metadata={"promo_code": "SPRING10"})
+    quote = apply_discounts(cart, RULES)
+    assert quote.total == Decimal("81.00")
"""

RECS_DIFF = """\
diff --git a/internal/ranker/score.go b/internal/ranker/score.go
index 6a1e2f0..9b3c4d1 100644
--- a/internal/ranker/score.go
+++ b/internal/ranker/score.go
@@ -41,7 +41,8 @@ func Score(item Item, profile Profile) float64 {
 \ts := item.Popularity * weights.Popularity
-\ts += affinity(item.Category, profile) * weights.Affinity
+\t// Damp affinity for categories seen only once (RECS-412).
+\ts += affinity(item.Category, profile) * weights.Affinity * confidence(profile, item.Category)
 \treturn s
 }
"""


# name: (service, unit, description)
METRICS = {
    "pricing_api_http_requests_rate": (
        "pricing-api",
        "req/s",
        "HTTP requests served by pricing-api",
    ),
    "pricing_api_http_5xx_rate": ("pricing-api", "1/s", "5xx responses per second"),
    "pricing_api_request_duration_p95": (
        "pricing-api",
        "s",
        "p95 request duration of POST /v2/quote",
    ),
    "pricing_api_busy_workers": ("pricing-api", "workers", "busy gunicorn workers (of 16)"),
    "cart_service_latency_p99_ms": ("cart-service", "ms", "p99 latency of cart-service"),
    "recs_latency_p50_ms": (
        "recommendation-svc",
        "ms",
        "median latency of recommendation requests",
    ),
}


def build(now: datetime, seed: int) -> tuple[TelemetryStore, dict]:
    rng = np.random.default_rng([seed, 101])
    grid = Grid(now, rng, step=15, hours=1.5)
    tl = Timeline(now, rng, hours=1.5)
    onset = now - timedelta(minutes=float(rng.uniform(24, 38)))  # canary promoted to 100%
    deployed = onset - timedelta(minutes=float(rng.uniform(7, 14)))  # canary at 10%
    canary = grid.between(deployed + timedelta(minutes=1), onset)
    full = grid.ramp(onset, 2)
    broken = 0.1 * canary + full  # share of traffic on the new code

    rps = grid.noisy(340, 0.04) * grid.wander(0.06)
    series = metric_series(
        grid.t,
        {
            "pricing_api_http_requests_rate": rps,
            # 4% of carts carry no promo metadata on the new path: they all fail.
            "pricing_api_http_5xx_rate": grid.counts(0.3 + 0.04 * rps * broken),
            # The new path re-reads a price book per line: slower for everyone on the new code.
            "pricing_api_request_duration_p95": grid.tail(0.085, 0.06) * (1 + 2.6 * broken),
            "pricing_api_busy_workers": grid.noisy(6.2, 0.1) * (1 + 0.5 * broken),
            "cart_service_latency_p99_ms": grid.tail(48, 0.08),
            "recs_latency_p50_ms": grid.tail(31, 0.07),
        },
        METRICS,
    )
    recs_at = onset - timedelta(minutes=float(rng.uniform(3, 9)))
    deploys = [
        Deploy(
            "pricing-api",
            "v5.12.0",
            COMMIT,
            deployed,
            "dev-mkaur",
            "pricing-api v5.12.0: stack partner promo codes (PRICE-2231)",
        ),
        Deploy(
            "pricing-api",
            "v5.11.3",
            "e51a0c7",
            now - timedelta(days=3, hours=2),
            "ci-bot",
            "pricing-api v5.11.3: bump dependencies",
        ),
        Deploy(
            "recommendation-svc",
            "v2.31.0",
            RECS_COMMIT,
            recs_at,
            "dev-tnguyen",
            "recommendation-svc v2.31.0: damp single-view affinity",
        ),
    ]
    diffs = {COMMIT: DIFF, RECS_COMMIT: RECS_DIFF}
    logs = _logs(tl, deployed, onset, recs_at)
    telemetry = store(NAME, SUMMARY, series, logs, deploys, diffs)
    expected = {
        "incident": True,
        "findings": [
            {
                "service": "pricing-api",
                "category": "code_regression",
                "action": "rollback",
                "keywords": ["KeyError", "discounts.py"],
            }
        ],
        "forbidden_services": ["recommendation-svc", "cart-service", "fx-rates"],
    }
    return telemetry, expected


def _quote_line(t: Timeline) -> str:
    return (
        f'10.8.{t.rng.integers(0, 9)}.{t.rng.integers(2, 250)} - "POST /v2/quote HTTP/1.1" '
        f"200 {int(t.rng.integers(30, 95))}ms cart=c-{int(t.rng.integers(10**5, 10**6))} "
        f"items={int(t.rng.integers(1, 9))}"
    )


def _logs(tl: Timeline, deployed: datetime, onset: datetime, recs_at: datetime) -> list[LogRow]:
    rows = chatter(tl, "pricing-api", 2.5, _quote_line)
    rows += chatter(
        tl,
        "pricing-api",
        420,
        lambda t: (
            f"slow query ({int(t.rng.integers(600, 1400))}ms): SELECT rule_id, sku, pct FROM "
            "discount_rules WHERE tier = %s"
        ),
        level="WARN",
    )
    # A long-standing error at a steady rate: not new, not the incident.
    rows += chatter(
        tl,
        "fx-rates",
        600,
        lambda t: (
            "refresh failed for provider ecb-daily: HTTP 502 from upstream, keeping rates from "
            f"{int(t.rng.integers(2, 9))}h ago"
        ),
        level="ERROR",
    )
    rows += chatter(tl, "fx-rates", 60, lambda t: "rates cache hit ratio 0.99 (entries=168)")
    rows += chatter(
        tl,
        "cart-service",
        3,
        lambda t: (
            f"GET /carts/c-{int(t.rng.integers(10**5, 10**6))} 200 {int(t.rng.integers(4, 30))}ms"
        ),
    )
    rows += chatter(
        tl,
        "recommendation-svc",
        5,
        lambda t: (
            f"rank user={int(t.rng.integers(10**6, 10**7))} candidates=200 "
            f"took={int(t.rng.integers(12, 60))}ms"
        ),
    )
    rows += [
        (
            deployed,
            "pricing-api",
            "INFO",
            "Starting gunicorn 22.0.0; pricing-api v5.12.0 (7c41e9a) canary=true weight=10",
        ),
        (deployed + timedelta(seconds=2), "pricing-api", "INFO", "Booting worker with pid: 4412"),
        (
            onset,
            "pricing-api",
            "INFO",
            "rollout: canary healthy checks passed, promoting v5.12.0 to 100%",
        ),
        (
            recs_at,
            "recommendation-svc",
            "INFO",
            "recommendation-svc v2.31.0 starting, loading ranker weights",
        ),
        (
            recs_at + timedelta(seconds=40),
            "recommendation-svc",
            "WARN",
            "model cache cold: first requests will be slower",
        ),
    ]

    # Errors follow the share of traffic on the new code: a trickle during the canary.
    def failures(start: datetime, every: float, end: datetime | None = None) -> list[LogRow]:
        out = []
        for t in tl.every(every, start=start, end=end):
            rid = f"{int(tl.rng.integers(16**7, 16**8)):08x}"
            out.append(
                (
                    t,
                    "pricing-api",
                    "ERROR",
                    f"POST /v2/quote 500 KeyError: 'promo_code' request_id={rid}",
                )
            )
            if tl.rng.random() < 0.5:
                out.append(
                    (
                        t,
                        "pricing-api",
                        "ERROR",
                        "Exception on /v2/quote [POST]: KeyError: 'promo_code'\n"
                        "Traceback (most recent call last):\n"
                        '  File "/app/pricing/api.py", line 57, in quote\n'
                        "    return apply_discounts(cart, rules).to_json()\n"
                        '  File "/app/pricing/discounts.py", line 80, in apply_discounts\n'
                        '    code = cart.metadata["promo_code"]\n'
                        "KeyError: 'promo_code'",
                    )
                )
        return out

    rows += failures(deployed + timedelta(minutes=1, seconds=20), 25, onset)
    rows += failures(onset + timedelta(seconds=30), 1.2)
    rows += chatter(
        tl,
        "cart-service",
        20,
        lambda t: "quote failed: pricing-api returned HTTP 500, showing cart without discounts",
        level="WARN",
        start=onset + timedelta(seconds=40),
    )
    return rows
