"""Stack frames in error logs matched against the lines deployed diffs changed.

A latent bug can ship hours before anything breaks: the nearest deploy is then the wrong one
to blame. A frame of the new exception's stack trace (file and line) that falls inside a hunk
a deploy changed names the deploy, the line and the code, whenever it was deployed.
Every pattern here is linear on any input, and each log line is read to a bounded length.
"""

import re
from datetime import datetime
from pathlib import PurePosixPath

from pydantic import BaseModel

from evidence.kinds import exception_names

_FRAMES = (
    # Java/Kotlin/Scala: at com.acme.X.method(X.java:31)
    re.compile(r"\bat ([\w$.<>]{1,200})\(([\w$.-]{1,100}\.(?:java|kt|scala)):(\d{1,7})\)"),
    # Python: File "/app/x/y.py", line 31, in func
    re.compile(r'File "([^"\n]{1,300}\.py)", line (\d{1,7}), in ([\w<>.]{1,100})'),
    # Go: /src/x/y.go:31 (+0x1d), JS/TS: at fn (/app/x.js:31:7) or at /app/x.js:31:7
    re.compile(r"([\w./@-]{1,300}\.(?:go|js|ts|mjs|cjs|rb|rs|cs|php)):(\d{1,7})\b"),
)
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_FILE = re.compile(r"^\+\+\+ (?:b/)?(\S{1,500})")
NEAR = 2  # a frame this many lines from a changed line still points at it
MAX_TEXT = 20_000


class Frame(BaseModel):
    file: str  # as the trace names it (a path or a bare file name)
    line: int
    function: str | None


class CodeMatch(BaseModel):
    """A frame of a new error that falls in a hunk a deploy changed."""

    commit: str
    version: str | None = None
    deployed_at: datetime | None = None
    minutes_before_onset: float | None = None
    frame: Frame
    file: str  # the diff's path
    changed_line: str  # the added line nearest the frame's line, untrusted text
    exception: str | None


def unescape(text: str) -> str:
    """A trace logged inside a logfmt or JSON string keeps its newlines, tabs, quotes escaped."""
    return text[:MAX_TEXT].replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"')


def frames(text: str) -> list[Frame]:
    text = unescape(text)
    found: list[Frame] = []
    for m in _FRAMES[0].finditer(text):
        found.append(Frame(file=m.group(2), line=int(m.group(3)), function=m.group(1)))
    for m in _FRAMES[1].finditer(text):
        found.append(Frame(file=m.group(1), line=int(m.group(2)), function=m.group(3)))
    if not found:
        for m in _FRAMES[2].finditer(text):
            found.append(Frame(file=m.group(1), line=int(m.group(2)), function=None))
    return found


def changed_lines(diff: str) -> dict[str, dict[int, str]]:
    """Per file of a unified diff, the new-side line numbers of added lines and their text."""
    out: dict[str, dict[int, str]] = {}
    path, line = None, 0
    for raw in diff.splitlines():
        if raw.startswith("+++ "):
            m = _FILE.match(raw)
            path = m.group(1) if m else None
            continue
        if m := _HUNK.match(raw):
            line = int(m.group(1))
            continue
        if path is None or raw.startswith("--- "):
            continue
        if raw.startswith("+"):
            out.setdefault(path, {})[line] = raw[1:].strip()
            line += 1
        elif raw.startswith("-"):
            continue  # removed lines have no new-side number
        else:
            line += 1
    return out


def _same_file(frame_file: str, diff_path: str) -> bool:
    f, d = PurePosixPath(frame_file), PurePosixPath(diff_path)
    if f.name != d.name:
        return False
    # A path in the trace must agree with the diff's path as far as both go.
    return all(a == b for a, b in zip(reversed(f.parts), reversed(d.parts), strict=False))


def match(messages: list[str], diffs: dict[str, str]) -> list[CodeMatch]:
    """Frames of these error messages that land on lines the diffs changed, best first."""
    changed = {commit: changed_lines(text) for commit, text in diffs.items()}
    found: dict[tuple[str, str, int], CodeMatch] = {}
    for message in messages:
        exception = next(iter(exception_names(unescape(message))), None)
        for fr in frames(message):
            for commit, files in changed.items():
                for path, lines in files.items():
                    if not _same_file(fr.file, path):
                        continue
                    near = [n for n in lines if abs(n - fr.line) <= NEAR]
                    if near:
                        n = min(near, key=lambda n: abs(n - fr.line))
                        key = (commit, path, n)
                        found.setdefault(
                            key,
                            CodeMatch(
                                commit=commit,
                                frame=fr,
                                file=path,
                                changed_line=lines[n][:200],
                                exception=exception,
                            ),
                        )
    return list(found.values())


def code_matches(telemetry, service: str, onset: datetime, end: datetime) -> list[CodeMatch]:
    """Frames of `service`'s new errors since onset that land in lines its deploys changed."""
    table = telemetry.logs()
    idx = table.select(service=service, start=onset, end=end, min_level="ERROR")
    seen: set[str] = set()
    messages = []
    for i in idx[:5000]:
        text = table.messages[i][:MAX_TEXT]
        key = " ".join(text.split())[:300]
        if key not in seen and len(seen) < 50:
            seen.add(key)
            messages.append(text)
    deploys = deployed_before(telemetry.deploys(), service, onset)
    diffs = {d.commit: text for d in deploys if (text := telemetry.diff(d.commit))}
    by_commit = {d.commit: d for d in deploys}
    out = []
    for m in match(messages, diffs):
        d = by_commit[m.commit]
        minutes = round((onset - d.deployed_at).total_seconds() / 60, 1)
        out.append(
            m.model_copy(
                update={
                    "version": d.version,
                    "deployed_at": d.deployed_at,
                    "minutes_before_onset": minutes,
                }
            )
        )
    return out


def deployed_before(deploys, service: str, onset: datetime, lookback_hours: float = 48):
    """The service's deploys in the lookback before onset, newest first."""
    return sorted(
        (
            d
            for d in deploys
            if d.service == service
            and 0 <= (onset - d.deployed_at).total_seconds() <= lookback_hours * 3600
        ),
        key=lambda d: d.deployed_at,
        reverse=True,
    )
