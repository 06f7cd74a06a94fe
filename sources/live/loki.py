"""Log lines from Loki's `/loki/api/v1/query_range`, one stream selector per service.

Loki caps each answer (`limit`, and a server's max_entries_limit_per_query may cut it lower),
so a window is read in pages, oldest first (direction=forward): each next page starts at the
newest timestamp seen, and the lines already read at that boundary nanosecond are dropped, so
nothing is lost or doubled. A page with nothing new ends the stream: a short page proves
nothing when the server's cap is unknown.
"""

import json
import re
from datetime import UTC, datetime

from errors import UsageError
from sources.bundle.reader import LOG_KEYS
from sources.live.config import HttpSource, ServiceConfig, public_url
from sources.live.http import client, get_json

PATH = "/loki/api/v1/query_range"
PAGE_LIMIT = 1000  # lines asked per page: under Loki's default cap of 5000
MAX_PAGES = 10_000  # a bound, so a server that never moves on cannot keep us here
LEVEL_KEYS = ("level", "severity", "detected_level")
MESSAGE_KEYS = ("message", "msg")
_LEVELS = {
    "trace": "DEBUG", "debug": "DEBUG", "dbug": "DEBUG",
    "info": "INFO", "information": "INFO", "notice": "INFO",
    "warn": "WARN", "warning": "WARN",
    "error": "ERROR", "err": "ERROR", "eror": "ERROR",
    "fatal": "FATAL", "critical": "FATAL", "crit": "FATAL", "panic": "FATAL",
    "alert": "FATAL", "emerg": "FATAL", "emergency": "FATAL",
}  # fmt: skip
# A level word in the text: "ERROR ...", "level=warn", "[FATAL]"; the first one counts.
_TEXT_LEVEL = re.compile(
    r"\b(TRACE|DEBUG|INFO|WARN(?:ING)?|ERROR|FATAL|CRITICAL|PANIC)\b"
    r"|\blevel[=:]\s*\"?(\w+)",
    re.IGNORECASE,
)

# Loki's answer to a limit above its max_entries_limit_per_query: "... (5000 > 1000)".
_SERVER_CAP = re.compile(r"max entries limit.*\(\d+ > (\d+)\)")

Row = tuple[datetime, str, str, str, dict | None]


def level_of(labels: dict, metadata: dict, fields: dict | None, text: str) -> str:
    """A line's level: from its labels, structured metadata or JSON fields, else the text."""
    for source in (labels, metadata, fields or {}):
        for key in LEVEL_KEYS:
            value = source.get(key)
            if isinstance(value, str) and value.lower() in _LEVELS:
                return _LEVELS[value.lower()]
    match = _TEXT_LEVEL.search(text[:300])
    if match:
        word = (match[1] or match[2] or "").lower()
        return _LEVELS.get(word, "INFO")
    return "INFO"


def read_logs(
    source: HttpSource,
    services: list[ServiceConfig],
    start: datetime,
    end: datetime,
    transport=None,
) -> list[Row]:
    """Every line of each service's selector in [start, end], as log rows of that service."""
    rows: list[Row] = []
    with client(source, transport) as http:
        for service in services:
            if service.logs:
                rows += _read_stream(http, source, service, start, end)
    return rows


def _read_stream(http, source, service: ServiceConfig, start: datetime, end: datetime) -> list[Row]:
    what = f"logs of {service.name}"
    first = _ns(start)
    stop = _ns(end) + 1  # Loki's end is exclusive; the window's is not
    boundary: set[tuple] = set()  # lines read at nanosecond `first`
    rows: list[Row] = []
    limit = PAGE_LIMIT
    for _ in range(MAX_PAGES):
        params = {
            "query": service.logs,
            "start": str(first),
            "end": str(stop),
            "limit": str(limit),
            "direction": "forward",
        }
        try:
            data = get_json(http, source, PATH, params, what)
        except UsageError as e:
            # A server whose cap is below our limit says so (HTTP 400): ask for its cap.
            cap = _SERVER_CAP.search(str(e))
            if cap is None or not 0 < int(cap[1]) < limit:
                raise
            limit = int(cap[1])
            continue
        entries = _entries(data, source, what)
        if not entries:
            return rows
        fresh = [e for e in entries if e[0] != first or (e[0], e[1], e[2]) not in boundary]
        if not fresh:
            # Only lines already read, all at `first`: the server may cap pages below our
            # limit, so a short page proves nothing; look past that nanosecond instead.
            first, boundary = first + 1, set()
            continue
        for stamp, stream, line, metadata in fresh:
            rows.append(_row(service.name, stamp, json.loads(stream), line, metadata))
        newest = fresh[-1][0]
        at_newest = {(e[0], e[1], e[2]) for e in entries if e[0] == newest}
        boundary = at_newest | (boundary if newest == first else set())
        first = newest
    raise UsageError(
        f"{source.kind} {public_url(source.url + PATH)}: more than {MAX_PAGES} pages ({what})"
    )


def _entries(data: object, source: HttpSource, what: str) -> list[tuple[int, str, str, dict]]:
    """(ns, stream labels as JSON, line, structured metadata) of every entry, oldest first."""
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, list) or data.get("resultType") != "streams":
        raise _garbage(source, what)
    out = []
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("values"), list):
            raise _garbage(source, what)
        labels = item.get("stream") or {}
        stream = json.dumps(labels, sort_keys=True)
        for value in item["values"]:
            if not (isinstance(value, list) and len(value) in (2, 3)):
                raise _garbage(source, what)
            try:
                stamp = int(value[0])
            except (TypeError, ValueError):
                raise _garbage(source, what) from None
            metadata = value[2] if len(value) == 3 and isinstance(value[2], dict) else {}
            out.append((stamp, stream, str(value[1]), metadata))
    return sorted(out, key=lambda e: e[0])


def _row(service: str, stamp: int, labels: dict, line: str, metadata: dict) -> Row:
    fields = _json_fields(line)
    level = level_of(labels, metadata, fields, line)
    message = line
    attributes = None
    if fields is not None:
        text = next((fields[k] for k in MESSAGE_KEYS if isinstance(fields.get(k), str)), None)
        message = text if text is not None else line
        skip = {*LOG_KEYS, *LEVEL_KEYS, *MESSAGE_KEYS, "ts", "time"}
        attributes = {k: v for k, v in fields.items() if k not in skip} or None
    when = datetime.fromtimestamp(stamp // 1000 / 1_000_000, UTC)  # ms, as every table here
    return (when, service, level, message, attributes)


def _json_fields(line: str) -> dict | None:
    if not line.startswith("{"):
        return None
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _ns(moment: datetime) -> int:
    return int(round(moment.timestamp() * 1000)) * 1_000_000


def _garbage(source: HttpSource, what: str) -> UsageError:
    url = public_url(source.url + PATH)
    return UsageError(f"{source.kind} {url} answered data that is not a streams result ({what})")
