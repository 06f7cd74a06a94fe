"""quiet: a normal window. Diurnal load, noise, an odd one-scrape blip, a nightly batch job
whose CPU and request spike is routine, a deploy that restarts pods (counters reset) and
changes nothing. Nothing here is an incident."""

import numpy as np

from evals.generator.backdrop import healthy, noisy_neighbour
from evals.generator.code import harmless_diff
from evals.generator.common import Scene
from evals.generator.logs import chatter, log
from evals.generator.naming import app_name, cpu_metric, http_service


def build(scene: Scene, logs: bool = True) -> tuple[str, dict]:
    variant = scene.pick(("batch", "deploy", "busy-hour"))
    main = app_name(scene)
    deployed = scene.at(scene.uniform(0.3, 0.8))
    restarts = (deployed + 30,) if variant == "deploy" else ()
    http_service(scene, main, restarts=restarts)
    chatter(scene, main, scene.uniform(1, 3))
    if variant == "deploy":
        scene.deploy(main, deployed, harmless_diff(scene, main))
        log(scene, deployed + 40, main, "INFO", f"{main} started, listening on :8080")
    herrings = [main] if variant == "deploy" else []
    if variant == "batch":
        job = scene.service(("nightly-reconcile", "etl-batch", "billing-rollup", "backup-agent"))
        start = scene.at(scene.uniform(0.2, 0.6))
        stop = start + scene.uniform(900, 2400)

        def running(t):
            return (t >= start) & (t < stop)

        cpu_metric(scene, job, lambda t: 0.1 + 3.0 * running(t), limit=4)
        t = scene.grid()
        rows = np.where(running(t), scene.uniform(2000, 9000), 0.0)
        scene.counter(f"{job.replace('-', '_')}_rows_processed_total", job, t, rows, "rows")
        log(scene, start, job, "INFO", f"CronJob {job}: starting scheduled run")
        log(scene, stop, job, "INFO", f"CronJob {job}: run completed successfully, exit 0")
        herrings.append(job)
    healthy(scene, int(scene.rng.integers(1, 3)))
    if scene.chance(0.4):
        herrings.append(noisy_neighbour(scene))
    scene.description = "A routine window."
    return variant, {"incident": False, "findings": [], "forbidden_services": herrings}
