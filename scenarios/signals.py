"""Metric series for scenarios: a regular scrape grid and the shapes incidents take on it.

Every function returns a plain float array over the grid, so a scenario composes a metric as
arithmetic: `grid.noisy(120, 0.05) * (1 + 2 * grid.ramp(onset, 2))`.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from sources.telemetry import to_datetime64


@dataclass
class Grid:
    """Scrape times every `step` seconds over the `hours` before `now`."""

    now: datetime
    rng: np.random.Generator
    step: float = 15.0
    hours: float = 1.0
    t: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = int(self.hours * 3600 // self.step) + 1
        end = to_datetime64(self.now)
        self.t = end - np.arange(n - 1, -1, -1) * np.timedelta64(int(self.step * 1000), "ms")

    @property
    def n(self) -> int:
        return len(self.t)

    @property
    def start(self) -> datetime:
        return self.now - timedelta(hours=self.hours)

    def minutes_since(self, at: datetime) -> np.ndarray:
        """Minutes from `at` to each point: negative before it."""
        return (self.t - to_datetime64(at)).astype("timedelta64[ms]").astype(np.float64) / 60000

    def ramp(self, at: datetime, minutes: float) -> np.ndarray:
        """0 before `at`, rising linearly to 1 over `minutes` (a step when minutes is 0)."""
        m = self.minutes_since(at)
        if minutes <= 0:
            return (m >= 0).astype(np.float64)
        return np.clip(m / minutes, 0, 1)

    def between(self, start: datetime, end: datetime) -> np.ndarray:
        """1 from `start` until `end`, 0 elsewhere."""
        return self.ramp(start, 0) * (1 - self.ramp(end, 0))

    def wander(self, rel: float, period_minutes: float = 90) -> np.ndarray:
        """A slow multiplicative drift around 1 (traffic that follows the time of day)."""
        phase = self.rng.uniform(0, 2 * np.pi)
        m = self.minutes_since(self.start)
        return 1 + rel * np.sin(2 * np.pi * m / period_minutes + phase)

    def jitter(self, rel: float, memory: float = 0.5) -> np.ndarray:
        """Multiplicative noise around 1 with some memory between scrapes, like real gauges."""
        e = self.rng.standard_normal(self.n)
        out = np.empty(self.n)
        prev = 0.0
        for i, x in enumerate(e):  # AR(1), scaled to keep the stationary spread at `rel`
            prev = memory * prev + np.sqrt(1 - memory**2) * x
            out[i] = prev
        return 1 + rel * out

    def noisy(self, base: float, rel: float, memory: float = 0.5) -> np.ndarray:
        return base * self.jitter(rel, memory)

    def tail(self, base: float, sigma: float) -> np.ndarray:
        """Latency percentiles: log-normal noise with an occasional long tail."""
        return base * np.exp(sigma * self.rng.standard_normal(self.n))

    def counts(self, per_second: np.ndarray | float) -> np.ndarray:
        """A rate measured from whole events in each scrape interval (Poisson)."""
        lam = np.broadcast_to(np.asarray(per_second, dtype=np.float64) * self.step, (self.n,))
        return self.rng.poisson(np.maximum(lam, 0)) / self.step
