"""What the logs say: counts, error signatures, what the errors are about, before vs after onset.

Log text is untrusted. It is only ever matched against fixed patterns here and handed on as
data fields; nothing in a message can change which lines are read or what is computed.
"""

import re
import threading
from collections import Counter
from datetime import datetime, timedelta

import numpy as np
from pydantic import BaseModel

from models import LogEntry
from sources.telemetry import LEVELS, LogTable, to_datetime, to_datetime64

# Fixed vocabulary of what an error is about. Order matters only for display.
TAG_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "pool_exhaustion": r"pool (?:is )?exhausted|connection is not available|no available"
        r" connections?|too many clients|remaining connection slots|pool.{0,40}timed? ?out"
        r"|waiting for (?:a )?connection",
        "oom": r"out ?of ?memory|oomkill|oom-kill|exit code 137|memory limit exceeded",
        "gc_pressure": r"\bgc\b.{0,30}pause|gc overhead|full gc|allocation failure"
        r"|(?:rss|heap|memory)\b.{0,20}\b\d{2,3}% of (?:the )?(?:cgroup |container |heap )?"
        r"(?:memory )?limit",
        "exception": r"exception\b|traceback|panic:|nullpointer|typeerror|keyerror|"
        r"attributeerror|indexerror|valueerror|undefined is not|segmentation fault|stack ?trace",
        "dependency": r"connection refused|econnrefused|upstream|no route to host|"
        r"connection reset|circuit ?breaker|503 service unavailable|name resolution|"
        r"\bunavailable: |host unreachable|"
        r"dependency .{0,30}(?:down|unavailable|failed)|failed to connect",
        "timeout": r"timed? ?out|deadline exceeded|timeout",
        "saturation": r"queue (?:is )?full|rejected ?execution|thread ?pool.{0,30}(?:exhausted|"
        r"saturated|full)|too many open files|no space left|disk (?:is )?full|throttl|"
        r"backlog|saturat|load shedding|max(?:imum)? connections reached|at capacity|"
        r"too many connections|disk ?full|out of (?:disk|file descriptors|threads)"
        r"|(?:disk|flood[ -]?stage)[^\n]{0,20}watermark|watermark[^\n]{0,20}exceeded"
        r"|read-only-allow-delete|insufficient (?:storage|disk)|quota exceeded",
        "traffic": r"rate limit|too many requests|\b429\b|request rate|traffic (?:spike|surge)",
    }.items()
}

_VARIABLE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # uuids
    r"|\b[0-9a-f]{8,}\b"  # hex ids that happen to have no digit (request_id=ceaeccff)
    # numbers and ids with digits in them; possessive and anchored at the start of a run of
    # letters, so a long run with no digit is scanned once, not from every position
    r"|(?<![A-Za-z_-])[A-Za-z_-]*+\d[\w-]*+",
    re.IGNORECASE,
)
_HOST = re.compile(r"\b([a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*):\d{2,5}\b", re.IGNORECASE)
# host='api.example.com' (Python's urllib3), circuit 'payments' / breaker "x", https://host/...
_NAMED_HOST = re.compile(
    r"""\bhost=['"]?([a-z][a-z0-9.-]*[a-z0-9])|\b(?:circuit|breaker)\s+['"]([\w.-]+)['"]"""
    r"|\bhttps?://([a-z][a-z0-9.-]*[a-z0-9])",
    re.IGNORECASE,
)
_ADDRESS_KEYS = {
    "url",
    "uri",
    "host",
    "hostname",
    "peer",
    "upstream",
    "target",
    "endpoint",
    "remote_addr",
    "server",
    "dependency",
    "destination",
    "dest",
    "addr",
}
_AFTER_WORD = re.compile(
    r"\b(?:upstream|calling|call to|connect(?:ing|ion)? to|request to|dependency)\s+"
    r"['\"]?([a-z][a-z0-9_.-]*[a-z0-9])",
    re.IGNORECASE,
)
# A signature that was already there counts as new when it is this much more frequent after onset.
SURGE_FACTOR = 5
SURGE_MIN_LINES = 5
LEAD_MINUTES = 5
_CODE_FILES = {"java", "py", "go", "js", "ts", "kt", "rb", "scala", "cs", "rs", "cpp", "c"}
_NOT_A_SERVICE = {"the", "a", "an", "server", "host", "service", "database", "db", "backend"}


def signature(message: str) -> str:
    """A message with its variable parts masked, so repeats of one error count together."""
    return _VARIABLE.sub("#", message)[:160]


def tags(message: str) -> list[str]:
    return [name for name, pattern in TAG_PATTERNS.items() if pattern.search(message)]


MANY_SERVICES = 64  # past this many known names, look the message's words up instead
_TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}")
_KNOWN_SETS: dict[int, tuple[tuple[str, ...], frozenset[str]]] = {}


def _known_names_in(message: str, emitter: str, known: tuple[str, ...]) -> list[str]:
    """The known names that stand as whole words in `message`, by lookup: with 100k services
    a scan of every name per line never ends. A word's runs of parts between '-' and '.' are
    the candidates (seat-inventory in seat-inventory-7d9f8.internal), as \\b would match."""
    cached = _KNOWN_SETS.get(id(known))
    if cached is None or cached[0] is not known:
        cached = _KNOWN_SETS[id(known)] = (known, frozenset(known))
    names = cached[1]
    found: list[str] = []
    for token in _TOKEN.findall(message[:4000]):
        parts = re.split(r"([.-])", token)
        words = parts[::2]
        for a in range(len(words)):
            for b in range(a, min(len(words), a + 6)):
                candidate = "".join(parts[2 * a : 2 * b + 1])
                if candidate in names and candidate != emitter and candidate not in found:
                    found.append(candidate)
    return found


def dependencies(message: str, emitter: str, known: tuple[str, ...]) -> list[str]:
    """Other services or hosts a message names as something it talks to."""
    if len(known) > MANY_SERVICES:
        found = _known_names_in(message, emitter, known)
    else:
        # `s in message` first: the same answer, without a regular expression for most names.
        found = [
            s
            for s in known
            if s != emitter and s in message and re.search(rf"\b{re.escape(s)}\b", message)
        ]
    for pattern in (_HOST, _NAMED_HOST, _AFTER_WORD):
        for m in pattern.finditer(message):
            name = next(g for g in m.groups() if g).lower()
            if name.rsplit(".", 1)[-1] in _CODE_FILES:  # a stack frame, not a host
                continue
            if (label := name.split(".", 1)[0]) in known:  # seat-inventory.internal
                name = label
            # A bare word after "upstream" is prose ("upstream timed out"), not a name:
            # a dependency is a known service or looks like one (payments-db, api.x.com).
            if name not in known and not re.search(r"[-.]", name):
                continue
            if name != emitter and name not in _NOT_A_SERVICE and name not in found:
                found.append(name)
    return found


# Per-line facts as columns of the table (LogTable.derived), each line's computed once, the
# first time a tool reads it; tools then count and slice arrays. Tools run in worker threads,
# so a lock guards the filling.
_DERIVED = threading.Lock()
_NO_TAGS_YET = np.uint16(0xFFFF)  # a mask no line can have: 8 tags use the low 8 bits
TAG_NAMES = tuple(TAG_PATTERNS)


def signature_codes(table: LogTable, idx: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes of the signatures of lines `idx`, and the texts those codes index."""
    idx = np.asarray(idx, dtype=np.int64)
    with _DERIVED:
        if "signature" not in table.derived:
            table.derived["signature"] = (np.full(len(table), -1, np.int32), [], {})
        codes, texts, index = table.derived["signature"]
        for i in idx[codes[idx] < 0].tolist():
            sig = signature(table.messages[i])
            code = index.get(sig)
            if code is None:
                code = index[sig] = len(texts)
                texts.append(sig)
            codes[i] = code
        return codes[idx], texts


def tag_masks(table: LogTable, idx: np.ndarray) -> np.ndarray:
    """Bit masks of the tags (bit k: TAG_NAMES[k]) of lines `idx`."""
    idx = np.asarray(idx, dtype=np.int64)
    with _DERIVED:
        if "tags" not in table.derived:
            table.derived["tags"] = np.full(len(table), _NO_TAGS_YET, np.uint16)
        masks = table.derived["tags"]
        for i in idx[masks[idx] == _NO_TAGS_YET].tolist():
            message = table.messages[i]
            masks[i] = sum(1 << k for k, p in enumerate(TAG_PATTERNS.values()) if p.search(message))
        return masks[idx]


def tag_names(mask: int) -> list[str]:
    return [name for k, name in enumerate(TAG_NAMES) if mask >> k & 1]


def line_dependencies(
    table: LogTable, idx: np.ndarray, emitter: str, known: tuple[str, ...]
) -> list[list[str]]:
    """Per line of `idx`: what its message and its address attributes (url=, peer=) name."""
    key = ("dependencies", emitter, known)
    return per_line(table, key, idx, lambda i: _named(table, i, emitter, known))


def per_line(table: LogTable, key: tuple, idx: np.ndarray, compute) -> list:
    """compute(i) for every line i of `idx`, each computed once per table and `key`."""
    with _DERIVED:
        memo = table.derived.setdefault(key, {})
        out = []
        for i in np.asarray(idx, dtype=np.int64).tolist():
            found = memo.get(i)
            if found is None:
                found = memo[i] = compute(i)
            out.append(found)
        return out


def _named(table: LogTable, i: int, emitter: str, known: tuple[str, ...]) -> list[str]:
    found = dependencies(table.messages[i], emitter, known)
    if table.attributes is not None and table.attributes[i]:
        for key, text in table.attributes[i].items():  # structured logs: url=, peer=
            if isinstance(text, str) and key.lower() in _ADDRESS_KEYS:
                found += dependencies(f"host={text}" if "/" not in text else text, emitter, known)
    return found


class Signature(BaseModel):
    signature: str
    level: str
    count: int
    services: list[str]
    first_seen: datetime
    last_seen: datetime
    tags: list[str]
    sample: str  # one real line, redacted; untrusted text
    before: int = 0  # lines of this signature before the onset (service_details only)


class LogsView(BaseModel):
    """Counts and the most frequent error signatures for a slice of the logs."""

    searched: str
    lines: int
    by_level: dict[str, int]
    errors_by_service: dict[str, int]  # the MAX_ERROR_SERVICES with the most, most first
    other_services_with_errors: int = 0  # and how many more services logged ERROR+ lines
    signatures: list[Signature]
    samples: list[LogEntry]


class ServiceLogDetails(BaseModel):
    """One service's logs before and after onset, and what its new errors are about."""

    service: str
    onset: datetime
    errors_before: int
    errors_after: int
    warnings_before: int
    warnings_after: int
    minutes_before: float
    minutes_after: float
    first_error_after_onset: datetime | None
    # WARN+ signatures after onset that are new, or far more frequent than before it: a canary
    # or a slow start can show a few lines of the new error before the metrics move.
    new_signatures: list[Signature]
    tag_counts: dict[str, int]  # over WARN+ lines after onset
    dependencies_named: dict[str, int]  # over WARN+ lines after onset
    samples: list[LogEntry]
    lines_before: int = 0  # all levels: a service that goes silent logs nothing after onset
    lines_after: int = 0
    last_line: datetime | None = None
    # New ERROR+ lines in the minutes just before onset: a failing dependency often dies a
    # little before its callers' metrics move.
    lead_up: list[LogEntry] = []


def entry(table: LogTable, i: int) -> LogEntry:
    return LogEntry(
        timestamp=to_datetime(table.timestamps[i]),
        service=table.service_names[table.services[i]],
        level=LEVELS[table.levels[i]],
        message=table.messages[i],
    )


def signatures(table: LogTable, idx: np.ndarray, top: int = 8) -> list[Signature]:
    """The most frequent signatures among the lines `idx`, most severe first among equals."""
    idx = np.asarray(idx, dtype=np.int64)
    if not len(idx):
        return []
    codes, texts = signature_codes(table, idx)
    levels = table.levels[idx].astype(np.int64)
    keys, first, group, counts = np.unique(
        codes.astype(np.int64) * len(LEVELS) + levels,
        return_index=True,
        return_inverse=True,
        return_counts=True,
    )
    # Most lines first, then the most severe, then the group seen first (a stable sort's order).
    ranked = np.lexsort((first, -(keys % len(LEVELS)), -counts))[:top]
    out = []
    for g in ranked.tolist():
        rows = idx[group == g]
        last = int(rows[-1])
        out.append(
            Signature(
                signature=texts[int(keys[g]) // len(LEVELS)],
                level=LEVELS[int(keys[g]) % len(LEVELS)],
                count=len(rows),
                services=sorted({table.service_names[s] for s in np.unique(table.services[rows])}),
                first_seen=to_datetime(table.timestamps[rows[0]]),
                last_seen=to_datetime(table.timestamps[last]),
                tags=tag_names(int(tag_masks(table, rows[-1:])[0])),
                sample=table.messages[last],
            )
        )
    return out


def _level_counts(table: LogTable, idx: np.ndarray) -> dict[str, int]:
    counts = np.bincount(table.levels[idx], minlength=len(LEVELS))
    return {name: int(c) for name, c in zip(LEVELS, counts, strict=True) if c}


MAX_ERROR_SERVICES = 20  # services listed by their ERROR+ count; the rest are counted


def _errors_by_service(table: LogTable, idx: np.ndarray) -> tuple[dict[str, int], int]:
    """The services with the most ERROR+ lines among idx, most first, and how many more."""
    errors = idx[table.levels[idx] >= LEVELS.index("ERROR")]
    counts = np.bincount(table.services[errors], minlength=len(table.service_names))
    named = np.flatnonzero(counts)
    top = named[np.argsort(-counts[named], kind="stable")[:MAX_ERROR_SERVICES]]
    return {table.service_names[s]: int(counts[s]) for s in top.tolist()}, len(named) - len(top)


def _samples(table: LogTable, idx: np.ndarray, limit: int) -> list[LogEntry]:
    """The most severe lines, newest first among equals, shown oldest first."""
    if limit <= 0 or len(idx) == 0:
        return []
    order = np.lexsort((table.timestamps[idx], table.levels[idx]))[::-1][:limit]
    return [entry(table, int(i)) for i in np.sort(idx[order])]


def view(table: LogTable, idx: np.ndarray, searched: str, limit: int = 8) -> LogsView:
    warn_up = idx[table.levels[idx] >= LEVELS.index("WARN")]
    errors_by_service, others = _errors_by_service(table, idx)
    return LogsView(
        searched=searched,
        lines=len(idx),
        by_level=_level_counts(table, idx),
        errors_by_service=errors_by_service,
        other_services_with_errors=others,
        signatures=signatures(table, warn_up),
        samples=_samples(table, warn_up if len(warn_up) else idx, limit),
    )


def search(table: LogTable, idx: np.ndarray, text: str, searched: str, limit: int = 5) -> LogsView:
    """Lines among `idx` whose message contains `text`, case-insensitively (no regex)."""
    needle = text.lower()
    hits = np.array([i for i in idx if needle in table.messages[i].lower()], dtype=np.int64)
    result = view(table, hits, searched, limit)
    if not len(hits):
        result.signatures = []
    elif not result.signatures:  # matches were all INFO/DEBUG: show them anyway
        result.signatures = signatures(table, hits)
    return result


def service_details(
    table: LogTable, service: str, onset: datetime, end: datetime, known: tuple[str, ...]
) -> ServiceLogDetails:
    before = table.select(service=service, end=onset)
    after = table.select(service=service, start=onset, end=end)
    warn = LEVELS.index("WARN")
    err = LEVELS.index("ERROR")
    before_codes, texts = signature_codes(table, before[table.levels[before] >= warn])
    before_sigs = {texts[c]: n for c, n in Counter(before_codes.tolist()).items()}
    after_warn = after[table.levels[after] >= warn]
    span = (table.timestamps[0], table.timestamps[-1]) if len(table) else (None, None)
    minutes_before = (
        max((onset - to_datetime(span[0])).total_seconds() / 60, 0) if span[0] is not None else 0
    )
    minutes_after = (end - onset).total_seconds() / 60
    new = []
    for s in signatures(table, after_warn, top=50):
        s.before = before_sigs.get(s.signature, 0)
        rate_before = s.before / max(minutes_before, 1)
        if not s.before or (
            s.count >= SURGE_MIN_LINES
            and s.count / max(minutes_after, 1) >= SURGE_FACTOR * rate_before
        ):
            new.append(s)
    new = new[:6]
    tag_counts: Counter[str] = Counter()
    deps: Counter[str] = Counter()
    named_by_line = line_dependencies(table, after_warn, service, known)
    for mask, named in zip(tag_masks(table, after_warn).tolist(), named_by_line, strict=True):
        if mask:
            tag_counts.update(tag_names(mask))
        deps.update(named)
    errors_after = after[table.levels[after] >= err]
    everything = table.select(service=service)
    return ServiceLogDetails(
        service=service,
        onset=onset,
        errors_before=int((table.levels[before] >= err).sum()),
        errors_after=len(errors_after),
        warnings_before=int((table.levels[before] == warn).sum()),
        warnings_after=int((table.levels[after] == warn).sum()),
        minutes_before=round(minutes_before, 1),
        minutes_after=round(minutes_after, 1),
        first_error_after_onset=to_datetime(table.timestamps[errors_after[0]])
        if len(errors_after)
        else None,
        new_signatures=new,
        tag_counts=dict(tag_counts.most_common()),
        dependencies_named=dict(deps.most_common(5)),
        samples=_samples(table, after_warn, 5),
        lines_before=len(before),
        lines_after=len(after),
        last_line=to_datetime(table.timestamps[everything[-1]]) if len(everything) else None,
        lead_up=_lead_up(table, before, onset),
    )


def _lead_up(
    table: LogTable, before: np.ndarray, onset: datetime, limit: int = 3
) -> list[LogEntry]:
    """ERROR+ lines in the LEAD_MINUTES before onset whose signature was not seen earlier."""
    errors = before[table.levels[before] >= LEVELS.index("ERROR")]
    cut = to_datetime64(onset - timedelta(minutes=LEAD_MINUTES))
    codes, _ = signature_codes(table, errors)
    is_early = table.timestamps[errors] < cut
    late = errors[~is_early & ~np.isin(codes, codes[is_early])]
    return _samples(table, late, limit)
