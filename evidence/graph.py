"""The service map: who calls whom, when each service began to suffer, and where it started.

Edges come from the evidence itself: structured attributes of log lines (peer.service,
server.address, net.peer.name, url, upstream...), the same `key=value` pairs written inside a
message (logfmt), and names of known services or hosts in the text. A service's state comes
from its own metrics (the onset of its first clear change), its own logs (new errors, or
silence after it used to log) and its deploys.

The root of a caller's trouble is found by following its errors to the dependency they name
most, as long as that dependency's own state explains the caller's symptoms (it broke no
later, went silent, logs its own errors, or is outside our telemetry altogether), and on from
there: the deepest such component is where the incident lies.
"""

import re
from collections import Counter
from datetime import datetime, timedelta

import numpy as np
from pydantic import BaseModel

from evidence.logs import dependencies, per_line
from evidence.mechanisms import BY_NAME, mechanism_of
from sources.telemetry import LEVELS, LogTable, to_datetime, to_datetime64

# Attribute keys that name the other end of a call, most specific first.
PEER_KEYS = (
    "peer.service",
    "server.address",
    "net.peer.name",
    "db.instance",
    "rpc.service",
    "upstream",
    "upstream_host",
    "peer",
    "target",
    "dependency",
    "destination",
    "host",
    "hostname",
    "server",
    "url",
    "url.full",
    "http.url",
    "uri",
    "endpoint",
    "addr",
    "remote_addr",
)
_LOGFMT = re.compile(r"([A-Za-z_][\w.]{0,40})=(\"[^\"\n]{0,300}\"|[^\s\"]{1,300})")
_HOST_OF = re.compile(r"^(?:[a-z][a-z0-9+.-]{0,20}://)?(?:[^@/\s]{0,100}@)?([^:/\s?#]{1,253})")
SLACK = timedelta(minutes=2)  # a dependency may break this much after its caller shows it
MAX_LINES = 5000  # WARN+ lines read per service: the edges are clear long before
MIN_MENTIONS = 3
EDGE_FAULTS = ("certificate", "failover", "down")


class ServiceState(BaseModel):
    """One service on the map, as the evidence shows it."""

    service: str
    telemetry: list[str]  # "metrics", "logs": what we can see of it; none for a vendor
    onset: datetime | None  # first clear change of its own metrics
    first_error: datetime | None  # first ERROR+ line after the incident began (or just before)
    errors_before: int
    errors_after: int
    silent_since: datetime | None  # it logged before the incident, and nothing after this
    calls: dict[str, int]  # dependency -> WARN+ lines after onset naming it
    first_call_error: dict[str, datetime] = {}  # dependency -> first of those lines
    called_by: list[str]
    mechanism: str | None  # how its callers' errors say it fails (certificate expired...)
    example: str | None = None  # one caller's line that shows the mechanism, with its time
    db_system: str | None = None  # what its callers' db.system attribute says it is
    root: str | None = None  # where its trouble comes from (itself when it is the root)


class ServiceMap(BaseModel):
    incident_start: datetime
    services: list[ServiceState]

    def get(self, name: str) -> ServiceState | None:
        return next((s for s in self.services if s.service == name), None)


def _peer(value: str, known: tuple[str, ...]) -> str | None:
    """The service or host an attribute value names (a URL, host:port or a bare name)."""
    m = _HOST_OF.match(value.strip().strip("\"'").lower())
    if not m:
        return None
    host = m.group(1).strip(".'\",;)")
    if not host or host[0].isdigit() or " " in host:
        return None  # an IP address or prose: no name to give the dependency
    return canonical(host, known)


def canonical(name: str, known) -> str:
    """A host as the telemetry names its service: seat-inventory.internal and api.paygate.io
    are seat-inventory and paygate when those are services of the bundle; else the host."""
    if name in known:
        return name
    return next((label for label in name.split(".") if label in known), name)


def named_peers(message: str, attributes: dict | None, emitter: str, known) -> list[str]:
    """The other ends of the calls one log line talks about, most specific first."""
    pairs: dict[str, str] = {}
    if attributes:
        pairs.update({k.lower(): v for k, v in attributes.items() if isinstance(v, str)})
    for key, value in _LOGFMT.findall(message[:4000]):
        pairs.setdefault(key.lower(), value.strip('"'))
    found: list[str] = []
    for key in PEER_KEYS:
        if key in pairs and (name := _peer(pairs[key], known)) and name != emitter:
            found.append(name)
    found += [canonical(n, known) for n in dependencies(message[:4000], emitter, known)]
    return [n for n in dict.fromkeys(found) if n != emitter]


def _peers(table: LogTable, rows: np.ndarray, service: str, known: tuple[str, ...]) -> list:
    """named_peers of each line of `rows` (all of `service`), computed once per table."""

    def peers(i: int) -> list[str]:
        attrs = table.attributes[i] if table.attributes is not None else None
        return named_peers(table.messages[i], attrs, service, known)

    return per_line(table, ("peers", service, known), rows, peers)


_DB_SYSTEM = re.compile(r"\bdb\.system=\"?([a-z0-9_-]{1,30})")


def _db_system(message: str, attributes: dict | None) -> str | None:
    if attributes and isinstance(value := attributes.get("db.system"), str):
        return value.lower()[:30]
    m = _DB_SYSTEM.search(message[:4000])
    return m.group(1) if m else None


MAX_MAP_SERVICES = 200  # log-only services on the map: the ones with the most trouble


def _on_the_map(table: LogTable, metric_services, since: datetime) -> list[str]:
    """Every service with metrics, and the log-only services with the most WARN+ lines since
    `since` (100k services that each log a line would otherwise cost a pass each)."""
    if len(table.service_names) <= MAX_MAP_SERVICES:  # all of them (a silent one counts)
        return sorted(set(table.service_names) | set(metric_services))
    warn = LEVELS.index("WARN")
    lo = int(np.searchsorted(table.timestamps, to_datetime64(since)))
    codes = table.services[lo:][table.levels[lo:] >= warn]
    counts = np.bincount(codes, minlength=len(table.service_names)) if len(codes) else None
    chosen = set(metric_services)
    if counts is not None:
        order = np.argsort(-counts, kind="stable")[:MAX_MAP_SERVICES]
        chosen |= {table.service_names[c] for c in order.tolist() if counts[c]}
    return sorted(chosen)


# What a metric's own declaration says of the map (MetricInfo: name, service, description).
# A blackbox probe measures its target: the host of the URL it probes is the service the probe
# is declared for (payment-provider probing https://api.payprovider.example/v2/health). A proxy's
# upstream metrics name their cluster: the proxy calls that service.
_PROBE_WORDS = re.compile(r"\b(?:probe|probes|probing|blackbox|health ?check)\b", re.IGNORECASE)
_URL_HOST = re.compile(r"[a-z][a-z0-9+.-]{0,20}://([a-z0-9][a-z0-9.-]{0,252})", re.IGNORECASE)
_UPSTREAM = re.compile(
    r"\b(?:cluster|upstream|upstream_cluster)=\"?([a-z0-9][a-z0-9_.-]{0,62})", re.I
)


def declared_links(metrics: dict) -> tuple[dict[str, str], dict[str, set[str]]]:
    """(host -> service, service -> the services it calls), from the metrics' declarations."""
    hosts: dict[str, set[str]] = {}
    upstream: dict[str, set[str]] = {}
    services = {info.service for info in metrics.values()}
    for name, info in metrics.items():
        text = f"{name} {info.description or ''}"[:2000]
        if _PROBE_WORDS.search(text.replace("_", " ")):
            for m in _URL_HOST.finditer(text):
                hosts.setdefault(m.group(1).lower().rstrip("."), set()).add(info.service)
        for m in _UPSTREAM.finditer(text):
            dep = m.group(1).lower().replace("_", "-")
            if dep in services and dep != info.service:
                upstream.setdefault(info.service, set()).add(dep)
    aliases = {h: next(iter(s)) for h, s in hosts.items() if len(s) == 1 and h not in services}
    return aliases, upstream


def build_map(
    table: LogTable,
    metric_services: dict[str, datetime | None],
    start: datetime,
    end: datetime,
    lead: timedelta = timedelta(minutes=5),
    declared: tuple[dict[str, str], dict[str, set[str]]] = ({}, {}),
) -> ServiceMap:
    """The map of the incident that began at `start`; metric_services: service -> onset;
    `declared`: what the metrics' declarations add (declared_links)."""
    aliases, upstream = declared
    known = tuple(sorted(set(table.service_names) | set(metric_services)))
    warn, err = LEVELS.index("WARN"), LEVELS.index("ERROR")
    states: dict[str, ServiceState] = {}
    texts: dict[str, list[tuple[int, str, str]]] = {}  # lines naming a service, by it
    own_texts: dict[str, list[tuple[int, str, str]]] = {}  # a service's own WARN+ lines
    db_systems: dict[str, str] = {}
    for service in _on_the_map(table, metric_services, start - lead):
        rows = table.select(service=service)
        ts = table.timestamps[rows]
        cut = int(np.searchsorted(ts, to_datetime64(start - lead)))
        levels = table.levels[rows]
        after, before = rows[cut:], rows[:cut]
        after_err = after[levels[cut:] >= err]
        calls: Counter[str] = Counter()
        named_at: dict[str, list[int]] = {}
        own = after[levels[cut:] >= warn][:MAX_LINES]
        own_texts[service] = [(int(i), service, table.messages[i]) for i in own[:200]]
        for i, named in zip(own.tolist(), _peers(table, own, service, known), strict=True):
            peers = [p for p in dict.fromkeys(aliases.get(p, p) for p in named) if p != service]
            calls.update(peers[:1] if peers else [])
            if peers:
                texts.setdefault(peers[0], []).append((int(i), service, table.messages[i]))
                named_at.setdefault(peers[0], []).append(int(i))
                attrs = table.attributes[i] if table.attributes is not None else None
                if peers[0] not in db_systems and (db := _db_system(table.messages[i], attrs)):
                    db_systems[peers[0]] = db
        for dep in upstream.get(service, ()):  # declared, so as good as named often enough
            calls[dep] = max(calls[dep], MIN_MENTIONS)
        silent = None
        if len(before) >= 5:
            last = to_datetime(ts[-1])
            quiet_for = max((end - start) / 4, timedelta(minutes=5))
            if start - timedelta(minutes=30) <= last < end - quiet_for:
                silent = last  # it stopped logging around the incident, and stayed silent
        states[service] = ServiceState(
            service=service,
            telemetry=[
                kind
                for kind, has in (("metrics", service in metric_services), ("logs", len(rows)))
                if has
            ],
            onset=metric_services.get(service),
            first_error=to_datetime(table.timestamps[after_err[0]]) if len(after_err) else None,
            errors_before=int((levels[:cut] >= err).sum()),
            errors_after=len(after_err),
            silent_since=silent,
            calls={d: n for d, n in calls.most_common(5) if n >= MIN_MENTIONS},
            first_call_error={
                d: first
                for d, n in calls.most_common(5)
                if n >= MIN_MENTIONS and (first := _first_run(table, named_at.get(d, [])))
            },
            called_by=[],
            mechanism=None,
        )
    for s in list(states.values()):
        for dep in s.calls:
            if dep not in states:  # outside our telemetry: a vendor, a managed database
                states[dep] = ServiceState(
                    service=dep, telemetry=[], onset=None, first_error=None, errors_before=0,
                    errors_after=0, silent_since=None, calls={}, called_by=[], mechanism=None,
                )  # fmt: skip
            states[dep].called_by.append(s.service)
    for name, lines in texts.items():
        if name in states:
            found = mechanism_of([text for _, _, text in lines])
            if found is None:  # its own words, when its callers' say nothing specific
                lines = own_texts.get(name, [])
                found = mechanism_of([text for _, _, text in lines])
            states[name].mechanism = found
            pattern = BY_NAME[found].pattern if found else None
            for i, caller, text in lines:
                when = to_datetime(table.timestamps[i])
                began = states[caller].first_call_error.get(name) if caller in states else None
                if began and when < began:
                    continue  # a stray line before the trouble came together
                if pattern is None or pattern.search(text[:2000]):
                    states[name].example = f"{when:%H:%M:%S}Z {caller}: {' '.join(text.split())}"
                    break
    for name, system in db_systems.items():
        if name in states:
            states[name].db_system = system
    graph = ServiceMap(incident_start=start, services=sorted(states.values(), key=_order))
    for s in graph.services:
        s.root = root_of(graph, s.service)
    return graph


RUN = timedelta(minutes=5)  # MIN_MENTIONS lines naming a dependency this close: trouble began


def _first_run(table: LogTable, rows: list[int]) -> datetime | None:
    """When lines naming a dependency began to come together (MIN_MENTIONS within RUN): a
    stray timeout an hour before the outage does not date it."""
    ts = table.timestamps[np.asarray(rows, dtype=np.int64)]
    k = MIN_MENTIONS - 1
    if len(ts) <= k:
        return to_datetime(ts[0]) if len(ts) else None
    close = np.flatnonzero(ts[k:] - ts[:-k] <= np.timedelta64(RUN))
    return to_datetime(ts[close[0]] if len(close) else ts[0])


def _order(s: ServiceState) -> tuple:
    return (s.onset or s.first_error or datetime.max.replace(tzinfo=None).astimezone(), s.service)


def troubled(s: ServiceState) -> bool:
    new_errors = s.errors_after > max(3, 2 * s.errors_before)
    return bool(s.onset or new_errors or s.silent_since)


def _when(s: ServiceState) -> datetime | None:
    times = [t for t in (s.onset, s.first_error if troubled(s) else None, s.silent_since) if t]
    return min(times) if times else None


def explains(dep: ServiceState, caller: ServiceState) -> bool:
    """Whether a dependency's own state accounts for its caller's trouble."""
    if not dep.telemetry:
        return True  # nothing of its own to look at: its callers' errors are the evidence
    # The caller's trouble with this dependency began with its first line naming it; an
    # unrelated earlier change of the caller (a morning ramp) says nothing about the edge.
    began = _when(dep)
    hurt = caller.first_call_error.get(dep.service) or _when(caller)
    if dep.silent_since:
        return True
    if began is None:
        # It looks healthy from inside, yet its callers say how it fails: an expired
        # certificate, a lost primary or refused connections show only at the edge. Timeouts
        # or errors from a dependency that is healthy inside are the caller's own doing (a
        # client timeout cut by its own config change).
        return dep.mechanism in EDGE_FAULTS
    return hurt is None or began <= hurt + SLACK


def main_dependency(graph: ServiceMap, s: ServiceState, seen: set[str]) -> str | None:
    for dep, _ in sorted(s.calls.items(), key=lambda kv: (-kv[1], kv[0])):
        if dep not in seen and graph.get(dep) is not None:
            return dep
    return None


def root_of(graph: ServiceMap, service: str) -> str:
    """The deepest component whose own state explains `service`'s trouble (or itself)."""
    current = graph.get(service)
    seen = {service}
    while current is not None:
        dep_name = main_dependency(graph, current, seen)
        dep = graph.get(dep_name) if dep_name else None
        if dep is None or not explains(dep, current):
            break
        seen.add(dep.service)
        current = dep
    return current.service if current else service
