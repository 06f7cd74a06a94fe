"""Causal robust baselines: an expected level and a scale per point, seasonal where that helps.

Points are grouped into time bins (half a trigger window by default). Each bin gets its median
and its within-bin spread (IQR). A point's baseline comes from the bins that ended a guard bin
before its own: the median of their medians (level) and, as the scale, the within-bin spread
combined with how much those medians wander (MAD). Medians of medians make the baseline robust
to the heavy tails of bursty telemetry; the guard bin keeps a slow ramp out of its own baseline.

Seasonality: for each period (a day, a week) the bins a whole cycle earlier (median over the
last three cycles) give a seasonal reference, and the same robust baseline runs on the residual.
A bin uses the seasonal baseline once the residuals of at least one full cycle are known and
have explained the past clearly better than the plain baseline (a causal, running comparison).
"""

from dataclasses import dataclass, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
WEEK_MS = 7 * DAY_MS
MAD_TO_SIGMA = 1.4826
IQR_TO_SIGMA = 1 / 1.349


@dataclass(frozen=True)
class BaselineSettings:
    bins_per_window: int = 2  # bin length = trigger window / this
    windows: int = 12  # baseline span, in trigger windows
    guard_bins: int = 1  # bins skipped between a point's bin and its baseline
    min_bins: int = 2  # baseline bins needed before a point is judged
    rel_floor: float = 0.01  # sigma is at least this share of the level ...
    periods_ms: tuple[int, ...] = (DAY_MS, WEEK_MS)
    seasonal_gain: float = 0.7  # seasonal wins when its past error is below this share
    cycles: int = 3  # past cycles whose median is the seasonal reference
    long_bin_ms: int = HOUR_MS  # the long scale: hourly bins ...
    long_bins: int = 24  # ... over a day


@dataclass(frozen=True)
class Baseline:
    """Per point: expected value and scale (NaN where the past is too short to judge)."""

    level: np.ndarray
    sigma: np.ndarray
    seasonal: np.ndarray  # bool: the point was judged against a seasonal baseline


def robust_baseline(
    t: np.ndarray, x: np.ndarray, window_ms: float, settings: BaselineSettings
) -> Baseline:
    """The causal baseline of every point of a time-sorted series (t in ms, int64).

    Two scales: the recent level and noise (bins of half a trigger window), and, where the
    past holds it, the spread over the last day (hourly bins) as a floor for sigma, so the
    ordinary swings of a bursty day are not news.
    """
    short_bin = max(1, int(window_ms // settings.bins_per_window))
    level, sigma, seasonal = _scale(t, x, short_bin, settings)
    long_bin = max(short_bin, settings.long_bin_ms)
    if t[-1] - t[0] >= 2 * settings.long_bins * long_bin // 3:
        long_settings = replace(settings, min_bins=settings.long_bins // 2)
        _, long_sigma, _ = _scale(t, x, long_bin, long_settings, k=settings.long_bins)
        sigma = np.fmax(sigma, long_sigma)
    # The data's resolution as known a window ago: the change being judged must not set it
    # (a flat 5 stepping to 9 would otherwise make 4 its own noise floor).
    lag = int(np.searchsorted(t, t[0] + window_ms))
    res = _resolution(x)
    np.maximum(sigma, np.concatenate((np.zeros(lag), res[: len(x) - lag])), out=sigma)
    tol = 1e-9 * max(1.0, float(np.max(np.abs(x))))
    np.maximum(sigma, tol, out=sigma)
    return Baseline(level, sigma, seasonal)


def _scale(
    t: np.ndarray, x: np.ndarray, bin_ms: int, settings: BaselineSettings, k: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per point level, floored sigma and seasonal flag from bins of `bin_ms`."""
    b = ((t - t[0]) // bin_ms).astype(np.int64)
    nb = int(b[-1]) + 1
    med, spread = _bin_stats(b, x, nb)
    k = k or settings.windows * settings.bins_per_window
    level, sigma = _trailing_baseline(med, spread, k, settings)
    plain_level = level
    err_plain = np.abs(med - level)
    seasonal = np.zeros(nb, dtype=bool)
    best_err = _running_sum(err_plain)
    for period_ms in settings.periods_ms:
        pb = int(round(period_ms / bin_ms))
        if pb < 4 or nb <= 2 * pb:
            continue  # no full cycle of residuals anywhere in the data
        r, r_spread = _seasonal_reference(med, spread, pb, settings.cycles)
        s_level, s_sigma = _trailing_baseline(med - r, spread, k, settings)
        s_sigma = np.fmax(s_sigma, r_spread)  # the noise of this time of the cycle
        err = np.abs(med - r - s_level)
        both = np.isfinite(err) & np.isfinite(err_plain)
        known = np.concatenate(([0], np.cumsum(both)[:-1]))  # bins before this one
        s_err = _running_sum(np.where(both, err, 0.0))
        p_err = _running_sum(np.where(both, err_plain, 0.0))
        use = (known >= pb) & (s_err < settings.seasonal_gain * p_err) & (s_err < best_err)
        use &= np.isfinite(s_level) & np.isfinite(r)
        best_err = np.where(use, s_err, best_err)
        level = np.where(use, r + s_level, level)
        sigma = np.where(use, s_sigma, sigma)
        seasonal |= use
    # A flat baseline still has a noise floor: a share of its level.
    sigma = np.fmax(sigma, settings.rel_floor * np.abs(plain_level))
    return level[b], sigma[b], seasonal[b]


def _bin_stats(b: np.ndarray, x: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """Median and IQR-sigma of each bin (NaN for empty bins; spread needs 3 points)."""
    counts = np.bincount(b, minlength=nb)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    xs = _sorted_within_bins(b, x, counts, starts)
    last = len(xs) - 1

    def quantile(q: float) -> np.ndarray:
        pos = starts + q * np.maximum(counts - 1, 0)
        lo = np.minimum(np.floor(pos).astype(np.int64), last)
        hi = np.minimum(lo + 1, np.minimum(starts + counts - 1, last))
        frac = pos - np.floor(pos)
        return xs[lo] * (1 - frac) + xs[np.maximum(hi, lo)] * frac

    med = np.where(counts > 0, quantile(0.5), np.nan)
    spread = np.where(counts >= 3, (quantile(0.75) - quantile(0.25)) * IQR_TO_SIGMA, np.nan)
    return med, spread


def _sorted_within_bins(
    b: np.ndarray, x: np.ndarray, counts: np.ndarray, starts: np.ndarray
) -> np.ndarray:
    """x sorted by bin, then by value (b is non-decreasing): x[np.lexsort((x, b))]."""
    widest = int(counts.max(initial=0))
    if len(counts) * widest > 2 * len(x) + 1024:  # bins too uneven for a padded table
        return x[np.lexsort((x, b))]
    # One row per bin padded with +inf (values are finite): sorting short rows is several
    # times faster than one lexsort of everything. Stable, so ties keep lexsort's order.
    table = np.full((len(counts), widest), np.inf)
    table[b, np.arange(len(x)) - starts[b]] = x
    table.sort(axis=1, kind="stable")
    return table[np.arange(widest) < counts[:, None]]


def _trailing(v: np.ndarray, k: int, guard: int) -> np.ndarray:
    """Row b holds v[b - guard - k : b - guard] (NaN before the start): a view, no copy."""
    pad = np.concatenate((np.full(k + guard, np.nan), v))
    return sliding_window_view(pad, k)[: len(v)]


def _trailing_baseline(
    med: np.ndarray, spread: np.ndarray, k: int, settings: BaselineSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Level (median of bin medians) and scale of the trailing bins of every bin."""
    rows = _trailing(med, k, settings.guard_bins)
    level = _row_medians(rows)
    between = MAD_TO_SIGMA * _row_medians(np.abs(rows - level[:, None]))
    within = _row_medians(_trailing(spread, k, settings.guard_bins))
    within = np.nan_to_num(within, nan=0.0)
    enough = np.count_nonzero(np.isfinite(rows), axis=1) >= settings.min_bins
    level = np.where(enough, level, np.nan)
    return level, np.hypot(within, between)


def _seasonal_reference(
    med: np.ndarray, spread: np.ndarray, pb: int, cycles: int
) -> tuple[np.ndarray, np.ndarray]:
    """Median (and within-bin spread) of the bins and neighbours 1..`cycles` periods earlier."""
    n = len(med)
    shifts = [c * pb + off for c in range(1, cycles + 1) for off in (-1, 0, 1)]
    out = []
    for v in (med, spread):
        cols = np.full((n, len(shifts)), np.nan)
        for j, shift in enumerate(shifts):
            if shift < n:
                cols[shift:, j] = v[: n - shift]
        out.append(_row_medians(cols))
    return out[0], out[1]


def _row_medians(rows: np.ndarray) -> np.ndarray:
    """nanmedian of each row; NaN for a row with no finite value, without a warning.

    (warnings.catch_warnings is not thread-safe, and tools run in worker threads.)
    """
    out = np.full(rows.shape[0], np.nan)
    some = np.isfinite(rows).any(axis=1)
    if some.any():
        out[some] = np.nanmedian(rows[some], axis=1)
    return out


def _running_sum(v: np.ndarray) -> np.ndarray:
    """Sum of the finite values of the bins strictly before each bin."""
    return np.concatenate(([0.0], np.cumsum(np.nan_to_num(v, nan=0.0))[:-1]))


def _resolution(x: np.ndarray) -> np.ndarray:
    """Per point, the smallest nonzero change seen before it (0 while none is known)."""
    d = np.abs(np.diff(x))
    d[d == 0] = np.inf
    res = np.concatenate(([np.inf, np.inf], np.minimum.accumulate(d)[:-1]))[: len(x)]
    res[np.isinf(res)] = 0.0
    return res
