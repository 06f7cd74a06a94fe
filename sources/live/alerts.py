"""An Alertmanager webhook payload (version "4"): the alerts, their services and their window.

Labels and annotations are text written by whoever configured the alerting rules, and by the
systems they describe: they are kept as data (redacted here, on the way in), name a service by
exact match only, and never become part of a query.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from errors import UsageError
from sources.redact import redact

STATUSES = ("firing", "resolved")
# RFC 3339 as Alertmanager writes it: up to nanoseconds, which datetime cannot hold.
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_ZERO_YEAR = 1  # a firing alert's endsAt is 0001-01-01T00:00:00Z
MAX_TEXT = 2000  # one label or annotation value, after which it is cut


@dataclass(frozen=True)
class Alert:
    name: str  # the alertname label
    fingerprint: str
    status: str  # firing | resolved
    starts_at: datetime
    ends_at: datetime | None  # None while firing
    service: str | None  # from the first of [alerts] service_labels the alert carries
    labels: dict[str, str]
    annotations: dict[str, str]

    def record(self) -> dict[str, str]:
        """What the report keeps of the alert."""
        return {
            "alertname": self.name,
            "fingerprint": self.fingerprint,
            "status": self.status,
            "startsAt": self.starts_at.isoformat().replace("+00:00", "Z"),
        }


def parse_payload(text: str, where: str, service_labels: tuple[str, ...]) -> list[Alert]:
    """The alerts of a webhook payload; UsageError naming `where` (file, '-' or variable)."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise UsageError(f"{where}: the alert payload is not JSON: {e}") from None
    if not isinstance(doc, dict):
        raise UsageError(f"{where}: the alert payload must be a JSON object")
    if doc.get("version") != "4":
        raise UsageError(
            f"{where}: version = {_show(doc.get('version'))}: an Alertmanager webhook payload "
            'of version "4" is expected'
        )
    items = doc.get("alerts")
    if not isinstance(items, list) or not items:
        raise UsageError(f"{where}: alerts = {_show(items)}: must be a non-empty list")
    return [_alert(item, f"{where}: alerts[{i}]", service_labels) for i, item in enumerate(items)]


def alert_window(
    alerts: list[Alert], lookback: timedelta, end: datetime
) -> tuple[datetime, datetime]:
    """[earliest startsAt - lookback, latest endsAt when every alert is resolved, else `end`]."""
    start = min(a.starts_at for a in alerts) - lookback
    if all(a.status == "resolved" and a.ends_at for a in alerts):
        end = max(a.ends_at for a in alerts)
    if end <= start:
        raise UsageError(
            f"the alert window [{start:%Y-%m-%dT%H:%M:%SZ}, {end:%Y-%m-%dT%H:%M:%SZ}] is empty; "
            "is --to before the alert started?"
        )
    return start, end


def parse_time(text: object, where: str) -> datetime:
    match = _TIME.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise UsageError(f"{where} = {_show(text)}: not an RFC 3339 time")
    fraction = (match[2] or "")[:7]  # '.' and at most microseconds
    try:
        value = datetime.fromisoformat(match[1] + fraction + match[3].replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{where} = {_show(text)}: not an RFC 3339 time") from None
    return value.astimezone(UTC)


def _alert(item: object, where: str, service_labels: tuple[str, ...]) -> Alert:
    if not isinstance(item, dict):
        raise UsageError(f"{where} = {_show(item)}: must be an object")
    status = item.get("status")
    if status not in STATUSES:
        raise UsageError(f"{where}.status = {_show(status)}: must be firing or resolved")
    labels = _strings(item.get("labels"), f"{where}.labels")
    annotations = _strings(item.get("annotations", {}), f"{where}.annotations")
    starts = parse_time(item.get("startsAt"), f"{where}.startsAt")
    ends = parse_time(item.get("endsAt", "0001-01-01T00:00:00Z"), f"{where}.endsAt")
    if status == "resolved" and (ends.year == _ZERO_YEAR or ends < starts):
        raise UsageError(f"{where}.endsAt = {_show(item.get('endsAt'))}: a resolved alert needs it")
    fingerprint = item.get("fingerprint", "")
    if not isinstance(fingerprint, str) or not re.fullmatch(r"[0-9A-Za-z]{0,64}", fingerprint):
        raise UsageError(f"{where}.fingerprint = {_show(fingerprint)}: not a fingerprint")
    service = next((labels[k] for k in service_labels if labels.get(k)), None)
    return Alert(
        name=labels.get("alertname", "unnamed alert"),
        fingerprint=fingerprint,
        status=status,
        starts_at=starts,
        ends_at=ends if status == "resolved" else None,
        service=service,
        labels=labels,
        annotations=annotations,
    )


def _strings(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise UsageError(f"{where} = {_show(value)}: must be an object of strings")
    return {redact(k[:200]): redact(v[:MAX_TEXT]) for k, v in value.items()}


def _show(value: object) -> str:
    text = redact(json.dumps(value, ensure_ascii=True))
    return text if len(text) <= 80 else text[:77] + "..."
