"""A push campaign plus scrapers triple storefront-web's request rate; nothing was deployed to it."""

from datetime import datetime, timedelta

import numpy as np

from scenarios.common import LogRow, Timeline, chatter, metric_series, store
from scenarios.signals import Grid
from sources.telemetry import Deploy, TelemetryStore

NAME = "storefront-traffic-surge"
SUMMARY = (
    "A spring-sale push campaign and scrapers triple storefront-web's request rate; "
    "latency, CPU and event-loop lag follow and 429s appear"
)

SEARCH_COMMIT = "4b8e21f"
SEARCH_DIFF = """\
diff --git a/deploy/search-api/values.yaml b/deploy/search-api/values.yaml
index 2c9e1f4..7d0a3b6 100644
--- a/deploy/search-api/values.yaml
+++ b/deploy/search-api/values.yaml
@@ -18,7 +18,7 @@ index:
   shards: 6
   replicas: 1
-  refresh_interval: 1s
+  refresh_interval: 5s
   max_result_window: 10000
"""

CAPACITY = 880.0  # req/s storefront-web's 12 pods serve before requests queue


# name: (service, unit, description)
METRICS = {
    "storefront_http_requests_per_second": (
        "storefront-web",
        "req/s",
        "HTTP requests per second at the storefront ingress",
    ),
    "storefront_response_time_p99_seconds": ("storefront-web", "s", "p99 server response time"),
    "storefront_cpu_cores_used": (
        "storefront-web",
        "cores",
        "CPU cores in use across 12 pods (limit 12)",
    ),
    "storefront_event_loop_lag_ms": (
        "storefront-web",
        "ms",
        "Node.js event loop lag, p99 over pods",
    ),
    "storefront_http_5xx_per_second": ("storefront-web", "1/s", "5xx responses"),
    "search_api_latency_p50_ms": ("search-api", "ms", "median search latency"),
    "auth_token_cache_hit_ratio": ("auth-service", "ratio", "token cache hit ratio"),
}


def build(now: datetime, seed: int) -> tuple[TelemetryStore, dict]:
    rng = np.random.default_rng([seed, 202])
    grid = Grid(now, rng, step=10, hours=1.0)
    tl = Timeline(now, rng, hours=1.0)
    onset = now - timedelta(minutes=float(rng.uniform(22, 34)))
    # The push lands within a few minutes, then decays slowly; scrapers keep hammering.
    surge = grid.ramp(onset, float(rng.uniform(2, 5))) * (
        1 - 0.25 * grid.ramp(onset + timedelta(minutes=6), 25)
    )
    base = grid.noisy(225, 0.05) * grid.wander(0.05)
    rps = base * (1 + float(rng.uniform(2.0, 2.6)) * surge)
    util = np.clip(rps / CAPACITY, 0, 0.97)
    latency = 0.22 / (1 - util) * np.exp(0.08 * rng.standard_normal(grid.n))
    series = metric_series(
        grid.t,
        {
            "storefront_http_requests_per_second": rps,
            "storefront_response_time_p99_seconds": latency,
            "storefront_cpu_cores_used": 12 * util * grid.jitter(0.04),
            "storefront_event_loop_lag_ms": grid.tail(11, 0.15)
            * (1 + 14 * np.maximum(util - 0.5, 0)),
            "storefront_http_5xx_per_second": grid.counts(
                0.05 + 0.002 * rps * np.maximum(util - 0.6, 0) * 10
            ),
            "search_api_latency_p50_ms": grid.tail(38, 0.1),
            "auth_token_cache_hit_ratio": grid.noisy(0.93, 0.01),
        },
        METRICS,
    )
    search_at = onset - timedelta(minutes=float(rng.uniform(8, 16)))
    deploys = [
        Deploy(
            "search-api",
            "v4.2.0",
            SEARCH_COMMIT,
            search_at,
            "ci-bot",
            "search-api v4.2.0: slower index refresh to cut merge load",
        ),
        Deploy(
            "storefront-web",
            "v9.14.2",
            "0e7f3aa",
            now - timedelta(hours=20),
            "ci-bot",
            "storefront-web v9.14.2: footer copy",
        ),
    ]
    logs = _logs(tl, grid, rps, util, onset, search_at)
    telemetry = store(NAME, SUMMARY, series, logs, deploys, {SEARCH_COMMIT: SEARCH_DIFF})
    expected = {
        "incident": True,
        "findings": [
            {
                "service": "storefront-web",
                "category": "traffic_surge",
                "action": "scale_out",
                "keywords": ["request", "429"],
            }
        ],
        "forbidden_services": ["search-api", "campaign-scheduler", "auth-service"],
    }
    return telemetry, expected


def _page(t: Timeline, campaign: bool) -> str:
    if campaign and t.rng.random() < 0.6:
        path = "/landing/spring-sale?utm_source=push&utm_campaign=spring_sale_2026"
    else:
        path = t.pick(["/", "/product/sku-", "/category/shoes", "/cart", "/product/sku-"])
        if path.endswith("-"):
            path += str(int(t.rng.integers(1000, 99999)))
    return f"GET {path} 200 {int(t.rng.integers(40, 260))}ms"


def _logs(
    tl: Timeline,
    grid: Grid,
    rps: np.ndarray,
    util: np.ndarray,
    onset: datetime,
    search_at: datetime,
) -> list[LogRow]:
    rows: list[LogRow] = []
    # Access log sampled at 0.5%: its volume follows the request rate.
    at = (grid.t.astype("datetime64[ms]").astype(np.int64) / 1000).astype(float)
    expected_lines = rps * grid.step * 0.005
    for t_s, lines, busy in zip(at, expected_lines, util, strict=True):
        for _ in range(int(tl.rng.poisson(lines))):
            t = datetime.fromtimestamp(t_s + tl.rng.uniform(0, grid.step), onset.tzinfo)
            rows.append((t, "storefront-web", "INFO", _page(tl, t >= onset)))
            if busy > 0.6 and tl.rng.random() < 0.35:
                ip = f"198.51.100.{int(tl.rng.integers(2, 250))}"
                rows.append(
                    (
                        t,
                        "storefront-web",
                        "WARN",
                        f"429 Too Many Requests: per-client rate limit exceeded for {ip} "
                        f"on /api/products (60 req/min, ua=python-requests/2.31)",
                    )
                )
            if busy > 0.7 and tl.rng.random() < 0.08:
                rows.append(
                    (
                        t,
                        "storefront-web",
                        "WARN",
                        f"request queue depth {int(tl.rng.integers(260, 900))} over soft "
                        "limit 256; shedding low-priority prefetches",
                    )
                )
            if busy > 0.78 and tl.rng.random() < 0.03:
                rows.append(
                    (
                        t,
                        "storefront-web",
                        "ERROR",
                        "504 rendering /landing/spring-sale: SSR took longer than 10000ms",
                    )
                )
    rows += chatter(
        tl,
        "storefront-web",
        300,
        lambda t: f"healthcheck ok pods=12/12 heap={int(t.rng.integers(300, 420))}MB",
    )
    rows.append(
        (
            onset - timedelta(minutes=1),
            "campaign-scheduler",
            "INFO",
            "campaign spring_sale_2026 sent: push to 1.84M devices, email to 620k subscribers",
        )
    )
    rows += chatter(tl, "campaign-scheduler", 240, lambda t: "scheduler tick: 0 campaigns due")
    rows += chatter(
        tl,
        "search-api",
        4,
        lambda t: (
            f"search q_len={int(t.rng.integers(3, 30))} hits={int(t.rng.integers(0, 900))} "
            f"took={int(t.rng.integers(12, 90))}ms"
        ),
    )
    rows.append(
        (search_at, "search-api", "INFO", "search-api v4.2.0 started; index.refresh_interval=5s")
    )
    rows.append(
        (
            search_at + timedelta(seconds=30),
            "search-api",
            "WARN",
            "deprecated setting index.max_result_window will be removed in v5",
        )
    )
    rows += chatter(
        tl,
        "auth-service",
        6,
        lambda t: (
            f"token issued client=web scope=session ttl=3600 user={int(t.rng.integers(10**6, 10**7))}"
        ),
    )
    rows += chatter(
        tl,
        "auth-service",
        900,
        lambda t: (
            "JWKS refresh from identity provider failed (timeout after 2s); using cached keys"
        ),
        level="ERROR",
    )
    return rows
