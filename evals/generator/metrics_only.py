"""metrics_only: incidents of other categories exported without logs: a memory leak seen in
the memory series and the restarts, a traffic surge seen in the request counter and the
autoscaler, a disk or CPU at its limit."""

import evals.generator.memory_leak as memory_leak
import evals.generator.resource_saturation as resource_saturation
import evals.generator.traffic_surge as traffic_surge
from evals.generator.common import Scene


def build(scene: Scene, logs: bool = False) -> tuple[str, dict]:
    variant = scene.pick(("memory_leak", "traffic_surge", "disk", "cpu"))
    if variant == "memory_leak":
        inner, expected = memory_leak.build(scene, logs=False)
    elif variant == "traffic_surge":
        inner, expected = traffic_surge.build(scene, logs=False)
    else:
        inner, expected = resource_saturation.build(scene, logs=False, variant=variant)
    name = inner if inner == variant else f"{variant}-{inner}"
    return name.replace("_", "-"), expected
