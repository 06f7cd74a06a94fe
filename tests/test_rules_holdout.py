"""The offline rules on shapes the built-in scenarios lack: late deploys, slow ramps, resets."""

from datetime import UTC, datetime, timedelta

import pytest

from evidence.deploys import DeployView
from evidence.logs import ServiceLogDetails
from evidence.metrics import BaselineComparison
from offline import rules

T0 = datetime(2026, 3, 15, 6, 0, tzinfo=UTC)


def _c(metric, shape="level_shift", unit=None, ratio=3.0, rise=2.0, at=0, z=40.0, **extra):
    """A sustained comparison whose onset is `at` minutes after T0."""
    fields = dict(
        metric=metric,
        service="svc",
        unit=unit,
        onset=T0 + timedelta(minutes=at),
        anomalous_points=30,
        sustained=True,
        baseline_median=100,
        after_median=100 * ratio,
        after_max=100 * ratio,
        change_ratio=ratio,
        robust_z=z,
        shape=shape,
        rise_minutes=rise,
        monotonic_fraction=0.8,
        sawtooth_drops=0,
        note="",
    )
    return BaselineComparison(**{**fields, **extra})


def _logs(tags=None, errors_after=50, warnings_after=0):
    return ServiceLogDetails(
        service="svc",
        onset=T0,
        errors_before=0,
        errors_after=errors_after,
        warnings_before=0,
        warnings_after=warnings_after,
        minutes_before=30,
        minutes_after=30,
        first_error_after_onset=T0,
        new_signatures=[],
        tag_counts=tags or {},
        dependencies_named={},
        samples=[],
    )


def _deploy(at, service="svc", version="v2"):
    """A deploy `at` minutes after T0 (negative: before it)."""
    return DeployView(
        service=service,
        version=version,
        commit=f"c{version}",
        deployed_at=T0 + timedelta(minutes=at),
        author=None,
        description="release",
        minutes_before_onset=-at,
        has_diff=False,
    )


MORNING_RAMP = _c("http_requests_per_second", "ramp", "req/s", ratio=2.7, rise=102)
CPU_FOLLOWS = _c("container_cpu_usage_ratio", "ramp", "ratio", ratio=2.3, rise=73, after_max=0.6)
FAST_SURGE = _c("ingress_requests_per_second", "level_shift", "req/s", ratio=3.2, rise=10)
LATENCY_UP = _c("http_request_duration_seconds_p99", unit="s", ratio=5.0)
REJECTED = _c("http_requests_429_per_second", "spike", "req/s", ratio=1400)


@pytest.mark.parametrize(
    "service_onset, comparisons, logs, deploys, expected",
    [
        # A morning ramp moved the request rate hours before a deploy broke the service: the
        # deploy is timed against the error onset, not the ramp.
        (
            0,
            [
                _c("search_hits", "ramp", "hits/min", ratio=2.1, rise=108),
                _c("search_errors", "ramp", "errors/min", ratio=187, at=111),
            ],
            _logs({"exception": 900}),
            [_deploy(-40, version="v1"), _deploy(109, version="v4.18.0")],
            ("code_regression", "rollback", "v4.18.0"),
        ),
        # The same deploy 40 min before the error onset is too early to blame.
        (
            0,
            [
                _c("search_hits", "ramp", "hits/min", ratio=2.1, rise=108),
                _c("search_errors", "ramp", "errors/min", ratio=187, at=111),
            ],
            _logs({"exception": 900}),
            [_deploy(71, version="v4.18.0")],
            ("unknown", "escalate", None),
        ),
        # A deploy after every onset is not the cause either.
        (0, [LATENCY_UP], _logs({"exception": 9}), [_deploy(5)], ("unknown", "escalate", None)),
        # A normal diurnal ramp: load and CPU climb for hours, latency and errors stay flat.
        (0, [MORNING_RAMP, CPU_FOLLOWS], _logs(errors_after=0), [], None),
        # A fast jump in load with nothing hurting is not an incident either.
        (0, [FAST_SURGE], _logs(errors_after=0), [], None),
        # A fast jump with latency following, rate limiting kicking in: a surge.
        (0, [FAST_SURGE, LATENCY_UP, REJECTED], _logs(), [], ("traffic_surge", "scale_out", None)),
        # Load doubled but errors grew a hundredfold: something broke, it is not the load.
        (
            0,
            [
                _c("api_requests_per_second", unit="req/s", ratio=2.0),
                _c("api_5xx_per_second", unit="req/s", ratio=150),
                LATENCY_UP,
            ],
            _logs(),
            [],
            ("unknown", "escalate", None),
        ),
    ],
)
def test_deploy_timing_and_surges(service_onset, comparisons, logs, deploys, expected):
    ev = rules.ServiceEvidence(
        service="svc",
        onset=T0 + timedelta(minutes=service_onset),
        comparisons=comparisons,
        logs=logs,
        deploys=deploys,
    )
    finding = rules.diagnose(ev)
    if expected is None:
        assert finding is None
        return
    category, action, version = expected
    assert (finding.category, finding.action) == (category, action)
    if version:
        assert version in finding.summary
