"""The scene an incident is drawn on: its clock, scrape grids, noise, diurnal load, and the
writer that puts it on disk in the incident-bundle/v1 format (shared/specs/incident-bundle.md).

Standard library and numpy only: the generator must not depend on the project's own bundle
code, so a bug there cannot hide in both the producer and the consumer.
"""

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "incident-bundle/v1"
STEPS = (10, 15, 20, 30, 60)  # scrape intervals seen in the wild
MAX_POINTS_PER_SERIES = 420  # keeps a bundle at a few thousand points
EPOCH_2026 = datetime(2026, 1, 5, tzinfo=UTC).timestamp()

Curve = Any  # a function of an array of epoch seconds that returns an array


@dataclass
class Scene:
    """One incident window being drawn, plus everything already drawn on it."""

    rng: np.random.Generator
    name: str
    start: float  # epoch seconds
    end: float
    step: int  # the scene's usual scrape interval
    annotate: bool  # whether bundle.json states kind and bad_when
    stamp_style: int  # 0 "Z", 1 "+00:00", 2 milliseconds and "Z"
    diurnal_amp: float
    description: str = ""
    manifest: dict[str, dict] = field(default_factory=dict)
    points: list[tuple[int, str, float]] = field(default_factory=list)
    logs: list[tuple[int, int, dict]] = field(default_factory=list)
    deploys: list[dict] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)
    taken: list[str] = field(default_factory=list)  # service names in use
    styles: dict[str, Any] = field(default_factory=dict)  # service -> LogStyle
    trigger: dict[str, float] | None = None

    # randomness

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def hexid(self, n: int = 7) -> str:
        return "".join("0123456789abcdef"[i] for i in self.rng.integers(0, 16, n))

    # time

    @property
    def span(self) -> float:
        return self.end - self.start

    def at(self, fraction: float) -> float:
        """The instant `fraction` of the way through the window, on a whole second."""
        return float(round(self.start + fraction * self.span))

    def grid(self, step: int | None = None, gaps: bool = True) -> np.ndarray:
        """Scrape times: a fixed interval, a little jitter, now and then a missed scrape or an
        outage of a few scrapes."""
        step = step or self.step
        offset = self.uniform(0, step)
        t = np.arange(self.start + offset, self.end, step, dtype=float)
        if self.stamp_style == 2:
            t = t + self.rng.uniform(0, 0.9, len(t))
        keep = self.rng.random(len(t)) > 0.01
        if gaps and self.chance(0.4):
            for _ in range(int(self.rng.integers(1, 3))):
                at = int(self.rng.integers(0, len(t)))
                keep[at : at + int(self.rng.integers(2, 9))] = False
        return t[keep]

    def diurnal(self, t: np.ndarray) -> np.ndarray:
        """Load relative to the daily mean: low at night, a peak in the afternoon (UTC)."""
        hour = (t % 86400) / 3600
        return 1 + self.diurnal_amp * np.sin(2 * math.pi * (hour - 10) / 24)

    def noise(self, n: int, rel: float) -> np.ndarray:
        """Multiplicative noise with a rare one-scrape outlier, as real exporters show."""
        out = 1 + rel * self.rng.standard_normal(n)
        blips = self.rng.random(n) < 0.004
        out[blips] *= self.rng.uniform(1.3, 1.9, int(blips.sum()))
        return np.maximum(out, 0.05)

    def stamp(self, t: float) -> str:
        moment = datetime.fromtimestamp(t, UTC)
        if self.stamp_style == 2:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        return text + ("Z" if self.stamp_style == 0 else "+00:00")

    # services

    def service(self, options) -> str:
        """A service name from `options` that the scene does not use yet."""
        free = [o for o in options if o not in self.taken]
        name = self.pick(free)
        self.taken.append(name)
        return name

    # metrics

    def declare(self, metric: str, service: str, unit: str | None, kind: str, bad_when=None):
        spec: dict[str, str] = {"service": service}
        if unit:
            spec["unit"] = unit
        if self.annotate:
            spec["kind"] = kind
            if bad_when:
                spec["bad_when"] = bad_when
        self.manifest[metric] = spec

    def gauge(self, metric, service, t, values, unit=None, bad_when=None, digits=4):
        self.declare(metric, service, unit, "gauge", bad_when)
        self._points(metric, t, np.round(np.asarray(values, dtype=float), digits))

    def counter(self, metric, service, t, rate, unit=None, resets=(), bad_when=None):
        """A monotonic counter from a per-second rate: Poisson increments, starting from where
        a long-running process would be, and back to zero at each restart in `resets`."""
        self.declare(metric, service, unit, "counter", bad_when)
        dt = np.diff(t, prepend=t[0] - self.step)
        rate = np.maximum(np.asarray(rate, dtype=float), 0)
        increments = self.rng.poisson(rate * dt).astype(float)
        values = np.empty(len(t))
        total = float(self.rng.integers(600, 200_000)) * float(np.mean(rate) + 0.01)
        total = float(round(total))
        pending = sorted(resets)
        for i, (moment, inc) in enumerate(zip(t, increments, strict=True)):
            while pending and moment >= pending[0]:
                pending.pop(0)
                total = 0.0
            total += inc
            values[i] = total
        self._points(metric, t, values)

    def _points(self, metric: str, t: np.ndarray, values: np.ndarray) -> None:
        for moment, value in zip(t, values, strict=True):
            self.points.append((int(round(moment * 1000)), metric, float(value)))

    # deploys

    def deploy(self, service, at, diff, description=None, version=None, author=None):
        commit = self.hexid(self.pick((7, 8, 12, 40)))
        version = version or self.pick(
            (
                f"v{self.rng.integers(1, 5)}.{self.rng.integers(0, 40)}.{self.rng.integers(0, 9)}",
                f"{datetime.fromtimestamp(at, UTC):%Y.%m.%d}-{self.rng.integers(1, 6)}",
                f"sha-{commit[:7]}",
            )
        )
        entry = {
            "service": service,
            "version": version,
            "commit": commit,
            "deployed_at": self.stamp(at).replace(".000", ""),
            "author": author or self.pick(("ci-bot", "argocd", "spinnaker", "jdoe", "m.kim")),
            "description": description or f"{service} {version}",
        }
        self.deploys.append(entry)
        if diff:
            self.diffs[commit] = diff
        return entry


def new_scene(rng: np.random.Generator, name: str, hours: tuple[float, float] = (1, 6)) -> Scene:
    span = round(rng.uniform(*hours) * 3600 / 300) * 300
    day = int(rng.integers(0, 300))
    end = EPOCH_2026 + day * 86400 + int(rng.integers(0, 96)) * 900
    step_floor = span / MAX_POINTS_PER_SERIES
    steps = [s for s in STEPS if s >= step_floor] or [STEPS[-1]]
    return Scene(
        rng=rng,
        name=name,
        start=end - span,
        end=end,
        step=int(steps[int(rng.integers(len(steps)))]),
        annotate=bool(rng.random() < 0.35),
        stamp_style=int(rng.choice(3, p=[0.6, 0.2, 0.2])),
        diurnal_amp=float(rng.uniform(0.15, 0.5)),
    )


# shapes of change over time, as functions of an array of epoch seconds


def step_up(t0: float, t1: float | None = None, rise: float = 60, fall: float = 60) -> Curve:
    """0 before t0, 1 after a rise of `rise` seconds, back to 0 after t1 (when given)."""

    def curve(t):
        up = np.clip((t - t0) / rise, 0, 1)
        if t1 is None:
            return up
        return up * np.clip(1 - (t - t1) / fall, 0, 1)

    return curve


def ramp(t0: float, t1: float) -> Curve:
    """0 before t0, rising linearly to 1 at t1, 1 after."""
    return lambda t: np.clip((t - t0) / (t1 - t0), 0, 1)


def zero(t):
    return np.zeros(len(t))


# writing


def write_bundle(scene: Scene, expected: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"format": FORMAT, "name": scene.name, "description": scene.description}
    manifest["metrics"] = scene.manifest
    if scene.trigger:
        manifest["trigger"] = scene.trigger
    _write_json(out / "bundle.json", manifest)
    rows = sorted(scene.points, key=lambda p: (p[0], p[1]))
    lines = ["timestamp,metric,value"]
    lines += [f"{scene.stamp(ms / 1000)},{metric},{_number(v)}" for ms, metric, v in rows]
    (out / "metrics.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if scene.logs:
        logs = sorted(scene.logs, key=lambda r: (r[0], r[1]))
        text = "".join(json.dumps(doc, ensure_ascii=False) + "\n" for _, _, doc in logs)
        (out / "logs.jsonl").write_text(text, encoding="utf-8")
    if scene.deploys or scene.chance(0.5):
        deploys = sorted(scene.deploys, key=lambda d: d["deployed_at"])
        _write_json(out / "deploys.json", deploys)
    if scene.diffs:
        (out / "diffs").mkdir(exist_ok=True)
        for commit, diff in sorted(scene.diffs.items()):
            (out / "diffs" / f"{commit}.diff").write_text(diff, encoding="utf-8")
    _write_json(out / "expected.json", expected)
    return out


def _write_json(path: Path, doc) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"
