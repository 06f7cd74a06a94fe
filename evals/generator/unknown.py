"""unknown: a clear, sustained change in one metric (p99 latency several times higher for an
hour, an error ratio up, a consumer lag climbing) with no logs and no deploys: an incident
nothing in the bundle explains, so the report escalates it."""

import numpy as np

from evals.generator.common import Scene, step_up
from evals.generator.naming import app_name, http_service, metric_name


def build(scene: Scene, logs: bool = False) -> tuple[str, dict]:
    variant = scene.pick(("latency", "latency", "errors", "lag"))
    service = app_name(scene)
    onset = scene.at(scene.uniform(0.3, 0.6))
    ends = onset + scene.uniform(2400, 4200)
    ends = None if ends > scene.end - 300 or scene.chance(0.4) else ends
    bad = step_up(onset, ends, rise=scene.uniform(30, 300), fall=120)
    if variant == "latency":
        factor = scene.uniform(3, 5)
        parts = scene.pick((("latency",), ("requests", "latency")))
        http_service(scene, service, slow=lambda t: 1 + (factor - 1) * bad(t), parts=parts)
    elif variant == "errors":
        http_service(scene, service, errors=lambda t: scene.uniform(0.05, 0.2) * bad(t))
    else:
        t = scene.grid()
        lag = scene.uniform(50, 400) * scene.noise(len(t), 0.2) * (1 + 40 * bad(t))
        name = metric_name(scene, "kafka_consumergroup_lag", service)
        scene.gauge(name, service, t, np.round(lag), "messages", "rises")
    for _ in range(int(scene.rng.integers(0, 3))):  # quiet companions
        http_service(scene, app_name(scene), parts=("requests", "latency"))
    scene.description = f"{service}: one metric changed; no logs were exported."
    finding = {"service": service, "category": "unknown", "action": "escalate", "keywords": []}
    return variant, {"incident": True, "findings": [finding], "forbidden_services": []}
