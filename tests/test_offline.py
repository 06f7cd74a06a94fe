"""The offline investigator on the built-in incidents, on noise, and its rules as tables."""

from datetime import UTC, datetime, timedelta

import pytest

from evidence.deploys import DeployView
from evidence.logs import ServiceLogDetails
from evidence.metrics import BaselineComparison
from offline import rules
from pipeline.investigate import detect
from scenarios import seeded
from scenarios.mock_series import CHECKOUT_ONSET, LEAK_START
from tests.helpers import deps_for, investigate
from triggers import WindowTrigger


def _investigate(telemetry, trigger, now, tmp_path):
    return investigate(telemetry, now, tmp_path)


def _run(scenario, now, tmp_path, seed=42):
    deps = deps_for(scenario, now, tmp_path, seed)
    return _investigate(deps.telemetry, deps.trigger, now, tmp_path)


def _triples(report):
    return {(f.service, f.category, f.action) for f in report.findings}


def test_default_finds_both_seeded_root_causes(now, tmp_path):
    report = _run("default", now, tmp_path)
    assert _triples(report) == {
        ("checkout-service", "config_change", "rollback"),
        ("worker-service", "memory_leak", "restart"),
    }
    checkout = next(f for f in report.findings if f.service == "checkout-service")
    text = " ".join([checkout.summary, *checkout.evidence]).lower()
    assert "pool_size 20 -> 2" in text and "connection_timeout 30s -> 5s" in text
    leak = next(f for f in report.findings if f.service == "worker-service")
    assert any("no gc sawtooth" in e.lower() for e in leak.evidence)
    assert any("OOMKilled" in e for e in leak.evidence)
    assert "docs-site" not in {f.service for f in report.findings}
    assert 0 <= report.confidence <= 1 and report.answered_by == ["offline-investigator"]


@pytest.mark.parametrize(
    "scenario, expected",
    [
        ("checkout-config-bug", {("checkout-service", "config_change", "rollback")}),
        ("worker-memory-leak", {("worker-service", "memory_leak", "restart")}),
    ],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_single_incidents(now, tmp_path, scenario, expected, seed):
    assert _triples(_run(scenario, now, tmp_path, seed)) == expected


@pytest.mark.parametrize(
    "scenario, began",
    [("checkout-config-bug", CHECKOUT_ONSET), ("worker-memory-leak", LEAK_START)],
)
@pytest.mark.parametrize("seed", [1, 2, 3, 42])
def test_the_incident_starts_at_the_true_onset(now, tmp_path, scenario, began, seed):
    """Within two 10 s scrape steps: a step-like ramp-in and a slow leak alike."""
    deps = deps_for(scenario, now, tmp_path, seed)
    assert abs((deps.triggered_at - (now - began)).total_seconds()) <= 20


# Each scenario module's first draw from its generator is when its incident begins.
ONSET_DRAWS = {
    "traffic_surge": (202, 22, 34),
    "dependency_failure": (303, 25, 45),
    "goroutine_leak": (606, 50, 65),
    "rate_limit_config": (707, 20, 32),
}


@pytest.mark.parametrize("module", list(ONSET_DRAWS))
def test_every_scenario_starts_at_its_onset_at_the_default_seed(now, tmp_path, module):
    """As `main.py --scenario X` runs them (seed 42): within two scrape steps (20 s here)."""
    import importlib

    import numpy as np

    key, low, high = ONSET_DRAWS[module]
    began = now - timedelta(minutes=float(np.random.default_rng([42, key]).uniform(low, high)))
    deps = deps_for(importlib.import_module(f"scenarios.{module}").NAME, now, tmp_path, 42)
    assert abs((deps.triggered_at - began).total_seconds()) <= 20


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_pure_noise_abstains(now, tmp_path, seed):
    telemetry, _ = seeded.build("quiet", "noise", now, seed, checkout=False, leak=False)
    trigger = WindowTrigger()
    blips = sum(
        int(trigger.fired(s.timestamps, s.values).sum()) for s in telemetry.metric_series.values()
    )
    assert blips, "noise should still fire a few blips of the trigger"
    assert detect(telemetry, trigger) == []  # ... but no incident episode
    assert _investigate(telemetry, trigger, now, tmp_path) is None  # so no report


T0 = datetime(2026, 3, 15, 14, 0, tzinfo=UTC)


def _comparison(metric, shape, unit=None, z=40.0, ratio=3.0, drops=0, service="svc"):
    return BaselineComparison(
        metric=metric,
        service=service,
        unit=unit,
        onset=T0,
        anomalous_points=30,
        sustained=True,
        baseline_median=100,
        after_median=100 * ratio,
        after_max=100 * ratio,
        change_ratio=ratio,
        robust_z=z,
        shape=shape,
        rise_minutes=30 if shape == "ramp" else 1,
        monotonic_fraction=0.8,
        sawtooth_drops=drops,
        note="",
    )


def _logs(tags=None, errors_after=50, errors_before=0, deps=None):
    return ServiceLogDetails(
        service="svc",
        onset=T0,
        errors_before=errors_before,
        errors_after=errors_after,
        warnings_before=0,
        warnings_after=0,
        minutes_before=30,
        minutes_after=30,
        first_error_after_onset=T0,
        new_signatures=[],
        tag_counts=tags or {},
        dependencies_named=deps or {},
        samples=[],
    )


def _deploy(service="svc", minutes=10, description="release"):
    return DeployView(
        service=service,
        version="v2",
        commit="abc",
        deployed_at=T0 - timedelta(minutes=minutes),
        author=None,
        description=description,
        minutes_before_onset=minutes,
        has_diff=False,
    )


@pytest.mark.parametrize(
    "comparisons, logs, deploys, expected",
    [
        # A heap ramp with OOMs and no sawtooth is a leak, whatever the metric is called.
        (
            [_comparison("jvm_old_gen", "ramp", unit="MiB")],
            _logs({"oom": 3}),
            [],
            ("memory_leak", "restart"),
        ),
        # The same ramp with a GC sawtooth is not a leak.
        (
            [_comparison("jvm_old_gen", "ramp", unit="MiB", drops=6)],
            _logs({}, errors_after=0),
            [],
            None,
        ),
        # A deploy of this service 10 min before onset, config described, no diff.
        (
            [_comparison("p99_ms", "level_shift", unit="ms")],
            _logs({"pool_exhaustion": 9}),
            [_deploy(description="orders-config v7")],
            ("config_change", "rollback"),
        ),
        # A deploy with new exceptions is a code regression.
        (
            [_comparison("errors", "level_shift")],
            _logs({"exception": 40}),
            [_deploy()],
            ("code_regression", "rollback"),
        ),
        # A deploy 45 min before onset is too early; a deploy to another service is not blamed.
        (
            [_comparison("errors", "level_shift")],
            _logs({"exception": 40}),
            [_deploy(minutes=45), _deploy(service="other", minutes=5)],
            ("unknown", "escalate"),
        ),
        # Request rate up with latency, no deploy.
        (
            [
                _comparison("http_requests_per_second", "level_shift", ratio=4),
                _comparison("p99_ms", "level_shift", unit="ms"),
            ],
            _logs({"saturation": 5}),
            [],
            ("traffic_surge", "scale_out"),
        ),
        # Errors naming a dependency, nothing else changed.
        (
            [_comparison("errors", "level_shift")],
            _logs({"dependency": 30}, deps={"ledger-db": 30}),
            [],
            ("dependency_failure", "failover"),
        ),
        # Saturation without a deploy or more traffic.
        (
            [_comparison("cpu", "level_shift", unit="%", ratio=2.5)],
            _logs({"saturation": 12}),
            [],
            ("resource_saturation", "scale_out"),
        ),
        # Nothing sustained and no new errors: abstain.
        ([], _logs({}, errors_after=0), [], None),
        # A deploy just before the morning ramp: load alone, no errors, is no symptom of it.
        (
            [
                _comparison(
                    "http_server_requests_seconds_count", "level_shift", "requests/s", ratio=1.3
                )
            ],
            _logs({}, errors_after=0),
            [_deploy(minutes=2, description="bump structlog")],
            None,
        ),
    ],
)
def test_rules_table(comparisons, logs, deploys, expected):
    ev = rules.ServiceEvidence(
        service="svc", onset=T0, comparisons=comparisons, logs=logs, deploys=deploys
    )
    finding = rules.diagnose(ev)
    assert (finding.category, finding.action) == expected if expected else finding is None
    if finding:
        assert finding.evidence and 0 <= finding.confidence <= 1


@pytest.mark.parametrize(
    "peak, minutes, surge",
    [
        (10.0, 96, True),  # a crawler ramping tenfold over an hour and a half
        (3.0, 240, False),  # the morning: three times the night's load over four hours
        (3.0, 120, False),  # ... or over two
    ],
)
def test_a_slow_but_manyfold_load_ramp_is_a_surge(peak, minutes, surge):
    from offline.signals import surge_rates

    rate = _comparison("http_requests_per_second", "ramp", "requests/s", ratio=2.5)
    rate = rate.model_copy(update={"rise_minutes": minutes, "after_max": 100 * peak})
    latency = _comparison("http_request_duration_p99_ms", "level_shift", "ms", ratio=8)
    ev = rules.ServiceEvidence(service="svc", onset=T0, comparisons=[rate, latency], logs=_logs())
    assert bool(surge_rates(ev)) is surge
