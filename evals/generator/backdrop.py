"""What surrounds every incident: healthy services, a noisy neighbour that always complains,
a nightly batch job, deploys that change nothing that matters."""

import numpy as np

from evals.generator.code import harmless_diff
from evals.generator.common import Scene
from evals.generator.logs import chatter, log, stream
from evals.generator.naming import NEIGHBOURS, app_name, cpu_metric, http_service


def healthy(scene: Scene, n: int, logs: bool = True) -> list[str]:
    """`n` services that run normally through the window."""
    names = []
    for _ in range(n):
        name = app_name(scene)
        http_service(scene, name, parts=("requests", "latency"))
        if logs:
            chatter(scene, name, scene.uniform(0.5, 2))
        names.append(name)
    return names


def noisy_neighbour(scene: Scene, logs: bool = True) -> str:
    """A service unrelated to the incident that looks alarming: a steady trickle of errors all
    window long, or a CPU burst of a scheduled job."""
    name = scene.service(NEIGHBOURS)
    if scene.chance(0.5) or not logs:
        start = scene.at(scene.uniform(0.1, 0.8))
        job = (start, start + scene.uniform(600, 1800))

        def cores(t):
            return 0.2 + 2.5 * ((t >= job[0]) & (t < job[1]))

        cpu_metric(scene, name, cores, limit=4)
        if logs:
            log(scene, job[0], name, "INFO", f"cron: starting scheduled job {name}-nightly")
            log(scene, job[1], name, "INFO", f"cron: job {name}-nightly finished, exit 0")
    else:
        http_service(scene, name, errors=lambda t: np.full(len(t), 0.02), parts=("requests",))
        stream(
            scene, name, scene.start, scene.end, scene.uniform(0.3, 1.5), "ERROR",
            ("failed to render template 'footer': variable 'year' undefined",
             "SMTP relay rejected message: 550 mailbox unavailable",
             "image resize failed: unsupported format image/heic"),
        )  # fmt: skip
    if logs:
        chatter(scene, name, scene.uniform(0.3, 1))
    return name


def red_herring_deploy(scene: Scene, near: float, service: str | None = None) -> str:
    """A deploy of an unrelated service near `near` that changes nothing relevant."""
    name = service or scene.service(NEIGHBOURS)
    if service is None:
        http_service(scene, name, parts=("requests",))
    at = near + scene.uniform(-2400, 900)
    at = float(round(min(max(at, scene.start + 60), scene.end - 60)))
    scene.deploy(name, at, harmless_diff(scene, name))
    return name


def surroundings(scene: Scene, onset: float, logs: bool = True) -> list[str]:
    """Healthy services plus, at random, a noisy neighbour and an unrelated deploy. Returns the
    red herrings (the services a report must not blame)."""
    healthy(scene, int(scene.rng.integers(0, 3)), logs)
    herrings = []
    if scene.chance(0.5):
        herrings.append(noisy_neighbour(scene, logs))
    if scene.chance(0.6):
        herrings.append(red_herring_deploy(scene, onset))
    return herrings
