"""Log lines in the styles real services write them: plain text, logfmt, JSON with structured
attributes as extra keys, OpenTelemetry semantic-convention keys; level spellings of several
logging libraries, mapped onto the bundle's level set (the original kept as an attribute)."""

import json
from dataclasses import dataclass

import numpy as np

from evals.generator.common import Scene

FORMATS = ("plain", "logfmt", "json", "otel")
# spelling tables: canonical level -> what the library writes in the bundle's `level`
SPELLINGS = (
    {"DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARN", "ERROR": "ERROR", "FATAL": "FATAL"},
    {"DEBUG": "debug", "INFO": "info", "WARN": "warning", "ERROR": "error", "FATAL": "fatal"},
    {"DEBUG": "Debug", "INFO": "Info", "WARN": "Warning", "ERROR": "Error", "FATAL": "Fatal"},
    {"DEBUG": "debug", "INFO": "info", "WARN": "warn", "ERROR": "error", "FATAL": "FATAL"},
)
# what a library calls the level when the bundle's set has no such word
NATIVE = {"FATAL": ("CRITICAL", "panic", "EMERGENCY", "FATAL"), "DEBUG": ("TRACE", "DEBUG")}


@dataclass(frozen=True)
class LogStyle:
    fmt: str
    spelling: dict[str, str]
    native_key: str | None  # attribute that keeps the library's own level word, if any
    with_trace: bool


def style_of(scene: Scene, service: str, fmt: str | None = None) -> LogStyle:
    """The service's log style: chosen once, or forced by `fmt` (when a variant needs a name
    carried by attributes only, say)."""
    style = scene.styles.get(service)
    if style is None or (fmt and style.fmt != fmt):
        fmt = fmt or scene.pick(FORMATS)
        style = LogStyle(
            fmt=fmt,
            spelling=scene.pick(SPELLINGS),
            native_key=scene.pick(("levelname", "severity_text", None)) if fmt != "plain" else None,
            with_trace=fmt == "otel" or scene.chance(0.3),
        )
        scene.styles[service] = style
    return style


def log(scene: Scene, t: float, service: str, level: str, message: str, attrs=None) -> None:
    """Add one line. `attrs` are structured attributes (peer.service, db.system, ...): extra
    keys in JSON styles, key=value pairs in logfmt, dropped in plain text."""
    style = style_of(scene, service)
    doc: dict = {"timestamp": scene.stamp(t), "service": service}
    doc["level"] = style.spelling[level]
    attrs = dict(attrs or {})
    if style.fmt == "logfmt":
        pairs = " ".join(f"{k}={_logfmt(v)}" for k, v in attrs.items())
        word = style.spelling[level].lower()
        message = f"level={word} msg={_logfmt(message)}" + (f" {pairs}" if pairs else "")
    elif style.fmt in ("json", "otel"):
        if style.native_key and level in NATIVE and scene.chance(0.7):
            attrs[style.native_key] = scene.pick(NATIVE[level])
        doc.update(attrs)
        if style.with_trace:
            doc["trace_id"] = scene.hexid(32)
            doc["span_id"] = scene.hexid(16)
    doc["message"] = message
    scene.logs.append((int(round(t * 1000)), len(scene.logs), doc))


def _logfmt(value) -> str:
    text = str(value)
    if text and all(c.isalnum() or c in "._-:/" for c in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def times(scene: Scene, t0: float, t1: float, per_min: float, load=None) -> np.ndarray:
    """Poisson arrival times in [t0, t1) at `per_min` lines a minute, shaped by `load`."""
    if t1 <= t0 or per_min <= 0:
        return np.array([])
    minutes = np.arange(t0, t1, 60.0)
    rate = per_min * scene.diurnal(minutes) * (load(minutes) if load else 1)
    counts = scene.rng.poisson(np.maximum(rate, 0))
    out = [m + scene.rng.uniform(0, 60, c) for m, c in zip(minutes, counts, strict=True)]
    stamps = np.sort(np.concatenate(out)) if out else np.array([])
    return np.round(stamps[stamps < t1], 3)


ROUTINE = (
    "GET /api/v1/{thing}/{id} 200 {ms}ms",
    "POST /api/v1/{thing} 201 {ms}ms",
    "handled request path=/{thing}/{id} status=200 duration={ms}ms",
    "cache hit ratio {ratio} over last 60s",
    "processed batch of {n} {thing} events in {ms}ms",
    "health check ok",
    "refreshed {thing} snapshot ({n} entries)",
)
ROUTINE_WARN = (
    "slow request GET /api/v1/{thing}/{id} took {slow}ms",
    "retrying {thing} lookup (attempt 2 of 3)",
    "deprecated header X-Client-Version used by {n} clients",
    "request body larger than 256KiB, truncating log",
)
THINGS = ("orders", "items", "users", "carts", "quotes", "sessions", "products", "invoices")


def chatter(scene: Scene, service: str, per_min: float = 1.5, t0=None, t1=None, load=None):
    """Routine INFO lines and a trickle of benign WARNs, before and during the incident alike."""
    t0 = scene.start if t0 is None else t0
    t1 = scene.end if t1 is None else t1
    for t in times(scene, t0, t1, per_min, load):
        warn = scene.chance(0.04)
        text = scene.pick(ROUTINE_WARN if warn else ROUTINE).format(
            thing=scene.pick(THINGS),
            id=int(scene.rng.integers(1000, 99999)),
            ms=int(scene.rng.integers(3, 120)),
            slow=int(scene.rng.integers(1200, 4000)),
            ratio=round(scene.uniform(0.8, 0.99), 2),
            n=int(scene.rng.integers(5, 500)),
        )
        log(scene, float(t), service, "WARN" if warn else "INFO", text)


def stream(scene, service, t0, t1, per_min, level, messages, attrs=None, load=None) -> int:
    """Lines drawn from `messages` (each a str or a (str, attrs) pair) at `per_min` a minute.
    Returns how many were written."""
    stamps = times(scene, t0, t1, per_min, load)
    for t in stamps:
        item = scene.pick(messages)
        text, extra = item if isinstance(item, tuple) else (item, {})
        log(scene, float(t), service, level, text, {**(attrs or {}), **extra})
    return len(stamps)
