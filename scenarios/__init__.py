"""The built-in scenario library: each builds a TelemetryStore and its expected findings.

This module is the catalogue (names and one-line summaries) and imports nothing beyond the
standard library, so `main.py --list-scenarios` and `--help` start fast. A scenario's module,
and numpy with it, is imported only when that scenario is built.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from typing import TYPE_CHECKING

from errors import UsageError

if TYPE_CHECKING:
    from sources.telemetry import TelemetryStore

Builder = Callable[[datetime, int], "tuple[TelemetryStore, dict]"]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    build: Builder


def _seeded(name: str, summary: str, checkout: bool, leak: bool) -> Scenario:
    def build(now: datetime, seed: int) -> "tuple[TelemetryStore, dict]":
        from scenarios import seeded

        return seeded.build(name, summary, now, seed, checkout, leak)

    return Scenario(name, summary, build)


def _module(module: str, name: str, summary: str) -> Scenario:
    """A scenario of its own module; `name` and `summary` repeat its NAME and SUMMARY."""

    def build(now: datetime, seed: int) -> "tuple[TelemetryStore, dict]":
        return import_module(f"scenarios.{module}").build(now, seed)

    return Scenario(name, summary, build)


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
        _module(
            "code_regression",
            "pricing-code-regression",
            "pricing-api v5.12.0 adds a discount code path that raises KeyError 'promo_code'; "
            "5xx and p95 latency jump after the canary is promoted",
        ),
        _module(
            "traffic_surge",
            "storefront-traffic-surge",
            "A spring-sale push campaign and scrapers triple storefront-web's request rate; "
            "latency, CPU and event-loop lag follow and 429s appear",
        ),
        _module(
            "dependency_failure",
            "booking-dependency-down",
            "seat-inventory (gRPC) crashes and goes silent; booking-api, unchanged, logs "
            "connection refused and deadline exceeded on every reservation",
        ),
        _module(
            "resource_saturation",
            "analytics-db-disk-full",
            "analytics-db's volume fills to 100% with WAL retained by an inactive replication "
            "slot; writes fail with 'No space left on device', no deploy, flat query rate",
        ),
        _module(
            "goroutine_leak",
            "ws-goroutine-leak",
            "ws-gateway (Go) leaks a goroutine and its send buffer per dropped websocket; "
            "resident memory climbs to the 2 GiB limit and pods are OOMKilled",
        ),
        _module(
            "rate_limit_config",
            "partner-ratelimit-config",
            "partner-gateway v3.7.2 config cuts the standard tier from 6000 to 600 "
            "requests/min; partners' scheduled syncs start getting 429s minutes later",
        ),
        _module(
            "quiet",
            "quiet-hour",
            "No incident: noisy metrics, traffic drift, a brief GC latency blip, a harmless "
            "image-resizer deploy and the usual background errors",
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
