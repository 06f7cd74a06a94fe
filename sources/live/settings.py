"""The live-sources config as frozen models, and the small helpers they need.

sources/live/config.py reads and checks the TOML file into these.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

DURATION = re.compile(r"([0-9]+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Auth:
    """At most one way to authenticate; secret values are kept out of repr()."""

    bearer_token: str | None = field(default=None, repr=False)
    basic_user: str | None = None
    basic_password: str | None = field(default=None, repr=False)
    google: bool = False


@dataclass(frozen=True)
class HttpSource:
    """A Prometheus or Loki HTTP API: where it is and how to talk to it."""

    kind: str  # "prometheus" or "loki", for messages
    url: str  # without a trailing slash; never holds credentials
    auth: Auth = Auth()
    timeout_seconds: float = 30.0
    tenant: str | None = None


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    logs: str | None = None
    repo: Path | None = None
    build_info: str | None = None
    version_label: str = "version"
    revision_label: str = "revision"


@dataclass(frozen=True)
class MetricConfig:
    name: str
    service: str
    query: str
    unit: str | None = None
    description: str | None = None
    kind: str | None = None
    bad_when: str | None = None


@dataclass(frozen=True)
class AlertsConfig:
    service_labels: tuple[str, ...] = ("service", "job", "app")
    lookback: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class LiveConfig:
    path: Path
    prometheus: HttpSource
    metrics: tuple[MetricConfig, ...]
    services: tuple[ServiceConfig, ...] = ()
    loki: HttpSource | None = None
    logs_file: Path | None = None
    deploys_file: Path | None = None
    diffs_dir: Path | None = None
    trigger: dict[str, float] = field(default_factory=dict)
    alerts: AlertsConfig = AlertsConfig()


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '3h', '2d' as a timedelta; ValueError otherwise."""
    match = DURATION.fullmatch(text.strip())
    if not match or int(match[1]) == 0:
        raise ValueError(f"not a duration like 30m, 3h or 2d: {text!r}")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def public_url(url: str) -> str:
    """A URL as it may be shown: no user, password, query string or fragment."""
    parts = urlsplit(url)
    port = f":{parts.port}" if has_valid_port(url) and parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def has_valid_port(url: str) -> bool:
    """Whether the URL's port, if any, is a number in range (urlsplit raises otherwise)."""
    try:
        urlsplit(url).port  # noqa: B018 - the property raises on a bad port
    except ValueError:
        return False
    return True
