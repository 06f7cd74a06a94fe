"""Metrics and build_info deploys from any Prometheus HTTP API (`/api/v1/query_range`).

Prometheus, Thanos, Mimir, VictoriaMetrics and Google Managed Service for Prometheus all serve
it. One step serves the whole investigation; a request never asks for more than the server's
11,000 points per series, so a long window is read in consecutive slices.
"""

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2 as httpx
import numpy as np

from errors import UsageError
from sources.bundle.reader import valid_commit
from sources.live.config import HttpSource, MetricConfig, ServiceConfig, public_url
from sources.live.http import client, get_json
from sources.telemetry import Deploy

# Steps a window may be read at, finest first: the first that keeps a series under
# WINDOW_POINTS wins. 10 s matches the common scrape intervals without inventing points.
STEPS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)
WINDOW_POINTS = 20_000  # per series over the whole window
REQUEST_POINTS = 10_000  # per request; Prometheus refuses more than 11,000
PATH = "/api/v1/query_range"
PARALLEL = 8  # requests in flight at once: fast, and gentle enough on a shared server


def choose_step(start: datetime, end: datetime) -> int:
    """The finest step (seconds) that reads [start, end] in at most WINDOW_POINTS points."""
    span = (end - start).total_seconds()
    return next((s for s in STEPS if span / s <= WINDOW_POINTS), STEPS[-1])


def slices(start: datetime, end: datetime, step: int) -> list[tuple[float, float]]:
    """[start, end] cut into request ranges on the step grid, REQUEST_POINTS points at most each.

    The grid is aligned to the epoch (multiples of `step`), so two reads of one window agree.
    """
    first = math.ceil(start.timestamp() / step) * step
    last = math.floor(end.timestamp() / step) * step
    out = []
    while first <= last:
        stop = min(first + (REQUEST_POINTS - 1) * step, last)
        out.append((first, stop))
        first = stop + step
    return out


@dataclass(frozen=True)
class RangeSeries:
    labels: dict[str, str]
    timestamps: np.ndarray  # datetime64[ms]
    values: np.ndarray  # float64, finite only


class PrometheusClient:
    """query_range over a window, one step for every query."""

    def __init__(
        self,
        source: HttpSource,
        start: datetime,
        end: datetime,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self.start, self.end = start, end
        self.step = choose_step(start, end)
        self.http = client(source, transport)

    def close(self) -> None:
        self.http.close()

    def query(self, expr: str, what: str) -> list[RangeSeries]:
        """Every series `expr` returns over the window, slices joined by label set."""
        points: dict[tuple, tuple[dict, list, list]] = {}
        for first, last in slices(self.start, self.end, self.step):
            params = {"query": expr, "start": f"{first:.3f}", "end": f"{last:.3f}"}
            params["step"] = str(self.step)  # a plain number of seconds: "0.3s" is refused
            data = get_json(self.http, self.source, PATH, params, what)
            for item in _matrix(data, self.source, what):
                key = tuple(sorted(item["metric"].items()))
                _, stamps, values = points.setdefault(key, (item["metric"], [], []))
                try:
                    stamps += [float(p[0]) for p in item["values"]]
                    values += [float(p[1]) for p in item["values"]]  # "NaN" parses; dropped
                except (TypeError, ValueError):
                    raise _garbage(self.source, what) from None
        out = []
        for labels, stamps, values in points.values():
            t, v = np.array(stamps, dtype=np.float64), np.array(values, dtype=np.float64)
            keep = np.isfinite(v)
            ms = np.round(t[keep] * 1000).astype(np.int64).view("datetime64[ms]")
            out.append(RangeSeries(labels, ms, v[keep]))
        return out

    def all_series(self, metrics: list[MetricConfig]) -> dict[str, RangeSeries]:
        """series() of every metric, a few requests at a time (the client is thread-safe)."""
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            found = list(pool.map(self.series, metrics))
        return {m.name: s for m, s in zip(metrics, found, strict=True)}

    def series(self, metric: MetricConfig) -> RangeSeries:
        """The one series a configured metric's query returns; an error when none or several."""
        found = [s for s in self.query(metric.query, f"metric {metric.name}") if len(s.values)]
        if len(found) != 1:
            shown = "no series" if not found else f"{len(found)} series ({_labels(found)})"
            raise UsageError(
                f"{self.source.kind}: metric {metric.name}: its query must return exactly one "
                f"series over the window, got {shown}; aggregate it (sum, max, ...) in the config"
            )
        return found[0]

    def deploys(self, service: ServiceConfig) -> list[Deploy]:
        """One deploy per new value of the service's build_info version/revision labels."""
        found = self.query(service.build_info, f"build_info of {service.name}")
        first_step = np.datetime64(int(slices(self.start, self.end, self.step)[0][0]), "s")
        seen, events = set(), []
        for s in sorted(found, key=lambda s: s.timestamps[0] if len(s.timestamps) else first_step):
            if not len(s.timestamps):
                continue
            version = s.labels.get(service.version_label) or s.labels.get(service.revision_label)
            revision = s.labels.get(service.revision_label) or version
            if not version or (version, revision) in seen:
                continue
            seen.add((version, revision))
            if s.timestamps[0] <= first_step:
                continue  # running when the window opened: not a deploy inside it
            ms = int(s.timestamps[0].astype(np.int64))
            events.append(
                Deploy(
                    service=service.name,
                    version=version[:128],
                    # A label is untrusted: a commit that is not a safe id never reaches git.
                    commit=revision if valid_commit(revision) else "unknown",
                    deployed_at=datetime.fromtimestamp(ms / 1000, UTC),
                    description=f"{service.name} {version[:128]} (new build_info labels)",
                )
            )
        return events


def _matrix(data: object, source: HttpSource, what: str) -> list[dict]:
    ok = isinstance(data, dict) and data.get("resultType") == "matrix"
    result = data.get("result") if ok else None
    if not isinstance(result, list) or not all(_is_series(r) for r in result):
        raise _garbage(source, what)
    return result


def _garbage(source: HttpSource, what: str) -> UsageError:
    url = public_url(source.url + PATH)
    return UsageError(f"{source.kind} {url} answered data that is not a range matrix ({what})")


def _is_series(item: object) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("metric"), dict)
        and isinstance(item.get("values"), list)
        and all(isinstance(p, list) and len(p) == 2 for p in item["values"])
    )


def _labels(found: list[RangeSeries]) -> str:
    def show(labels: dict[str, str]) -> str:
        pairs = ", ".join(f"{k}={v!r}" for k, v in sorted(labels.items()) if k != "__name__")
        return f"{labels.get('__name__', '')}{{{pairs}}}"

    text = "; ".join(show(s.labels) for s in found[:3])
    return text if len(text) <= 200 else text[:197] + "..."
