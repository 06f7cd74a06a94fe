"""The scale limits an investigation applied, in words for the report.

Limits are product behaviour: past them the evidence is ranked, sampled or counted instead of
listed, and the report says which, so a reader knows what was not looked at line by line.
"""

from datetime import datetime, timedelta

import numpy as np

from evidence.graph import MAX_LINES, MAX_MAP_SERVICES
from evidence.logs import LEVELS, MAX_ERROR_SERVICES
from sources.telemetry import LogTable, to_datetime64


def scale_limits(table: LogTable, metric_services: set[str], since: datetime) -> list[str]:
    """What the log evidence of an incident that began at `since` left out or sampled."""
    limits = []
    log_only = len(set(table.service_names) - metric_services)
    if log_only > MAX_MAP_SERVICES:
        limits.append(
            f"{len(table.service_names):,} services write logs: the service map holds the "
            f"{len(metric_services):,} with metrics and the {MAX_MAP_SERVICES} log-only services "
            "with the most warnings and errors since five minutes before the incident began; "
            "log counts and searches cover every service."
        )
    if not len(table.levels):
        return limits
    lo = int(np.searchsorted(table.timestamps, to_datetime64(since - timedelta(minutes=5))))
    levels, services = table.levels[lo:], table.services[lo:]
    size = len(table.service_names)
    warned = np.bincount(services[levels >= LEVELS.index("WARN")], minlength=size)
    if (busy := int((warned > MAX_LINES).sum())) > 0:
        limits.append(
            f"{busy:,} service{'s' if busy > 1 else ''} wrote more than {MAX_LINES:,} warnings "
            f"and errors after the incident began: the service map reads the first {MAX_LINES:,}"
            " of each for the dependencies they name."
        )
    failing = int(
        np.count_nonzero(
            np.bincount(table.services[table.levels >= LEVELS.index("ERROR")], minlength=size)
        )
    )
    if failing > MAX_ERROR_SERVICES:
        limits.append(
            f"{failing:,} services logged errors: the log tables list the {MAX_ERROR_SERVICES} "
            "with the most and count the others."
        )
    return limits
