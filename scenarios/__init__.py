"""The built-in scenario library: each builds a TelemetryStore and its expected findings."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from errors import UsageError
from scenarios import (
    code_regression,
    dependency_failure,
    goroutine_leak,
    quiet,
    rate_limit_config,
    resource_saturation,
    seeded,
    traffic_surge,
)
from sources.telemetry import TelemetryStore

Builder = Callable[[datetime, int], tuple[TelemetryStore, dict]]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    build: Builder


def _seeded(name: str, summary: str, checkout: bool, leak: bool) -> Scenario:
    return Scenario(
        name, summary, lambda now, seed: seeded.build(name, summary, now, seed, checkout, leak)
    )


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        _seeded(
            "default",
            "Both seeded incidents at once: checkout config bug and worker "
            "memory leak, all five metrics",
            True,
            True,
        ),
        _seeded(
            "checkout-config-bug",
            "checkout-service config v2.4.1 cuts the DB pool 20 -> 2 and the timeout 30 s -> 5 s",
            True,
            False,
        ),
        _seeded(
            "worker-memory-leak",
            "worker-service leaks listeners and cache entries until pods are OOMKilled",
            False,
            True,
        ),
        *(
            Scenario(m.NAME, m.SUMMARY, m.build)
            for m in (
                code_regression,
                traffic_surge,
                dependency_failure,
                resource_saturation,
                goroutine_leak,
                rate_limit_config,
                quiet,
            )
        ),
    ]
}

DEFAULT = "default"


def get(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UsageError(
            f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIOS)}"
        ) from None
