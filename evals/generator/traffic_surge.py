"""traffic_surge: the request rate (a Prometheus counter) jumps several-fold (a sale, a marketing
push, a crawler), the autoscaler climbs to its maximum replicas, latency and errors follow the
load. Sometimes the surge ends inside the window."""

import numpy as np

from evals.generator.backdrop import surroundings
from evals.generator.common import Scene, step_up
from evals.generator.logs import chatter, log, stream
from evals.generator.naming import app_name, http_service, metric_name


def build(scene: Scene, logs: bool = True) -> tuple[str, dict]:
    variant = scene.pick(("sale", "campaign", "crawler"))
    service = app_name(scene)
    onset = scene.at(scene.uniform(0.4, 0.7))
    ends = scene.at(scene.uniform(0.82, 0.95)) if scene.chance(0.3) else None
    factor = scene.uniform(3, 8)
    rise = scene.uniform(60, 600)
    surge = step_up(onset, ends, rise=rise, fall=300)
    hpa = scene.chance(0.75)
    lo, hi = int(scene.rng.integers(2, 6)), int(scene.rng.integers(8, 20))

    def over(t):  # load beyond what the replicas can absorb, 0 .. 1
        return np.clip((1 + (factor - 1) * surge(t)) / (hi / lo) - 0.6, 0, 1) * surge(t)

    http_service(
        scene, service, conv=scene.pick(("prom", "micrometer", "otel-prom")),
        load=lambda t: 1 + (factor - 1) * surge(t), slow=lambda t: 1 + 6 * over(t),
        errors=lambda t: 0.15 * over(t),
    )  # fmt: skip
    if hpa:
        t = scene.grid()
        replicas = np.minimum(np.ceil(lo * (1 + (factor - 1) * surge(t))), hi)
        name = metric_name(scene, "kube_horizontalpodautoscaler_status_current_replicas", service)
        scene.gauge(name, service, t, replicas, "replicas")
        name = metric_name(scene, "kube_horizontalpodautoscaler_spec_max_replicas", service)
        scene.gauge(name, service, t, np.full(len(t), hi), "replicas")
    if logs:
        chatter(scene, service, scene.uniform(1, 2), load=lambda t: 1 + (factor - 1) * surge(t))
        if hpa:
            hit = onset + rise * 0.6
            log(
                scene,
                hit,
                service,
                "WARN",
                f"ScalingLimited: the desired replica count is more "
                f"than the maximum replica count ({hi})",
                {"source": "horizontal-pod-autoscaler"},
            )
        lines = (
            "503 Service Unavailable: upstream overloaded, shedding request",
            "request queue full (1024), rejecting GET /api/v1/products",
            "timeout waiting for worker after 5000ms",
        )
        stream(scene, service, onset, ends or scene.end, 3, "ERROR", lines, load=over)
        if variant == "crawler":
            stream(scene, service, onset, ends or scene.end, 2, "INFO",
                   ("GET /search?q=... 200 user_agent=\"Mozilla/5.0 (compatible; "
                    "SemrushBot/7~bl)\"",))  # fmt: skip
    herrings = surroundings(scene, onset, logs)
    scene.description = f"Slow responses from {service}."
    finding = {"service": service, "category": "traffic_surge", "action": "scale_out"}
    finding["keywords"] = ["replicas"] if hpa else ["request"]
    return variant, {"incident": True, "findings": [finding], "forbidden_services": herrings}
