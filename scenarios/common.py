"""Building blocks for scenario telemetry: series, background log chatter, the store."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from sources.telemetry import Deploy, LogTable, MetricInfo, Series, TelemetryStore

LogRow = tuple[datetime, str, str, str]  # (timestamp, service, level, message)


@dataclass
class Timeline:
    """The hour (or more) of data a scenario covers, ending at `now`."""

    now: datetime
    rng: np.random.Generator
    hours: float = 1.0

    @property
    def start(self) -> datetime:
        return self.now - timedelta(hours=self.hours)

    def every(
        self,
        seconds: float,
        start: datetime | None = None,
        end: datetime | None = None,
        jitter: float = 0.3,
    ) -> Iterable[datetime]:
        """Times spaced about `seconds` apart between start and end."""
        t = start or self.start
        end = end or self.now
        while t < end:
            yield t
            t += timedelta(seconds=seconds * (1 + jitter * (self.rng.random() - 0.5)))

    def pick(self, options: list[str]) -> str:
        return options[int(self.rng.integers(len(options)))]


def chatter(
    tl: Timeline,
    service: str,
    seconds: float,
    make: Callable[[Timeline], str],
    level: str = "INFO",
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[LogRow]:
    """Routine lines from one service every `seconds` or so."""
    return [(t, service, level, make(tl)) for t in tl.every(seconds, start, end)]


def background(tl: Timeline) -> list[LogRow]:
    """Healthy traffic from services that take no part in the incidents."""
    rows = chatter(
        tl,
        "api-gateway",
        4,
        lambda t: (
            f"GET /api/{t.pick(['products', 'cart', 'search', 'user'])} 200 "
            f"{int(t.rng.integers(8, 60))}ms"
        ),
    )
    rows += chatter(
        tl,
        "payments-service",
        9,
        lambda t: (
            f"payment authorized order={int(t.rng.integers(10**6, 10**7))} "
            f"amount={t.rng.integers(5, 400)}.{t.rng.integers(10, 99)} EUR"
        ),
    )
    # A long-standing, steady error: present before and after onset, so not new.
    rows += chatter(
        tl,
        "payments-service",
        150,
        lambda t: f"card declined by issuer order={int(t.rng.integers(10**6, 10**7))} code=05",
        level="ERROR",
    )
    rows += chatter(tl, "docs-site", 30, lambda t: f"GET /docs/{t.pick(['api', 'sdk'])} 200")
    rows += chatter(
        tl,
        "postgres",
        60,
        lambda t: f"checkpoint complete: wrote {int(t.rng.integers(200, 3000))} buffers",
    )
    return rows


def series_of(
    timestamps: np.ndarray,
    values: np.ndarray,
    name: str,
    service: str,
    unit: str | None = None,
    description: str | None = None,
) -> Series:
    return Series(MetricInfo(name, service, unit, description), timestamps, values)


def metric_series(
    timestamps: np.ndarray,
    values: dict[str, np.ndarray],
    info: dict[str, tuple[str, str | None, str | None]],
) -> list[Series]:
    """A Series per metric from its values and its (service, unit, description) in `info`.

    NaN marks a scrape that returned nothing (a service that went down): the point is left out.
    """
    out = []
    for name, v in values.items():
        keep = np.isfinite(v)
        out.append(series_of(timestamps[keep], v[keep], name, *info[name]))
    return out


def store(
    name: str,
    description: str,
    series: list[Series],
    logs: list[LogRow],
    deploys: list[Deploy],
    diffs: dict[str, str],
    trigger: dict[str, float] | None = None,
) -> TelemetryStore:
    return TelemetryStore(
        name=name,
        description=description,
        metric_info={s.info.name: s.info for s in series},
        metric_series={s.info.name: s for s in series},
        log_table=LogTable.from_rows(logs),
        deploy_events=deploys,
        diffs=diffs,
        trigger=trigger or {},
    )
