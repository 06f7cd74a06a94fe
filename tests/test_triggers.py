import os
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

import triggers
from scenarios.mock_series import MOCK_METRICS, generate_mock_series
from triggers import WindowTrigger, group_anomalies

NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)


def _times(n: int, step: int = 10) -> np.ndarray:
    start = np.datetime64("2026-03-15T12:00:00", "ms")
    return start + np.arange(n) * np.timedelta64(step * 1000, "ms")


@pytest.mark.parametrize("metric", list(MOCK_METRICS))
def test_each_mock_pattern_fires(metric):
    t, v = generate_mock_series(NOW, seed=7)[metric]
    anomalies = WindowTrigger().detect(metric, t, v, service=MOCK_METRICS[metric][0])
    assert len(anomalies) >= 10, f"{metric} should fire a sustained run"
    assert all(a.value > a.threshold for a in anomalies)
    assert all(a.timestamp.tzinfo is not None for a in anomalies)


def test_heap_ramp_fires_during_the_ramp_not_only_at_its_end():
    t, v = generate_mock_series(NOW, seed=1)["heap_usage_mb"]
    fired = [a.timestamp for a in WindowTrigger().detect("heap_usage_mb", t, v)]
    # The leak starts 50 min before NOW; it must be caught within its first 10 minutes.
    assert min(fired) < NOW - timedelta(minutes=40)


def test_a_trailing_window_without_guard_misses_a_noiseless_ramp():
    # Documents why the guard band exists: a 2.5-sigma trailing window cannot see a ramp.
    t, v = _times(400), np.linspace(500, 1800, 400)
    assert not WindowTrigger(guard_seconds=0).detect("ramp", t, v)
    assert WindowTrigger().detect("ramp", t, v)


def test_flat_series_never_fires():
    t = _times(500)
    assert WindowTrigger().detect("flat", t, np.full(500, 42.0)) == []


def test_sigma_zero_then_step_fires_without_warnings():
    v = np.full(300, 5.0)
    v[200:] = 6.0
    with np.errstate(all="raise"):
        anomalies = WindowTrigger().detect("step", _times(300), v)
    assert anomalies and anomalies[0].timestamp == datetime(2026, 3, 15, 12, 33, 20, tzinfo=UTC)
    assert anomalies[0].baseline_std == 0.0


def test_pure_noise_fires_rarely():
    rng = np.random.default_rng(0)
    n = 100_000
    fired = WindowTrigger().detect("noise", _times(n), rng.normal(100, 5, n))
    rate = len(fired) / n
    assert 0.001 < rate < 0.015  # ~0.6% for a 2.5-sigma one-sided test with 30-point windows


def test_window_threshold_and_multiplier_are_honoured():
    rng = np.random.default_rng(3)
    v = rng.normal(0, 1, 2000)
    loose = WindowTrigger(threshold_multiplier=1.0).detect("x", _times(2000), v)
    strict = WindowTrigger(threshold_multiplier=4.0).detect("x", _times(2000), v)
    assert len(loose) > 10 * max(len(strict), 1)


def test_unsorted_input_gives_the_same_anomalies():
    t, v = generate_mock_series(NOW, seed=2)["checkout_latency_p99"]
    order = np.random.default_rng(0).permutation(len(t))
    sorted_result = WindowTrigger().detect("m", t, v)
    shuffled_result = WindowTrigger().detect("m", t[order], v[order])
    assert sorted_result == shuffled_result


def test_irregular_sampling_uses_time_not_point_counts():
    # 1 s sampling for the first half, 30 s for the second: the window is 300 s either way.
    t = np.concatenate(
        [_times(600, 1), _times(600, 1)[-1] + np.arange(1, 101) * np.timedelta64(30_000, "ms")]
    )
    v = np.random.default_rng(5).normal(10, 1, len(t))
    v[-5:] = 30
    fired = WindowTrigger().detect("m", t, v)
    assert [a.value for a in fired][-5:] == [30.0] * 5


def test_too_few_baseline_points_are_not_judged():
    assert WindowTrigger().detect("m", _times(5), np.array([1, 1, 1, 1, 100.0])) == []


def test_group_anomalies_counts_and_peaks():
    t, v = generate_mock_series(NOW, seed=4)["error_rate"]
    anomalies = WindowTrigger().detect("error_rate", t, v, "checkout-service")
    (group,) = group_anomalies(anomalies)
    assert group.count == len(anomalies)
    assert group.peak == max(a.value for a in anomalies)
    assert group.first == min(a.timestamp for a in anomalies)


@pytest.mark.parametrize(
    "n, step, guard, window",
    [
        (1000, 10_000, 150_000, 300_000),  # the default trigger on 10 s data
        (1000, 7_000, 150_000, 300_000),  # window not a multiple of the step
        (50, 10_000, 150_000, 300_000),  # shorter than one baseline
        (500, 1_000, 0, 30_000),  # no guard
    ],
)
def test_grid_path_equals_the_searched_path(n, step, guard, window):
    t = np.arange(n, dtype=np.int64) * step
    d = np.random.default_rng(n).normal(0, 1, n)
    prefix = np.zeros((2, n + 1))
    prefix[0, 1:], prefix[1, 1:] = np.cumsum(d), np.cumsum(d * d)
    grid = triggers._grid_sums(n, step, prefix, guard, window)
    searched = triggers._searched_sums(t, prefix, guard, window)
    for a, b in zip(grid, searched, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)


def _varied_series(seed: int) -> tuple[np.ndarray, np.ndarray, WindowTrigger]:
    """Timestamps on a grid, jittered, with a gap or with duplicates; values with flats, signed
    zeros, huge values and infinities; a window, guard and min_points drawn too."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3000))
    step = int(rng.choice([1000, 7000, 10_000, 15_000, 60_000]))
    kind = seed % 4
    if kind == 0:
        t = np.arange(n, dtype=np.int64) * step
    elif kind == 1:
        t = np.cumsum(rng.integers(0, 2 * step, n)).astype(np.int64)
    elif kind == 2:
        t = np.arange(n, dtype=np.int64) * step
        t[n // 2 :] += 5 * step
    else:
        t = np.sort(rng.integers(0, n * step + 1, n)).astype(np.int64)
    x = rng.normal(rng.uniform(-1e6, 1e6), rng.uniform(0, 100), n)
    if n > 5 and seed % 3 == 0:
        x[rng.integers(0, n, 5)] = rng.choice([0.0, -0.0, 1e300, -1e300, np.inf], 5)
    if seed % 5 == 0:
        x[: n // 2] = 3.0
    trigger = WindowTrigger(
        window_seconds=float(rng.choice([30, 300, 600])),
        guard_seconds=[None, 0.0, 60.0][seed % 3],
        min_points=int(rng.choice([0, 1, 10])),
    )
    return (np.datetime64("2026-03-15T12:00:00", "ms") + t.astype("timedelta64[ms]")), x, trigger


def test_the_compiled_scan_is_built():
    if triggers._compiled_scan() is None:
        if not os.environ.get("CI"):
            pytest.skip("detection._window not built (no C compiler at install): numpy runs")
        pytest.fail("detection._window was not built: CI installs a C compiler")
    assert triggers._compiled_scan().__module__ == "detection._window"


@pytest.mark.parametrize("seed", range(48))
def test_the_compiled_scan_and_the_numpy_scan_agree_to_the_bit(seed, monkeypatch):
    if triggers._compiled_scan() is None:
        pytest.skip("detection._window not built")
    t, x, trigger = _varied_series(seed)

    def both(f):
        compiled = f()
        with monkeypatch.context() as m:
            m.setattr(triggers, "_compiled_scan", lambda: None)
            return compiled, f()

    for direction in ("above", "below"):
        c, n = both(lambda: trigger.fired(t, x, direction))  # noqa: B023
        assert np.array_equal(c, n)
        rising = x if direction == "above" else -x
        (_, c, _), (_, n, _) = both(lambda: trigger._scan(t, rising, sums=True))  # noqa: B023
        assert [a.tobytes() for a in c] == [b.tobytes() for b in n]  # the sums, signed zeros too
        assert np.array_equal(c, n)
        c, n = both(lambda: trigger.detect("m", t, x, direction=direction))  # noqa: B023
        assert len(c) == len(n) == int(trigger.fired(t, x, direction).sum())
        for a, b in zip(c._columns, n._columns, strict=True):
            assert a.tobytes() == b.tobytes()  # to the bit: -0.0 and NaN payloads included
        assert np.array_equal(c._ms, n._ms)


def test_both_scans_start_their_sums_at_minus_zero_as_cumsum_does():
    # cumsum's first sum is the first value itself: -0.0 stays -0.0, so an all -0.0 window
    # sums to -0.0 - -0.0 = 0.0 from the start of the series as from anywhere else.
    scan = triggers._compiled_scan()
    if scan is None:
        pytest.skip("detection._window not built")
    t, x = np.arange(4, dtype=np.int64) * 1000, np.array([-0.0, -0.0, 5.0, 5.0])
    args = (t, x, 0.0, 0, 2000, 1.0, 1e-9, 6.25)
    index, s1, s2, count = np.empty(4, np.int64), np.empty(4), np.empty(4), np.empty(4)
    k = scan(*args, np.empty(4, bool), index, s1, s2, count)
    sums = triggers._numpy_scan(*args, np.empty(4, bool), True)
    assert k == 1 and list(index[:k]) == list(sums[0]) == [2]
    assert s1[:k].tobytes() == sums[1].tobytes() and np.signbit(s1[0]) == np.signbit(sums[1][0])
    assert not np.signbit(s1[0])


def test_the_compiled_scan_refuses_arrays_that_do_not_match():
    scan = triggers._compiled_scan()
    if scan is None:
        pytest.skip("detection._window not built")
    t, x = np.arange(10, dtype=np.int64), np.zeros(10)
    with pytest.raises(ValueError, match="fired"):
        scan(t, x, 0.0, 0, 5, 1.0, 1e-9, 6.25, np.empty(9, dtype=bool))
    with pytest.raises(ValueError, match="t:"):
        scan(t[:9], x, 0.0, 0, 5, 1.0, 1e-9, 6.25, np.empty(10, dtype=bool))
    with pytest.raises(TypeError, match="together"):
        scan(t, x, 0.0, 0, 5, 1.0, 1e-9, 6.25, np.empty(10, dtype=bool), np.empty(10, np.int64))
    with pytest.raises(ValueError, match="8-byte"):
        small = np.empty(10, np.int32)
        scan(t, x, 0.0, 0, 5, 1.0, 1e-9, 6.25, np.empty(10, bool), small, small, small, small)
    # Unsorted timestamps: -1, so the caller sorts and asks again.
    assert scan(t[::-1].copy(), x, 0.0, 0, 5, 1.0, 1e-9, 6.25, np.empty(10, bool)) == -1
    # A ramp after a flat start fires, and the sums of the fired points come back in order.
    x = np.r_[np.zeros(20), np.arange(1.0, 21.0)]
    t = np.arange(40, dtype=np.int64) * 1000
    index, s1, s2, count = np.empty(40, np.int64), np.empty(40), np.empty(40), np.empty(40)
    k = scan(t, x, 0.0, 2000, 10_000, 5.0, 1e-9, 6.25, np.empty(40, bool), index, s1, s2, count)
    assert k > 0 and index[0] == 20 and list(index[:k]) == sorted(index[:k])
    assert count[0] == 10 and s1[0] == 0.0
    # With room for three: three written, all counted.
    small = np.full(3, -1, np.int64), np.zeros(3), np.zeros(3), np.zeros(3)
    assert scan(t, x, 0.0, 2000, 10_000, 5.0, 1e-9, 6.25, np.empty(40, bool), *small) == k
    assert list(small[0]) == list(index[:3])


def test_coarse_sampling_widens_the_window_so_points_are_judged():
    # 60 s scrapes: a 300 s window holds only 5 baseline points, fewer than min_points.
    t = _times(300, step=60)
    v = np.random.default_rng(9).normal(100, 2, 300)
    v[200:] += 40
    trigger = WindowTrigger()
    assert trigger.for_series(t).window_seconds == (trigger.min_points + 2) * 60
    fired = trigger.detect("m", t, v)
    assert triggers.incident_start(fired) == datetime(2026, 3, 15, 15, 20, tzinfo=UTC)
    assert WindowTrigger().for_series(_times(300, step=10)).window_seconds == 300


def test_direction_below_fires_on_falls_and_reports_in_the_original_scale():
    t = _times(400)
    v = np.random.default_rng(4).normal(500, 5, 400)
    v[300:] = np.linspace(450, 20, 100)  # free space draining away
    below = WindowTrigger().detect("disk_free", t, v, direction="below")
    assert below and all(a.direction == "below" for a in below)
    assert all(a.value < a.threshold < a.baseline_mean for a in below)
    fall = datetime(2026, 3, 15, 12, 50, tzinfo=UTC)
    assert sum(a.timestamp >= fall for a in below) >= 50  # most of the fall fires
    upward = WindowTrigger().detect("disk_free", t, v)
    assert not [a for a in upward if a.timestamp >= fall]  # rising detection sees no fall
    (group,) = group_anomalies(below)
    assert group.peak == min(a.value for a in below) and group.direction == "below"


def test_incident_start_skips_an_isolated_early_blip():
    t, v = generate_mock_series(NOW, seed=7, memory_leak=False)["checkout_latency_p99"]
    anomalies = WindowTrigger().detect("m", t, v)
    blip = anomalies[0].model_copy(update={"timestamp": NOW - timedelta(hours=3)})
    start = triggers.incident_start([blip, *anomalies])
    assert start == triggers.incident_start(anomalies)
    assert NOW - timedelta(minutes=26) <= start <= NOW - timedelta(minutes=24)  # the real onset


def test_detect_builds_anomalies_only_when_read():
    t = _times(2000)
    v = np.random.default_rng(3).normal(100, 2, 2000)
    v[1500:1510] = 200
    fired = WindowTrigger().detect("latency", t, v, "api")
    built = list(fired)  # the columns and the objects they build agree
    assert len(built) == len(fired) >= 10
    assert fired[0] == built[0] and fired[-1] == built[-1]
    assert fired[2:5] == built[2:5] and fired == built
    assert all(a.service == "api" and a.value > a.threshold for a in built)
    start, end = t[1500].item().replace(tzinfo=UTC), t[1509].item().replace(tzinfo=UTC)
    inside = fired.between(start, end)
    assert [a.timestamp for a in inside] == [
        a.timestamp for a in built if start <= a.timestamp <= end
    ]
    assert [a.value for a in inside][:10] == [200.0] * 10


def test_unsorted_timestamps_fire_as_their_sorted_order_does():
    t, x, trigger = _varied_series(1)  # jittered, with a level shift and noise
    order = np.random.default_rng(5).permutation(len(t))
    fired = trigger.fired(t[order], x[order])
    assert np.array_equal(fired, trigger.fired(t, x)[order])
    assert list(trigger.detect("m", t[order], x[order])) == list(trigger.detect("m", t, x))
