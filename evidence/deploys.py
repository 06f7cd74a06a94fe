"""Deploys around an onset, and what a deployed commit's diff changes."""

import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel

from sources.telemetry import Deploy

CONFIG_SUFFIXES = {
    ".yaml",
    ".yml",
    ".json",
    ".toml",
    ".ini",
    ".cfg",
    ".conf",
    ".properties",
    ".env",
    ".tfvars",
    ".hcl",
    ".vcl",  # a CDN's configuration language: pushing it configures, whatever it compiles to
}
CODE_SUFFIXES = {
    ".py",
    ".java",
    ".go",
    ".js",
    ".ts",
    ".tsx",
    ".jsx",
    ".rb",
    ".rs",
    ".kt",
    ".scala",
    ".cs",
    ".cpp",
    ".cc",
    ".c",
    ".h",
    ".php",
    ".swift",
    ".sql",
    ".lua",  # WAF and proxy rules are programs: a new rule is new code
}
DOC_SUFFIXES = {".md", ".rst", ".txt", ".adoc", ".html", ".css", ".svg", ".png"}

FileKind = Literal["config", "code", "test", "docs", "other"]

# Test code never runs in production: a change to it cannot break a running service.
_TEST_PATH = re.compile(
    r"(?:^|/)(?:tests?|__tests__|spec|testdata)/|(?:^|/)test_[^/]+$|_test\.[a-z]+$"
    r"|(?:Test|Tests|IT)\.(?:java|kt|scala|cs)$|\.(?:test|spec)\.[jt]sx?$"
)

_FILE = re.compile(r"^\+\+\+ (?:b/)?(\S+)", re.MULTILINE)
# What changed code works with, by the constructs on its added lines (bounded, linear).
TOUCHES = {
    "a regular expression": re.compile(
        r"re\.compile\(|Pattern\.compile\(|regexp\.(?:Must)?Compile|new RegExp\(|Regex\("
        r"|\.matches\(\s*\""
        # a literal that reads as a regex: groups, classes and quantified escapes
        r"|\(\?[:i!=<]|\\[sdwb][+*]|\.\*.{0,40}\.\*|\[\^"
    ),
    "a database query": re.compile(
        r"\b(?:SELECT|INSERT|UPDATE|DELETE)\b.{0,80}\b(?:FROM|INTO|SET|WHERE)\b"
    ),
    "a cache": re.compile(r"\bcache\b|\bttl\b|expire", re.IGNORECASE),
    "retries": re.compile(r"\bretr(?:y|ies)\b|backoff", re.IGNORECASE),
    "a loop over requests": re.compile(
        r"\bfor\b.{0,80}\b(?:fetch|get|query|load|find)\w*\(", re.IGNORECASE
    ),
}
_SETTING = re.compile(r"""^([+-])\s*["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*(.+?)\s*,?\s*$""")


class DeployView(BaseModel):
    service: str
    version: str
    commit: str
    deployed_at: datetime
    author: str | None
    description: str | None  # untrusted text
    minutes_before_onset: float  # negative: deployed after onset
    has_diff: bool


class FileChange(BaseModel):
    path: str
    kind: FileKind
    added: int
    removed: int


class SettingChange(BaseModel):
    file: str
    key: str
    old: str
    new: str


class DiffSummary(BaseModel):
    commit: str
    kind: Literal["config", "code", "mixed", "test", "docs", "other", "empty"]
    files: list[FileChange]
    settings_changed: list[SettingChange]
    excerpt: str  # the start of the diff, untrusted text
    added_code: list[str] = []  # the first added lines of code files, untrusted text
    touches: list[str] = []  # what the added code works with: "a regular expression", ...


def file_kind(path: str) -> FileKind:
    p = PurePosixPath(path.lower())
    if p.suffix in CODE_SUFFIXES:
        return "test" if _TEST_PATH.search(path) else "code"
    if p.suffix in CONFIG_SUFFIXES or "config" in p.parts or p.name.startswith(".env"):
        return "config"
    if p.suffix in DOC_SUFFIXES or "docs" in p.parts:
        return "docs"
    return "other"


def _diff_kind(kinds: set[str]) -> str:
    """One kind for a whole diff: code and config together are mixed; tests go with code."""
    if len(kinds) == 1:
        return next(iter(kinds))
    if {"code", "config"} <= kinds:
        return "mixed"
    for kind in ("code", "config"):
        if kind in kinds:
            return kind
    return "test" if kinds <= {"test", "docs"} else "other"


def summarize_diff(commit: str, text: str, excerpt_lines: int = 40) -> DiffSummary:
    files: list[FileChange] = []
    settings: list[SettingChange] = []
    removed: dict[tuple[str, str], str] = {}
    current: FileChange | None = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            match = _FILE.match(line)
            path = match.group(1) if match else line[4:].strip()
            current = FileChange(path=path, kind=file_kind(path), added=0, removed=0)
            files.append(current)
            continue
        if current is None or line.startswith("--- ") or line[:1] not in "+-":
            continue
        if line.startswith("+"):
            current.added += 1
        else:
            current.removed += 1
        if m := _SETTING.match(line):
            sign, key, value = m.groups()
            if sign == "-":
                removed[(current.path, key)] = value
            elif (old := removed.pop((current.path, key), None)) is not None and old != value:
                settings.append(SettingChange(file=current.path, key=key, old=old, new=value))
    kinds = {f.kind for f in files}
    kind = _diff_kind(kinds) if files else "empty"
    excerpt = "\n".join(text.splitlines()[:excerpt_lines])
    added = _added_code(text)
    touches = [name for name, p in TOUCHES.items() if any(p.search(line) for line in added)]
    return DiffSummary(
        commit=commit,
        kind=kind,
        files=files,
        settings_changed=settings[:20],
        excerpt=excerpt,
        added_code=added[:8],
        touches=touches,
    )


def _added_code(text: str, limit: int = 40) -> list[str]:
    """The added, non-blank, non-comment lines of code files (at most `limit`, 200 chars)."""
    out: list[str] = []
    code = False
    for line in text.splitlines():
        if line.startswith("+++ "):
            m = _FILE.match(line)
            code = bool(m) and file_kind(m.group(1)) == "code"
            continue
        if code and line.startswith("+"):
            body = line[1:].strip()
            if body and not body.startswith(("#", "//", "*", "/*")):
                out.append(body[:200])
                if len(out) >= limit:
                    break
    return out


def deploy_view(deploy: Deploy, onset: datetime, has_diff: bool) -> DeployView:
    return DeployView(
        service=deploy.service,
        version=deploy.version,
        commit=deploy.commit,
        deployed_at=deploy.deployed_at,
        author=deploy.author,
        description=deploy.description,
        minutes_before_onset=round((onset - deploy.deployed_at).total_seconds() / 60, 1),
        has_diff=has_diff,
    )
