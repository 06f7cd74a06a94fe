"""Episodes from the detection stage on synthetic series with known changes."""

from datetime import UTC, datetime

import numpy as np
import pytest

from detection import detect_episodes, score_series
from triggers import WindowTrigger

T0 = np.datetime64("2026-03-10T00:00:00", "ms")
TRIGGER = WindowTrigger()


def grid(n: int, step_s: int) -> np.ndarray:
    return T0 + np.arange(n) * np.timedelta64(step_s * 1000, "ms")


def episodes(t, x, bad_when=None):
    return detect_episodes("m", "svc", t, x, TRIGGER, bad_when)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gaussian_noise_opens_no_episode(seed):
    rng = np.random.default_rng(seed)
    t = grid(361, 10)
    assert episodes(t, 100 + 5 * rng.standard_normal(len(t))) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_heavy_tailed_noise_opens_no_episode(seed):
    rng = np.random.default_rng(seed)
    t = grid(361, 10)
    assert episodes(t, 50 + 2 * rng.standard_t(3, len(t))) == []


def test_flat_baseline_ignores_a_rounding_size_rise():
    t = grid(361, 10)
    x = np.full(len(t), 0.5)
    x[200:] += 3e-5
    assert episodes(t, x) == []


def test_step_change_is_one_episode_with_a_precise_onset():
    rng = np.random.default_rng(7)
    t = grid(361, 10)
    x = 200 + 4 * rng.standard_normal(len(t))
    x[250:] += 60
    (ep,) = episodes(t, x, "rises")
    onset = (np.datetime64(ep.onset.replace(tzinfo=None), "ms") - t[250]) / np.timedelta64(10, "s")
    assert abs(onset) <= 2
    assert ep.direction == "above" and ep.ongoing
    assert ep.onset.tzinfo == UTC
    assert ep.threshold > ep.baseline and ep.peak > ep.threshold
    assert 0.5 < ep.score <= 1


def _steps_from(ep, at: np.datetime64) -> float:
    return (np.datetime64(ep.onset.replace(tzinfo=None), "ms") - at) / np.timedelta64(10, "s")


@pytest.mark.parametrize("seed", range(8))
def test_a_slow_ramp_has_its_onset_where_it_left_the_noise(seed):
    """A leak climbing one noise sigma per scrape: the still-anomalous run alone starts one to
    four steps late; the change-point fit puts the onset within two steps of the truth."""
    rng = np.random.default_rng(seed)
    t = grid(361, 10)
    x = 512 + 4 * rng.standard_normal(len(t))
    x[120:] += 4.3 * np.arange(1, 242)
    (ep,) = episodes(t, x, "rises")
    assert abs(_steps_from(ep, t[120])) <= 2


@pytest.mark.parametrize("seed", range(4))
def test_a_ramp_to_a_plateau_is_not_dated_to_its_middle(seed):
    rng = np.random.default_rng(seed)
    t = grid(361, 10)
    x = 120 * (1 + 0.05 * rng.standard_normal(len(t)))
    x[200:] *= 1 + 2 * np.clip(np.arange(1, 162) / 6, 0, 1)  # a minute's ramp-in, then flat
    (ep,) = episodes(t, x, "rises")
    assert abs(_steps_from(ep, t[200])) <= 2


def test_a_blip_before_the_change_does_not_date_it():
    """Three noisy points 40 min before a real step are noise, not the incident's start."""
    rng = np.random.default_rng(4)
    t = grid(600, 10)
    x = 100 + 3 * rng.standard_normal(len(t))
    x[150:153] += 20  # a 30 s blip
    x[390:] += 40
    (ep,) = [e for e in episodes(t, x, "rises") if e.clear(TRIGGER.window_seconds)]
    assert abs(_steps_from(ep, t[390])) <= 2


def test_self_resolving_bump_ends_inside_the_data():
    rng = np.random.default_rng(11)
    t = grid(361, 10)
    x = 40 + 2 * rng.standard_normal(len(t))
    x[200:230] += 20
    (ep,) = episodes(t, x)
    assert not ep.ongoing
    assert ep.end < datetime.fromtimestamp(t[-1].astype(np.int64) / 1000, UTC)
    assert 25 <= ep.points <= 40


def test_a_fall_is_watched_when_bad_when_is_unknown():
    rng = np.random.default_rng(5)
    t = grid(361, 10)
    x = 80 + 2 * rng.standard_normal(len(t))
    x[250:] -= 30
    assert [e.direction for e in episodes(t, x)] == ["below"]
    assert episodes(t, x, "rises") == []
    assert [e.direction for e in episodes(t, x, "falls")] == ["below"]


def daily_cycle(days: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Requests per minute: quiet nights, a ramp to a plateau from 08:00 to 10:00 each day."""
    rng = np.random.default_rng(seed)
    t = grid(days * 1440, 60)
    hour = (np.arange(len(t)) % 1440) / 60
    level = 100 + 400 * np.clip((hour - 8) / 2, 0, 1) * (hour < 20)
    return t, level * (1 + 0.03 * rng.standard_normal(len(t)))


def day3(ep) -> bool:
    return ep.onset >= datetime(2026, 3, 12, tzinfo=UTC)


def test_daily_cycle_the_third_morning_ramp_is_no_episode():
    t, x = daily_cycle(3, seed=3)
    assert [e for e in episodes(t, x) if day3(e)] == []


def test_daily_cycle_a_real_bump_on_day_three_is_found():
    t, x = daily_cycle(3, seed=3)
    bump = slice(2 * 1440 + 14 * 60, 2 * 1440 + 14 * 60 + 40)  # 14:00-14:40 on day 3
    x[bump] *= 1.4
    found = [e for e in episodes(t, x) if day3(e)]
    assert len(found) == 1
    assert abs((found[0].onset - datetime(2026, 3, 12, 14, tzinfo=UTC)).total_seconds()) <= 120


def test_score_is_causal_and_spikes_once_per_episode():
    rng = np.random.default_rng(2)
    t = grid(361, 10)
    x = 100 + 5 * rng.standard_normal(len(t))
    x[250:] += 80
    score = score_series(t, x, TRIGGER)
    assert ((score >= 0) & (score <= 1)).all()
    assert np.count_nonzero(score) == 1
    assert 250 <= int(np.argmax(score)) <= 255
    # The past's scores do not change when the future does.
    cut = score_series(t[:300], x[:300], TRIGGER)
    assert np.array_equal(cut, score[:300])
    dense = score_series(t, x, TRIGGER, spikes=False)
    assert dense[260:].min() > 0.5 and np.median(dense[:240]) < 0.5


def test_unsorted_rows_and_nans_are_tolerated():
    rng = np.random.default_rng(4)
    t = grid(361, 10)
    x = 10 + rng.standard_normal(len(t))
    x[250:] += 10
    x[100] = np.nan
    order = np.arange(len(t))
    order[[50, 51]] = order[[51, 50]]
    assert len(episodes(t[order], x[order])) == 1
    assert np.isfinite(score_series(t[order], x[order], TRIGGER)).all()


def test_a_dense_onset_fit_is_bounded_and_lands_within_one_run_of_points():
    # 3,000 samples a tenth of a second apart: every pair of knots would be 9M cells per array;
    # the fit runs on means of runs of k points and dates the step within one run.
    import tracemalloc

    from detection.episodes import FIT_POINTS, _changepoint

    n, step_at = 3000, 1800
    t = np.arange(n, dtype=np.int64) * 100
    x = np.random.default_rng(3).normal(50.0, 1.0, n)
    x[step_at:] += 8.0
    k = -(-n // FIT_POINTS)
    tracemalloc.start()
    onset = _changepoint(t, x, 0, step_at + 12, n - 1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert k > 1 and step_at - k <= onset <= step_at + k
    assert peak < 32 * 2**20, f"{peak / 2**20:.0f} MiB"
    # Sparse data is fitted point by point, as before: the onset is exact.
    assert _changepoint(t[::10], x[::10], 0, step_at // 10 + 3, n // 10 - 1) == step_at // 10


@pytest.mark.parametrize("rise, clear", [(1.8, True), (0.15, False)])
def test_a_change_under_way_before_the_first_baseline_is_clear_when_it_moved_far(rise, clear):
    # An hour of 10 s points, memory climbing from the fourth minute: every baseline lies on
    # the ramp, so no point stands twice N·sigma above it. Grown 2.8x it is an incident after
    # one window; grown 15% it is not (a drift that small must hold four windows).
    rng = np.random.default_rng(11)
    n = 360
    t = np.datetime64("2026-02-27T23:00:00", "ms") + np.arange(n) * np.timedelta64(10_000, "ms")
    x = 740.0 + rng.normal(0, 8, n)
    x[24:] += np.linspace(0, 740.0 * rise, n - 24)
    trigger = WindowTrigger(window_seconds=900)
    episodes = detect_episodes("rss", "payments", t, x, trigger, "rises")
    assert any(e.clear(trigger.window_seconds) for e in episodes) is clear
