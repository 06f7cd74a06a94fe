"""Secret redaction for untrusted text: log lines, code diffs, deploy descriptions.

`redact` replaces a secret with MARKER and keeps the context around it (`password=[REDACTED]`,
`postgres://app:[REDACTED]@db:5432/orders`, `Authorization: Bearer [REDACTED]`, `ghp_[REDACTED]`).

One compiled regex, one pass (plus a rare second one for Go DSNs). Each alternative begins with
a plain literal (`://`, `AKIA`, the `p` of `password`) and checks the character before it with a
lookbehind placed after that literal, so `re` skips every position whose character starts no
alternative. Runs are possessive and never re-enter the run before them, so the scan stays
linear on hostile input. Output never matches again in a way that changes it, so redaction is
idempotent.
"""

import re
from functools import lru_cache

MARKER = "[REDACTED]"

# A value: a JSON string escaped inside another string, a double- or single-quoted string, a
# quote never closed (a truncated line), or a bare word. A bare word never starts with a
# bracket, so `password=[REDACTED]` and `password: <nil>` are left as they are.
_VALUE = r"""(
    \\"[^"\\\r\n]++\\"
    |"(?:[^"\\\r\n]|\\.)++"
    |'[^'\r\n]++'
    |["'][^\s"',;&]++
    |[^\s"'\\,;&<>(){}\[\]][^\s"',;&]*+
)"""

# `=`, `:`, `=>` or `:=` after a key name, with the key's closing quote and an auth scheme.
_SEPARATOR = r"""
    (?:\\?["'])?[ \t]*(?::=?|=>?)[ \t]*(?:(?i:bearer|basic|token|digest)[ \t]+)?+
"""

# Key words that make the value after a separator a secret, wherever they end a key name
# (DB_PASSWORD, db.password, clientSecret, X-Auth-Token, aws_secret_access_key), grouped by
# first letter: each alternative must start with a plain literal, in either case.
_LONG_KEYS = {
    "p": r"ass(?:word|wd|phrase)|rivate[_-]?key",
    "s": r"ecret(?:[ _-]?(?:access[ _-]?)?key)?",
    "t": r"oken",
    "a": r"pi[_-]?key|ccess[_-]?key|uthorization",
    "c": r"lient[_-]?secret|redentials?",
}
# Short key words count only at a word start or camelCase hump (DB_PASS, basicAuth, PWD), not
# inside bypass, oauth or OLDPWD. The lookbehind spans the word and the character before it.
_SHORT_KEYS = {"p": ("ass", "wd"), "a": ("uth",)}


def _key_alternatives() -> list[str]:
    keys = []
    for first, rest in _LONG_KEYS.items():
        keys += [f"{first}(?i:{rest})", f"{first.upper()}(?i:{rest})"]
    for first, rests in _SHORT_KEYS.items():
        for rest in rests:
            width = "." * (len(rest) + 1)
            keys.append(f"{first}(?i:{rest})(?<![A-Za-z]{width})")
            keys.append(f"{first.upper()}(?i:{rest})(?<![A-Z]{width})")
    return keys


_ANY_KEY = "(?i:" + "|".join(f"{f}(?:{r})" for f, r in _LONG_KEYS.items()) + "|pass|pwd|auth)"

# (kind, pattern): each pattern starts with a literal and has exactly one capturing group, the
# secret itself; the rest of the match is kept.
_ALTERNATIVES: list[tuple[str, str]] = [
    *(("kv", key + _SEPARATOR + _VALUE) for key in _key_alternatives()),
    # --password hunter2, --db-password hunter2 (the `=` form is a key=value above)
    ("flag", rf"--(?<![\w-]--)(?:[A-Za-z0-9]++[-_])*?{_ANY_KEY}[ \t]+(?!-){_VALUE}"),
    # scheme://user:pass@host; the password may itself contain @, so the last @ wins
    ("url", r"""://[^:/@\s"'<>]*+:([^\s/"'<>]+)@"""),
    ("bearer", r"Bearer(?<![\w-]Bearer)[ \t]+(?![a-z]++(?![\w.~+/=-]))([\w.~+/-]{8,}+=*+)"),
    ("bearer", r"bearer(?<![\w-]bearer)[ \t]+(?![a-z]++(?![\w.~+/=-]))([\w.~+/-]{8,}+=*+)"),
    ("jwt", r"eyJ(?<![\w-]eyJ)([\w-]{4,}+\.[\w-]{4,}+\.[\w-]*+)"),
    ("aws", r"A(?:KIA|SIA)(?<![A-Za-z0-9]....)([A-Z0-9]{16})(?![A-Za-z0-9])"),
    # OpenAI / Anthropic (sk-, sk-proj-, sk-ant-api03-) and Stripe (sk_live_, rk_test_) keys
    ("token", r"sk-(?<![\w-]sk-)(?:proj-|ant-(?:api\d\d-|admin\d\d-)?|svcacct-)?([\w-]{16,}+)"),
    ("token", r"sk_(?<![\w-]sk_)(?:live|test)_([\w-]{16,}+)"),
    ("token", r"rk_(?<![\w-]rk_)(?:live|test)_([\w-]{16,}+)"),
    ("token", r"gh[pousr]_(?<!\w....)(\w{20,}+)"),
    ("token", r"github_pat_(?<!\wgithub_pat_)(\w{20,}+)"),
    ("token", r"xox[abposr]-(?<![\w-]....-)([A-Za-z0-9-]{10,}+)"),
    ("token", r"xapp-(?<![\w-]xapp-)([A-Za-z0-9-]{10,}+)"),
    ("token", r"AIza(?<![\w-]AIza)([\w-]{30,}+)"),
    # PEM private key. The body runs up to the next run of five dashes, so it stops at the END
    # line (with its diff prefix, + or -) or, when the block is cut off, at the end of the text.
    (
        "pem",
        r"""-----BEGIN[A-Z0-9 ]{0,40}PRIVATE[ ]KEY(?:[ ]BLOCK)?-----
            ((?:[^-]|-(?!----))*+)
            (?:-?-----END[A-Z0-9 ]{0,40}PRIVATE[ ]KEY(?:[ ]BLOCK)?-----)?""",
    ),
]
_SECRET = re.compile("|".join(p for _, p in _ALTERNATIVES), re.VERBOSE | re.ASCII)
_KIND = {group: kind for group, (kind, _) in enumerate(_ALTERNATIVES, start=1)}
assert _SECRET.groups == len(_ALTERNATIVES), "one capturing group per alternative"

# Go MySQL DSN, app:pass@tcp(db:3306)/orders. It starts with a bare user name, not a literal,
# so it runs as its own pass, only when the text has such a DSN in it.
_GO_DSN = re.compile(r"""(?<![^\s"'=])[\w.-]++:([^\s"'=]+)@(?=(?:tcp|unix)\()""", re.ASCII)
_SCHEME = re.compile(r"(?i)(?:bearer|basic|token|digest)[ \t]+")
_LINE_PREFIX = re.compile(r"[+\- ]?[ \t]*")  # a diff marker, then indentation


def redact(text: str) -> str:
    """`text` with every secret it contains replaced by MARKER; anything else is unchanged."""
    text = _SECRET.sub(_replace, text)
    if "@tcp(" in text or "@unix(" in text:
        text = _GO_DSN.sub(_replace_plain, text)
    return text


def _replace(m: re.Match[str]) -> str:
    group = m.lastindex or 0
    start, end = m.span(group)
    before, secret, after = m.string[m.start() : start], m[group], m.string[end : m.end()]
    kind = _KIND[group]
    if kind == "kv":
        return before + _redacted_value(before, secret)
    if kind == "pem":
        return before + _redacted_pem_body(secret, after)
    return before + MARKER + after


def _replace_plain(m: re.Match[str]) -> str:
    start, end = m.span(1)
    return m.string[m.start() : start] + MARKER + m.string[end : m.end()]


def _redacted_value(key: str, value: str) -> str:
    """MARKER for the value after `key`, in the quotes it had and keeping an auth scheme."""
    if value[0] == "/" and key.rstrip(" \t:=\"'\\").lower().endswith("pwd"):
        return value  # the shell's PWD=/srv/app is a directory, not a password
    quote = '\\"' if value.startswith('\\"') else value[0] if value[0] in "\"'" else ""
    if not quote:
        return MARKER
    scheme = _SCHEME.match(value, len(quote))
    return quote + (scheme[0] if scheme else "") + MARKER + quote


def _redacted_pem_body(body: str, end: str) -> str:
    """MARKER for a key block's body and its END line, keeping the block's diff prefix."""
    if "\n" not in body:  # one line, e.g. a JSON service-account key with \n escapes
        return MARKER + end
    prefix = _LINE_PREFIX.match(body, body.index("\n") + 1)[0]
    if end.startswith("------"):  # a removed END line: the diff's - is already in prefix
        end = end[1:]
    return f"\n{prefix}{MARKER}" + (f"\n{prefix}{end}" if end else "")


def redact_json(value):
    """A copy of a JSON value (dicts, lists, scalars) with every secret in it redacted."""
    return _redacted_json(value, secret=False)


def _redacted_json(value, secret: bool):
    """A copy of a JSON value with its text redacted; under a secret's key, MARKER instead.

    A key names a secret (password, api_key, token...) when redact() would hide what follows it.
    """
    # Structure hides what redact() relies on: {"password": "hunter2"} holds a secret that
    # neither "password" nor "hunter2" shows on its own.
    if type(value) is str:  # the usual case first: this runs for every value of every line
        return MARKER if secret else redact(value)
    if isinstance(value, dict):
        copy = {}
        for key, item in value.items():
            text, names_secret = _key(key)
            copy[text] = _redacted_json(item, secret or names_secret)
        return copy
    if isinstance(value, list | tuple):
        return [_redacted_json(item, secret) for item in value]
    if isinstance(value, bool) or value is None:
        return value  # no secret fits in true, false or null
    if isinstance(value, str):
        return MARKER if secret else redact(value)
    if isinstance(value, int | float):
        return MARKER if secret else value
    raise TypeError(f"log attributes must hold JSON values, got {value!r}")


@lru_cache(maxsize=4096)  # a bundle repeats a few keys on every line
def _key(key: str) -> tuple[str, bool]:
    """The key redacted, and whether redact() treats what follows it as a secret."""
    if not isinstance(key, str):
        raise TypeError(f"log attribute keys must be str, got {key!r}")
    probe = f"{key}=x"
    return redact(key), redact(probe) != probe
