"""A procedural incident generator: randomized, realistic incident bundles (incident-bundle/v1,
shared/specs/incident-bundle.md) with their ground truth in expected.json, from a seed.

    generate("dependency_failure", 7, Path("out"))  # -> out/dependency-failure-<variant>-7
    generate_suite(10, 1, Path("out"))              # 10 of each group in CATEGORIES

The same seed gives byte-identical files whatever PYTHONHASHSEED: every random choice comes
from one numpy Generator seeded from (seed, the group's index), nothing iterates a set.
"""

from pathlib import Path

import numpy as np

from evals.generator import (
    code_regression,
    config_change,
    dependency_failure,
    memory_leak,
    metrics_only,
    quiet,
    resource_saturation,
    traffic_surge,
    unknown,
)
from evals.generator.common import new_scene, write_bundle

# group -> module; a case's label is its group (metrics_only holds several categories)
_BUILDERS = {
    "config_change": config_change,
    "code_regression": code_regression,
    "memory_leak": memory_leak,
    "resource_saturation": resource_saturation,
    "traffic_surge": traffic_surge,
    "dependency_failure": dependency_failure,
    "unknown": unknown,
    "quiet": quiet,
    "metrics_only": metrics_only,
}
CATEGORIES = tuple(_BUILDERS)


def generate(category: str, seed: int, out_dir: Path) -> Path:
    """Write one bundle of `category` for `seed` under `out_dir`; returns its directory."""
    if category not in _BUILDERS:
        raise ValueError(f"unknown category {category!r}; choose from {', '.join(CATEGORIES)}")
    rng = np.random.default_rng([CATEGORIES.index(category), seed])
    scene = new_scene(rng, "pending")
    variant, expected = _BUILDERS[category].build(scene)
    name = f"{category}-{variant}-{seed}".replace("_", "-").lower()[:63]
    scene.name = name
    if scene.chance(0.1):
        scene.trigger = {"window_seconds": float(scene.pick((300, 600, 900)))}
    return write_bundle(scene, expected, Path(out_dir) / name)


def generate_suite(n_per_category: int, seed: int, out_dir: Path) -> list[Path]:
    """`n_per_category` bundles of each group in CATEGORIES, seeds derived from `seed`."""
    return [
        generate(category, seed * 100_000 + i, out_dir)
        for category in CATEGORIES
        for i in range(n_per_category)
    ]
