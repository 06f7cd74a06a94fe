"""Read the live-sources config file (shared/specs/live-sources.md, "The config file").

Everything is checked when the file is read, before any source is asked: unknown sections and
keys, wrong types, bad URLs and durations, missing files and unset variables all raise one
UsageError line naming the file, the key and the value. Secrets never sit in the file, only the
names of the variables that hold them; their values are read here and never shown.
"""

import math
import os
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from errors import UsageError
from sources.bundle.reader import TRIGGER_KEYS
from sources.live.settings import (
    AlertsConfig,
    Auth,
    HttpSource,
    LiveConfig,
    MetricConfig,
    ServiceConfig,
    has_valid_port,
    parse_duration,
    public_url,
)

__all__ = [
    "AlertsConfig",
    "Auth",
    "HttpSource",
    "LiveConfig",
    "MetricConfig",
    "ServiceConfig",
    "load_config",
    "parse_duration",
    "public_url",
]

METRIC_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:.-]{0,127}")
LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_SECRET_WORDS = ("token", "password", "secret", "key", "credential")

_AUTH_KEYS = {"bearer_token_env": str, "basic_user": str, "basic_password_env": str, "google": bool}
_HTTP_KEYS = {"url": str, "timeout_seconds": (int, float), **_AUTH_KEYS}
_SECTIONS = {
    "prometheus": _HTTP_KEYS,
    "loki": {**_HTTP_KEYS, "tenant": str},
    "logs": {"file": str},
    "deploys": {"file": str, "diffs_dir": str},
    "trigger": dict.fromkeys(TRIGGER_KEYS, (int, float)),
    "alerts": {"service_labels": list, "lookback": str},
}
_SERVICE_KEYS = {
    "name": str,
    "logs": str,
    "repo": str,
    "build_info": str,
    "version_label": str,
    "revision_label": str,
}
_METRIC_KEYS = {
    "name": str,
    "service": str,
    "query": str,
    "unit": str,
    "description": str,
    "kind": str,
    "bad_when": str,
}
_CHOICES = {"kind": ("gauge", "counter"), "bad_when": ("rises", "falls")}


def load_config(path: Path, environ: dict[str, str] | None = None) -> LiveConfig:
    """Read and check the config file at `path`; variables are looked up in `environ`."""
    path = Path(path)
    env = os.environ if environ is None else environ
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such config file (--config)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read the config file: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: invalid TOML: {e}") from None
    return _Reader(path, env).config(doc)


def _show(key: str, value: object) -> str:
    """A value for an error line; anything under a secret-sounding key is hidden."""
    if any(word in key.lower() for word in _SECRET_WORDS) and not key.endswith("_env"):
        return "'***'"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Reader:
    """Turns the parsed TOML into a LiveConfig; every message names file, key and value."""

    def __init__(self, path: Path, env) -> None:
        self.path = path
        self.env = env
        self.base = path.resolve().parent

    def fail(self, where: str, key: str, value: object, message: str) -> UsageError:
        return UsageError(f"{self.path}: {where}{key} = {_show(key, value)}: {message}")

    def table(self, doc: object, where: str, keys: dict[str, object]) -> dict:
        """`doc` checked against the allowed keys and their TOML types."""
        if not isinstance(doc, dict):
            return self._not_a_table(where, doc)
        for key, value in doc.items():
            if key not in keys:
                allowed = ", ".join(keys)
                raise self.fail(where, key, value, f"unknown key (allowed: {allowed})")
            kind = keys[key]
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
                name = {str: "a string", bool: "true or false", list: "a list"}.get(
                    kind, "a number"
                )
                raise self.fail(where, key, value, f"must be {name}")
        return doc

    def _not_a_table(self, where: str, doc: object):
        raise UsageError(
            f"{self.path}: {where.strip('. ') or 'the file'} must be a table, got {doc!r}"
        )

    def config(self, doc: dict) -> LiveConfig:
        for key, value in doc.items():
            if key not in (*_SECTIONS, "services", "metrics"):
                raise self.fail("", key, value, "unknown section")
        if "prometheus" not in doc:
            raise UsageError(f"{self.path}: [prometheus] is required (its url)")
        if "loki" in doc and "logs" in doc:
            raise UsageError(f"{self.path}: [loki] and [logs] both given; choose one")
        logs = self.table(doc.get("logs", {}), "[logs] ", _SECTIONS["logs"])
        deploys = self.table(doc.get("deploys", {}), "[deploys] ", _SECTIONS["deploys"])
        services = tuple(self.service(i, s) for i, s in enumerate(self.array(doc, "services")))
        names = [s.name for s in services]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise self.fail("[[services]] ", "name", dup, "appears twice")
        metrics = tuple(self.metric(i, m) for i, m in enumerate(self.array(doc, "metrics")))
        if not metrics:
            raise UsageError(f"{self.path}: at least one [[metrics]] entry is required")
        names = [m.name for m in metrics]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise self.fail("[[metrics]] ", "name", dup, "appears twice")
        return LiveConfig(
            path=self.path,
            prometheus=self.http("prometheus", doc["prometheus"]),
            loki=self.http("loki", doc["loki"]) if "loki" in doc else None,
            logs_file=self.file(logs, "[logs] ", "file"),
            deploys_file=self.file(deploys, "[deploys] ", "file"),
            diffs_dir=self.file(deploys, "[deploys] ", "diffs_dir", directory=True),
            trigger=self.trigger(doc.get("trigger", {})),
            alerts=self.alerts(doc.get("alerts", {})),
            services=services,
            metrics=metrics,
        )

    def array(self, doc: dict, key: str) -> list:
        value = doc.get(key, [])
        if not isinstance(value, list):
            raise self.fail("", key, value, f"must be an array of tables ([[{key}]])")
        return value

    def http(self, section: str, doc: object) -> HttpSource:
        where = f"[{section}] "
        doc = self.table(doc, where, _SECTIONS[section])
        if "url" not in doc:
            raise UsageError(f"{self.path}: [{section}] url is required")
        url = doc["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or not has_valid_port(url):
            raise self.fail(where, "url", public_url(url), "must be an http(s) URL with a host")
        if parts.username or parts.password:
            message = "must not hold credentials; name variables (bearer_token_env, ...)"
            raise self.fail(where, "url", public_url(url), message)
        if parts.query or parts.fragment:
            raise self.fail(where, "url", public_url(url), "must not have a query or fragment")
        timeout = doc.get("timeout_seconds", 30.0)
        if not (math.isfinite(timeout) and 0 < timeout <= 3600):
            raise self.fail(
                where, "timeout_seconds", timeout, "must be a number of seconds in (0, 3600]"
            )
        tenant = doc.get("tenant")
        if tenant is not None and not re.fullmatch(r"[A-Za-z0-9_.|-]{1,150}", tenant):
            raise self.fail(where, "tenant", tenant, "must be a Loki tenant id ([A-Za-z0-9_.|-])")
        return HttpSource(
            kind=section,
            url=url.rstrip("/"),
            auth=self.auth(where, doc),
            timeout_seconds=float(timeout),
            tenant=tenant,
        )

    def auth(self, where: str, doc: dict) -> Auth:
        chosen = [k for k in ("bearer_token_env", "basic_user", "google") if doc.get(k)]
        if len(chosen) > 1:
            raise self.fail(
                where,
                chosen[1],
                doc[chosen[1]],
                f"conflicts with {chosen[0]}: at most one way to authenticate",
            )
        if "basic_password_env" in doc and "basic_user" not in doc:
            raise self.fail(
                where, "basic_password_env", doc["basic_password_env"], "needs basic_user"
            )
        if "basic_user" in doc and "basic_password_env" not in doc:
            raise self.fail(where, "basic_user", doc["basic_user"], "needs basic_password_env")
        return Auth(
            bearer_token=self.secret(where, doc, "bearer_token_env"),
            basic_user=doc.get("basic_user"),
            basic_password=self.secret(where, doc, "basic_password_env"),
            google=bool(doc.get("google", False)),
        )

    def secret(self, where: str, doc: dict, key: str) -> str | None:
        name = doc.get(key)
        if name is None:
            return None
        if not ENV_NAME.fullmatch(name):
            raise self.fail(where, key, name, "must be the name of an environment variable")
        value = self.env.get(name)
        if not value:
            raise self.fail(where, key, name, f"the variable {name} is not set or empty")
        return value

    def file(self, doc: dict, where: str, key: str, directory: bool = False) -> Path | None:
        if key not in doc:
            return None
        path = self.base / doc[key]  # an absolute path stays as it is
        if not (path.is_dir() if directory else path.is_file()):
            kind = "directory" if directory else "file"
            raise self.fail(where, key, doc[key], f"no such {kind} ({path})")
        return path

    def trigger(self, doc: object) -> dict[str, float]:
        doc = self.table(doc, "[trigger] ", _SECTIONS["trigger"])
        for key, value in doc.items():
            if not (math.isfinite(value) and value > 0):
                raise self.fail("[trigger] ", key, value, "must be a positive number")
        return dict(doc)

    def alerts(self, doc: object) -> AlertsConfig:
        doc = self.table(doc, "[alerts] ", _SECTIONS["alerts"])
        labels = doc.get("service_labels", list(AlertsConfig.service_labels))
        if not labels or not all(isinstance(x, str) and LABEL_NAME.fullmatch(x) for x in labels):
            raise self.fail("[alerts] ", "service_labels", labels, "must be a list of label names")
        lookback = doc.get("lookback")
        try:
            span = AlertsConfig.lookback if lookback is None else parse_duration(lookback)
        except ValueError as e:
            raise self.fail("[alerts] ", "lookback", lookback, str(e)) from None
        return AlertsConfig(service_labels=tuple(labels), lookback=span)

    def service(self, index: int, doc: object) -> ServiceConfig:
        where = f"[[services]] #{index + 1} "
        doc = self.table(doc, where, _SERVICE_KEYS)
        self.required(doc, where, "name")
        for key in ("version_label", "revision_label"):
            if key in doc and not LABEL_NAME.fullmatch(doc[key]):
                raise self.fail(where, key, doc[key], "must be a Prometheus label name")
        for key in ("logs", "build_info"):
            if key in doc and not doc[key].strip():
                raise self.fail(where, key, doc[key], "must not be empty")
        repo = self.file(doc, where, "repo", directory=True)
        known = {
            k: doc[k] for k in ("logs", "build_info", "version_label", "revision_label") if k in doc
        }
        return ServiceConfig(name=doc["name"], repo=repo, **known)

    def metric(self, index: int, doc: object) -> MetricConfig:
        where = f"[[metrics]] #{index + 1} "
        doc = self.table(doc, where, _METRIC_KEYS)
        for key in ("name", "service", "query"):
            self.required(doc, where, key)
        if not METRIC_NAME.fullmatch(doc["name"]):
            raise self.fail(where, "name", doc["name"], f"must match ^{METRIC_NAME.pattern}$")
        for key, allowed in _CHOICES.items():
            if key in doc and doc[key] not in allowed:
                raise self.fail(where, key, doc[key], f"must be one of {', '.join(allowed)}")
        return MetricConfig(**doc)

    def required(self, doc: dict, where: str, key: str) -> None:
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise self.fail(where, key, doc.get(key), "is required and must not be empty")
