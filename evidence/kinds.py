"""What an error names, from generic words only: exception types and exhausted resources."""

import re

_EXCEPTION = re.compile(
    # Bounded repeats: a dotted name cannot be retried from every word of a long line.
    r"\b((?:[a-z_]\w{0,40}\.){0,8}[A-Z]\w{0,60}(?:Error|Exception|Fault))\b"
    r"|\b(panic|fatal error): ([^\n]{0,60})"
)
_RESOURCES = {
    "disk space": r"no space left|disk ?full|disk|filesystem|volume",
    # Before connections: "renderPool saturated" or "worker pool full" is a pool of threads.
    "threads": r"thread ?pool|rejected ?execution|out of threads|"
    r"(?:worker|executor|render|task|job) ?pool|threads?\b|workers?\b",
    "connections": r"too many (?:connections|clients)|connection slots|max(?:imum)? connections"
    r"|connections?\b|pool",
    "file descriptors": r"too many open files|file descriptors|\bfds?\b",
    "queue capacity": r"queue (?:is )?full|backlog|queue",
    "CPU": r"\bcpu\b|cores?\b|throttl",
    "memory": r"out ?of ?memory|\bmem|heap",
}
_RESOURCE_PATTERNS = {k: re.compile(v, re.IGNORECASE) for k, v in _RESOURCES.items()}


def exception_names(text: str) -> list[str]:
    """Exception types (KeyError, java.lang.NullPointerException, panic: ...) named in text."""
    found = []
    for m in _EXCEPTION.finditer(text):
        name = m.group(1) or f"{m.group(2)}: {m.group(3).strip()}"
        if name not in found:
            found.append(name)
    return found


def resource(texts: list[str]) -> str | None:
    """What ran out, by the first resource words found in the texts (metric names, log lines)."""
    for text in texts:
        for kind, pattern in _RESOURCE_PATTERNS.items():
            if pattern.search(text.replace("_", " ")):
                return kind
    return None
